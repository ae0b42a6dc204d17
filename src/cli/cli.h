/* cli.h -- the lrengine binary: its subcommands, the option parser they all
 * use (options.c) and the reporting helpers they share (report.c). Only this
 * floor prints, draws charts and chooses exit codes:
 *   0    success
 *   1    a failure: bad input, a script error, a diverged run, an I/O error
 *   2    a usage error: an unknown command or option, a bad option value
 *   130  interrupted by Ctrl-C (SIGINT), after stopping at a safe point */
#ifndef LRE_CLI_H
#define LRE_CLI_H

#include "host.h"

#include <getopt.h>
#include <stdio.h>

#define LRE_EXIT_OK 0
#define LRE_EXIT_FAIL 1
#define LRE_EXIT_USAGE 2
#define LRE_EXIT_INTERRUPTED 130

/* The line every help text ends with. */
#define CLI_EXIT_STATUS "exit status: 0 success, 1 failure, 2 usage error, 130 interrupted (Ctrl-C)\n"

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
int cmd_tune(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_help(int argc, char **argv);

/* help KIND (cmd_list.c): prints a schedule kind's or optimizer's page,
 * text or JSON, and returns the exit code; -1 when name is neither. */
int cli_help_kind(const char *name, int json);
/* Every schedule kind and optimizer name into buf (size entries at most,
 * NULL-terminated); returns their count. */
size_t cli_kind_names(const char **buf, size_t size);

/* ---- options (options.c): one parser, getopt_long's, for every command ---- */

/* An option of a command: --name (and -key when key is a letter), with a
 * value named `arg` in the help (NULL: a flag). */
typedef struct cli_option {
    const char *name;
    int key; /* a letter, or a number >= 256 for a long option only */
    const char *arg;
    const char *help;
} cli_option;

/* A command: "usage: lrengine NAME [OPTION]... OPERANDS", what it does, its
 * options (ending with {NULL}); --help (-h) and --quiet (-q) are every
 * command's. Operands: at least min, at most max (-1: any); with
 * options_first, the first operand ends the options (the rest are a
 * program's arguments). */
typedef struct cli_command {
    const char *name;
    const char *operands;
    const char *about;
    const cli_option *options;
    int min_operands, max_operands;
    int options_first;
} cli_command;

#define CLI_MAX_OPTIONS 24

typedef struct cli_parser {
    const cli_command *cmd;
    int argc;
    char **argv;
    struct option longopts[CLI_MAX_OPTIONS + 3];
    char shortopts[3 * CLI_MAX_OPTIONS + 8];
    const char *value; /* the value of the option cli_next returned */
    int quiet;         /* --quiet was given */
    int exit;          /* the exit code when cli_next returns CLI_EXIT */
    char **operands;   /* after CLI_END: the operands, noperands of them */
    int noperands;
} cli_parser;

enum { CLI_END = -1, CLI_EXIT = -2 };

void cli_parser_init(cli_parser *p, const cli_command *cmd, int argc, char **argv);
/* The key of the next option (its value in p->value), CLI_END when the
 * options are read and the operands checked, or CLI_EXIT when the command
 * must exit with p->exit: after --help (0), or a usage error already
 * reported (2): an unknown option (with "did you mean"), a missing value, a
 * value given to a flag, too few or too many operands. */
int cli_next(cli_parser *p);

/* Reports a usage error of cmd in the one shape every usage error has:
 *   lrengine: MESSAGE
 *   usage: lrengine CMD [OPTION]... OPERANDS
 *   Try 'lrengine CMD --help' for more information.
 * and returns LRE_EXIT_USAGE. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
int cli_usage_error(const cli_command *cmd, const char *fmt, ...);

/* The current option's value as a whole number in [lo, hi], a finite number
 * > 0, or one of choices (NULL-terminated); 0 on success, else the usage
 * error is reported ("--steps takes a whole number from 1 to 100000000, got
 * 'x'") and LRE_EXIT_USAGE returned. */
int cli_count_value(cli_parser *p, int key, long long lo, long long hi, long long *out);
int cli_positive_value(cli_parser *p, int key, double *out);
int cli_choice_value(cli_parser *p, int key, const char *const *choices, const char **out);

/* The whole command line of a command whose one option is --format (-f)
 * text|json: returns -1 to go on (*json set, the operands in p), or an exit
 * code. */
int cli_parse_format(cli_parser *p, const cli_command *cmd, int argc, char **argv, int *json);

/* ---- shared helpers (report.c) ---- */

/* Set by SIGINT; handed to hosts (their limits' stop flag) and to the
 * training job (its options' stop flag), which stop at a safe point. */
extern volatile int cli_interrupted;
/* The script limits of a sandboxed command: the defaults, and Ctrl-C. */
lre_script_limits cli_limits(int unsandboxed);

/* Parses a whole non-negative number or a finite number; 0 on success. */
int cli_parse_count(const char *s, long long *out);
int cli_parse_number(const char *s, double *out);

/* Reads all of stdin (for "-" where a file is read), at most max bytes: the
 * bytes (free them) and their count, or NULL with errno set (EFBIG past max). */
char *cli_read_stdin(size_t max, size_t *len);

/* A chart's format from its file's name: "svg", "csv", "json" or "ascii"
 * (.txt), or NULL for any other name. */
const char *cli_format_of(const char *path);

/* JSON output: a string with its escapes, a number in its shortest exact
 * form (null when not finite). */
void cli_json_string(FILE *f, const char *s);
void cli_json_number(FILE *f, double v);
/* v as lrengine.plot.shortest writes it (the first of %.15g, %.16g, %.17g that
 * reads back as v) into buf (32 bytes at least); returns its length (plot_number.c). */
size_t cli_shortest(char *buf, double v);

/* What a chart marks besides its curves: n vertical lines at x[i], named
 * label[i] in the legend and circled where they cross the first series;
 * trim_tail leaves the rise after the first series' minimum (a range
 * test's divergence) out of the y-range. */
typedef struct cli_marks {
    int n;
    const double *x;
    const char *const *label;
    int trim_tail;
    /* the panel of each series by key (NULL: grouped by scale), so that
     * curves to compare share one panel whatever their scales */
    const char *const *panel;
} cli_marks;

/* An output file written whole or not at all: cli_output_open makes a
 * temporary beside path (PATH.XXXXXX, with the mode fopen would give the
 * file) and o->f writes to it; cli_output_close(o, ok) renames it over path
 * when ok and every write and the close succeeded, else removes it, so a
 * failure leaves no file and an existing one as it was. path NULL: o->f is
 * stdout and close only flushes it. Both return 0, or -1 with errno set
 * (having said nothing). */
typedef struct cli_output {
    FILE *f;
    const char *path;
    char *tmp;
} cli_output;

int cli_output_open(cli_output *o, const char *path);
int cli_output_close(cli_output *o, int ok);

/* The memory of the Lua state that draws a chart (cli_render, report). */
#define CLI_CHART_MEMORY ((size_t)2 << 30)

/* Renders a chart with lrengine.plot in a helper state: nseries series of n
 * points (x = 0..n-1 unless x is given), series of different scales in
 * panels of their own; marks may be NULL. Returns an exit code, having said
 * what failed. */
int cli_render(FILE *out, const char *format, const char *title, const char *xlabel, const double *x, size_t n,
               int nseries, const char *const *names, const double *const *values, int logx, int logy,
               const cli_marks *marks);
/* The same for curves over steps: x NULL for steps 0..n-1, else the steps
 * (whole numbers) each value is at, in order. */
int cli_render_steps(FILE *out, const char *format, const char *title, const double *steps, size_t n, int nseries,
                     const char *const *names, const double *const *values, int logy);

#endif
