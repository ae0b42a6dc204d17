/* run_metrics.h -- the step lines of a training run's metrics file (RUN.jsonl
 * of `lrengine train --metrics`) as columns, for `lrengine diff` (run_metrics.c).
 *
 * A step line {"step":s,"epoch":e,"loss":L,"lr":...,"momentum":...} is
 * written after the job's s-th update, which used the schedules' values at
 * step s - 1 (the steps schedules, explain and diff count from 0): its
 * values are kept at step s - 1. Epoch lines (train_loss, val_loss...) are
 * not step lines. A run resumed from an earlier checkpoint appends lines
 * whose steps go back: the later lines replace the earlier ones from there
 * (as lrengine.runlog reads them). */
#ifndef LRE_RUN_METRICS_H
#define LRE_RUN_METRICS_H

#include "lrengine_script.h"

#include <stddef.h>

/* the hyper-parameters a run logs (at most LRE_SCHEDULE_SET_MAX, and
 * Prodigy's d) and its loss */
#define RUN_METRICS_MAX_COLS (LRE_SCHEDULE_SET_MAX + 2)
/* logged steps kept of one file (--steps compares fewer): the memory is
 * bounded whatever the file */
#define RUN_METRICS_MAX_STEPS 4000000

typedef struct run_metrics {
    const char *path;
    int ncols;
    char name[RUN_METRICS_MAX_COLS][48]; /* the hyper-parameters, lr first, in the order they come; loss last */
    long long *step;                     /* schedule steps, increasing */
    double *col[RUN_METRICS_MAX_COLS];   /* col[k][i]: column k at step[i]; NaN where a line lacks it (or has null, nan) */
    size_t n, cap;
    long long resumes; /* lines whose steps went back */
} run_metrics;

/* Reads the step lines of the metrics file at path with a step <= upto
 * (every one when upto < 0) into m. Returns an exit code, having said what
 * failed (the file and line of a line that is not a step line's object). */
int run_metrics_read(const char *path, long long upto, run_metrics *m);
/* m with the steps of run and a column per schedule of set (NaN), for a
 * replayed schedule to be sampled at a run's steps. Returns an exit code. */
int run_metrics_like(run_metrics *m, const char *path, const run_metrics *run, const lre_schedule_set *set);
/* Column `name`'s index, or -1. */
int run_metrics_col(const run_metrics *m, const char *name);
void run_metrics_free(run_metrics *m);

#endif
