/* options.c -- the one option parser of every subcommand: getopt_long from
 * the C library (--opt value, --opt=value, -o value, abbreviations, `--`,
 * options anywhere among the operands), its help text built from the same
 * table, and every usage error in one shape, with "did you mean" for a
 * misspelt option. */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const cli_option common_options[] = {
    {"help", 'h', NULL, "show this help and exit"},
    {"quiet", 'q', NULL, "no summaries or progress: only results and errors"},
};

#define NCOMMON (sizeof common_options / sizeof common_options[0])

/* The command's options, then the common ones: option i. */
static const cli_option *option_at(const cli_command *cmd, size_t i)
{
    size_t n = 0;
    while (cmd->options && cmd->options[n].name) n++;
    if (i < n) return &cmd->options[i];
    return i - n < NCOMMON ? &common_options[i - n] : NULL;
}

static const cli_option *option_by_key(const cli_command *cmd, int key)
{
    const cli_option *o;
    for (size_t i = 0; (o = option_at(cmd, i)); i++)
        if (o->key == key) return o;
    return NULL;
}

static void print_usage_line(FILE *f, const cli_command *cmd)
{
    fprintf(f, "usage: lrengine %s [OPTION]...%s%s\n", cmd->name, cmd->operands ? " " : "",
            cmd->operands ? cmd->operands : "");
}

static void print_help(const cli_command *cmd)
{
    print_usage_line(stdout, cmd);
    printf("%s\n\noptions:\n", cmd->about);
    const cli_option *o;
    for (size_t i = 0; (o = option_at(cmd, i)); i++) {
        char lhs[64];
        int n = snprintf(lhs, sizeof lhs, "%c%c%c --%s%s%s", o->key < 256 ? '-' : ' ', o->key < 256 ? o->key : ' ',
                         o->key < 256 ? ',' : ' ', o->name, o->arg ? "=" : "", o->arg ? o->arg : "");
        printf("  %s%*s  %s\n", lhs, n < 24 ? 24 - n : 0, "", o->help);
    }
    printf("\n" CLI_EXIT_STATUS);
}

int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
{
    va_list ap;
    fputs("lrengine: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    print_usage_line(stderr, cmd);
    fprintf(stderr, "Try 'lrengine %s --help' for more information.\n", cmd->name);
    fflush(stderr);
    return LRE_EXIT_USAGE;
}

void cli_parser_init(cli_parser *p, const cli_command *cmd, int argc, char **argv)
{
    memset(p, 0, sizeof *p);
    p->cmd = cmd;
    p->argc = argc;
    p->argv = argv;
    /* "+": options end at the first operand; ":": a missing value is ':' */
    size_t k = 0, j = 0;
    if (cmd->options_first) p->shortopts[k++] = '+';
    p->shortopts[k++] = ':';
    const cli_option *o;
    for (size_t i = 0; (o = option_at(cmd, i)) && j < CLI_MAX_OPTIONS + 2; i++, j++) {
        p->longopts[j] = (struct option){o->name, o->arg ? required_argument : no_argument, NULL, o->key};
        if (o->key < 256) {
            p->shortopts[k++] = (char)o->key;
            if (o->arg) p->shortopts[k++] = ':';
        }
    }
    p->shortopts[k] = 0;
    optind = 0; /* glibc: a full reset, permutation included */
    opterr = 0;
}

/* The long option's name as written in argv[i] ("--stpes=3" -> "stpes"). */
static void given_name(const char *arg, char *buf, size_t size)
{
    arg += 2;
    snprintf(buf, size, "%.*s", (int)strcspn(arg, "="), arg);
}

static int unknown_option(cli_parser *p)
{
    const char *arg = p->argv[optind - 1];
    int is_long = !strncmp(arg, "--", 2);
    char name[64];
    if (is_long) given_name(arg, name, sizeof name);
    const char *names[CLI_MAX_OPTIONS + 3];
    char matches[256] = "";
    size_t n = 0, nmatch = 0;
    for (const struct option *o = p->longopts; o->name; o++) {
        names[n++] = o->name;
        if (is_long && strchr(arg, '=') && !strcmp(o->name, name) && o->has_arg == no_argument)
            return cli_usage_error(p->cmd, "option '--%s' takes no value", name);
        if (is_long && *name && !strncmp(o->name, name, strlen(name))) {
            size_t len = strlen(matches);
            snprintf(matches + len, sizeof matches - len, "%s--%s", nmatch++ ? ", " : "", o->name);
        }
    }
    names[n] = NULL;
    if (optopt || !is_long) return cli_usage_error(p->cmd, "unknown option '-%c'", optopt ? optopt : '?');
    if (nmatch > 1) return cli_usage_error(p->cmd, "option '--%s' is ambiguous: %s", name, matches);
    const char *best = lre_suggest(name, names);
    if (best) return cli_usage_error(p->cmd, "unknown option '--%s' (did you mean '--%s'?)", name, best);
    return cli_usage_error(p->cmd, "unknown option '--%s'", name);
}

static int check_operands(cli_parser *p)
{
    p->operands = p->argv + optind;
    p->noperands = p->argc - optind;
    const cli_command *c = p->cmd;
    if (p->noperands < c->min_operands)
        return cli_usage_error(c, "%s: missing %s", c->name, c->operands ? c->operands : "operand");
    if (c->max_operands >= 0 && p->noperands > c->max_operands)
        return cli_usage_error(c, "%s: unexpected argument '%s'%s%s", c->name, p->operands[c->max_operands],
                               c->max_operands ? "; it takes " : " (it takes none)",
                               c->max_operands ? c->operands : "");
    return LRE_EXIT_OK;
}

int cli_next(cli_parser *p)
{
    for (;;) {
        int c = getopt_long(p->argc, p->argv, p->shortopts, p->longopts, NULL);
        p->value = optarg;
        switch (c) {
        case -1:
            p->exit = check_operands(p);
            return p->exit ? CLI_EXIT : CLI_END;
        case 'h':
            print_help(p->cmd);
            p->exit = LRE_EXIT_OK;
            return CLI_EXIT;
        case 'q':
            p->quiet = 1;
            continue;
        case '?':
            p->exit = unknown_option(p);
            return CLI_EXIT;
        case ':': {
            const cli_option *o = option_by_key(p->cmd, optopt);
            p->exit = o ? cli_usage_error(p->cmd, "option '--%s' needs a value (%s)", o->name, o->arg)
                        : cli_usage_error(p->cmd, "an option needs a value");
            return CLI_EXIT;
        }
        default:
            return c;
        }
    }
}

static const char *option_name(cli_parser *p, int key)
{
    const cli_option *o = option_by_key(p->cmd, key);
    return o ? o->name : "?";
}

int cli_count_value(cli_parser *p, int key, long long lo, long long hi, long long *out)
{
    long long v;
    if (!cli_parse_count(p->value, &v) && v >= lo && v <= hi) {
        *out = v;
        return 0;
    }
    return cli_usage_error(p->cmd, "--%s takes a whole number from %lld to %lld, got '%s'", option_name(p, key), lo,
                           hi, p->value);
}

int cli_positive_value(cli_parser *p, int key, double *out)
{
    double v;
    if (!cli_parse_number(p->value, &v) && v > 0) {
        *out = v;
        return 0;
    }
    return cli_usage_error(p->cmd, "--%s takes a finite number > 0, got '%s'", option_name(p, key), p->value);
}

int cli_choice_value(cli_parser *p, int key, const char *const *choices, const char **out)
{
    char list[128] = "";
    for (size_t i = 0, len = 0; choices[i]; i++) {
        if (!strcmp(choices[i], p->value)) {
            *out = choices[i];
            return 0;
        }
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", choices[i]);
        if (len >= sizeof list) len = sizeof list - 1;
    }
    const char *best = lre_suggest(p->value, choices);
    if (best)
        return cli_usage_error(p->cmd, "--%s must be one of %s, got '%s' (did you mean '%s'?)", option_name(p, key),
                               list, p->value, best);
    return cli_usage_error(p->cmd, "--%s must be one of %s, got '%s'", option_name(p, key), list, p->value);
}

int cli_parse_format(cli_parser *p, const cli_command *cmd, int argc, char **argv, int *json)
{
    static const char *const formats[] = {"text", "json", NULL};
    const char *format = "text";
    cli_parser_init(p, cmd, argc, argv);
    int key, rc = 0;
    while (!rc && (key = cli_next(p)) != CLI_END) {
        if (key == CLI_EXIT) return p->exit;
        if (key == 'f') rc = cli_choice_value(p, key, formats, &format);
    }
    *json = !strcmp(format, "json");
    return rc ? rc : -1;
}
