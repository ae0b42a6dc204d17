/* cmd_plot.c -- `lrengine plot`: the curve of any schedule script, metric-
 * driven ones fed a metric trace; and the evaluation it shares with
 * `lrengine check` (cmd_check.c). */
#include "cmd_plot.h"
#include "fileio.h"
#include "lint.h"
#include "plot_reduce.h"
#include "run_source.h"

#include <errno.h>
#include <stddef.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
        case 's': rc = cli_count_value(&p, c, 1, 100000000, &o->steps), o->steps_given = 1; break;
        case 'a': {
            const char *near = lre_suggest(p.value, lint_names);
            if (!near || strcmp(near, p.value))
                rc = cli_usage_error(cmd, "--allow: unknown lint '%s'%s%s%s (lints: warmup-too-long, cosine-period, "
                                     "far-from-floor, jump, rises-again, patience-too-long)", p.value,
                                     near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
            else if (o->nallow == 16) rc = cli_usage_error(cmd, "--allow: at most 16");
            else o->allow[o->nallow++] = p.value;
            break;
        }
        case 'j':
            if (cli_parse_number(p.value, &o->max_jump) || !(o->max_jump > 1))
                rc = cli_usage_error(cmd, "--max-jump takes a number > 1, got '%s'", p.value);
            break;
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

/* Reads one number per line (blank lines and # comments skipped); "-" is
 * stdin. A line is read whole into a bounded buffer (fileio_getline): a
 * longer one, or a NUL byte, is refused with its line. */
#define METRIC_LINE_MAX 4096

int plot_read_metrics(const char *path, double **out, size_t *n)
{
    int from_stdin = !strcmp(path, "-");
    FILE *f = from_stdin ? stdin : fileio_fopen_read(path);
    if (!f) return cli_error(LRE_EXIT_FAIL, "cannot open metrics file %s: %s", path, strerror(errno));
    if (from_stdin) path = "stdin";
    size_t cap = 256, len = 0, linelen;
    double *v = malloc(cap * sizeof *v);
    char *line = malloc(METRIC_LINE_MAX + 1);
    long long lineno = 0;
    int rc = v && line ? 0 : cli_error(LRE_EXIT_FAIL, "out of memory"), got;
    while (!rc && (got = fileio_getline(f, line, METRIC_LINE_MAX + 1, &linelen)) != 0) {
        lineno++;
        if (got == FILEIO_LINE_ERROR) {
            rc = cli_error(LRE_EXIT_FAIL, "cannot read %s: %s", path, strerror(errno));
            break;
        }
        if (got < 0) {
            rc = got == FILEIO_LINE_NUL
                     ? cli_error(LRE_EXIT_FAIL, "%s:%lld: a NUL byte: not a number", path, lineno)
                     : cli_error(LRE_EXIT_FAIL, "%s:%lld: a line longer than %d bytes: not a number", path, lineno,
                                 METRIC_LINE_MAX);
            break;
        }
        char *s = line + strspn(line, " \t");
        s[strcspn(s, "\r")] = 0;
        if (!*s || *s == '#') continue;
        double x;
        if (cli_parse_number(s, &x)) {
            rc = cli_error(LRE_EXIT_FAIL, "%s:%lld: not a finite number: '%.40s'", path, lineno, s);
        } else if (len == PLOT_METRICS_MAX) {
            rc = cli_error(LRE_EXIT_FAIL, "%s:%lld: more than %d metrics", path, lineno, PLOT_METRICS_MAX);
        } else if (len == cap) {
            double *w = cap < SIZE_MAX / 2 / sizeof *v ? realloc(v, 2 * cap * sizeof *v) : NULL;
            if (!w) rc = cli_error(LRE_EXIT_FAIL, "%s:%lld: out of memory", path, lineno);
            else v = w, cap *= 2;
        }
        if (!rc) v[len++] = x;
    }
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
    size_t len, max = limits.memory_bytes ? limits.memory_bytes : LRE_SCRIPT_DEFAULT_MEMORY;
    char *text = cli_read_stdin(max, &len);
    if (!text && errno == EFBIG)
        return lre_error_set(err, LRE_EINVAL, "stdin: a script of more than %zu bytes is larger than the memory limit", max);
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

/* What happens to each step's values: stored for a chart (svg, ascii),
 * written as they come (csv, json), or summed up (check). row returns 0, or
 * -1 when the output cannot be written (errno says why). */
typedef struct sink {
    int (*row)(struct sink *k, size_t t, const double *v);
    int n;                               /* schedules */
    double *curves[LRE_SCHEDULE_SET_MAX]; /* store */
    double lo[LRE_SCHEDULE_SET_MAX], hi[LRE_SCHEDULE_SET_MAX], first[LRE_SCHEDULE_SET_MAX],
        last[LRE_SCHEDULE_SET_MAX];       /* summary */
    FILE *out, *rest[LRE_SCHEDULE_SET_MAX]; /* streams: json's series after the first wait in rest[k] */
    double prev[LRE_SCHEDULE_SET_MAX];      /* each series' last number and its text: schedules repeat */
    char prev_text[LRE_SCHEDULE_SET_MAX][32]; /* values (a constant tail, a step), so a repeat is a copy */
    size_t prev_len[LRE_SCHEDULE_SET_MAX];
    lint_stream *lint;                        /* check: the curve's lints (lint.h) */
    plot_reducer *reducer;                    /* a chart of many steps, reduced as they come */
    char step[24];  /* the step in decimal, counted up as the rows go (csv) */
    size_t step_len;
    char buf[1 << 16]; /* csv's rows, written out a buffer at a time */
    size_t len;
} sink;

/* Counts the decimal step up by one: rows come in order, 0, 1, 2... */
static void next_step(sink *k)
{
    size_t i = k->step_len;
    while (i > 0 && k->step[i - 1] == '9') k->step[--i] = '0';
    if (i > 0) {
        k->step[i - 1]++;
    } else { /* 99...9 + 1 */
        memmove(k->step + 1, k->step, k->step_len);
        k->step[0] = '1';
        k->step_len++;
    }
}

/* v as lrengine.plot.shortest writes it, for series i. */
static size_t number(sink *k, int i, char *buf, double v)
{
    if (!k->prev_len[i] || memcmp(&v, &k->prev[i], sizeof v)) {
        k->prev[i] = v;
        k->prev_len[i] = cli_shortest(k->prev_text[i], v);
    }
    memcpy(buf, k->prev_text[i], k->prev_len[i]);
    return k->prev_len[i];
}

/* Evaluates every schedule of the set over steps 0..n-1, observing metric i
 * after step i, and hands each step's values to the sink; the first problem
 * names its step. */
static int evaluate(const char *script, lre_schedule_set *set, sink *sk, size_t n, const double *metrics,
                    size_t nmetrics, problem *pb)
{
    double v[LRE_SCHEDULE_SET_MAX];
    for (size_t t = 0; t < n; t++) {
        for (int k = 0; k < set->n; k++) {
            lre_error err;
            if (lre_schedule_eval(set->s[k], (int64_t)t, &v[k], &err)) /* a script stopped by Ctrl-C too */
                return found(pb, cli_interrupted ? LRE_EXIT_INTERRUPTED : LRE_EXIT_FAIL, (long long)t, "%s", err.msg);
            if (!isfinite(v[k]) || v[k] < 0)
                return found(pb, LRE_EXIT_FAIL, (long long)t, "%s: %s at step %zu is %g, expected a finite number >= 0",
                             script, set->name[k], t, v[k]);
            if (t < nmetrics && lre_schedule_observe(set->s[k], metrics[t], (int64_t)t + 1, &err))
                return found(pb, LRE_EXIT_FAIL, (long long)t, "%s", err.msg);
        }
        if (sk->row(sk, t, v)) return found(pb, LRE_EXIT_FAIL, (long long)t, "writing the result: %s", strerror(errno));
        if (cli_interrupted) return found(pb, LRE_EXIT_INTERRUPTED, (long long)t, "interrupted at step %zu", t);
    }
    return 0;
}

static int store_row(sink *k, size_t t, const double *v)
{
    for (int i = 0; i < k->n; i++) k->curves[i][t] = v[i];
    return 0;
}

static int reduce_row(sink *k, size_t t, const double *v)
{
    plot_reducer_add(k->reducer, t, v);
    return 0;
}

static int summary_row(sink *k, size_t t, const double *v)
{
    if (k->lint) lint_row(k->lint, t, v);
    for (int i = 0; i < k->n; i++) {
        if (t == 0) k->lo[i] = k->hi[i] = k->first[i] = v[i];
        k->lo[i] = fmin(k->lo[i], v[i]);
        k->hi[i] = fmax(k->hi[i], v[i]);
        k->last[i] = v[i];
    }
    return 0;
}

/* Makes room for a row in k->buf, writing out what it holds. */
static int room(sink *k)
{
    if (k->len <= sizeof k->buf - (24 + 33 * LRE_SCHEDULE_SET_MAX)) return 0;
    if (fwrite(k->buf, 1, k->len, k->out) != k->len) return -1;
    k->len = 0;
    return 0;
}

/* csv: "step,lr,..." then a row per step, as lrengine.plot.csv writes it. */
static int csv_row(sink *k, size_t t, const double *v)
{
    if (room(k)) return -1;
    if (t) next_step(k);
    char *line = k->buf + k->len;
    memcpy(line, k->step, k->step_len);
    size_t len = k->step_len;
    for (int i = 0; i < k->n; i++) {
        line[len++] = ',';
        len += number(k, i, line + len, v[i]);
    }
    line[len++] = '\n';
    k->len += len;
    return 0;
}

/* json: {"step":[0,...],"series":{"lr":[...],...}}, as lrengine.plot.json
 * writes it. The steps are known before the values; the first series goes
 * straight out, the others wait in temporary files. */
static int json_row(sink *k, size_t t, const double *v)
{
    if (room(k)) return -1;
    for (int i = 0; i < k->n; i++) {
        char num[40], *at = i ? num : k->buf + k->len;
        size_t len = 0;
        if (t) at[len++] = ',';
        len += number(k, i, at + len, v[i]);
        if (!i) k->len += len;
        else if (fwrite(num, 1, len, k->rest[i]) != len) return -1;
    }
    return 0;
}

static int json_head(sink *k, size_t n, const lre_schedule_set *set)
{
    fputs("{\"step\":[", k->out);
    for (size_t t = 0; t < n; t++) {
        if (room(k)) return -1;
        if (t) next_step(k), k->buf[k->len++] = ',';
        memcpy(k->buf + k->len, k->step, k->step_len);
        k->len += k->step_len;
    }
    if (fwrite(k->buf, 1, k->len, k->out) != k->len) return -1;
    k->len = 0;
    fputs("],\"series\":{", k->out);
    cli_json_string(k->out, set->name[0]);
    fputs(":[", k->out);
    return 0;
}

static int json_tail(sink *k, const lre_schedule_set *set)
{
    if (fwrite(k->buf, 1, k->len, k->out) != k->len) return -1;
    k->len = 0;
    fputc(']', k->out);
    for (int i = 1; i < k->n; i++) {
        fputc(',', k->out);
        cli_json_string(k->out, set->name[i]);
        fputs(":[", k->out);
        char buf[1 << 14];
        size_t got;
        rewind(k->rest[i]);
        while ((got = fread(buf, 1, sizeof buf, k->rest[i])) > 0) fwrite(buf, 1, got, k->out);
        if (ferror(k->rest[i])) return -1;
        fputc(']', k->out);
    }
    fputs("}}\n", k->out);
    return ferror(k->out) ? -1 : 0;
}

/* check --format json: one document, whether the script is clean or not. */
static void check_json(const plot_opts *o, const lre_schedule_set *set, const sink *sk, size_t n, const problem *pb,
                       const lint_finding *lints, int nlints)
{
    fputs("{\"script\":", stdout);
    cli_json_string(stdout, strcmp(o->script, "-") ? o->script : "stdin");
    printf(",\"ok\":%s,\"steps\":%zu", pb->code || nlints ? "false" : "true", n);
    fputs(",\"lints\":[", stdout);
    for (int i = 0; i < nlints; i++) {
        fputs(i ? ",{\"name\":" : "{\"name\":", stdout);
        cli_json_string(stdout, lints[i].name);
        fputs(",\"schedule\":", stdout);
        cli_json_string(stdout, lints[i].hparam);
        printf(",\"step\":%lld,\"message\":", lints[i].step);
        cli_json_string(stdout, lints[i].msg);
        fputs(",\"suggestion\":", stdout);
        cli_json_string(stdout, lints[i].suggestion);
        fputc('}', stdout);
    }
    fputc(']', stdout);
    if (pb->code) {
        fputs(",\"step\":", stdout);
        if (pb->step >= 0) printf("%lld", pb->step);
        else fputs("null", stdout);
        fputs(",\"error\":", stdout);
        cli_json_string(stdout, pb->msg);
    } else {
        fputs(",\"schedules\":[", stdout);
        for (int k = 0; k < set->n; k++) {
            fputs(k ? ",{\"name\":" : "{\"name\":", stdout);
            cli_json_string(stdout, set->name[k]);
            const double v[] = {sk->lo[k], sk->hi[k], sk->first[k], sk->last[k]};
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

static void check_text(const plot_opts *o, const lre_schedule_set *set, const sink *sk, size_t n)
{
    if (!set->n) { /* a config without a schedule */
        printf("%s: ok, %zu steps, nothing scheduled\n", o->script, n);
        return;
    }
    printf("%s: ok, %zu steps, lr from %.6g to %.6g", strcmp(o->script, "-") ? o->script : "stdin", n, sk->lo[0],
           sk->hi[0]);
    for (int k = 1; k < set->n; k++) printf(", %s scheduled too", set->name[k]);
    printf("\n");
}

/* The chart: of every step (steps NULL), or of the n steps a reduction kept. */
static int draw(const plot_opts *o, const lre_schedule_set *set, const double *steps, double *const *curves, size_t n)
{
    const char *names[LRE_SCHEDULE_SET_MAX];
    for (int k = 0; k < set->n; k++) names[k] = set->name[k];
    cli_output out;
    if (cli_output_open(&out, o->output)) return cli_error(LRE_EXIT_FAIL, "cannot write %s: %s", o->output, strerror(errno));
    int rc = cli_render_steps(out.f, o->format, strcmp(o->script, "-") ? o->script : "stdin", steps, n, set->n, names,
                              (const double *const *)curves, o->logy);
    if (cli_output_close(&out, !rc) && !rc)
        rc = cli_error(LRE_EXIT_FAIL, "cannot write %s: %s", o->output ? o->output : "the chart", strerror(errno));
    return rc;
}

/* A chart of more steps than this is reduced while they are evaluated
 * (plot_reduce.h): its memory and the drawing's time stay the same whatever
 * the steps. Below, every step goes to the drawing, which reduces them
 * per pixel column itself. */
#define PLOT_REDUCE_FROM (4 * PLOT_REDUCE_BUCKETS)

/* csv and json, written while the steps are evaluated: memory stays the
 * same whatever the number of steps. With --output the text goes to a
 * temporary file beside it, renamed over it once complete, so a script
 * that fails leaves no file (and an existing one as it was); on stdout, the
 * rows before the failing step are out already. */
static int stream(const plot_opts *o, const char *script, lre_schedule_set *set, size_t n, const double *metrics,
                  size_t nmetrics, problem *pb)
{
    static sink sk; /* (64 KB of buffer) */
    memset(&sk, 0, offsetof(sink, buf));
    sk.n = set->n, sk.out = stdout, sk.step[0] = '0', sk.step_len = 1, sk.len = 0;
    int json = !strcmp(o->format, "json");
    cli_output out;
    if (cli_output_open(&out, o->output)) return found(pb, LRE_EXIT_FAIL, -1, "cannot write %s: %s", o->output, strerror(errno));
    sk.out = out.f;
    static char buf[1 << 16];
    setvbuf(sk.out, buf, _IOFBF, sizeof buf);
    for (int k = 1; json && k < set->n && !pb->code; k++)
        if (!(sk.rest[k] = tmpfile())) found(pb, LRE_EXIT_FAIL, -1, "cannot make a temporary file: %s", strerror(errno));
    if (!pb->code) {
        if (json) {
            if (json_head(&sk, n, set)) found(pb, LRE_EXIT_FAIL, -1, "writing the result: %s", strerror(errno));
            sk.step[0] = '0', sk.step_len = 1;
            sk.row = json_row;
        } else {
            fputs("step", sk.out);
            for (int k = 0; k < set->n; k++) fprintf(sk.out, ",%s", set->name[k]);
            fputc('\n', sk.out);
            sk.row = csv_row;
        }
        if (!pb->code && !evaluate(script, set, &sk, n, metrics, nmetrics, pb) && json && json_tail(&sk, set))
            found(pb, LRE_EXIT_FAIL, -1, "writing the result: %s", strerror(errno));
        if (sk.len && fwrite(sk.buf, 1, sk.len, sk.out) != sk.len && !pb->code) /* csv's last rows */
            found(pb, LRE_EXIT_FAIL, -1, "writing the result: %s", strerror(errno));
    }
    for (int k = 1; k < set->n; k++)
        if (sk.rest[k]) fclose(sk.rest[k]);
    if (cli_output_close(&out, !pb->code) && !pb->code)
        found(pb, LRE_EXIT_FAIL, -1, "cannot write %s: %s", o->output ? o->output : "the result", strerror(errno));
    if (!o->output) setvbuf(stdout, NULL, _IOFBF, BUFSIZ); /* buf is no longer stdout's after this */
    return pb->code;
}

/* The script's text, for its lint comments (NULL for stdin or on failure; free it). */
static char *script_text(const char *path)
{
    FILE *f = strcmp(path, "-") ? fileio_fopen_read(path) : NULL;
    if (!f) return NULL;
    char *text = calloc(1, 1 << 20);
    if (text && fread(text, 1, (1 << 20) - 1, f) == 0 && ferror(f)) free(text), text = NULL;
    fclose(f);
    return text;
}

/* check on a training config, when the script returned a table that is not
 * a schedule (pb says so): its schedules planned for its run, over its steps
 * unless --steps is given; observations, one per epoch when it observes a
 * metric. 0, or -1 with the config's reason added to pb's message. */
static int check_config(plot_opts *o, lre_schedule_set *set, size_t *n, long long *nobserved, problem *pb)
{
    run_source r;
    memset(&r, 0, sizeof r);
    char msg[TRAIN_MSG_SIZE];
    if (!strcmp(o->script, "-") || !run_source_maybe_config(pb->msg)) return -1;
    if (run_source_config(&r, o->script, NULL, msg, sizeof msg)) {
        size_t k = strlen(pb->msg);
        snprintf(pb->msg + k, sizeof pb->msg - k, " (nor a training config: %s)", msg);
        run_source_free(&r);
        return -1;
    }
    *set = r.set;
    if (!o->steps_given && r.where.total_steps > 0 && r.where.total_steps <= 100000000) {
        *n = (size_t)r.where.total_steps;
        o->steps = r.where.total_steps;
    }
    if (r.observe != OBSERVE_NONE) *nobserved = r.epochs;
    return 0;
}

int plot_run(plot_opts *o, int plot)
{
    long long nobserved = -1;
    lint_finding lints[LINT_MAX];
    int nlints = 0;
    lint_stream ls;
    int json = !plot && o->format && !strcmp(o->format, "json");
    size_t n = (size_t)o->steps;
    const char *script = strcmp(o->script, "-") ? o->script : "stdin";
    problem pb = {"", -1, 0};
    double *metrics = NULL, *buf = NULL, *steps = NULL;
    size_t nmetrics = 0;
    if (o->metrics) {
        int rc = plot_read_metrics(o->metrics, &metrics, &nmetrics);
        if (rc) return rc;
    }
    lre_schedule_set set = {0};
    sink sk = {.row = plot ? store_row : summary_row};
    lre_error err;
    int streamed = plot && (!strcmp(o->format, "csv") || !strcmp(o->format, "json"));
    int loaded = !plot_load_schedules(o->script, &set, &err);
    /* a script's run is the N steps drawn: durations ("10%") resolve on it */
    for (int k = 0; loaded && k < set.n; k++) lre_schedule_set_horizon(set.s[k], 0, (int64_t)n);
    if (!loaded) {
        found(&pb, cli_interrupted ? LRE_EXIT_INTERRUPTED : LRE_EXIT_FAIL, -1, "%s", err.msg);
        lre_schedule_set_free(&set);
        if (!plot && !cli_interrupted && !check_config(o, &set, &n, &nobserved, &pb)) loaded = 1, pb.code = 0;
    }
    if (!plot) lint_stream_init(&ls, set.n, o->max_jump), sk.lint = &ls;
    if (!loaded) {
    } else if (streamed) {
        stream(o, script, &set, n, metrics, nmetrics, &pb);
    } else if (plot && n > PLOT_REDUCE_FROM) {
        if (!(sk.reducer = plot_reducer_new(n, set.n, o->logy))) {
            found(&pb, LRE_EXIT_FAIL, -1, "out of memory for the chart");
        } else {
            sk.n = set.n;
            sk.row = reduce_row;
            if (!evaluate(script, &set, &sk, n, metrics, nmetrics, &pb) &&
                !(n = plot_reducer_points(sk.reducer, &steps, sk.curves)))
                found(&pb, LRE_EXIT_FAIL, -1, "out of memory for the chart");
        }
    } else if (plot && !(buf = malloc((size_t)set.n * n * sizeof *buf))) {
        found(&pb, LRE_EXIT_FAIL, -1, "out of memory for %zu steps", n);
    } else {
        sk.n = set.n;
        for (int k = 0; buf && k < set.n; k++) sk.curves[k] = buf + (size_t)k * n;
        evaluate(script, &set, &sk, n, metrics, nmetrics, &pb);
    }
    if (!plot && !pb.code) {
        char *text = script_text(o->script);
        lint_opts lo = {o->allow, o->nallow, text, o->max_jump, nobserved};
        if (lo.observations < 0 && metrics) lo.observations = (long long)(nmetrics < n ? nmetrics : n);
        nlints = lint_schedules(&set, &ls, n, &lo, lints);
        if (nlints < 0) nlints = 0, pb.code = LRE_EXIT_FAIL;
        free(text);
    }
    int rc = pb.code ? pb.code : nlints ? LRE_EXIT_FAIL : 0;
    if (json) check_json(o, &set, &sk, n, &pb, lints, nlints);
    for (int i = 0; i < nlints && !json; i++)
        cli_error(0, "%s: step %lld: %s: %s: %s; suggestion: %s (silence: --allow %s)", script, lints[i].step,
                  lints[i].hparam, lints[i].name, lints[i].msg, lints[i].suggestion, lints[i].name);
    if (pb.code) cli_error(rc, "%s", pb.msg);
    else if (plot && !streamed) rc = draw(o, &set, steps, sk.curves, n);
    else if (!plot && !json && !o->quiet && !rc) check_text(o, &set, &sk, n);
    if (!rc && fflush(stdout)) rc = cli_error(LRE_EXIT_FAIL, "writing the result: %s", strerror(errno));
    free(buf);
    if (steps)
        for (int k = 0; k < set.n; k++) free(sk.curves[k]);
    free(steps);
    plot_reducer_free(sk.reducer);
    free(metrics);
    lre_schedule_set_free(&set);
    return rc;
}

int cmd_plot(int argc, char **argv)
{
    plot_opts o = {.steps = 100};
    int rc = plot_parse(argc, argv, &o, &plot_command);
    if (rc >= 0) return rc;
    size_t len = strlen(o.script); /* the operand a training run's metrics file (RUN.jsonl): report draws it */
    if (len > 6 && !strcmp(o.script + len - 6, ".jsonl")) return cmd_report(argc, argv);
    if (!o.format && o.output) {
        /* the format from the file's extension; one it cannot write is refused,
         * never silently written as CSV */
        if (!(o.format = cli_format_of(o.output)))
            return cli_usage_error(&plot_command,
                                   "cannot tell the format of %s: name it .svg, .csv, .json or .txt, or give --format",
                                   o.output);
    }
    if (!o.format) o.format = isatty(STDOUT_FILENO) ? "ascii" : "csv";
    return plot_run(&o, 1);
}
