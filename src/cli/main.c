/* main.c -- the lrengine binary: dispatches to its commands (cmd_*.c), and
 * `lrengine help`. Modeled on lua.c: "lrengine: message" on stderr, and
 * Ctrl-C stops a script or a training run at the next safe point (exit
 * codes: cli.h). */
#include "cli.h"

#include <signal.h>
#include <string.h>

static const char usage[] =
    "usage: lrengine COMMAND [OPTION]... [ARGS...]\n"
    "\n"
    "commands:\n"
    "  run SCRIPT [ARGS...]      run a Lua program with require \"lrengine\" available\n"
    "  plot SCHEDULE.lua         the curve of a schedule: ascii, csv, json or svg\n"
    "  check SCHEDULE.lua        evaluate a schedule script and report the first problem\n"
    "  train CONFIG.lua          train a model under a scripted schedule\n"
    "  find-lr CONFIG.lua        the learning-rate range test\n"
    "  tune TUNE.lua             search hyper-parameters: random, grid, ASHA or PBT over train\n"
    "  report RUN.jsonl          the chart of a training run from its metrics file\n"
    "  explain RUN --step K      why each hyper-parameter had its value at step K: tree, values, events\n"
    "  diff A B                  where two schedules differ: first step, largest ratio, both curves\n"
    "  list [schedules|optimizers]  every built-in schedule kind and optimizer\n"
    "  help [COMMAND|KIND]       a command's options, or a kind's parameters, defaults and formula\n"
    "\n"
    "  lrengine COMMAND --help   options of a command (every command takes --help and --quiet)\n"
    "  lrengine --version        version\n"
    "\n"
    "'-' reads a script or a metrics file from stdin. Manual: man lrengine.\n" CLI_EXIT_STATUS;

static const struct {
    const char *name;
    int (*run)(int, char **);
} commands[] = {{"run", cmd_run},     {"plot", cmd_plot},       {"check", cmd_check}, {"train", cmd_train},
                {"find-lr", cmd_find_lr}, {"tune", cmd_tune}, {"list", cmd_list}, {"help", cmd_help}, {"report", cmd_report},
                {"explain", cmd_explain}, {"diff", cmd_diff}};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const cli_option help_options[] = {
    {"format", 'f', "FORMAT", "text (default) or json, for a schedule kind or an optimizer"}, {NULL, 0, NULL, NULL}};

static const cli_command help_command = {
    "help", "[COMMAND|KIND]",
    "Without an argument, the commands. With a command, its options (as COMMAND --help). With a schedule\n"
    "kind or an optimizer (see lrengine list), its parameters with their defaults and ranges, the peers\n"
    "whose semantics it follows and its formula.",
    help_options, 0, 1, 0};

int cmd_help(int argc, char **argv)
{
    cli_parser p;
    int json, rc = cli_parse_format(&p, &help_command, argc, argv, &json);
    if (rc >= 0) return rc;
    if (!p.noperands) return fputs(usage, stdout), LRE_EXIT_OK;
    const char *name = p.operands[0];
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(name, commands[i].name)) continue;
        char *args[] = {(char *)commands[i].name, (char *)"--help", NULL};
        return commands[i].run(2, args);
    }
    rc = cli_help_kind(name, json);
    if (rc >= 0) return rc;
    const char *names[NCOMMANDS + 64];
    for (size_t i = 0; i < NCOMMANDS; i++) names[i] = commands[i].name;
    cli_kind_names(names + NCOMMANDS, 64);
    lre_error err;
    lre_error_unknown(&err, NULL, "command, schedule kind or optimizer", name, names);
    return cli_usage_error(&help_command, "%s", err.msg);
}

/* As lua.c: the handler only sets a flag; the work stops at a safe point. */
static void on_sigint(int sig)
{
    signal(sig, SIG_DFL); /* a second Ctrl-C kills */
    cli_interrupted = 1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return LRE_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        fputs(usage, stdout);
        return LRE_EXIT_OK;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-v")) {
        printf("lrengine %s (%s)\n", LRE_VERSION_STRING, LUA_RELEASE);
        return LRE_EXIT_OK;
    }
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(cmd, commands[i].name)) continue;
        signal(SIGINT, on_sigint);
        return commands[i].run(argc - 1, argv + 1);
    }
    const char *names[NCOMMANDS + 1];
    for (size_t i = 0; i < NCOMMANDS; i++) names[i] = commands[i].name;
    names[NCOMMANDS] = NULL;
    const char *best = lre_suggest(cmd, names);
    if (best) cli_error(LRE_EXIT_USAGE, "unknown command '%s' (did you mean '%s'?)", cmd, best);
    else cli_error(LRE_EXIT_USAGE, "unknown %s '%s'", cmd[0] == '-' ? "option" : "command", cmd);
    fputs("usage: lrengine COMMAND [OPTION]... [ARGS...]\nTry 'lrengine --help' for more information.\n", stderr);
    return LRE_EXIT_USAGE;
}
