/* main.c -- the lrengine binary: run Lua programs with the engine, preview
 * and check schedules, train models. Modeled on lua.c: "lrengine: message"
 * on stderr, exit 0 on success, 1 on a failure, 2 on a usage error, and
 * Ctrl-C stops a script or a training run at the next safe point. */
#include "cli.h"

#include <signal.h>
#include <stdarg.h>
#include <string.h>

lre_host *volatile cli_current_host;
volatile int cli_interrupted;

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
    "  lrengine --version        version\n";

int cli_error(int code, const char *fmt, ...)
{
    va_list ap;
    fputs(LRE_PROGNAME ": ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    return code;
}

/* As lua.c: the handler only sets flags; the work stops at a safe point. */
static void on_sigint(int sig)
{
    signal(sig, SIG_DFL); /* a second Ctrl-C kills */
    cli_interrupted = 1;
    if (cli_current_host) lre_host_interrupt(cli_current_host);
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
    signal(SIGINT, on_sigint);
    if (!strcmp(cmd, "run")) return cmd_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "plot")) return cmd_plot(argc - 1, argv + 1);
    if (!strcmp(cmd, "check")) return cmd_check(argc - 1, argv + 1);
    if (!strcmp(cmd, "train")) return cmd_train(argc - 1, argv + 1);
    if (!strcmp(cmd, "find-lr")) return cmd_find_lr(argc - 1, argv + 1);
    cli_error(LRE_EXIT_USAGE, "unknown command '%s'", cmd);
    fputs(usage, stderr);
    return LRE_EXIT_USAGE;
}
