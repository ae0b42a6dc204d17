/* cmd_findlr.c -- `lrengine find-lr`: options, the range test's summary (the
 * rate each suggestion rule picks) and its chart. With --format json the
 * output is one JSON document (the curve and the suggestions) and nothing
 * else on stdout. --write-config writes the config at the suggested rate;
 * --curve applies the rules to a saved curve instead of running the test. */
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
    {"suggest", 258, "RULE", "valley (default, fastai's), steepest (Lightning's), minimum (/ 10) or slide"},
    {"write-config", 'w', "FILE", "write the config at the suggested rate to FILE (lrengine train runs it as is)"},
    {"curve", 259, "FILE", "apply the rules to a curve saved with --format csv instead of running the test"},
    {NULL, 0, NULL, NULL}};

static const cli_command findlr_command = {
    "find-lr", "CONFIG.lua | --curve FILE",
    "The learning-rate range test: trains the config's model while the rate ramps exponentially from --min\n"
    "to --max, prints the suggested rate and its reasoning (stderr when stdout carries csv, json or svg; none with\n"
    "--quiet) and draws the loss against the rate (ascii on a terminal). The config's gradient clipping\n"
    "applies; its guard does not (it would skip the steps whose loss blows up, which the test looks for).",
    findlr_opts, 0, 1, 0};

static const char *const rule_about[FINDLR_NRULES] = {
    "fastai's valley: 2/3 down the longest descent", "Lightning's: the steepest descent, per decade",
    "fastai's: the lowest loss's rate / 10", "fastai's slide: where the slope stops changing"};

static void summary(FILE *f, const findlr_result *r, const findlr_options *o, int rule)
{
    if (o) {
        fprintf(f, "lr range test: %lld steps from %.3g to %.3g%s\n", r->n, r->lrs[0], r->lrs[r->n - 1],
                r->n < o->steps ? " (stopped: the loss diverged)" : "");
        if (r->clip[0]) fprintf(f, "  with the config's clipping (%s)\n", r->clip);
        if (r->guard[0])
            fprintf(f, "  without the config's guard (%s): it would skip the steps whose loss blows up\n", r->guard);
    } else {
        fprintf(f, "lr range curve: %lld points from %.3g to %.3g\n", r->n, r->lrs[0], r->lrs[r->n - 1]);
    }
    fprintf(f, "  lowest smoothed loss %.4f at lr %.3g\n", r->lowest_loss, r->lowest_lr);
    for (int k = 0; k < FINDLR_NRULES; k++) {
        if (r->rules[k].ok)
            fprintf(f, "  %-9s lr %-10.3g (point %lld)  %s\n", findlr_rule_names[k], r->rules[k].lr, r->rules[k].index,
                    rule_about[k]);
        else fprintf(f, "  %-9s -  (the curve is too short for it)\n", findlr_rule_names[k]);
    }
    fprintf(f, "suggested lr=%.3g (%s)\n", r->rules[rule].lr, findlr_rule_names[rule]);
}

/* One JSON document: the suggestion, the figures behind it, the curve. */
static int write_json(FILE *f, const findlr_result *r, int rule)
{
    const char *const keys[] = {"suggested_lr", "lowest_loss", "lowest_loss_lr", "steepest_slope"};
    const double vals[] = {r->rules[rule].lr, r->lowest_loss, r->lowest_lr, r->steepest_slope};
    for (int i = 0; i < 4; i++) {
        fprintf(f, "%s\"%s\":", i ? "," : "{", keys[i]);
        cli_json_number(f, vals[i]);
    }
    fprintf(f, ",\"suggest\":\"%s\",\"suggestions\":{", findlr_rule_names[rule]);
    for (int k = 0; k < FINDLR_NRULES; k++) {
        fprintf(f, "%s\"%s\":", k ? "," : "", findlr_rule_names[k]);
        if (!r->rules[k].ok) {
            fputs("null", f);
            continue;
        }
        fputs("{\"lr\":", f);
        cli_json_number(f, r->rules[k].lr);
        fprintf(f, ",\"index\":%lld}", r->rules[k].index);
    }
    fputc('}', f);
    for (int k = 0; k < 2; k++) { /* what the test ran with: the config's clipping, not its guard */
        const char *v = k ? r->guard : r->clip;
        fprintf(f, k ? ",\"guard_left_out\":" : ",\"clip\":");
        if (v[0]) cli_json_string(f, v);
        else fputs("null", f);
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
    const char *format = NULL, *output = NULL, *rule_name = NULL, *write_config = NULL, *curve = NULL;
    findlr_options o = {.lr_min = 1e-7, .lr_max = 10, .steps = 100, .stop = &cli_interrupted};
    long long planned = 0; /* --steps, for --curve: the test's planned length (fastai's window) */
    cli_parser p;
    cli_parser_init(&p, &findlr_command, argc, argv);
    int key, rc = 0;
    while (!rc && (key = cli_next(&p)) != CLI_END) {
        switch (key) {
        case CLI_EXIT: return p.exit;
        case 256: rc = cli_positive_value(&p, key, &o.lr_min); break;
        case 257: rc = cli_positive_value(&p, key, &o.lr_max); break;
        case 's': rc = cli_count_value(&p, key, 10, FINDLR_MAX_POINTS, &o.steps); planned = o.steps; break;
        case 'f': rc = cli_choice_value(&p, key, formats, &format); break;
        case 'o': output = p.value; break;
        case 258: rc = cli_choice_value(&p, key, findlr_rule_names, &rule_name); break;
        case 'w': write_config = p.value; break;
        case 259: curve = p.value; break;
        }
    }
    if (rc) return rc;
    const char *config = p.noperands ? p.operands[0] : NULL;
    if (!config && (!curve || write_config))
        return cli_usage_error(&findlr_command, "find-lr: missing CONFIG.lua%s", curve ? " (for --write-config)" : "");

    if (o.lr_min >= o.lr_max) return cli_usage_error(&findlr_command, "--min must be below --max");
    if (!format && output) {
        size_t n = strlen(output);
        format = n > 4 && !strcmp(output + n - 4, ".svg") ? "svg" : n > 5 && !strcmp(output + n - 5, ".json") ? "json" : "csv";
    }
    if (!format && isatty(STDOUT_FILENO)) format = "ascii";
    train_config c;
    memset(&c, 0, sizeof c);
    char msg[TRAIN_MSG_SIZE];
    lre_script_limits limits = cli_limits(0);
    if (config && train_config_load(&c, config, &limits, msg, sizeof msg)) {
        train_config_free(&c);
        return cli_error(cli_interrupted ? LRE_EXIT_INTERRUPTED : LRE_EXIT_FAIL, "%s", msg);
    }
    findlr_result r;
    train_status st = curve ? findlr_read_curve(curve, planned, &r) : train_find_lr(&c, &o, &r);
    if (st != TRAIN_OK) {
        train_config_free(&c);
        rc = cli_error(st == TRAIN_STOPPED ? LRE_EXIT_INTERRUPTED : LRE_EXIT_FAIL, "%s", r.msg);
        findlr_result_free(&r);
        return rc;
    }
    int rule = r.chosen;
    if (rule_name)
        for (int k = 0; k < FINDLR_NRULES; k++)
            if (!strcmp(rule_name, findlr_rule_names[k])) rule = k;
    if (!r.rules[rule].ok) {
        train_config_free(&c);
        findlr_result_free(&r);
        return cli_error(LRE_EXIT_FAIL, "the %s rule has no suggestion on a curve of %lld points: use more --steps",
                         findlr_rule_names[rule], r.n);
    }
    if (write_config) {
        char why[160];
        snprintf(why, sizeof why, "the %s rule on a range test of %lld points from %.3g to %.3g", findlr_rule_names[rule],
                 r.n, r.lrs[0], r.lrs[r.n - 1]);
        if (findlr_write_config(&c, config, r.rules[rule].lr, r.steps_per_epoch, why, write_config, msg, sizeof msg)) {
            train_config_free(&c);
            findlr_result_free(&r);
            return cli_error(LRE_EXIT_FAIL, "--write-config %s: %s", write_config, msg);
        }
    }
    train_config_free(&c);
    /* csv, json and svg on stdout are for programs (a csv is read back by --curve): the reasoning goes to stderr */
    int data_stdout = format && strcmp(format, "ascii") && !output;
    /* the summary goes to stdout unless stdout carries the JSON */
    if (!p.quiet) summary(data_stdout ? stderr : stdout, &r, curve ? NULL : &o, rule);
    if (!p.quiet && write_config)
        fprintf(data_stdout ? stderr : stdout, "wrote %s: %s at lr=%.3g\n", write_config, config, r.rules[rule].lr);
    fflush(stdout);
    if (format) {
        cli_output co;
        if (cli_output_open(&co, output)) {
            rc = cli_error(LRE_EXIT_FAIL, "cannot write %s: %s", output, strerror(errno));
        } else {
            FILE *out = co.f;
            if (!strcmp(format, "json")) {
                rc = write_json(out, &r, rule);
            } else {
                const char *names[] = {"loss"};
                const double *vals[] = {r.losses};
                char steep[64], lowest[64];
                snprintf(steep, sizeof steep, "suggested lr=%.3g (steepest)", r.suggestion);
                snprintf(lowest, sizeof lowest, "lr=%.3g (lowest loss / 10)", r.lowest_lr / 10);
                const double mark_x[] = {r.suggestion, r.lowest_lr / 10};
                const char *const mark_label[] = {steep, lowest};
                const cli_marks marks = {2, mark_x, mark_label, 1, NULL};
                rc = cli_render(out, format, "lr range test: smoothed loss by learning rate", "lr", r.lrs, (size_t)r.n,
                                1, names, vals, 1, 0, &marks);
            }
            if (cli_output_close(&co, !rc) && !rc)
                rc = cli_error(LRE_EXIT_FAIL, "cannot write %s: %s", output ? output : "the result", strerror(errno));
        }
    }
    findlr_result_free(&r);
    return rc;
}
