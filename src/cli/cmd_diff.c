/* cmd_diff.c -- `lrengine diff A B --steps N`: where two schedules or runs
 * differ. A and B are schedule scripts or training configs (each replayed
 * with the same metrics), or runs: a metrics file (RUN.jsonl of train
 * --metrics) or a checkpoint with its run's metrics beside it (run_metrics.h
 * says how its lines map to steps). For each hyper-parameter both have (and
 * the loss of two runs): the first step where they differ, the largest
 * ratio between them and its step; the first event where their event logs
 * (or a schedule's replay and a run's log) differ; with --output both
 * curves on one chart (cli_render, lrengine.plot). A script or config
 * against a run is replayed over the run's steps with the run's metrics. */
#include "eventlog.h"
#include "run_metrics.h"
#include "run_source.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const cli_option diff_options[] = {
    {"steps", 's', "N", "compare steps 0..N-1 (default: a run's logged steps, a config's run, else 1000; at most 1e8)"},
    {"metrics", 'm', "FILE", "metrics both observe: RUN.jsonl of train --metrics, or a metric per line ('-': stdin); a run's own by default"},
    {"tolerance", 't', "REL", "values within this relative difference are equal (default 1e-12)"},
    {"format", 'f', "FORMAT", "text (default) or json"},
    {"output", 'o', "FILE", "also draw both curves on one chart: .svg, .txt (ascii), .csv or .json"},
    {NULL, 0, NULL, NULL}};

static const cli_command diff_command = {
    "diff", "A B",
    "Compares two schedules (schedule scripts or training configs) or runs (RUN.jsonl of train --metrics,\n"
    "or a checkpoint with its run's RUN.jsonl beside it) step by step: for each hyper-parameter both have,\n"
    "and the loss of two runs, the first step where they differ and the largest ratio between them, and the\n"
    "first event where their event logs (RUN.events.jsonl, without the lines a resume to an earlier step\n"
    "went back on) differ. A schedule against a run is replayed over\n"
    "the run's steps with its metrics, its events against the run's. A metrics line of step s holds step s-1's\n"
    "values"
 " (the steps schedules count from 0). --output draws both curves on one chart. Exit 0 whether or\n"
    "not they differ, 1 on a failure.",
    diff_options, 2, 2, 0};

typedef struct diff_opts {
    long long steps; /* 0: the default */
    const char *metrics, *output, *format;
    double tol;
    int json;
} diff_opts;

/* What two curves of n steps give. */
typedef struct comparison {
    long long first;  /* the first step they differ, -1: never */
    long long at;     /* where the ratio is largest (the first such step) */
    double ratio;     /* the largest of a/b and b/a; inf when one is 0 and not the other */
} comparison;

static double ratio_of(double a, double b)
{
    if (a == b) return 1;
    if (a <= 0 || b <= 0) return a == 0 || b == 0 ? INFINITY : NAN;
    return a > b ? a / b : b / a;
}

/* Whether two values differ beyond the relative tolerance: a NaN (a run's
 * diverged loss, a value it did not log) differs from a number, an
 * infinity from anything but itself. */
static int differ(double a, double b, double tol)
{
    if (isnan(a) || isnan(b)) return isnan(a) != isnan(b);
    if (a == b) return 0;
    return isinf(a) || isinf(b) || fabs(a - b) > tol * fmax(fabs(a), fabs(b));
}

static comparison compare(const double *a, const double *b, size_t n, double tol)
{
    comparison c = {-1, 0, 1};
    for (size_t t = 0; t < n; t++) {
        if (c.first < 0 && differ(a[t], b[t], tol)) c.first = (long long)t;
        double r = ratio_of(a[t], b[t]);
        if (r > c.ratio) c.ratio = r, c.at = (long long)t;
    }
    return c;
}

static int parse(int argc, char **argv, diff_opts *o, cli_parser *p)
{
    static const char *const formats[] = {"text", "json", NULL};
    cli_parser_init(p, &diff_command, argc, argv);
    int c, rc = 0;
    const char *format = "text";
    while (!rc && (c = cli_next(p)) != CLI_END) {
        switch (c) {
        case CLI_EXIT: return p->exit;
        case 's': rc = cli_count_value(p, c, 1, RUN_REPLAY_MAX_STEPS, &o->steps); break;
        case 'm': o->metrics = p->value; break;
        case 't':
            if (cli_parse_number(p->value, &o->tol) || o->tol < 0)
                rc = cli_usage_error(&diff_command, "--tolerance takes a finite number >= 0, got '%s'", p->value);
            break;
        case 'f': rc = cli_choice_value(p, c, formats, &format); break;
        case 'o': o->output = p->value; break;
        }
    }
    if (rc) return rc;
    o->json = !strcmp(format, "json");
    if (o->output) {
        if (!(o->format = cli_format_of(o->output)))
            return cli_usage_error(&diff_command, "cannot tell the chart format of %s: name it .svg, .txt, .csv or .json",
                                   o->output);
    }
    int stdin_uses = !strcmp(p->operands[0], "-") + !strcmp(p->operands[1], "-") + (o->metrics && !strcmp(o->metrics, "-"));
    if (stdin_uses > 1) return cli_usage_error(&diff_command, "only one of A, B and --metrics can be read from stdin");
    return -1;
}

static void print_number(int json, double v)
{
    if (json) cli_json_number(stdout, v);
    else if (isinf(v)) fputs("inf", stdout);
    else printf("%.6g", v);
}

/* One hyper-parameter's line (text) or object (json); step[i] is the step
 * of a[i] and b[i] (NULL: i). */
static void report(const diff_opts *o, const char *name, const double *a, const double *b, const comparison *c, int first,
                   const long long *step)
{
    long long fs = c->first < 0 ? -1 : step ? step[c->first] : c->first, at = step ? step[c->at] : c->at;
    if (o->json) {
        fputs(first ? "{\"name\":" : ",{\"name\":", stdout);
        cli_json_string(stdout, name);
        fputs(",\"first_difference\":", stdout);
        if (c->first >= 0) printf("%lld", fs);
        else fputs("null", stdout);
        if (c->first >= 0) {
            fputs(",\"a\":", stdout), cli_json_number(stdout, a[c->first]);
            fputs(",\"b\":", stdout), cli_json_number(stdout, b[c->first]);
        }
        fputs(",\"largest_ratio\":", stdout);
        print_number(1, c->ratio);
        printf(",\"largest_ratio_step\":%lld,\"a_there\":", at);
        cli_json_number(stdout, a[c->at]);
        fputs(",\"b_there\":", stdout);
        cli_json_number(stdout, b[c->at]);
        fputc('}', stdout);
        return;
    }
    if (c->first < 0) {
        printf("%s: the same at every step\n", name);
        return;
    }
    printf("%s: first differs at step %lld (A %.6g, B %.6g); largest ratio ", name, fs, a[c->first], b[c->first]);
    print_number(0, c->ratio);
    printf(" at step %lld (A %.6g, B %.6g)\n", at, a[c->at], b[c->at]);
}

static int draw(const diff_opts *o, const char *title, char names[][64], const double *const *curves,
                const char *const *panel, int nseries, size_t n, const double *x)
{
    cli_output out;
    if (cli_output_open(&out, o->output)) return cli_error(LRE_EXIT_FAIL, "cannot write %s: %s", o->output, strerror(errno));
    const char *nm[2 * RUN_METRICS_MAX_COLS];
    for (int i = 0; i < nseries; i++) nm[i] = names[i];
    cli_marks one_panel = {0, NULL, NULL, 0, panel}; /* A and B of a hyper-parameter on the same axes */
    int rc = cli_render(out.f, o->format, title, "step", x, n, nseries, nm, curves, 0, 0, &one_panel);
    if (cli_output_close(&out, !rc) && !rc) rc = cli_error(LRE_EXIT_FAIL, "cannot write %s: %s", o->output, strerror(errno));
    return rc;
}

/* The values diff keeps of its schedules, every step of each. */
#define DIFF_MEMORY 2e9

/* Two schedule scripts or configs, replayed over steps 0..N-1. */
static int diff_schedules(diff_opts o, cli_parser p)
{
    int rc = 0;
    run_source src[2];
    memset(src, 0, sizeof src);
    observations obs[2] = {{0}};
    double *buf = NULL;
    for (int i = 0; i < 2 && !rc; i++) {
        rc = run_source_load(&src[i], p.operands[i], NULL);
        if (!rc && o.metrics && (i == 0 || src[1].observe != src[0].observe || !strcmp(o.metrics, "-")))
            rc = i && !strcmp(o.metrics, "-") ? 0 : observations_read(o.metrics, src[i].observe, &obs[i]);
    }
    long long n = o.steps;
    for (int i = 0; i < 2 && !rc && !n; i++) n = src[i].where.total_steps > 0 ? src[i].where.total_steps : 0;
    if (!n) n = 1000;
    /* the hyper-parameters both schedule, in A's order */
    int pairs[LRE_SCHEDULE_SET_MAX][2], npairs = 0;
    for (int i = 0; !rc && i < src[0].set.n; i++)
        for (int j = 0; j < src[1].set.n; j++)
            if (!strcmp(src[0].set.name[i], src[1].set.name[j])) pairs[npairs][0] = i, pairs[npairs++][1] = j;
    if (!rc && !npairs) rc = cli_error(LRE_EXIT_FAIL, "%s and %s schedule no hyper-parameter in common", src[0].path, src[1].path);
    size_t ncurves = (size_t)(src[0].set.n + src[1].set.n);
    if (!rc && (double)n * (double)ncurves * sizeof *buf > DIFF_MEMORY)
        rc = cli_error(LRE_EXIT_FAIL, "%lld steps of %zu schedules take %.1f GB (at most %.0f): compare fewer with --steps N", n,
                       ncurves, (double)n * (double)ncurves * sizeof *buf / 1e9, DIFF_MEMORY / 1e9);
    if (!rc && !(buf = malloc((size_t)n * ncurves * sizeof *buf)))
        rc = cli_error(LRE_EXIT_FAIL, "out of memory for %lld steps", n);
    double *curves[2][LRE_SCHEDULE_SET_MAX] = {{NULL}};
    for (int i = 0; i < 2 && !rc; i++) {
        for (int k = 0; k < src[i].set.n; k++) curves[i][k] = buf + (size_t)n * (size_t)(k + (i ? src[0].set.n : 0));
        const observations *seen = !o.metrics ? NULL : i && !obs[1].step ? &obs[0] : &obs[i];
        rc = run_replay(&src[i], seen, n - 1, NULL, curves[i]);
    }
    if (!rc) {
        if (o.json) {
            fputs("{\"a\":", stdout);
            cli_json_string(stdout, src[0].path);
            fputs(",\"b\":", stdout);
            cli_json_string(stdout, src[1].path);
            printf(",\"steps\":%lld,\"schedules\":[", n);
        } else {
            printf("A: %s\nB: %s\n%lld steps\n", src[0].path, src[1].path, n);
        }
        for (int q = 0; q < npairs; q++) {
            const double *a = curves[0][pairs[q][0]], *b = curves[1][pairs[q][1]];
            comparison c = compare(a, b, (size_t)n, o.tol);
            report(&o, src[0].set.name[pairs[q][0]], a, b, &c, q == 0, NULL);
        }
        if (o.json) fputs("]}\n", stdout);
        for (int i = 0; i < 2 && !o.json; i++)
            for (int k = 0; k < src[i].set.n; k++) {
                int common = 0;
                for (int q = 0; q < npairs; q++) common |= pairs[q][i] == k;
                if (!common) printf("%s: only in %s\n", src[i].set.name[k], i ? "B" : "A");
            }
        if (o.output) {
            char names[2 * RUN_METRICS_MAX_COLS][64];
            const double *series[2 * RUN_METRICS_MAX_COLS];
            const char *panel[2 * RUN_METRICS_MAX_COLS];
            int ns = 0;
            for (int q = 0; q < npairs; q++)
                for (int i = 0; i < 2; i++) {
                    snprintf(names[ns], sizeof names[ns], "%s (%s)", src[0].set.name[pairs[q][0]], i ? "B" : "A");
                    panel[ns] = src[0].set.name[pairs[q][0]];
                    series[ns++] = curves[i][pairs[q][i]];
                }
            char title[256];
            snprintf(title, sizeof title, "A: %.100s  B: %.100s", src[0].path, src[1].path);
            rc = draw(&o, title, names, series, panel, ns, (size_t)n, NULL);
        }
    }
    if (!rc && fflush(stdout)) rc = cli_error(LRE_EXIT_FAIL, "writing the result: %s", strerror(errno));
    free(buf);
    for (int i = 0; i < 2; i++) observations_free(&obs[i]), run_source_free(&src[i]);
    return rc;
}

/* ---- runs ---- */

/* One side of a diff that involves a run. */
typedef struct side {
    const char *operand;
    const char *path; /* a run's metrics file */
    char beside[1100];
    int is_run, from_checkpoint;
    run_source src; /* a script or config, replayed at the other run's steps */
    run_metrics m;
    observations obs;
    run_events events; /* a schedule's, replayed */
} side;

/* What operand is: "-" and what is neither a checkpoint nor a .jsonl file
 * are schedules; a checkpoint is its run's metrics file beside it. */
static int classify(side *s, const char *operand)
{
    s->operand = s->path = operand;
    size_t len = strlen(operand);
    if (!strcmp(operand, "-")) return 0;
    if (run_source_is_checkpoint(operand)) {
        s->is_run = s->from_checkpoint = 1;
        if (run_source_metrics_beside(operand, s->beside, sizeof s->beside))
            return cli_error(LRE_EXIT_FAIL, "%s: the checkpoint's name is too long", operand);
        if (!run_source_exists(s->beside))
            return cli_error(LRE_EXIT_FAIL, "%s is a checkpoint: diff compares its run's metrics, and there is none beside "
                             "it (no %s); give the run's metrics file (RUN.jsonl of train --metrics) instead", operand,
                             s->beside);
        s->path = s->beside;
        return 0;
    }
    s->is_run = len > 6 && !strcmp(operand + len - 6, ".jsonl");
    return 0;
}

/* A schedule side: replayed over the run's logged steps (0 to its last)
 * with the metrics given, else the run's own, and kept at those steps. */
static int replay_at_run(const diff_opts *o, side *s, const side *run)
{
    int rc = run_source_load(&s->src, s->operand, NULL);
    if (rc) return rc;
    long long last = run->m.step[run->m.n - 1];
    if (last >= RUN_REPLAY_MAX_STEPS)
        return cli_error(LRE_EXIT_FAIL, "%s logs step %lld: a schedule is replayed over at most 1e8 steps; give --steps N",
                         run->path, last + 1);
    if ((rc = observations_read(o->metrics ? o->metrics : run->path, s->src.observe, &s->obs))) return rc;
    if ((rc = run_metrics_like(&s->m, s->operand, &run->m, &s->src.set))) return rc;
    return run_replay_at(&s->src, &s->obs, last, &s->events, s->m.col, s->m.step, s->m.n);
}

/* Whether two events are the same: step, kind, node and every field (numbers
 * within tol) but the epoch (a script's replay knows none) and the
 * checkpoint's file name a resume or continuation names. */
static int ignored_field(const char *key) { return !strcmp(key, "checkpoint") || !strcmp(key, "epoch"); }

static int same_event(const jsonl_obj *a, const jsonl_obj *b, double tol)
{
    int na = 0, nb = 0;
    for (int i = 0; i < b->n; i++) nb += !ignored_field(b->f[i].key);
    for (int i = 0; i < a->n; i++) {
        const jsonl_field *x = &a->f[i], *y = jsonl_get(b, x->key);
        if (ignored_field(x->key)) continue;
        na++;
        if (!y || x->is_str != y->is_str) return 0;
        if (x->is_str ? strcmp(x->str, y->str) != 0
                      : !(x->num == y->num || (isnan(x->num) && isnan(y->num)) ||
                          fabs(x->num - y->num) <= tol * fmax(fabs(x->num), fabs(y->num))))
            return 0;
    }
    return na == nb;
}

/* The events of each side: a run's log, read a line at a time, or a
 * schedule's replay (its events in memory). */
typedef struct event_diff {
    char log[2][1100]; /* a run's log; "" for a replay */
    int compared;      /* each side has its events */
    long long count[2];
    long long index; /* the first that differs (0-based), -1: none */
    int has[2];      /* each side's event there (0: its events ended before it) */
    jsonl_obj ev[2];
} event_diff;

typedef struct event_source {
    jsonl_cursor c;
    const run_events *replay; /* NULL: the log */
    size_t i;
    int skip_run; /* a run's log against a replay: the run's own events (its resumes) are not a schedule's */
    long long upto; /* events after this step are skipped (-1: none) */
    event_resumes resumes; /* the log's: its abandoned lines are skipped */
} event_source;

static int next_event(event_source *s, jsonl_obj *o)
{
    if (s->replay) {
        if (s->i == s->replay->n) return 0;
        run_event_get(s->replay, s->i++, o);
        return 1;
    }
    for (;;) {
        int got = jsonl_next(&s->c, o);
        const jsonl_field *node = got > 0 ? jsonl_get(o, "node") : NULL;
        if (got > 0 && (isnan(jsonl_num(o, "step")) || !jsonl_get(o, "event")))
            return -cli_error(LRE_EXIT_FAIL, "%s:%lld: not an event (a flat JSON object with step and event)", s->c.path,
                              s->c.lineno);
        if (got > 0 && s->upto >= 0 && jsonl_num(o, "step") > (double)s->upto) continue;
        if (got > 0 && event_abandoned(&s->resumes, s->c.lineno, jsonl_num(o, "step"))) continue;
        if (got <= 0 || !s->skip_run || !node || !node->is_str || strcmp(node->str, "run")) return got;
    }
}

/* The events of both sides up to step upto (-1: all of them). */
static int compare_events(const side *sides, double tol, long long upto, event_diff *d)
{
    d->index = -1;
    for (int i = 0; i < 2; i++)
        if (sides[i].is_run &&
            (eventlog_path_for(sides[i].path, d->log[i], sizeof d->log[i]) || !run_source_exists(d->log[i])))
            return 0;
    d->compared = 1;
    event_source src[2];
    memset(src, 0, sizeof src);
    int rc = 0;
    for (int k = 0; k < 2 && !rc; k++) {
        src[k].replay = sides[k].is_run ? NULL : &sides[k].events;
        src[k].skip_run = !sides[!k].is_run;
        src[k].upto = upto;
        if (sides[k].is_run) rc = event_resumes_read(d->log[k], &src[k].resumes);
        if (sides[k].is_run && !rc) rc = jsonl_open(&src[k].c, d->log[k], "an event (a flat JSON object with step and event)");
    }
    static jsonl_obj o[2]; /* 20 KB: off the stack */
    int more[2] = {1, 1};
    for (long long i = 0; !rc && (more[0] || more[1]); i++) {
        int got[2] = {0, 0};
        for (int k = 0; k < 2 && !rc; k++)
            if (more[k] && (got[k] = next_event(&src[k], &o[k])) < 0) rc = -got[k];
        if (rc) break;
        for (int k = 0; k < 2; k++) more[k] = got[k] > 0, d->count[k] += got[k] > 0;
        if (d->index < 0 && (more[0] || more[1]) && !(more[0] && more[1] && same_event(&o[0], &o[1], tol))) {
            d->index = i;
            for (int k = 0; k < 2; k++)
                if ((d->has[k] = more[k])) d->ev[k] = o[k];
        }
        if (!rc && cli_interrupted) rc = cli_error(LRE_EXIT_INTERRUPTED, "interrupted reading the event logs");
    }
    for (int k = 0; k < 2; k++) jsonl_close(&src[k].c), event_resumes_free(&src[k].resumes);
    return rc;
}

static void print_events(const diff_opts *o, const side *sides, const event_diff *d)
{
    static const char *const ab[2] = {"A", "B"};
    if (o->json) {
        fputs(",\"events\":", stdout);
        if (!d->compared) {
            fputs("null", stdout);
            return;
        }
        for (int k = 0; k < 2; k++) {
            printf(k ? ",\"b_log\":" : "{\"a_log\":");
            if (d->log[k][0]) cli_json_string(stdout, d->log[k]);
            else fputs("null", stdout);
        }
        printf(",\"a_count\":%lld,\"b_count\":%lld,\"first_difference\":", d->count[0], d->count[1]);
        if (d->index < 0) {
            fputs("null}", stdout);
            return;
        }
        printf("{\"index\":%lld", d->index);
        for (int k = 0; k < 2; k++) {
            printf(",\"%s\":", k ? "b" : "a");
            if (d->has[k]) run_event_print(stdout, &d->ev[k], 1);
            else fputs("null", stdout);
        }
        fputs("}}", stdout);
        return;
    }
    if (!d->compared) {
        for (int k = 0; k < 2; k++)
            if (sides[k].is_run && !run_source_exists(d->log[k])) {
                printf("events: not compared: no event log beside %s (no %s)\n", sides[k].path, d->log[k]);
                return;
            }
        return;
    }
    const char *what[2];
    for (int k = 0; k < 2; k++) what[k] = d->log[k][0] ? d->log[k] : "replayed";
    const char *runs_own = sides[0].is_run && sides[1].is_run ? "" : "; the run's own events, as its resumes, aside";
    if (d->index < 0) {
        printf("events: the same %lld in both (%s, %s%s)\n", d->count[0], what[0], what[1], runs_own);
        return;
    }
    printf("events: first differ at event #%lld (A: %lld event%s, %s; B: %lld, %s%s)\n", d->index + 1, d->count[0],
           d->count[0] == 1 ? "" : "s", what[0], d->count[1], what[1], runs_own);
    for (int k = 0; k < 2; k++) {
        printf("  %s", ab[k]);
        if (d->has[k]) run_event_print(stdout, &d->ev[k], 0);
        else printf(" none (its events end after %lld)\n", d->count[k]);
    }
}

static void describe(const diff_opts *o, const side *s, int k, const side *sides)
{
    const char *ab = k ? "B" : "A";
    if (o->json) {
        printf(",\"%s\":", k ? "b" : "a");
        cli_json_string(stdout, s->operand);
        printf(",\"%s_kind\":\"%s\"", k ? "b" : "a",
               s->from_checkpoint ? "checkpoint" : s->is_run ? "run" : s->src.kind == SRC_SCRIPT ? "script" : "config");
        if (s->is_run) {
            printf(",\"%s_metrics\":", k ? "b" : "a");
            cli_json_string(stdout, s->path);
        }
        return;
    }
    printf("%s: %s ", ab, s->operand);
    if (s->from_checkpoint)
        printf("(a checkpoint: its run's metrics %s, found beside it; %zu logged steps)\n", s->path, s->m.n);
    else if (s->is_run)
        printf("(a run's metrics: %zu logged steps%s)\n", s->m.n, s->m.resumes ? ", resumed" : "");
    else
        printf("(a %s, replayed over %s's logged steps with %zu metric%s observed from %s)\n",
               s->src.kind == SRC_SCRIPT ? "schedule script" : "config", k ? "A" : "B", s->obs.n, s->obs.n == 1 ? "" : "s",
               o->metrics ? o->metrics : sides[!k].path);
}

/* At least one side is a run: both as columns at the run's steps, compared
 * at the steps both have. */
static int diff_runs(diff_opts o, side *sides)
{
    int rc = 0;
    long long upto = o.steps ? o.steps - 1 : -1;
    if (o.metrics && sides[0].is_run && sides[1].is_run)
        return cli_usage_error(&diff_command, "--metrics is for a schedule compared with a run: two runs have their own");
    for (int k = 0; k < 2 && !rc; k++)
        if (sides[k].is_run) rc = run_metrics_read(sides[k].path, upto, &sides[k].m);
    for (int k = 0; k < 2 && !rc; k++)
        if (!sides[k].is_run) rc = replay_at_run(&o, &sides[k], &sides[!k]);
    /* the steps both have */
    size_t n = 0, *at[2] = {NULL, NULL};
    long long *step = NULL;
    double *x = NULL, *buf = NULL;
    const run_metrics *ma = &sides[0].m, *mb = &sides[1].m;
    size_t most = ma->n < mb->n ? ma->n : mb->n;
    if (!rc && (!(at[0] = malloc((most + 1) * sizeof *at[0])) || !(at[1] = malloc((most + 1) * sizeof *at[1])) ||
                !(step = malloc((most + 1) * sizeof *step)) || !(x = malloc((most + 1) * sizeof *x))))
        rc = cli_error(LRE_EXIT_FAIL, "out of memory");
    for (size_t i = 0, j = 0; !rc && i < ma->n && j < mb->n;) {
        if (ma->step[i] < mb->step[j]) i++;
        else if (ma->step[i] > mb->step[j]) j++;
        else at[0][n] = i, at[1][n] = j, step[n] = ma->step[i], x[n++] = (double)ma->step[i], i++, j++;
    }
    if (!rc && !n)
        rc = cli_error(LRE_EXIT_FAIL, "%s and %s have no logged step in common (A: steps %lld to %lld, B: %lld to %lld)",
                       sides[0].path, sides[1].path, ma->step[0], ma->step[ma->n - 1], mb->step[0], mb->step[mb->n - 1]);
    int pairs[RUN_METRICS_MAX_COLS][2], npairs = 0;
    for (int i = 0; !rc && i < ma->ncols; i++) {
        int j = run_metrics_col(mb, ma->name[i]);
        if (j >= 0) pairs[npairs][0] = i, pairs[npairs++][1] = j;
    }
    if (!rc && !npairs)
        rc = cli_error(LRE_EXIT_FAIL, "%s and %s have no hyper-parameter in common", sides[0].operand, sides[1].operand);
    if (!rc && !(buf = malloc(n * 2 * (size_t)npairs * sizeof *buf))) rc = cli_error(LRE_EXIT_FAIL, "out of memory");
    event_diff *ed = NULL;
    if (!rc) {
        if (!(ed = calloc(1, sizeof *ed))) rc = cli_error(LRE_EXIT_FAIL, "out of memory");
        /* a replay goes to the last step compared: a log's later events are not compared with it */
        else rc = compare_events(sides, o.tol, sides[0].is_run && sides[1].is_run ? upto : step[n - 1], ed);
    }
    if (!rc) {
        if (o.json) fputs("{\"runs\":true", stdout);
        for (int k = 0; k < 2; k++) describe(&o, &sides[k], k, sides);
        if (o.json)
            printf(",\"steps\":%zu,\"first_step\":%lld,\"last_step\":%lld,\"schedules\":[", n, step[0], step[n - 1]);
        else
            printf("compared at %zu logged steps, %lld to %lld (a metrics line of step s holds the values of step s-1)\n", n,
                   step[0], step[n - 1]);
        const double *series[2 * RUN_METRICS_MAX_COLS];
        for (int q = 0; q < npairs; q++) {
            double *a = buf + (size_t)(2 * q) * n, *b = a + n;
            for (size_t i = 0; i < n; i++) a[i] = ma->col[pairs[q][0]][at[0][i]], b[i] = mb->col[pairs[q][1]][at[1][i]];
            series[2 * q] = a, series[2 * q + 1] = b;
            comparison c = compare(a, b, n, o.tol);
            report(&o, ma->name[pairs[q][0]], a, b, &c, q == 0, step);
        }
        if (o.json) fputc(']', stdout);
        for (int k = 0; k < 2 && !o.json; k++) {
            const run_metrics *m = k ? mb : ma;
            for (int i = 0; i < m->ncols; i++)
                if (run_metrics_col(k ? ma : mb, m->name[i]) < 0) printf("%s: only in %s\n", m->name[i], k ? "B" : "A");
        }
        print_events(&o, sides, ed);
        if (o.json) fputs("}\n", stdout);
        if (o.output) {
            char names[2 * RUN_METRICS_MAX_COLS][64];
            const char *panel[2 * RUN_METRICS_MAX_COLS];
            for (int q = 0; q < npairs; q++)
                for (int i = 0; i < 2; i++) {
                    snprintf(names[2 * q + i], sizeof names[0], "%s (%s)", ma->name[pairs[q][0]], i ? "B" : "A");
                    panel[2 * q + i] = ma->name[pairs[q][0]];
                }
            char title[256];
            snprintf(title, sizeof title, "A: %.100s  B: %.100s", sides[0].operand, sides[1].operand);
            rc = draw(&o, title, names, series, panel, 2 * npairs, n, x);
        }
    }
    if (!rc && fflush(stdout)) rc = cli_error(LRE_EXIT_FAIL, "writing the result: %s", strerror(errno));
    free(ed), free(buf), free(x), free(step), free(at[0]), free(at[1]);
    return rc;
}

int cmd_diff(int argc, char **argv)
{
    diff_opts o = {0, NULL, NULL, NULL, 1e-12, 0};
    cli_parser p;
    int rc = parse(argc, argv, &o, &p);
    if (rc >= 0) return rc;
    side sides[2];
    memset(sides, 0, sizeof sides);
    rc = classify(&sides[0], p.operands[0]);
    if (!rc) rc = classify(&sides[1], p.operands[1]);
    if (!rc && !sides[0].is_run && !sides[1].is_run) return diff_schedules(o, p);
    if (!rc) rc = diff_runs(o, sides);
    for (int k = 0; k < 2; k++) {
        run_metrics_free(&sides[k].m);
        observations_free(&sides[k].obs);
        run_events_free(&sides[k].events);
        run_source_free(&sides[k].src);
    }
    return rc;
}
