/* cmd_plot.h -- what `plot` and `check` share (cmd_plot.c): their options
 * and the evaluation of a schedule script over a range of steps. */
#ifndef LRE_CMD_PLOT_H
#define LRE_CMD_PLOT_H

#include "cli.h"

typedef struct plot_opts {
    const char *script;
    long long steps;
    const char *metrics;
    const char *format;
    const char *output;
} plot_opts;

/* Parses the options; returns -1 to go on, or an exit code. */
int plot_parse(int argc, char **argv, plot_opts *o, const char *usage, int allow_output);
/* Evaluates the script's schedules and draws them (plot) or reports their
 * range (check); returns the exit code. */
int plot_run(plot_opts *o, int plot);

#endif
