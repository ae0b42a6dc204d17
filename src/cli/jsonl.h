/* jsonl.h -- the flat JSON objects of the files the job writes, one per
 * line (a metrics file, an event log), read back by explain (jsonl.c):
 * string, number, true/false (1/0) and null (NaN) values, no nesting. */
#ifndef LRE_JSONL_H
#define LRE_JSONL_H

#include <stddef.h>
#include <stdio.h>

#define JSONL_MAX_FIELDS 32
#define JSONL_MAX_LINE 65536 /* bytes of a line, its newline aside */

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
 * an error naming it ("PATH:LINE: not WHAT"), as is a line longer than
 * JSONL_MAX_LINE bytes. Returns an exit code (fn's
 * when it stops the read), having said what failed. */
int jsonl_read(const char *path, const char *what, int (*fn)(void *ud, const jsonl_obj *o, long long line), void *ud);

/* The same, a line at a time: jsonl_open (an exit code), then jsonl_next
 * until it returns 0 (the end; 1: *o is the next line's object; a negative
 * exit code: said what failed), then jsonl_close (safe after a failed open). */
typedef struct jsonl_cursor {
    FILE *f;
    const char *path, *what;
    char *line;
    long long lineno; /* the line of the last object */
} jsonl_cursor;

int jsonl_open(jsonl_cursor *c, const char *path, const char *what);
int jsonl_next(jsonl_cursor *c, jsonl_obj *o);
void jsonl_close(jsonl_cursor *c);

#endif
