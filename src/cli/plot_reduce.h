/* plot_reduce.h -- a chart's curves reduced while their steps are
 * evaluated, in memory that does not grow with the steps (plot_reduce.c).
 *
 * The steps are cut into PLOT_REDUCE_BUCKETS equal buckets, several to each
 * pixel column of the widest chart drawn; each bucket keeps, for each
 * curve, the steps of its first, last, lowest and highest values, and of its
 * first value a log scale cannot show (with --logy), each step with every
 * curve's value there. The drawing (lrengine.plot) reduces those points per
 * pixel column as it would have reduced all of them (M4: a column's first,
 * lowest, highest and last points), so the chart keeps every spike and its
 * axes the curves' true ranges; a column's extremes can differ only inside
 * a bucket that two columns share, by the change over a fraction of a
 * column. */
#ifndef LRE_PLOT_REDUCE_H
#define LRE_PLOT_REDUCE_H

#include <stddef.h>

#define PLOT_REDUCE_BUCKETS 4096

typedef struct plot_reducer plot_reducer;

/* A reducer of `steps` rows of `ncurves` values each (at most
 * LRE_SCHEDULE_SET_MAX); logy: values <= 0 are ones a log scale cannot
 * show. NULL when out of memory. */
plot_reducer *plot_reducer_new(size_t steps, int ncurves, int logy);
/* Row t (rows come in order, 0 to steps - 1). */
void plot_reducer_add(plot_reducer *r, size_t t, const double *row);
/* The steps kept, in order, into *x, and each curve's values at them into
 * values[k] (malloc'd: free them). Returns how many, 0 when out of memory. */
size_t plot_reducer_points(plot_reducer *r, double **x, double **values);
void plot_reducer_free(plot_reducer *r);

#endif
