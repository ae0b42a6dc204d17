/* plot_reduce.c -- a chart's curves reduced per bucket of steps while they
 * are evaluated (plot_reduce.h says what is kept, and why the drawing is
 * the same). */
#include "plot_reduce.h"
#include "lrengine_script.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A slot is a step (-1: none yet) and every curve's value at it. Each bucket
 * has its first and last rows, then for each curve its lowest and highest
 * values a scale can show, its first value it cannot, and (a log scale
 * drawn linear for a curve with no value above 0) its lowest and highest
 * finite values. */
enum { FIRST, LAST, CURVE_SLOTS };
enum { LOW, HIGH, HIDDEN, LOW_ANY, HIGH_ANY, PER_CURVE };

struct plot_reducer {
    size_t steps, buckets;
    int n, logy;
    size_t stride, per_bucket; /* doubles a slot, slots a bucket */
    double *slots;
    size_t bucket;             /* the last row's */
    int started;
    double last[1 + LRE_SCHEDULE_SET_MAX]; /* the last row, as a slot */
};

static double *slot(const plot_reducer *r, size_t bucket, size_t index)
{
    return r->slots + (bucket * r->per_bucket + index) * r->stride;
}

static double *curve_slot(const plot_reducer *r, size_t bucket, int k, int kind)
{
    return slot(r, bucket, CURVE_SLOTS + (size_t)k * PER_CURVE + (size_t)kind);
}

plot_reducer *plot_reducer_new(size_t steps, int ncurves, int logy)
{
    if (steps == 0 || ncurves < 1 || ncurves > LRE_SCHEDULE_SET_MAX) return NULL;
    plot_reducer *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->steps = steps;
    r->buckets = steps < PLOT_REDUCE_BUCKETS ? steps : PLOT_REDUCE_BUCKETS;
    r->n = ncurves;
    r->logy = logy;
    r->stride = 1 + (size_t)ncurves;
    r->per_bucket = CURVE_SLOTS + (size_t)ncurves * PER_CURVE;
    size_t count = r->buckets * r->per_bucket;
    if (!(r->slots = malloc(count * r->stride * sizeof *r->slots))) {
        free(r);
        return NULL;
    }
    for (size_t i = 0; i < count; i++) r->slots[i * r->stride] = -1;
    return r;
}

static void put(const plot_reducer *r, double *s, const double *row_slot)
{
    memcpy(s, row_slot, r->stride * sizeof *s);
}

static int empty(const double *s) { return s[0] < 0; }

/* Curve k's value v at the last row: kept in the bucket's slots `low` and
 * `high` of curve k when below or above what they hold. */
static void keep_extremes(plot_reducer *r, size_t b, int k, double v, int low, int high)
{
    double *lo = curve_slot(r, b, k, low), *hi = curve_slot(r, b, k, high);
    if (empty(lo) || v < lo[1 + k]) put(r, lo, r->last);
    if (empty(hi) || v > hi[1 + k]) put(r, hi, r->last);
}

void plot_reducer_add(plot_reducer *r, size_t t, const double *row)
{
    size_t b = (size_t)((unsigned long long)t * r->buckets / r->steps);
    if (r->started && b != r->bucket) put(r, slot(r, r->bucket, LAST), r->last);
    r->last[0] = (double)t;
    memcpy(r->last + 1, row, (size_t)r->n * sizeof *row);
    r->bucket = b;
    r->started = 1;
    if (empty(slot(r, b, FIRST))) put(r, slot(r, b, FIRST), r->last);
    for (int k = 0; k < r->n; k++) {
        double v = row[k];
        if (isfinite(v) && (!r->logy || v > 0)) keep_extremes(r, b, k, v, LOW, HIGH);
        else if (empty(curve_slot(r, b, k, HIDDEN))) put(r, curve_slot(r, b, k, HIDDEN), r->last);
        if (r->logy && isfinite(v)) keep_extremes(r, b, k, v, LOW_ANY, HIGH_ANY);
    }
}

size_t plot_reducer_points(plot_reducer *r, double **x, double **values)
{
    if (r->started) put(r, slot(r, r->bucket, LAST), r->last);
    size_t most = r->buckets * r->per_bucket, m = 0;
    *x = malloc(most * sizeof **x);
    int ok = *x != NULL;
    for (int k = 0; k < r->n; k++) ok &= (values[k] = malloc(most * sizeof *values[k])) != NULL;
    if (!ok) {
        free(*x), *x = NULL;
        for (int k = 0; k < r->n; k++) free(values[k]), values[k] = NULL;
        return 0;
    }
    const double *keep[CURVE_SLOTS + LRE_SCHEDULE_SET_MAX * PER_CURVE];
    for (size_t b = 0; b < r->buckets; b++) {
        size_t nkeep = 0;
        for (size_t i = 0; i < r->per_bucket; i++) { /* the bucket's slots by step, each step once */
            const double *s = slot(r, b, i);
            if (empty(s)) continue;
            size_t j = nkeep;
            while (j > 0 && keep[j - 1][0] > s[0]) j--;
            if (j > 0 && keep[j - 1][0] == s[0]) continue;
            memmove(keep + j + 1, keep + j, (nkeep - j) * sizeof *keep);
            keep[j] = s;
            nkeep++;
        }
        for (size_t j = 0; j < nkeep; j++, m++) {
            (*x)[m] = keep[j][0];
            for (int k = 0; k < r->n; k++) values[k][m] = keep[j][1 + k];
        }
    }
    return m;
}

void plot_reducer_free(plot_reducer *r)
{
    if (!r) return;
    free(r->slots);
    free(r);
}
