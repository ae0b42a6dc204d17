/* cli.h -- the lrengine binary's subcommands and the helpers they share. */
#ifndef LRE_CLI_H
#define LRE_CLI_H

#include "host.h"

#include <stdio.h>

#define LRE_EXIT_OK 0
#define LRE_EXIT_FAIL 1
#define LRE_EXIT_USAGE 2

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

/* The host to interrupt on SIGINT, and a flag for C loops to poll. */
extern lre_host *volatile cli_current_host;
extern volatile int cli_interrupted;

/* A schedule file's schedules: "lr" and any other hyper-parameters (a script
 * may return {lr = ..., momentum = ...}). */
#define CLI_MAX_SCHEDULES 8
typedef struct cli_schedules {
    int n;
    char name[CLI_MAX_SCHEDULES][32];
    lre_schedule *s[CLI_MAX_SCHEDULES];
} cli_schedules;

/* Loads a schedule script into `set` (sandboxed). */
int cli_load_schedules(const char *path, cli_schedules *set, lre_error *err);
/* Turns the value on top of h's stack into `set`. */
int cli_schedules_from_value(lre_host *h, const char *name, cli_schedules *set, lre_error *err);
void cli_free_schedules(cli_schedules *set);

/* Parses a whole non-negative number or a finite number; 0 on success. */
int cli_parse_count(const char *s, long long *out);
int cli_parse_number(const char *s, double *out);

/* Renders a chart with lrengine.plot in a helper state: `columns` values of
 * `nseries` series of n points (x = 0..n-1 unless x is given). */
int cli_render(FILE *out, const char *format, const char *title, const char *xlabel, const double *x, size_t n,
               int nseries, const char *const *names, const double *const *values, int logx, int logy);

#endif
