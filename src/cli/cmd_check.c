/* cmd_check.c -- `lrengine check`: evaluates a schedule script in the
 * sandbox over a range of steps and reports its first problem. */
#include "cmd_plot.h"

static const cli_option check_options[] = {
    {"steps", 's', "N", "evaluate steps 0..N-1 (default 1000; at most 1e8)"},
    {"metrics", 'm', "FILE", "a metric per line, metric i observed after step i ('-': stdin)"},
    {"format", 'f', "FORMAT", "text (default) or json: one document {script, ok, steps, lints, schedules | step, error}"},
    {"allow", 'a', "NAME", "silence a lint (repeatable; in a script: a comment '-- lrengine: allow NAME')"},
    {"max-jump", 'j', "F", "the jump lint's factor between consecutive steps (default 10)"},
    {NULL, 0, NULL, NULL}};

static const cli_command check_command = {
    "check", "SCHEDULE.lua",
    "Loads the schedule script in the sandbox ('-' reads it from stdin), or a training config's schedules\n"
    "planned for its run, evaluates it over N steps and reports the first problem: an error, a non-finite\n"
    "or negative value, a result that is not a schedule; then the classic mistakes (lints): warmup-too-long,\n"
    "cosine-period, far-from-floor, jump, rises-again, patience-too-long, each with its step and a\n"
    "suggestion. Exit 0 when clean, 1 with the problem and its step.",
    check_options, 1, 1, 0};

int cmd_check(int argc, char **argv)
{
    plot_opts o = {.steps = 1000};
    int rc = plot_parse(argc, argv, &o, &check_command);
    if (rc >= 0) return rc;
    return plot_run(&o, 0);
}
