/* cmd_diff.c -- `lrengine diff A B --steps N`: where two schedules differ.
 * A and B are schedule scripts or training configs (each replayed with the
 * same metrics); for each hyper-parameter both schedule: the first step
 * where they differ, the largest ratio between them and its step, and with
 * --output both curves on one chart (cli_render, lrengine.plot). */
#include "run_source.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const cli_option diff_options[] = {
    {"steps", 's', "N", "compare steps 0..N-1 (default: a config's run, else 1000; at most 1e8)"},
    {"metrics", 'm', "FILE", "metrics both observe: RUN.jsonl of train --metrics, or a metric per line ('-': stdin)"},
    {"tolerance", 't', "REL", "values within this relative difference are equal (default 1e-12)"},
    {"format", 'f', "FORMAT", "text (default) or json"},
    {"output", 'o', "FILE", "also draw both curves on one chart: .svg, .txt (ascii), .csv or .json"},
    {NULL, 0, NULL, NULL}};

static const cli_command diff_command = {
    "diff", "A B",
    "Compares two schedules (schedule scripts or training configs) step by step: for each hyper-parameter\n"
    "both schedule, the first step where they differ and the largest ratio between them; --output draws\n"
    "both curves on one chart. Exit 0 whether or not they differ, 1 on a failure.",
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

static comparison compare(const double *a, const double *b, size_t n, double tol)
{
    comparison c = {-1, 0, 1};
    for (size_t t = 0; t < n; t++) {
        if (c.first < 0 && fabs(a[t] - b[t]) > tol * fmax(fabs(a[t]), fabs(b[t]))) c.first = (long long)t;
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
        case 's': rc = cli_count_value(p, c, 1, 100000000, &o->steps); break;
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

/* One hyper-parameter's line (text) or object (json). */
static void report(const diff_opts *o, const char *name, const double *a, const double *b, const comparison *c, int first)
{
    if (o->json) {
        fputs(first ? "{\"name\":" : ",{\"name\":", stdout);
        cli_json_string(stdout, name);
        fputs(",\"first_difference\":", stdout);
        if (c->first >= 0) printf("%lld", c->first);
        else fputs("null", stdout);
        if (c->first >= 0) {
            fputs(",\"a\":", stdout), cli_json_number(stdout, a[c->first]);
            fputs(",\"b\":", stdout), cli_json_number(stdout, b[c->first]);
        }
        fputs(",\"largest_ratio\":", stdout);
        print_number(1, c->ratio);
        printf(",\"largest_ratio_step\":%lld,\"a_there\":", c->at);
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
    printf("%s: first differs at step %lld (A %.6g, B %.6g); largest ratio ", name, c->first, a[c->first], b[c->first]);
    print_number(0, c->ratio);
    printf(" at step %lld (A %.6g, B %.6g)\n", c->at, a[c->at], b[c->at]);
}

static int draw(const diff_opts *o, const char *title, char names[][64], const double *const *curves,
                const char *const *panel, int nseries, size_t n)
{
    FILE *out = fopen(o->output, "w");
    if (!out) return cli_error(LRE_EXIT_FAIL, "cannot write %s: %s", o->output, strerror(errno));
    const char *nm[2 * LRE_SCHEDULE_SET_MAX];
    for (int i = 0; i < nseries; i++) nm[i] = names[i];
    cli_marks one_panel = {0, NULL, NULL, 0, panel}; /* A and B of a hyper-parameter on the same axes */
    int rc = cli_render(out, o->format, title, "step", NULL, n, nseries, nm, curves, 0, 0, &one_panel);
    if (fclose(out) && !rc) rc = cli_error(LRE_EXIT_FAIL, "cannot write %s: %s", o->output, strerror(errno));
    return rc;
}

int cmd_diff(int argc, char **argv)
{
    diff_opts o = {0, NULL, NULL, NULL, 1e-12, 0};
    cli_parser p;
    int rc = parse(argc, argv, &o, &p);
    if (rc >= 0) return rc;
    rc = 0;
    run_source src[2];
    memset(src, 0, sizeof src);
    observations obs[2] = {{0}};
    double *buf = NULL;
    for (int i = 0; i < 2 && !rc; i++) {
        rc = run_source_load(&src[i], p.operands[i], NULL);
        if (!rc && src[i].kind == SRC_CHECKPOINT)
            rc = cli_error(LRE_EXIT_FAIL, "%s: diff compares schedule scripts and configs, not checkpoints", p.operands[i]);
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
    if (!rc && !(buf = malloc((size_t)n * (size_t)(src[0].set.n + src[1].set.n) * sizeof *buf)))
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
            report(&o, src[0].set.name[pairs[q][0]], a, b, &c, q == 0);
        }
        if (o.json) fputs("]}\n", stdout);
        for (int i = 0; i < 2 && !o.json; i++)
            for (int k = 0; k < src[i].set.n; k++) {
                int common = 0;
                for (int q = 0; q < npairs; q++) common |= pairs[q][i] == k;
                if (!common) printf("%s: only in %s\n", src[i].set.name[k], i ? "B" : "A");
            }
        if (o.output) {
            char names[2 * LRE_SCHEDULE_SET_MAX][64];
            const double *series[2 * LRE_SCHEDULE_SET_MAX];
            const char *panel[2 * LRE_SCHEDULE_SET_MAX];
            int ns = 0;
            for (int q = 0; q < npairs; q++)
                for (int i = 0; i < 2; i++) {
                    snprintf(names[ns], sizeof names[ns], "%s (%s)", src[0].set.name[pairs[q][0]], i ? "B" : "A");
                    panel[ns] = src[0].set.name[pairs[q][0]];
                    series[ns++] = curves[i][pairs[q][i]];
                }
            char title[256];
            snprintf(title, sizeof title, "A: %.100s  B: %.100s", src[0].path, src[1].path);
            rc = draw(&o, title, names, series, panel, ns, (size_t)n);
        }
    }
    if (!rc && fflush(stdout)) rc = cli_error(LRE_EXIT_FAIL, "writing the result: %s", strerror(errno));
    free(buf);
    for (int i = 0; i < 2; i++) observations_free(&obs[i]), run_source_free(&src[i]);
    return rc;
}
