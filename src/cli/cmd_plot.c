/* cmd_plot.c -- `lrengine plot`: the curve of any schedule script, metric-
 * driven ones fed a metric trace; and the evaluation it shares with
 * `lrengine check` (cmd_check.c). */
#include "cmd_plot.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char plot_usage[] =
    "usage: lrengine plot SCHEDULE.lua [--steps N] [--metrics FILE] [--format ascii|csv|json|svg] [--output FILE]\n"
    "Evaluates the schedule at steps 0..N-1 (default 100) and draws it: ascii on a terminal, csv otherwise\n"
    "(svg when --output ends in .svg). --metrics gives one number per line; metric i is reported after step i.\n";

/* Parses the options shared by plot and check; returns -1 to go on, or an exit code. */
int plot_parse(int argc, char **argv, plot_opts *o, const char *usage, int allow_output)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage, stdout);
            return LRE_EXIT_OK;
        }
        int has_value = i + 1 < argc;
        if (!strcmp(a, "--steps") && has_value) {
            if (cli_parse_count(argv[++i], &o->steps) || o->steps == 0 || o->steps > 100000000)
                return cli_error(LRE_EXIT_USAGE, "--steps takes a whole number from 1 to 1e8, got '%s'", argv[i]);
        } else if (!strcmp(a, "--metrics") && has_value) {
            o->metrics = argv[++i];
        } else if (allow_output && !strcmp(a, "--format") && has_value) {
            o->format = argv[++i];
        } else if (allow_output && !strcmp(a, "--output") && has_value) {
            o->output = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            cli_error(LRE_EXIT_USAGE, "unknown option or missing value: %s", a);
            fputs(usage, stderr);
            return LRE_EXIT_USAGE;
        } else if (!o->script) {
            o->script = a;
        } else {
            return cli_error(LRE_EXIT_USAGE, "one schedule script at a time (got '%s' too)", a);
        }
    }
    if (!o->script) {
        fputs(usage, stderr);
        return LRE_EXIT_USAGE;
    }
    return -1;
}

/* Reads one number per line (blank lines and # comments skipped), lines
 * of any length. */
static int read_metrics(const char *path, double **out, size_t *n)
{
    FILE *f = fopen(path, "r");
    if (!f) return cli_error(LRE_EXIT_FAIL, "cannot open metrics file %s: %s", path, strerror(errno));
    size_t cap = 256, len = 0, linecap = 0;
    double *v = malloc(cap * sizeof *v);
    char *line = NULL;
    long long lineno = 0;
    int rc = v ? 0 : cli_error(LRE_EXIT_FAIL, "out of memory");
    while (!rc && getline(&line, &linecap, f) >= 0) {
        lineno++;
        char *s = line + strspn(line, " \t");
        s[strcspn(s, "\r\n")] = 0;
        if (!*s || *s == '#') continue;
        double x;
        if (cli_parse_number(s, &x)) {
            rc = cli_error(LRE_EXIT_FAIL, "%s:%lld: not a finite number: '%.40s'", path, lineno, s);
        } else if (len == cap) {
            double *w = cap < SIZE_MAX / 2 / sizeof *v ? realloc(v, 2 * cap * sizeof *v) : NULL;
            if (!w) rc = cli_error(LRE_EXIT_FAIL, "%s:%lld: out of memory", path, lineno);
            else v = w, cap *= 2;
        }
        if (!rc) v[len++] = x;
    }
    if (!rc && ferror(f)) rc = cli_error(LRE_EXIT_FAIL, "cannot read %s: %s", path, strerror(errno));
    free(line);
    fclose(f);
    if (rc) {
        free(v);
        return rc;
    }
    *out = v;
    *n = len;
    return 0;
}

/* Evaluates every schedule of the set over steps 0..n-1, observing metric i
 * after step i. On a problem, prints it naming the step and returns 1. */
static int evaluate(const char *script, lre_schedule_set *set, double **curves, size_t n, const double *metrics,
                    size_t nmetrics)
{
    for (size_t t = 0; t < n; t++) {
        for (int k = 0; k < set->n; k++) {
            lre_error err;
            double v;
            if (lre_schedule_eval(set->s[k], (int64_t)t, &v, &err))
                return cli_error(LRE_EXIT_FAIL, "%s", err.msg);
            if (!isfinite(v) || v < 0)
                return cli_error(LRE_EXIT_FAIL, "%s: %s at step %zu is %g, expected a finite number >= 0", script,
                                 set->name[k], t, v);
            curves[k][t] = v;
            if (t < nmetrics && lre_schedule_observe(set->s[k], metrics[t], (int64_t)t + 1, &err))
                return cli_error(LRE_EXIT_FAIL, "%s", err.msg);
        }
        if (cli_interrupted) return cli_error(LRE_EXIT_INTERRUPTED, "interrupted at step %zu", t);
    }
    return 0;
}

int plot_run(plot_opts *o, int plot)
{
    double *metrics = NULL;
    size_t nmetrics = 0;
    if (o->metrics) {
        int rc = read_metrics(o->metrics, &metrics, &nmetrics);
        if (rc) return rc;
    }
    lre_schedule_set set = {0};
    lre_error err;
    lre_script_limits limits = cli_limits(0);
    if (lre_script_load_schedules(o->script, &limits, &set, &err)) {
        free(metrics);
        return cli_error(LRE_EXIT_FAIL, "%s", err.msg);
    }
    size_t n = (size_t)o->steps;
    double *buf = malloc((size_t)set.n * n * sizeof *buf);
    double *curves[LRE_SCHEDULE_SET_MAX];
    const char *names[LRE_SCHEDULE_SET_MAX];
    int rc = buf ? 0 : cli_error(LRE_EXIT_FAIL, "out of memory for %zu steps", n);
    for (int k = 0; k < set.n && buf; k++) curves[k] = buf + (size_t)k * n, names[k] = set.name[k];
    if (!rc) rc = evaluate(o->script, &set, curves, n, metrics, nmetrics);
    if (!rc && plot) {
        FILE *out = stdout;
        if (o->output && !(out = fopen(o->output, "w"))) {
            rc = cli_error(LRE_EXIT_FAIL, "cannot write %s", o->output);
        } else {
            rc = cli_render(out, o->format, o->script, "step", NULL, n, set.n, names,
                            (const double *const *)curves, 0, 0);
            if (out != stdout && fclose(out) && !rc) rc = cli_error(LRE_EXIT_FAIL, "cannot write %s", o->output);
        }
    } else if (!rc) {
        double lo = INFINITY, hi = -INFINITY;
        for (size_t t = 0; t < n; t++) lo = fmin(lo, curves[0][t]), hi = fmax(hi, curves[0][t]);
        printf("%s: ok, %zu steps, lr from %.6g to %.6g", o->script, n, lo, hi);
        for (int k = 1; k < set.n; k++) printf(", %s scheduled too", set.name[k]);
        printf("\n");
    }
    free(buf);
    free(metrics);
    lre_schedule_set_free(&set);
    return rc;
}

int cmd_plot(int argc, char **argv)
{
    plot_opts o = {NULL, 100, NULL, NULL, NULL};
    int rc = plot_parse(argc, argv, &o, plot_usage, 1);
    if (rc >= 0) return rc;
    if (!o.format && o.output) {
        /* the format from the file's extension; one it cannot write is refused,
         * never silently written as CSV */
        static const char *const by_ext[][2] = {{".svg", "svg"}, {".csv", "csv"}, {".json", "json"}, {".txt", "ascii"}};
        const char *dot = strrchr(o.output, '.');
        for (size_t i = 0; dot && i < sizeof by_ext / sizeof by_ext[0] && !o.format; i++)
            if (!strcmp(dot, by_ext[i][0])) o.format = by_ext[i][1];
        if (!o.format)
            return cli_error(LRE_EXIT_USAGE, "cannot tell the format of %s: name it .svg, .csv, .json or .txt, or give --format",
                             o.output);
    }
    if (!o.format) o.format = isatty(STDOUT_FILENO) ? "ascii" : "csv";
    if (strcmp(o.format, "ascii") && strcmp(o.format, "csv") && strcmp(o.format, "json") && strcmp(o.format, "svg"))
        return cli_error(LRE_EXIT_USAGE, "--format must be ascii, csv, json or svg, got '%s'", o.format);
    return plot_run(&o, 1);
}
