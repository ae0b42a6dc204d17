/* cmd_findlr.c -- `lrengine find-lr`: options, the range test's summary and
 * its chart. With --format json the output is one JSON document (the curve
 * and the suggestion) and nothing else on stdout. */
#include "cli.h"
#include "train.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static const char findlr_usage[] =
    "usage: lrengine find-lr CONFIG.lua [--min 1e-7] [--max 10] [--steps 100] [--format ascii|csv|json|svg]\n"
    "                        [--output FILE]\n"
    "The learning-rate range test: ramps the rate exponentially, prints the suggested rate and its\n"
    "reasoning, and draws the loss against the rate (ascii on a terminal).\n"
    "Exit status: 0 done, 1 failed, 2 usage error, 130 interrupted.\n";

static void summary(FILE *f, const findlr_result *r, const findlr_options *o)
{
    fprintf(f, "lr range test: %lld steps from %.3g to %.3g%s\n", r->n, r->lrs[0], r->lrs[r->n - 1],
            r->n < o->steps ? " (stopped: the loss diverged)" : "");
    fprintf(f, "  lowest smoothed loss %.4f at lr %.3g; a rate ten times smaller is %.3g\n", r->lowest_loss,
            r->lowest_lr, r->lowest_lr / 10);
    fprintf(f, "  steepest descent %.3f per decade at lr %.3g\n", r->steepest_slope, r->suggestion);
    fprintf(f, "suggested lr=%.3g (where the loss falls fastest)\n", r->suggestion);
}

/* One JSON document: the suggestion, the figures behind it, the curve. */
static int write_json(FILE *f, const findlr_result *r)
{
    fprintf(f, "{\"suggested_lr\":%.17g,\"lowest_loss\":%.17g,\"lowest_loss_lr\":%.17g,\"steepest_slope\":%.17g,"
               "\"diverged\":%s,\"steps\":%lld,\"lr\":[",
            r->suggestion, r->lowest_loss, r->lowest_lr, r->steepest_slope, r->diverged ? "true" : "false", r->n);
    for (long long i = 0; i < r->n; i++) fprintf(f, "%s%.17g", i ? "," : "", r->lrs[i]);
    fputs("],\"loss\":[", f);
    for (long long i = 0; i < r->n; i++) fprintf(f, "%s%.17g", i ? "," : "", r->losses[i]);
    fputs("]}\n", f);
    return ferror(f) || fflush(f) ? cli_error(LRE_EXIT_FAIL, "writing the result: %s", strerror(errno)) : LRE_EXIT_OK;
}

int cmd_find_lr(int argc, char **argv)
{
    const char *config = NULL, *format = NULL, *output = NULL;
    findlr_options o = {1e-7, 10, 100, &cli_interrupted};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int v = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return fputs(findlr_usage, stdout), LRE_EXIT_OK;
        if (!strcmp(a, "--min") && v) { if (cli_parse_number(argv[++i], &o.lr_min) || o.lr_min <= 0) goto bad; }
        else if (!strcmp(a, "--max") && v) { if (cli_parse_number(argv[++i], &o.lr_max) || o.lr_max <= 0) goto bad; }
        else if (!strcmp(a, "--steps") && v) { if (cli_parse_count(argv[++i], &o.steps) || o.steps < 10 || o.steps > 1000000) goto bad; }
        else if (!strcmp(a, "--format") && v) format = argv[++i];
        else if (!strcmp(a, "--output") && v) output = argv[++i];
        else if (a[0] == '-') return cli_error(LRE_EXIT_USAGE, "unknown option or missing value: %s (see lrengine find-lr --help)", a);
        else if (!config) config = a;
        else return cli_error(LRE_EXIT_USAGE, "one config at a time (got '%s' too)", a);
        continue;
    bad:
        return cli_error(LRE_EXIT_USAGE, "bad value for %s: '%s'", a, argv[i]);
    }
    if (!config) return fputs(findlr_usage, stderr), LRE_EXIT_USAGE;
    if (o.lr_min >= o.lr_max) return cli_error(LRE_EXIT_USAGE, "--min must be below --max");
    if (!format && output) {
        size_t n = strlen(output);
        format = n > 4 && !strcmp(output + n - 4, ".svg") ? "svg" : n > 5 && !strcmp(output + n - 5, ".json") ? "json" : "csv";
    }
    if (!format && isatty(STDOUT_FILENO)) format = "ascii";
    if (format && strcmp(format, "ascii") && strcmp(format, "csv") && strcmp(format, "json") && strcmp(format, "svg"))
        return cli_error(LRE_EXIT_USAGE, "--format must be ascii, csv, json or svg, got '%s'", format);
    train_config c;
    char msg[TRAIN_MSG_SIZE];
    lre_script_limits limits = cli_limits(0);
    if (train_config_load(&c, config, &limits, msg, sizeof msg)) {
        train_config_free(&c);
        return cli_error(cli_interrupted ? LRE_EXIT_INTERRUPTED : LRE_EXIT_FAIL, "%s", msg);
    }
    findlr_result r;
    train_status st = train_find_lr(&c, &o, &r);
    train_config_free(&c);
    int rc = LRE_EXIT_OK;
    if (st != TRAIN_OK) {
        rc = cli_error(st == TRAIN_STOPPED ? LRE_EXIT_INTERRUPTED : LRE_EXIT_FAIL, "%s", r.msg);
        findlr_result_free(&r);
        return rc;
    }
    int json_stdout = format && !strcmp(format, "json") && !output;
    /* the summary goes to stdout unless stdout carries the JSON */
    summary(json_stdout ? stderr : stdout, &r, &o);
    fflush(stdout);
    if (format) {
        FILE *out = stdout;
        if (output && !(out = fopen(output, "w"))) {
            rc = cli_error(LRE_EXIT_FAIL, "cannot write %s: %s", output, strerror(errno));
        } else {
            if (!strcmp(format, "json")) {
                rc = write_json(out, &r);
            } else {
                const char *names[] = {"loss"};
                const double *vals[] = {r.losses};
                rc = cli_render(out, format, "lr range test: smoothed loss by learning rate", "lr", r.lrs, (size_t)r.n,
                                1, names, vals, 1, 0);
            }
            if (out != stdout && fclose(out) && !rc)
                rc = cli_error(LRE_EXIT_FAIL, "cannot write %s: %s", output, strerror(errno));
        }
    }
    findlr_result_free(&r);
    return rc;
}
