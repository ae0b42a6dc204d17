/* cmd_plot.h -- what `plot` and `check` share (cmd_plot.c): their options
 * and the evaluation of a schedule script over a range of steps. */
#ifndef LRE_CMD_PLOT_H
#define LRE_CMD_PLOT_H

#include "cli.h"

typedef struct plot_opts {
    const char *script; /* "-": stdin */
    long long steps;
    const char *metrics; /* "-": stdin */
    const char *format;
    const char *output;
    int quiet;
    int logy; /* --logy: the values on a log scale */
    /* check's lints (lint.h): names silenced, the jump factor; a config's
     * run: its steps (when --steps is not given) and its observations */
    const char *allow[16];
    int nallow;
    double max_jump;
    int steps_given;
} plot_opts;

/* Parses the options of cmd (plot's or check's); returns -1 to go on, or an
 * exit code. */
int plot_parse(int argc, char **argv, plot_opts *o, const cli_command *cmd);
/* Evaluates the script's schedules and draws them (plot) or reports their
 * range (check, as text or JSON); returns the exit code. */
int plot_run(plot_opts *o, int plot);

/* A metric per line into *out (free it), n of them; "-" is stdin. Returns an
 * exit code, having said what failed. */
int plot_read_metrics(const char *path, double **out, size_t *n);
#define PLOT_METRICS_MAX 10000000 /* values of such a file at most (80 MB): a metric per step of 1e7 steps */
/* The schedule script's schedules ("-": stdin), sandboxed, Ctrl-C stopping. */
int plot_load_schedules(const char *script, lre_schedule_set *set, lre_error *err);

#endif
