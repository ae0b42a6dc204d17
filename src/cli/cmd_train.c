/* cmd_train.c -- `lrengine train` and `lrengine find-lr`: command-line
 * parsing; the work is in src/train. */
#include "train.h"

#include <string.h>
#include <unistd.h>

static const char train_usage[] =
    "usage: lrengine train CONFIG.lua [--epochs N] [--seed S] [--checkpoint FILE] [--resume FILE]\n"
    "                      [--metrics FILE] [--threads N] [--quiet]\n"
    "Trains the model the config describes. --checkpoint writes one at every epoch end (and on Ctrl-C);\n"
    "--resume continues one exactly; --metrics writes one JSON object per line.\n";

static const char findlr_usage[] =
    "usage: lrengine find-lr CONFIG.lua [--min 1e-7] [--max 10] [--steps 100] [--format ascii|csv|json|svg]\n"
    "                        [--output FILE]\n"
    "The learning-rate range test: ramps the rate exponentially, prints the suggested rate and its\n"
    "reasoning, and draws the loss against the rate (ascii on a terminal).\n";

int cmd_train(int argc, char **argv)
{
    train_options o = {-1, -1, -1, NULL, NULL, NULL, 0};
    const char *config = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int v = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return fputs(train_usage, stdout), LRE_EXIT_OK;
        if (!strcmp(a, "--quiet")) o.quiet = 1;
        else if (!strcmp(a, "--epochs") && v) { if (cli_parse_count(argv[++i], &o.epochs)) goto bad_number; }
        else if (!strcmp(a, "--seed") && v) { if (cli_parse_count(argv[++i], &o.seed)) goto bad_number; }
        else if (!strcmp(a, "--threads") && v) { if (cli_parse_count(argv[++i], &o.threads) || o.threads < 1) goto bad_number; }
        else if (!strcmp(a, "--checkpoint") && v) o.checkpoint = argv[++i];
        else if (!strcmp(a, "--resume") && v) o.resume = argv[++i];
        else if (!strcmp(a, "--metrics") && v) o.metrics = argv[++i];
        else if (a[0] == '-') return cli_error(LRE_EXIT_USAGE, "unknown option or missing value: %s (see lrengine train --help)", a);
        else if (!config) config = a;
        else return cli_error(LRE_EXIT_USAGE, "one config at a time (got '%s' too)", a);
        continue;
    bad_number:
        return cli_error(LRE_EXIT_USAGE, "%s takes a whole number, got '%s'", a, argv[i]);
    }
    if (!config) return fputs(train_usage, stderr), LRE_EXIT_USAGE;
    train_config c;
    char msg[1024];
    int rc;
    if (train_config_load(&c, config, msg, sizeof msg)) rc = cli_error(LRE_EXIT_FAIL, "%s", msg);
    else rc = train_run(&c, &o);
    train_config_free(&c);
    return rc;
}

int cmd_find_lr(int argc, char **argv)
{
    const char *config = NULL, *format = NULL, *output = NULL;
    double lo = 1e-7, hi = 10;
    long long steps = 100;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int v = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return fputs(findlr_usage, stdout), LRE_EXIT_OK;
        if (!strcmp(a, "--min") && v) { if (cli_parse_number(argv[++i], &lo) || lo <= 0) goto bad; }
        else if (!strcmp(a, "--max") && v) { if (cli_parse_number(argv[++i], &hi) || hi <= 0) goto bad; }
        else if (!strcmp(a, "--steps") && v) { if (cli_parse_count(argv[++i], &steps) || steps < 10 || steps > 1000000) goto bad; }
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
    if (lo >= hi) return cli_error(LRE_EXIT_USAGE, "--min must be below --max");
    if (!format && output) {
        size_t n = strlen(output);
        format = n > 4 && !strcmp(output + n - 4, ".svg") ? "svg" : "csv";
    }
    if (!format && isatty(STDOUT_FILENO)) format = "ascii";
    train_config c;
    char msg[1024];
    int rc;
    if (train_config_load(&c, config, msg, sizeof msg)) rc = cli_error(LRE_EXIT_FAIL, "%s", msg);
    else rc = train_find_lr(&c, lo, hi, steps, format, output);
    train_config_free(&c);
    return rc;
}
