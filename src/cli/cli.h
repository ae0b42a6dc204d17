/* cli.h -- the lrengine binary: its subcommands and the reporting helpers
 * they share (report.c). Only this floor prints, draws charts and chooses
 * exit codes:
 *   0    success
 *   1    a failure: bad input, a script error, a diverged run, an I/O error
 *   2    a usage error: an unknown command or option, a bad option value
 *   130  interrupted by Ctrl-C (SIGINT), after stopping at a safe point */
#ifndef LRE_CLI_H
#define LRE_CLI_H

#include "host.h"

#include <stdio.h>

#define LRE_EXIT_OK 0
#define LRE_EXIT_FAIL 1
#define LRE_EXIT_USAGE 2
#define LRE_EXIT_INTERRUPTED 130

/* "lrengine: message" on stderr; returns `code`. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
int cli_error(int code, const char *fmt, ...);

int cmd_run(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_find_lr(int argc, char **argv);

/* Set by SIGINT; handed to hosts (their limits' stop flag) and to the
 * training job (its options' stop flag), which stop at a safe point. */
extern volatile int cli_interrupted;
/* The script limits of a sandboxed command: the defaults, and Ctrl-C. */
lre_script_limits cli_limits(int unsandboxed);

/* Parses a whole non-negative number or a finite number; 0 on success. */
int cli_parse_count(const char *s, long long *out);
int cli_parse_number(const char *s, double *out);

/* Renders a chart with lrengine.plot in a helper state: nseries series of n
 * points (x = 0..n-1 unless x is given). Returns an exit code, having said
 * what failed. */
int cli_render(FILE *out, const char *format, const char *title, const char *xlabel, const double *x, size_t n,
               int nseries, const char *const *names, const double *const *values, int logx, int logy);

#endif
