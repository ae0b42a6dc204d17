/* jsonl.c -- see jsonl.h. */
#include "jsonl.h"
#include "cli.h"
#include "fileio.h"

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

int jsonl_open(jsonl_cursor *c, const char *path, const char *what)
{
    memset(c, 0, sizeof *c);
    c->path = path, c->what = what;
    if (!(c->f = fileio_fopen_read(path))) return cli_error(LRE_EXIT_FAIL, "cannot open %s: %s", path, strerror(errno));
    if (!(c->line = malloc(JSONL_MAX_LINE + 1))) return jsonl_close(c), cli_error(LRE_EXIT_FAIL, "out of memory");
    return 0;
}

/* The next line into c->line (fileio_getline: a file of one endless line,
 * or a binary one, is refused at its first JSONL_MAX_LINE bytes, and a NUL
 * byte at once): 1, 0 at the end, or a negative exit code. */
static int next_line(jsonl_cursor *c)
{
    size_t n;
    int got = fileio_getline(c->f, c->line, JSONL_MAX_LINE + 1, &n);
    if (got == FILEIO_LINE_ERROR) return -cli_error(LRE_EXIT_FAIL, "cannot read %s: %s", c->path, strerror(errno));
    if (got == 0) return 0;
    c->lineno++;
    if (got == FILEIO_LINE_NUL) return -cli_error(LRE_EXIT_FAIL, "%s:%lld: a NUL byte: not %s", c->path, c->lineno, c->what);
    if (got == FILEIO_LINE_LONG)
        return -cli_error(LRE_EXIT_FAIL, "%s:%lld: a line longer than %d bytes: not %s", c->path, c->lineno,
                          JSONL_MAX_LINE, c->what);
    return 1;
}

int jsonl_next(jsonl_cursor *c, jsonl_obj *o)
{
    int got;
    while ((got = next_line(c)) > 0) {
        if (c->line[strspn(c->line, " \t\r")] == 0) continue;
        if (jsonl_parse(c->line, o)) return -cli_error(LRE_EXIT_FAIL, "%s:%lld: not %s", c->path, c->lineno, c->what);
        return 1;
    }
    return got;
}

void jsonl_close(jsonl_cursor *c)
{
    if (c->f) fclose(c->f);
    free(c->line);
    c->f = NULL, c->line = NULL;
}

int jsonl_read(const char *path, const char *what, int (*fn)(void *ud, const jsonl_obj *o, long long line), void *ud)
{
    jsonl_cursor c;
    int rc = jsonl_open(&c, path, what), got;
    jsonl_obj o;
    while (!rc && (got = jsonl_next(&c, &o)) != 0) {
        if (got < 0) rc = -got;
        else if ((rc = fn(ud, &o, c.lineno))) break;
        else if (cli_interrupted) rc = cli_error(LRE_EXIT_INTERRUPTED, "interrupted reading %s", path);
    }
    jsonl_close(&c);
    return rc;
}
