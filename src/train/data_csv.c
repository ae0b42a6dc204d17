/* data_csv.c -- CSV examples: one row per example, the integer label first,
 * then the features; an optional header row (any first row whose first field
 * is not a number) is skipped. Every row must have the same width. */
#include "data.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int grow(dataset *d, size_t *cap_rows)
{
    size_t cap = *cap_rows ? *cap_rows * 2 : 1024;
    float *x = realloc(d->x, cap * d->dim * sizeof(float));
    if (!x) return -1;
    d->x = x;
    int32_t *y = realloc(d->y, cap * sizeof(int32_t));
    if (!y) return -1;
    d->y = y;
    *cap_rows = cap;
    return 0;
}

int data_load_csv(dataset *d, const char *path, char *msg, size_t size)
{
    memset(d, 0, sizeof *d);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(msg, size, "%s: cannot open", path);
        return -1;
    }
    char *line = NULL;
    size_t linecap = 0, cap_rows = 0, lineno = 0;
    ssize_t len;
    int rc = 0;
    while ((len = getline(&line, &linecap, f)) >= 0) {
        lineno++;
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0]) continue;
        /* count fields */
        size_t fields = 1;
        for (char *p = line; *p; p++) fields += *p == ',';
        char *end;
        errno = 0;
        double label = strtod(line, &end);
        if (d->n == 0 && d->dim == 0 && (end == line || (*end && *end != ','))) continue; /* header */
        if (fields < 2) {
            snprintf(msg, size, "%s:%zu: a label and at least one feature expected", path, lineno);
            rc = -1;
            break;
        }
        if (d->dim == 0) d->dim = fields - 1;
        if (fields - 1 != d->dim) {
            snprintf(msg, size, "%s:%zu: %zu features, the first row has %zu", path, lineno, fields - 1, d->dim);
            rc = -1;
            break;
        }
        if (end == line || label < 0 || label != floor(label) || label > 65535) {
            snprintf(msg, size, "%s:%zu: the label must be a whole number >= 0", path, lineno);
            rc = -1;
            break;
        }
        if (d->n == cap_rows && grow(d, &cap_rows)) {
            snprintf(msg, size, "%s: out of memory", path);
            rc = -1;
            break;
        }
        d->y[d->n] = (int32_t)label;
        char *p = end;
        for (size_t j = 0; j < d->dim; j++) {
            p++; /* the comma */
            double v = strtod(p, &end);
            if (end == p || (*end && *end != ',') || !isfinite(v)) {
                snprintf(msg, size, "%s:%zu: field %zu is not a finite number", path, lineno, j + 2);
                rc = -1;
                break;
            }
            d->x[d->n * d->dim + j] = (float)v;
            p = end;
        }
        if (rc) break;
        if ((size_t)d->y[d->n] + 1 > d->classes) d->classes = (size_t)d->y[d->n] + 1;
        d->n++;
    }
    free(line);
    fclose(f);
    if (!rc && d->n == 0) {
        snprintf(msg, size, "%s: no examples", path);
        rc = -1;
    }
    if (rc) data_free(d);
    return rc;
}
