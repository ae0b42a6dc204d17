/* data.c -- what both sources share: rows as floats (an IDX image's bytes
 * become byte / 255.0f here, when a batch is gathered, so that the training
 * set stays a quarter of its float size in memory and a batch reads a
 * quarter of the bytes), splitting, truncating, freeing. */
#include "data.h"
#include "widest_simd.h"

#include <stdlib.h>
#include <string.h>

/* One image row: the division (not a multiplication by 1/255, which differs
 * for 126 of the 256 bytes) gives each byte the float the loader used to
 * store, bit for bit. It vectorises (widest_simd.h). (The product in double,
 * (float)(b * (1.0 / 255)), is exact too, but its conversions cost twice
 * the division here.) */
WIDEST_SIMD static void bytes_to_floats(const uint8_t *restrict b, float *restrict out, size_t dim)
{
    for (size_t j = 0; j < dim; j++) out[j] = (float)b[j] / 255.0f;
}

/* Asks the caches for row r's bytes (a cache line is 64 bytes). */
static void prefetch_row(const dataset *d, size_t r)
{
#if defined(__GNUC__)
    size_t bytes = d->dim * (d->pixels ? 1 : sizeof(float));
    const char *p = d->pixels ? (const char *)(d->pixels + r * d->dim) : (const char *)(d->x + r * d->dim);
    for (size_t j = 0; j < bytes; j += 64) __builtin_prefetch(p + j);
#else
    (void)d, (void)r;
#endif
}

void data_rows(const dataset *d, const uint32_t *rows, size_t first, size_t nb, float *restrict out, int32_t *y)
{
    size_t dim = d->dim;
    for (size_t i = 0; i < nb; i++) {
        size_t r = rows ? rows[i] : first + i;
        if (rows && i + 2 < nb) prefetch_row(d, rows[i + 2]); /* scattered: the row after next */
        if (d->pixels) bytes_to_floats(d->pixels + r * dim, out + i * dim, dim);
        else memcpy(out + i * dim, d->x + r * dim, dim * sizeof(float));
        if (y) y[i] = d->y[r];
    }
}

void data_prefetch(const dataset *d, const uint32_t *rows, size_t nb)
{
    for (size_t i = 0; i < nb; i++) {
        prefetch_row(d, rows[i]);
#if defined(__GNUC__)
        __builtin_prefetch(d->y + rows[i]);
#endif
    }
}

int data_floats(dataset *d)
{
    if (!d->pixels) return 0;
    if (d->dim && d->n > SIZE_MAX / sizeof(float) / d->dim) return -1;
    float *x = malloc((d->n ? d->n : 1) * d->dim * sizeof(float));
    if (!x) return -1;
    data_rows(d, NULL, 0, d->n, x, NULL);
    free(d->pixels);
    d->pixels = NULL;
    d->x = x;
    return 0;
}

int data_split(dataset *d, dataset *tail, size_t count)
{
    memset(tail, 0, sizeof *tail);
    if (count == 0) return 0;
    if (count >= d->n) return -1;
    size_t keep = d->n - count, row = d->dim * (d->pixels ? 1 : sizeof(float));
    void *rows = malloc(count * row);
    tail->y = malloc(count * sizeof(int32_t));
    if (!rows || !tail->y) {
        free(rows);
        data_free(tail);
        return -1;
    }
    if (d->pixels) tail->pixels = memcpy(rows, d->pixels + keep * d->dim, count * row);
    else tail->x = memcpy(rows, d->x + keep * d->dim, count * row);
    memcpy(tail->y, d->y + keep, count * sizeof(int32_t));
    tail->n = count;
    tail->dim = d->dim;
    tail->classes = d->classes;
    d->n = keep;
    return 0;
}

void data_truncate(dataset *d, size_t n)
{
    if (n < d->n) d->n = n;
}

void data_free(dataset *d)
{
    free(d->x);
    free(d->pixels);
    free(d->y);
    memset(d, 0, sizeof *d);
}
