/* cmd_plot.c -- `lrengine plot`: the curve of any schedule script, metric-
 * driven ones fed a metric trace; and the evaluation it shares with
 * `lrengine check` (cmd_check.c). */
#include "cmd_plot.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const cli_option plot_options[] = {
    {"steps", 's', "N", "evaluate steps 0..N-1 (default 100; at most 1e8)"},
    {"metrics", 'm', "FILE", "a metric per line, metric i observed after step i ('-': stdin)"},
    {"format", 'f', "FORMAT", "ascii, csv, json or svg (default: ascii on a terminal, else csv; from --output's name)"},
    {"output", 'o', "FILE", "write the chart to FILE instead of stdout"},
    {"logy", 'l', NULL, "draw the values on a log scale"},
    {NULL, 0, NULL, NULL}};

static const cli_command plot_command = {
    "plot", "SCHEDULE.lua",
    "Evaluates the schedule script (sandboxed; '-' reads it from stdin) at steps 0..N-1 and draws every\n"
    "hyper-parameter it schedules: an ascii chart, csv (step,lr,...), json or svg; hyper-parameters of\n"
    "different scales get panels of their own. With a training run's metrics file (RUN.jsonl), its chart:\n"
    "see lrengine report --help.",
    plot_options, 1, 1, 0};

/* Parses the options shared by plot and check; returns -1 to go on, or an exit code. */
int plot_parse(int argc, char **argv, plot_opts *o, const cli_command *cmd)
{
    static const char *const plot_formats[] = {"ascii", "csv", "json", "svg", NULL};
    static const char *const check_formats[] = {"text", "json", NULL};
    cli_parser p;
    cli_parser_init(&p, cmd, argc, argv);
    int c, rc = 0;
    while (!rc && (c = cli_next(&p)) != CLI_END) {
        switch (c) {
        case CLI_EXIT: return p.exit;
        case 's': rc = cli_count_value(&p, c, 1, 100000000, &o->steps); break;
        case 'm': o->metrics = p.value; break;
        case 'f': rc = cli_choice_value(&p, c, cmd == &plot_command ? plot_formats : check_formats, &o->format); break;
        case 'o': o->output = p.value; break;
        case 'l': o->logy = 1; break;
        }
    }
    if (rc) return rc;
    o->script = p.operands[0];
    o->quiet = p.quiet;
    if (!strcmp(o->script, "-") && o->metrics && !strcmp(o->metrics, "-"))
        return cli_usage_error(cmd, "the script and --metrics can not both be read from stdin");
    return -1;
}

/* Reads one number per line (blank lines and # comments skipped), lines
 * of any length; "-" is stdin. */
int plot_read_metrics(const char *path, double **out, size_t *n)
{
    int from_stdin = !strcmp(path, "-");
    FILE *f = from_stdin ? stdin : fopen(path, "r");
    if (!f) return cli_error(LRE_EXIT_FAIL, "cannot open metrics file %s: %s", path, strerror(errno));
    if (from_stdin) path = "stdin";
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
    if (!from_stdin) fclose(f);
    if (rc) {
        free(v);
        return rc;
    }
    *out = v;
    *n = len;
    return 0;
}

/* The script's schedules, from its file or from stdin ("-", named "stdin"). */
int plot_load_schedules(const char *script, lre_schedule_set *set, lre_error *err)
{
    lre_script_limits limits = cli_limits(0);
    if (strcmp(script, "-")) return lre_script_load_schedules(script, &limits, set, err);
    size_t len;
    char *text = cli_read_stdin(&len);
    if (!text) return lre_error_set(err, LRE_EIO, "cannot read the script from stdin: %s", strerror(errno));
    lre_host *h = lre_host_new("stdin", &limits);
    int rc = h ? lre_host_dostring(h, text, len, "stdin", err) : lre_error_set(err, LRE_ENOMEM, "stdin: out of memory");
    if (!rc) rc = lre_host_toschedules(h, set, err);
    lre_host_release(h); /* the schedules keep it alive */
    free(text);
    return rc;
}

/* What went wrong: the message, the step (-1 when none) and the exit code. */
typedef struct problem {
    char msg[LRE_ERRMSG_SIZE + 160];
    long long step;
    int code;
} problem;

static int found(problem *pb, int code, long long step, const char *fmt, ...) LRE_PRINTF(4, 5);
static int found(problem *pb, int code, long long step, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pb->msg, sizeof pb->msg, fmt, ap);
    va_end(ap);
    pb->step = step;
    return pb->code = code;
}

/* Evaluates every schedule of the set over steps 0..n-1, observing metric i
 * after step i; the first problem names its step. */
static int evaluate(const char *script, lre_schedule_set *set, double **curves, size_t n, const double *metrics,
                    size_t nmetrics, problem *pb)
{
    for (size_t t = 0; t < n; t++) {
        for (int k = 0; k < set->n; k++) {
            lre_error err;
            double v;
            if (lre_schedule_eval(set->s[k], (int64_t)t, &v, &err)) /* a script stopped by Ctrl-C too */
                return found(pb, cli_interrupted ? LRE_EXIT_INTERRUPTED : LRE_EXIT_FAIL, (long long)t, "%s", err.msg);
            if (!isfinite(v) || v < 0)
                return found(pb, LRE_EXIT_FAIL, (long long)t, "%s: %s at step %zu is %g, expected a finite number >= 0",
                             script, set->name[k], t, v);
            curves[k][t] = v;
            if (t < nmetrics && lre_schedule_observe(set->s[k], metrics[t], (int64_t)t + 1, &err))
                return found(pb, LRE_EXIT_FAIL, (long long)t, "%s", err.msg);
        }
        if (cli_interrupted) return found(pb, LRE_EXIT_INTERRUPTED, (long long)t, "interrupted at step %zu", t);
    }
    return 0;
}

/* check --format json: one document, whether the script is clean or not. */
static void check_json(const plot_opts *o, const lre_schedule_set *set, double *const *curves, size_t n,
                       const problem *pb)
{
    fputs("{\"script\":", stdout);
    cli_json_string(stdout, strcmp(o->script, "-") ? o->script : "stdin");
    printf(",\"ok\":%s,\"steps\":%zu", pb->code ? "false" : "true", n);
    if (pb->code) {
        fputs(",\"step\":", stdout);
        if (pb->step >= 0) printf("%lld", pb->step);
        else fputs("null", stdout);
        fputs(",\"error\":", stdout);
        cli_json_string(stdout, pb->msg);
    } else {
        fputs(",\"schedules\":[", stdout);
        for (int k = 0; k < set->n; k++) {
            double lo = INFINITY, hi = -INFINITY;
            for (size_t t = 0; t < n; t++) lo = fmin(lo, curves[k][t]), hi = fmax(hi, curves[k][t]);
            fputs(k ? ",{\"name\":" : "{\"name\":", stdout);
            cli_json_string(stdout, set->name[k]);
            const double v[] = {lo, hi, curves[k][0], curves[k][n - 1]};
            const char *const keys[] = {"min", "max", "first", "last"};
            for (int i = 0; i < 4; i++) {
                printf(",\"%s\":", keys[i]);
                cli_json_number(stdout, v[i]);
            }
            fputc('}', stdout);
        }
        fputc(']', stdout);
    }
    fputs("}\n", stdout);
}

static void check_text(const plot_opts *o, const lre_schedule_set *set, double *const *curves, size_t n)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t t = 0; t < n; t++) lo = fmin(lo, curves[0][t]), hi = fmax(hi, curves[0][t]);
    printf("%s: ok, %zu steps, lr from %.6g to %.6g", strcmp(o->script, "-") ? o->script : "stdin", n, lo, hi);
    for (int k = 1; k < set->n; k++) printf(", %s scheduled too", set->name[k]);
    printf("\n");
}

static int draw(const plot_opts *o, const lre_schedule_set *set, double *const *curves, size_t n)
{
    const char *names[LRE_SCHEDULE_SET_MAX];
    for (int k = 0; k < set->n; k++) names[k] = set->name[k];
    FILE *out = stdout;
    if (o->output && !(out = fopen(o->output, "w")))
        return cli_error(LRE_EXIT_FAIL, "cannot write %s: %s", o->output, strerror(errno));
    int rc = cli_render(out, o->format, strcmp(o->script, "-") ? o->script : "stdin", "step", NULL, n, set->n, names,
                        (const double *const *)curves, 0, o->logy, NULL);
    if (out != stdout && fclose(out) && !rc) rc = cli_error(LRE_EXIT_FAIL, "cannot write %s: %s", o->output, strerror(errno));
    return rc;
}

int plot_run(plot_opts *o, int plot)
{
    int json = !plot && o->format && !strcmp(o->format, "json");
    size_t n = (size_t)o->steps;
    problem pb = {"", -1, 0};
    double *metrics = NULL, *buf = NULL;
    size_t nmetrics = 0;
    if (o->metrics) {
        int rc = plot_read_metrics(o->metrics, &metrics, &nmetrics);
        if (rc) return rc;
    }
    lre_schedule_set set = {0};
    double *curves[LRE_SCHEDULE_SET_MAX] = {NULL};
    lre_error err;
    if (plot_load_schedules(o->script, &set, &err)) {
        found(&pb, cli_interrupted ? LRE_EXIT_INTERRUPTED : LRE_EXIT_FAIL, -1, "%s", err.msg);
    } else if (!(buf = malloc((size_t)set.n * n * sizeof *buf))) {
        found(&pb, LRE_EXIT_FAIL, -1, "out of memory for %zu steps", n);
    } else {
        for (int k = 0; k < set.n; k++) curves[k] = buf + (size_t)k * n;
        evaluate(strcmp(o->script, "-") ? o->script : "stdin", &set, curves, n, metrics, nmetrics, &pb);
    }
    int rc = pb.code;
    if (json) check_json(o, &set, curves, n, &pb);
    if (rc) cli_error(rc, "%s", pb.msg);
    else if (plot) rc = draw(o, &set, curves, n);
    else if (!json && !o->quiet) check_text(o, &set, curves, n);
    if (!rc && fflush(stdout)) rc = cli_error(LRE_EXIT_FAIL, "writing the result: %s", strerror(errno));
    free(buf);
    free(metrics);
    lre_schedule_set_free(&set);
    return rc;
}

int cmd_plot(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) { /* a training run's metrics file: lrengine report */
        size_t len = strlen(argv[i]);
        if (argv[i][0] != '-' && len > 6 && !strcmp(argv[i] + len - 6, ".jsonl")) return cmd_report(argc, argv);
    }
    plot_opts o = {NULL, 100, NULL, NULL, NULL, 0, 0};
    int rc = plot_parse(argc, argv, &o, &plot_command);
    if (rc >= 0) return rc;
    if (!o.format && o.output) {
        /* the format from the file's extension; one it cannot write is refused,
         * never silently written as CSV */
        static const char *const by_ext[][2] = {{".svg", "svg"}, {".csv", "csv"}, {".json", "json"}, {".txt", "ascii"}};
        const char *dot = strrchr(o.output, '.');
        for (size_t i = 0; dot && i < sizeof by_ext / sizeof by_ext[0] && !o.format; i++)
            if (!strcmp(dot, by_ext[i][0])) o.format = by_ext[i][1];
        if (!o.format)
            return cli_usage_error(&plot_command,
                                   "cannot tell the format of %s: name it .svg, .csv, .json or .txt, or give --format",
                                   o.output);
    }
    if (!o.format) o.format = isatty(STDOUT_FILENO) ? "ascii" : "csv";
    return plot_run(&o, 1);
}
