/* jsonl.h -- the flat JSON objects of the files the job writes, one per
 * line (a metrics file, an event log), read back by explain (jsonl.c):
 * string, number, true/false (1/0) and null (NaN) values, no nesting. */
#ifndef LRE_JSONL_H
#define LRE_JSONL_H

#include <stddef.h>

#define JSONL_MAX_FIELDS 32

typedef struct jsonl_field {
    char key[48];
    int is_str;
    double num;
    char str[256]; /* cut at 255 bytes */
} jsonl_field;

typedef struct jsonl_obj {
    int n;
    jsonl_field f[JSONL_MAX_FIELDS];
} jsonl_obj;

/* 0, or -1 when line is not a flat object of at most JSONL_MAX_FIELDS keys. */
int jsonl_parse(const char *line, jsonl_obj *o);
/* The field named key, or NULL. */
const jsonl_field *jsonl_get(const jsonl_obj *o, const char *key);
/* The number at key, or NaN when absent or a string. */
double jsonl_num(const jsonl_obj *o, const char *key);

/* Calls fn with each line's object of the file at path (blank lines
 * skipped) until fn returns non-zero; a line that is not a flat object is
 * an error naming it ("PATH:LINE: not WHAT"). Returns an exit code (fn's
 * when it stops the read), having said what failed. */
int jsonl_read(const char *path, const char *what, int (*fn)(void *ud, const jsonl_obj *o, long long line), void *ud);

#endif
