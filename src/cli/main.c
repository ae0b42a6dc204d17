/* main.c -- the lrengine binary: dispatches to its commands (cmd_*.c).
 * Modeled on lua.c: "lrengine: message" on stderr, and Ctrl-C stops a
 * script or a training run at the next safe point (exit codes: cli.h). */
#include "cli.h"

#include <signal.h>
#include <string.h>

static const char usage[] =
    "usage: lrengine COMMAND [ARGS...]\n"
    "\n"
    "commands:\n"
    "  run SCRIPT [ARGS...]      run a Lua program with require \"lrengine\" available\n"
    "  plot SCHEDULE.lua [...]   the curve of a schedule: ascii, csv, json or svg\n"
    "  check SCHEDULE.lua [...]  evaluate a schedule script and report the first problem\n"
    "  train CONFIG.lua [...]    train a model under a scripted schedule\n"
    "  find-lr CONFIG.lua [...]  the learning-rate range test\n"
    "\n"
    "  lrengine COMMAND --help   options of a command\n"
    "  lrengine --version        version\n"
    "\n"
    "exit status: 0 success, 1 failure, 2 usage error, 130 interrupted (Ctrl-C)\n";

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
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(usage, stdout);
        return LRE_EXIT_OK;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-v")) {
        printf("lrengine %s (%s)\n", LRE_VERSION_STRING, LUA_RELEASE);
        return LRE_EXIT_OK;
    }
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } commands[] = {{"run", cmd_run},     {"plot", cmd_plot},       {"check", cmd_check},
                    {"train", cmd_train}, {"find-lr", cmd_find_lr}};
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(cmd, commands[i].name)) continue;
        signal(SIGINT, on_sigint);
        return commands[i].run(argc - 1, argv + 1);
    }
    cli_error(LRE_EXIT_USAGE, "unknown command '%s'", cmd);
    fputs(usage, stderr);
    return LRE_EXIT_USAGE;
}
