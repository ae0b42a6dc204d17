/* cmd_findlr.c -- `lrengine find-lr`: options, the range test's summary and
 * its chart. With --format json the output is one JSON document (the curve
 * and the suggestion) and nothing else on stdout. */
#include "cli.h"
#include "train.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static const cli_option findlr_opts[] = {
    {"min", 256, "LR", "the first rate (default 1e-7)"},
    {"max", 257, "LR", "the last rate (default 10)"},
    {"steps", 's', "N", "steps of the ramp, 10 to 1e6 (default 100)"},
    {"format", 'f', "FORMAT", "ascii, csv, json or svg: the loss against the rate (json: the curve and the suggestion)"},
    {"output", 'o', "FILE", "write the chart to FILE (its format from its name: .svg, .json, else csv)"},
    {NULL, 0, NULL, NULL}};

static const cli_command findlr_command = {
    "find-lr", "CONFIG.lua",
    "The learning-rate range test: trains the config's model while the rate ramps exponentially from --min\n"
    "to --max, prints the suggested rate and its reasoning (stderr when stdout carries JSON; none with\n"
    "--quiet) and draws the loss against the rate (ascii on a terminal).",
    findlr_opts, 1, 1, 0};

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
    const char *const keys[] = {"suggested_lr", "lowest_loss", "lowest_loss_lr", "steepest_slope"};
    const double vals[] = {r->suggestion, r->lowest_loss, r->lowest_lr, r->steepest_slope};
    for (int i = 0; i < 4; i++) {
        fprintf(f, "%s\"%s\":", i ? "," : "{", keys[i]);
        cli_json_number(f, vals[i]);
    }
    fprintf(f, ",\"diverged\":%s,\"steps\":%lld,\"lr\":[", r->diverged ? "true" : "false", r->n);
    for (long long i = 0; i < r->n; i++) {
        if (i) fputc(',', f);
        cli_json_number(f, r->lrs[i]);
    }
    fputs("],\"loss\":[", f);
    for (long long i = 0; i < r->n; i++) {
        if (i) fputc(',', f);
        cli_json_number(f, r->losses[i]);
    }
    fputs("]}\n", f);
    return ferror(f) || fflush(f) ? cli_error(LRE_EXIT_FAIL, "writing the result: %s", strerror(errno)) : LRE_EXIT_OK;
}

int cmd_find_lr(int argc, char **argv)
{
    static const char *const formats[] = {"ascii", "csv", "json", "svg", NULL};
    const char *format = NULL, *output = NULL;
    findlr_options o = {.lr_min = 1e-7, .lr_max = 10, .steps = 100, .stop = &cli_interrupted};
    cli_parser p;
    cli_parser_init(&p, &findlr_command, argc, argv);
    int key, rc = 0;
    while (!rc && (key = cli_next(&p)) != CLI_END) {
        switch (key) {
        case CLI_EXIT: return p.exit;
        case 256: rc = cli_positive_value(&p, key, &o.lr_min); break;
        case 257: rc = cli_positive_value(&p, key, &o.lr_max); break;
        case 's': rc = cli_count_value(&p, key, 10, 1000000, &o.steps); break;
        case 'f': rc = cli_choice_value(&p, key, formats, &format); break;
        case 'o': output = p.value; break;
        }
    }
    if (rc) return rc;
    const char *config = p.operands[0];
    if (o.lr_min >= o.lr_max) return cli_usage_error(&findlr_command, "--min must be below --max");
    if (!format && output) {
        size_t n = strlen(output);
        format = n > 4 && !strcmp(output + n - 4, ".svg") ? "svg" : n > 5 && !strcmp(output + n - 5, ".json") ? "json" : "csv";
    }
    if (!format && isatty(STDOUT_FILENO)) format = "ascii";
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
    if (st != TRAIN_OK) {
        rc = cli_error(st == TRAIN_STOPPED ? LRE_EXIT_INTERRUPTED : LRE_EXIT_FAIL, "%s", r.msg);
        findlr_result_free(&r);
        return rc;
    }
    int json_stdout = format && !strcmp(format, "json") && !output;
    /* the summary goes to stdout unless stdout carries the JSON */
    if (!p.quiet) summary(json_stdout ? stderr : stdout, &r, &o);
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
                char steep[64], lowest[64];
                snprintf(steep, sizeof steep, "suggested lr=%.3g (steepest)", r.suggestion);
                snprintf(lowest, sizeof lowest, "lr=%.3g (lowest loss / 10)", r.lowest_lr / 10);
                const double mark_x[] = {r.suggestion, r.lowest_lr / 10};
                const char *const mark_label[] = {steep, lowest};
                const cli_marks marks = {2, mark_x, mark_label, 1};
                rc = cli_render(out, format, "lr range test: smoothed loss by learning rate", "lr", r.lrs, (size_t)r.n,
                                1, names, vals, 1, 0, &marks);
            }
            if (out != stdout && fclose(out) && !rc)
                rc = cli_error(LRE_EXIT_FAIL, "cannot write %s: %s", output, strerror(errno));
        }
    }
    findlr_result_free(&r);
    return rc;
}
