/* data_csv.c -- CSV examples: one row per example, the label first (a whole
 * number in 0..DATA_CSV_MAX_LABEL), then the features (decimal numbers within
 * float range); every row the same width; "\n" or "\r\n" line ends; fields
 * may be padded with spaces or tabs; blank lines are skipped.
 *
 * At most one header line, and only the first line, and only when it is
 * recognisably one: at least two fields, none of them a number. Anything else
 * is data, so leading junk is an error, never silently skipped.
 *
 * Numbers follow one strict syntax, [+-] digits [. digits] [e [+-] digits]:
 * no NaN, no infinity, no hex, no empty field, and a value beyond float range
 * (1e39) is an error, not infinity. Every refusal reads
 * "FILE:LINE: field N: expected ..., got '...'". The file is read in lines of
 * any length, never past its size at open, and the rows' memory is bounded
 * by what a file of that size can hold. */
#include "data.h"
#include "fileio.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CSV_QUOTE_MAX 40 /* bytes of a bad field shown in a message */

typedef struct csv_reader {
    const char *path;
    size_t lineno;
    uint64_t file_size;
    char *msg;
    size_t msgsize;
} csv_reader;

static int fail(csv_reader *r, const char *fmt, ...)
{
    int k = snprintf(r->msg, r->msgsize, "%s:%zu: ", r->path, r->lineno);
    if (k < 0 || (size_t)k >= r->msgsize) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg + k, r->msgsize - (size_t)k, fmt, ap);
    va_end(ap);
    return -1;
}

static int is_blank(char c) { return c == ' ' || c == '\t'; }

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Whether s[0, n) is a number in the strict syntax. */
static int number_syntax(const char *s, size_t n)
{
    size_t i = 0, digits = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    while (i < n && is_digit(s[i])) i++, digits++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && is_digit(s[i])) i++, digits++;
    }
    if (!digits) return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        size_t e = 0;
        while (i < n && is_digit(s[i])) i++, e++;
        if (!e) return 0;
    }
    return i == n;
}

enum { NUM_OK, NUM_SYNTAX, NUM_NONFINITE, NUM_RANGE };

/* Parses field s[0, n) (trimmed; s[n] is a delimiter or NUL, never a digit). */
static int parse_number(const char *s, size_t n, double *v)
{
    char *end;
    if (!number_syntax(s, n)) {
        /* only to say "finite" when strtod would have read NaN or infinity */
        if (n && n < 64) {
            char tmp[64];
            memcpy(tmp, s, n);
            tmp[n] = 0;
            double t = strtod(tmp, &end);
            if (end == tmp + n && !isfinite(t)) return NUM_NONFINITE;
        }
        return NUM_SYNTAX;
    }
    errno = 0;
    *v = strtod(s, &end);
    if (end != s + n) return NUM_SYNTAX; /* a locale with another decimal point */
    if (!(fabs(*v) <= FLT_MAX)) return NUM_RANGE;
    return NUM_OK;
}

/* The next field of line[*pos, len), trimmed; *pos moves past its comma. */
static void next_field(const char *line, size_t len, size_t *pos, const char **f, size_t *n)
{
    size_t a = *pos, b = a;
    while (b < len && line[b] != ',') b++;
    *pos = b + 1;
    while (a < b && is_blank(line[a])) a++;
    while (b > a && is_blank(line[b - 1])) b--;
    *f = line + a;
    *n = b - a;
}

static size_t count_fields(const char *line, size_t len)
{
    size_t fields = 1;
    for (const char *p = line, *e = line + len; (p = memchr(p, ',', (size_t)(e - p))); p++) fields++;
    return fields;
}

/* A header: at least two fields, none of them a number. */
static int is_header(const char *line, size_t len, size_t fields)
{
    if (fields < 2) return 0;
    size_t pos = 0;
    for (size_t j = 0; j < fields; j++) {
        const char *f;
        size_t n;
        next_field(line, len, &pos, &f, &n);
        if (number_syntax(f, n)) return 0;
    }
    return 1;
}

static int bad_field(csv_reader *r, size_t j, const char *expected, const char *f, size_t n)
{
    char q[CSV_QUOTE_MAX * 4 + 8];
    return fail(r, "field %zu: expected %s, got '%s'", j, expected, fileio_quote(q, sizeof q, f, n, CSV_QUOTE_MAX));
}

/* Room for row d->n: grows x and y, never beyond max_rows. */
static int grow(dataset *d, size_t *cap_rows, size_t max_rows)
{
    size_t cap = *cap_rows ? *cap_rows * 2 : 65536 / d->dim + 1, xbytes, ybytes;
    if (cap > max_rows) cap = max_rows;
    if (cap <= d->n || fileio_mul(cap, d->dim, &xbytes) || fileio_mul(xbytes, sizeof(float), &xbytes) ||
        fileio_mul(cap, sizeof(int32_t), &ybytes))
        return -1;
    float *x = realloc(d->x, xbytes);
    if (!x) return -1;
    d->x = x;
    int32_t *y = realloc(d->y, ybytes);
    if (!y) return -1;
    d->y = y;
    *cap_rows = cap;
    return 0;
}

/* Parses one data line (already known to have dim + 1 fields) into row d->n. */
static int parse_row(csv_reader *r, dataset *d, const char *line, size_t len)
{
    size_t pos = 0, n;
    const char *f;
    double v;
    next_field(line, len, &pos, &f, &n);
    int k = parse_number(f, n, &v);
    if (k != NUM_OK || v < 0 || v > DATA_CSV_MAX_LABEL || v != floor(v))
        return bad_field(r, 1, "a label (a whole number in 0..65535)", f, n);
    d->y[d->n] = (int32_t)v;
    float *x = d->x + d->n * d->dim;
    for (size_t j = 0; j < d->dim; j++) {
        next_field(line, len, &pos, &f, &n);
        k = parse_number(f, n, &v);
        if (k == NUM_SYNTAX) return bad_field(r, j + 2, "a number", f, n);
        if (k == NUM_NONFINITE) return bad_field(r, j + 2, "a finite number", f, n);
        if (k == NUM_RANGE) return bad_field(r, j + 2, "a number within float range (magnitude at most 3.4e38)", f, n);
        x[j] = (float)v;
    }
    return 0;
}

int data_load_csv(dataset *d, const char *path, char *msg, size_t size)
{
    memset(d, 0, sizeof *d);
    csv_reader r = {path, 0, 0, msg, size};
    int fd;
    if (fileio_open_regular(path, NULL, &fd, &r.file_size, msg, size)) return -1;
    fileio_lines lines;
    fileio_lines_init(&lines, fd, r.file_size);
    char *line;
    size_t len, cap_rows = 0, max_rows = 0, header_line = 0, first_line = 0, nonblank = 0;
    int rc = 0, got;
    while ((got = fileio_lines_next(&lines, &line, &len)) == 1) {
        r.lineno++;
        if (len && line[len - 1] == '\r') len--;
        size_t a = 0;
        while (a < len && is_blank(line[a])) a++;
        if (a == len) continue; /* blank */
        size_t fields = count_fields(line, len);
        if (nonblank++ == 0 && is_header(line, len, fields)) {
            header_line = r.lineno;
            d->dim = fields - 1;
            continue;
        }
        if (fields < 2) {
            rc = fail(&r, "1 field, expected a label and at least one feature");
            break;
        }
        if (d->dim == 0) d->dim = fields - 1;
        if (fields - 1 != d->dim) {
            if (header_line)
                rc = fail(&r, "%zu features, expected %zu as in the header on line %zu", fields - 1, d->dim, header_line);
            else
                rc = fail(&r, "%zu features, expected %zu as on line %zu", fields - 1, d->dim, first_line);
            break;
        }
        if (!first_line) {
            first_line = r.lineno;
            /* a row takes at least 2 * dim + 1 bytes: at most this many rows */
            max_rows = (size_t)(r.file_size / (2 * d->dim + 1)) + 1;
        }
        if (d->n == UINT32_MAX) {
            rc = fail(&r, "more than %u rows", (unsigned)UINT32_MAX);
            break;
        }
        if (d->n == cap_rows && grow(d, &cap_rows, max_rows)) {
            rc = fail(&r, "out of memory for %zu rows of %zu features", d->n + 1, d->dim);
            break;
        }
        if ((rc = parse_row(&r, d, line, len))) break;
        if ((size_t)d->y[d->n] + 1 > d->classes) d->classes = (size_t)d->y[d->n] + 1;
        d->n++;
    }
    if (got < 0) rc = fail(&r, "read failed: %s", strerror(errno));
    fileio_lines_free(&lines);
    close(fd);
    if (!rc && d->n == 0) {
        if (header_line) snprintf(msg, size, "%s: no examples, only a header (line %zu)", path, header_line);
        else snprintf(msg, size, "%s: no examples (the file is empty or blank)", path);
        rc = -1;
    }
    if (rc) data_free(d);
    return rc;
}
