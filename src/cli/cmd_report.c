/* cmd_report.c -- `lrengine report`: the chart of a training run from the
 * metrics file `lrengine train --metrics` writes (`lrengine plot RUN.jsonl`
 * comes here too). The file is read and drawn by lrengine.runlog in a
 * helper state, as cli_render draws the other charts. */
#include "cli.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const cli_option report_options[] = {
    {"format", 'f', "FORMAT", "ascii or svg (default: ascii on a terminal, else svg; from --output's name)"},
    {"output", 'o', "FILE", "write the chart to FILE instead of stdout"},
    {"logy", 'l', NULL, "the hyper-parameters on a log scale"},
    {NULL, 0, NULL, NULL}};

static const cli_command report_command = {
    "report", "RUN.jsonl",
    "Draws a training run from its metrics file (lrengine train --metrics; '-' reads it from stdin): the\n"
    "loss of the logged steps and of the epochs, the validation accuracy and the scheduled hyper-parameters\n"
    "over the steps, in panels, with the epochs and resumed runs marked.",
    report_options, 1, 1, 0};

typedef struct report_opts {
    const char *metrics, *format;
    int logy;
} report_opts;

/* lrengine.runlog.render(path, format, {logy = ...}) -> the text. */
static int protected_report(lua_State *L)
{
    const report_opts *o = lua_touserdata(L, 1);
    luaL_checkstack(L, 6, NULL);
    lua_getglobal(L, "require");
    lua_pushliteral(L, "lrengine.runlog");
    lua_call(L, 1, 1);
    lua_getfield(L, -1, "render");
    lua_pushstring(L, o->metrics);
    lua_pushstring(L, o->format);
    lua_createtable(L, 0, 1);
    lua_pushboolean(L, o->logy);
    lua_setfield(L, -2, "logy");
    lua_call(L, 3, 1);
    return 1;
}

/* Draws the run, then writes the chart to `output` (stdout when NULL): a
 * metrics file that cannot be read leaves no output file behind. */
static int draw(const report_opts *o, const char *output)
{
    lre_script_limits limits = cli_limits(1);
    limits.memory_bytes = CLI_CHART_MEMORY; /* a step line takes about 400 bytes in it: 5M lines */
    lre_host *h = lre_host_new("report", &limits);
    if (!h) return cli_error(LRE_EXIT_FAIL, "out of memory");
    lua_State *L = lre_host_state(h);
    lua_pushcfunction(L, protected_report);
    lua_pushlightuserdata(L, (void *)o);
    lre_error err;
    int rc = LRE_EXIT_OK;
    cli_output out;
    if (lre_host_pcall(h, 1, 1, 0, &err)) {
        rc = cli_error(cli_interrupted ? LRE_EXIT_INTERRUPTED : LRE_EXIT_FAIL, "%s%s", err.msg,
                       strstr(err.msg, "memory limit") ? " reading the metrics file (a run logged that often is drawn "
                                                         "from fewer lines: train with a larger log_every)" : "");
    } else if (cli_output_open(&out, output)) {
        rc = cli_error(LRE_EXIT_FAIL, "cannot write %s: %s", output, strerror(errno));
    } else {
        size_t len;
        const char *text = lua_tolstring(L, -1, &len);
        int written = fwrite(text, 1, len, out.f) == len;
        if (cli_output_close(&out, written) || !written)
            rc = cli_error(LRE_EXIT_FAIL, "writing the chart%s%s: %s", output ? " to " : "", output ? output : "",
                           strerror(errno));
    }
    lre_host_release(h);
    return rc;
}

int cmd_report(int argc, char **argv)
{
    static const char *const formats[] = {"ascii", "svg", NULL};
    report_opts o = {NULL, NULL, 0};
    const char *output = NULL;
    cli_parser p;
    cli_parser_init(&p, &report_command, argc, argv);
    int key, rc = 0;
    while (!rc && (key = cli_next(&p)) != CLI_END) {
        switch (key) {
        case CLI_EXIT: return p.exit;
        case 'f': rc = cli_choice_value(&p, key, formats, &o.format); break;
        case 'o': output = p.value; break;
        case 'l': o.logy = 1; break;
        }
    }
    if (rc) return rc;
    o.metrics = p.operands[0];
    struct stat st; /* lrengine.runlog's io.open would wait for a FIFO's writer */
    if (strcmp(o.metrics, "-") && !stat(o.metrics, &st) && S_ISFIFO(st.st_mode))
        return cli_error(LRE_EXIT_FAIL, "%s: a pipe: give it on standard input (report -)", o.metrics);
    if (!o.format && output) {
        const char *dot = strrchr(output, '.');
        if (dot && !strcmp(dot, ".svg")) o.format = "svg";
        else if (dot && !strcmp(dot, ".txt")) o.format = "ascii";
        else return cli_usage_error(&report_command, "cannot tell the format of %s: name it .svg or .txt, or give --format", output);
    }
    if (!o.format) o.format = isatty(STDOUT_FILENO) ? "ascii" : "svg";
    return draw(&o, output);
}
