/* cmd_check.c -- `lrengine check`: evaluates a schedule script in the
 * sandbox over a range of steps and reports its first problem. */
#include "cmd_plot.h"

static const char check_usage[] =
    "usage: lrengine check SCHEDULE.lua [--steps N] [--metrics FILE]\n"
    "Loads the script in the sandbox, evaluates it over N steps (default 1000) and reports the first\n"
    "problem (an error, a non-finite or negative value, a result that is not a schedule). Exit 0 when clean.\n";

int cmd_check(int argc, char **argv)
{
    plot_opts o = {NULL, 1000, NULL, NULL, NULL};
    int rc = plot_parse(argc, argv, &o, check_usage, 0);
    if (rc >= 0) return rc;
    return plot_run(&o, 0);
}
