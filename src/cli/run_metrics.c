/* run_metrics.c -- see run_metrics.h. */
#include "run_metrics.h"
#include "cli.h"
#include "jsonl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Fields of a step line that are not hyper-parameters (lrengine.runlog's
 * list): the loss is kept as a column of its own, last. */
static int not_hp(const char *key)
{
    static const char *const known[] = {"step", "epoch", "loss", "train_loss", "val_loss", "val_acc", "seconds", "event",
                                        "avg_val_loss", "avg_val_acc", "grad_norm", "guard_skips", NULL};
    for (int i = 0; known[i]; i++)
        if (!strcmp(key, known[i])) return 1;
    return 0;
}

int run_metrics_col(const run_metrics *m, const char *name)
{
    for (int k = 0; k < m->ncols; k++)
        if (!strcmp(m->name[k], name)) return k;
    return -1;
}

/* Room for one more step in every column. */
static int grow(run_metrics *m)
{
    if (m->n < m->cap) return 0;
    size_t nc = m->cap ? 2 * m->cap : 256;
    if (nc > RUN_METRICS_MAX_STEPS) nc = RUN_METRICS_MAX_STEPS;
    long long *s = realloc(m->step, nc * sizeof *s);
    if (!s) return -1;
    m->step = s;
    for (int k = 0; k < m->ncols; k++) {
        double *c = realloc(m->col[k], nc * sizeof *c);
        if (!c) return -1;
        m->col[k] = c;
    }
    m->cap = nc;
    return 0;
}

/* A new column (NaN at the steps already read); lr goes first, the loss
 * (the first column added) stays last. */
static int add_col(run_metrics *m, const char *name)
{
    double *c = malloc((m->cap ? m->cap : 1) * sizeof *c);
    if (!c) return -1;
    for (size_t i = 0; i < m->n; i++) c[i] = NAN;
    int at = !m->ncols ? 0 : !strcmp(name, "lr") ? 0 : m->ncols - 1;
    memmove(&m->col[at + 1], &m->col[at], (size_t)(m->ncols - at) * sizeof m->col[0]);
    memmove(&m->name[at + 1], &m->name[at], (size_t)(m->ncols - at) * sizeof m->name[0]);
    m->col[at] = c;
    snprintf(m->name[at], sizeof m->name[at], "%s", name);
    m->ncols++;
    return 0;
}

typedef struct reader {
    run_metrics *m;
    long long upto;
    int loss; /* the loss column's index */
} reader;

static int step_line(void *ud, const jsonl_obj *o, long long line)
{
    reader *r = ud;
    run_metrics *m = r->m;
    const jsonl_field *loss = jsonl_get(o, "loss");
    double step = jsonl_num(o, "step");
    if (isnan(step) || step < 0 || step != floor(step) || step > 9007199254740992.0)
        return cli_error(LRE_EXIT_FAIL, "%s:%lld: expected a whole \"step\" >= 0 (a line of a metrics file, RUN.jsonl of "
                         "train --metrics)", m->path, line);
    if (!loss || jsonl_get(o, "event")) return 0; /* an epoch line */
    if (loss->is_str || step < 1)
        return cli_error(LRE_EXIT_FAIL, "%s:%lld: a step line needs a number \"loss\" and a \"step\" >= 1", m->path, line);
    long long t = (long long)step - 1;
    if (m->n && t <= m->step[m->n - 1]) { /* a run resumed from an earlier checkpoint: its lines from t on replace these */
        size_t lo = 0, hi = m->n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (m->step[mid] < t) lo = mid + 1;
            else hi = mid;
        }
        m->n = lo;
        m->resumes++;
    }
    if (r->upto >= 0 && t > r->upto) return 0;
    for (int i = 0; i < o->n; i++) {
        const jsonl_field *f = &o->f[i];
        if (f->is_str || not_hp(f->key) || run_metrics_col(m, f->key) >= 0) continue;
        if (m->ncols == RUN_METRICS_MAX_COLS)
            return cli_error(LRE_EXIT_FAIL, "%s:%lld: more than %d hyper-parameters ('%s')", m->path, line,
                             RUN_METRICS_MAX_COLS - 1, f->key);
        if (add_col(m, f->key)) return cli_error(LRE_EXIT_FAIL, "out of memory reading %s", m->path);
    }
    if (m->n == RUN_METRICS_MAX_STEPS)
        return cli_error(LRE_EXIT_FAIL, "%s:%lld: more than %d logged steps: compare fewer with --steps N", m->path, line,
                         RUN_METRICS_MAX_STEPS);
    if (grow(m)) return cli_error(LRE_EXIT_FAIL, "out of memory reading %s", m->path);
    m->step[m->n] = t;
    for (int k = 0; k < m->ncols; k++) {
        const jsonl_field *f = k == m->ncols - 1 ? loss : jsonl_get(o, m->name[k]);
        m->col[k][m->n] = f && !f->is_str ? f->num : NAN;
    }
    m->n++;
    return 0;
}

int run_metrics_read(const char *path, long long upto, run_metrics *m)
{
    memset(m, 0, sizeof *m);
    m->path = path;
    reader r = {m, upto, 0};
    /* the loss column first: hyper-parameters are inserted before it */
    if (add_col(m, "loss")) return cli_error(LRE_EXIT_FAIL, "out of memory reading %s", path);
    int rc = jsonl_read(path, "a flat JSON object (a line of a metrics file, RUN.jsonl of train --metrics)", step_line, &r);
    if (!rc && !m->n)
        rc = cli_error(LRE_EXIT_FAIL, "%s: no step line%s (a line with \"step\" and \"loss\", as train --metrics writes)",
                       path, upto >= 0 ? " up to --steps" : "");
    return rc;
}

int run_metrics_like(run_metrics *m, const char *path, const run_metrics *run, const lre_schedule_set *set)
{
    memset(m, 0, sizeof *m);
    m->path = path;
    if (!(m->step = malloc((run->n ? run->n : 1) * sizeof *m->step)))
        return cli_error(LRE_EXIT_FAIL, "out of memory");
    m->cap = run->n ? run->n : 1;
    for (int k = 0; k < set->n; k++) {
        if (!(m->col[k] = malloc(m->cap * sizeof *m->col[k]))) return cli_error(LRE_EXIT_FAIL, "out of memory");
        m->ncols = k + 1;
        snprintf(m->name[k], sizeof m->name[k], "%s", set->name[k]);
        for (size_t i = 0; i < run->n; i++) m->col[k][i] = NAN;
    }
    memcpy(m->step, run->step, run->n * sizeof *m->step);
    m->n = run->n;
    return 0;
}

void run_metrics_free(run_metrics *m)
{
    free(m->step);
    for (int k = 0; k < m->ncols; k++) free(m->col[k]);
    memset(m, 0, sizeof *m);
}
