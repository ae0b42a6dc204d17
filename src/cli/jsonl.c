/* jsonl.c -- see jsonl.h. */
#include "jsonl.h"
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *skip(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
    return p;
}

/* A string at p (after its '"') into out; the character after it, or NULL. */
static const char *string(const char *p, char *out, size_t size)
{
    size_t n = 0;
    while (*p && *p != '"') {
        char c = *p++;
        if (c == '\\') {
            c = *p++;
            switch (c) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'u': {
                char hex[5] = {0};
                for (int i = 0; i < 4; i++)
                    if (!(hex[i] = *p++)) return NULL;
                long cp = strtol(hex, NULL, 16);
                c = cp > 0 && cp < 0x80 ? (char)cp : '?';
                break;
            }
            case '"': case '\\': case '/': break;
            default: return NULL;
            }
        }
        if (n + 1 < size) out[n++] = c;
    }
    if (*p != '"') return NULL;
    out[n] = 0;
    return p + 1;
}

int jsonl_parse(const char *line, jsonl_obj *o)
{
    o->n = 0;
    const char *p = skip(line);
    if (*p++ != '{') return -1;
    p = skip(p);
    if (*p == '}') return *skip(p + 1) ? -1 : 0;
    for (;;) {
        if (o->n == JSONL_MAX_FIELDS || *p++ != '"') return -1;
        jsonl_field *f = &o->f[o->n];
        memset(f, 0, sizeof *f);
        if (!(p = string(p, f->key, sizeof f->key))) return -1;
        p = skip(p);
        if (*p++ != ':') return -1;
        p = skip(p);
        if (*p == '"') {
            f->is_str = 1;
            if (!(p = string(p + 1, f->str, sizeof f->str))) return -1;
        } else if (!strncmp(p, "null", 4)) {
            f->num = NAN, p += 4;
        } else if (!strncmp(p, "true", 4)) {
            f->num = 1, p += 4;
        } else if (!strncmp(p, "false", 5)) {
            f->num = 0, p += 5;
        } else {
            char *end;
            f->num = strtod(p, &end);
            if (end == p) return -1;
            p = end;
        }
        o->n++;
        p = skip(p);
        if (*p == '}') return *skip(p + 1) ? -1 : 0;
        if (*p++ != ',') return -1;
        p = skip(p);
    }
}

const jsonl_field *jsonl_get(const jsonl_obj *o, const char *key)
{
    for (int i = 0; i < o->n; i++)
        if (!strcmp(o->f[i].key, key)) return &o->f[i];
    return NULL;
}

double jsonl_num(const jsonl_obj *o, const char *key)
{
    const jsonl_field *f = jsonl_get(o, key);
    return f && !f->is_str ? f->num : NAN;
}

int jsonl_read(const char *path, const char *what, int (*fn)(void *ud, const jsonl_obj *o, long long line), void *ud)
{
    FILE *f = fopen(path, "r");
    if (!f) return cli_error(LRE_EXIT_FAIL, "cannot open %s: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    long long lineno = 0;
    int rc = 0;
    jsonl_obj o;
    while (!rc && getline(&line, &cap, f) >= 0) {
        lineno++;
        if (line[strspn(line, " \t\r\n")] == 0) continue;
        if (jsonl_parse(line, &o)) rc = cli_error(LRE_EXIT_FAIL, "%s:%lld: not %s", path, lineno, what);
        else rc = fn(ud, &o, lineno);
    }
    if (!rc && ferror(f)) rc = cli_error(LRE_EXIT_FAIL, "cannot read %s: %s", path, strerror(errno));
    free(line);
    fclose(f);
    return rc;
}
