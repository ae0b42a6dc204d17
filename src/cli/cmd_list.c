/* cmd_list.c -- `lrengine list` (every schedule kind and optimizer) and the
 * kinds' pages of `lrengine help KIND`: what the core's introspection API
 * (describe.c) reads from the tables the constructors validate with, so the
 * command line and the documentation built from it cannot drift. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* One family: schedules or optimizers, through the same calls. */
typedef struct family {
    const char *name, *what; /* "schedules", "schedule kind" */
    const char *const *(*kinds)(void);
    int (*describe)(const char *, lre_kind_info *, lre_error *);
    int (*param)(const char *, size_t, lre_param_info *);
} family;

static const family families[] = {
    {"schedules", "schedule kind", lre_schedule_kinds, lre_schedule_describe, lre_schedule_param_info},
    {"optimizers", "optimizer", lre_optim_kinds, lre_optim_describe, lre_optim_param_info},
};

static const char *const type_names[] = {"number", "integer", "boolean", "choice", "list"};

/* The default as a person reads it: a number, true/false, a choice's name, "required". */
static void default_text(const lre_param_info *p, char *buf, size_t size)
{
    if (p->required) snprintf(buf, size, "required");
    else if (p->default_text[0]) snprintf(buf, size, "%s", p->default_text);
    else if (p->type == LRE_PARAM_BOOLEAN) snprintf(buf, size, "%s", p->def ? "true" : "false");
    else if (isnan(p->def)) snprintf(buf, size, "none");
    else if (isinf(p->def)) snprintf(buf, size, "%sinf", p->def < 0 ? "-" : "");
    else snprintf(buf, size, "%.15g", p->def);
}

static void children_text(const lre_kind_info *k, char *buf, size_t size)
{
    if (k->max_children == 0) snprintf(buf, size, "none");
    else if (k->max_children == SIZE_MAX) snprintf(buf, size, "%zu or more", k->min_children);
    else if (k->min_children == k->max_children) snprintf(buf, size, "%zu", k->min_children);
    else snprintf(buf, size, "%zu to %zu", k->min_children, k->max_children);
}

static void json_bool(const char *key, int v) { printf(",\"%s\":%s", key, v ? "true" : "false"); }

static void json_kind(const family *fam, const lre_kind_info *k)
{
    printf("{\"name\":");
    cli_json_string(stdout, k->name);
    printf(",\"family\":\"%s\"", fam == &families[0] ? "schedule" : "optimizer");
    const char *const keys[] = {"summary", "formula", "peers"};
    const char *const vals[] = {k->summary, k->formula, k->peers};
    for (int i = 0; i < 3; i++) {
        printf(",\"%s\":", keys[i]);
        cli_json_string(stdout, vals[i]);
    }
    printf(",\"children\":{\"min\":%zu,\"max\":", k->min_children);
    if (k->max_children == SIZE_MAX) printf("null}");
    else printf("%zu}", k->max_children);
    printf(",\"params\":[");
    for (size_t i = 0; i < k->nparams; i++) {
        lre_param_info p;
        fam->param(k->name, i, &p);
        char range[128], def[64];
        lre_param_range_text(&p, range, sizeof range);
        default_text(&p, def, sizeof def);
        printf("%s{\"name\":", i ? "," : "");
        cli_json_string(stdout, p.name);
        printf(",\"type\":\"%s\"", type_names[p.type]);
        json_bool("whole", p.whole);
        json_bool("required", p.required);
        json_bool("schedulable", p.schedulable);
        json_bool("pair", p.pair);
        json_bool("duration", p.duration);
        printf(",\"default\":");
        if (p.required || (isnan(p.def) && !p.default_text[0])) printf("null");
        else if (p.default_text[0]) cli_json_string(stdout, p.default_text);
        else if (p.type == LRE_PARAM_BOOLEAN) printf("%s", p.def ? "true" : "false");
        else cli_json_number(stdout, p.def);
        printf(",\"default_text\":");
        cli_json_string(stdout, def);
        printf(",\"range\":");
        cli_json_string(stdout, range);
        printf(",\"lo\":");
        cli_json_number(stdout, p.lo);
        printf(",\"hi\":");
        cli_json_number(stdout, p.hi);
        json_bool("lo_open", p.lo_open);
        json_bool("hi_open", p.hi_open);
        printf(",\"choices\":");
        if (p.choices) cli_json_string(stdout, p.choices);
        else printf("null");
        printf("}");
    }
    printf("]}");
}

static void text_kind(const family *fam, const lre_kind_info *k)
{
    char children[32];
    children_text(k, children, sizeof children);
    printf("%s (%s): %s\n", k->name, fam->what, k->summary);
    printf("  value:   %s\n", k->formula);
    printf("  follows: %s\n", k->peers);
    if (fam == &families[0]) printf("  inner schedules: %s\n", children);
    if (!k->nparams) {
        printf("  no parameters\n");
        return;
    }
    int sched = fam != &families[0];
    if (sched) printf("\n  %-26s %-12s %-32s schedulable\n", "parameter", "default", "range");
    else printf("\n  %-26s %-12s range\n", "parameter", "default");
    for (size_t i = 0; i < k->nparams; i++) {
        lre_param_info p;
        fam->param(k->name, i, &p);
        char range[128], def[64], name[64];
        lre_param_range_text(&p, range, sizeof range);
        default_text(&p, def, sizeof def);
        snprintf(name, sizeof name, "%s%s", p.name, p.type == LRE_PARAM_LIST ? " (list)" : "");
        if (p.duration) { /* a step count: also "10%", "2 epochs" (lre_schedule_plan) */
            size_t len = strlen(range);
            snprintf(range + len, sizeof range - len, ", or a duration");
        }
        if (sched) printf("  %-26s %-12s %-32s %s\n", name, def, range, p.schedulable ? "yes" : "no");
        else printf("  %-26s %-12s %s\n", name, def, range);
    }
}

/* help KIND: its page (text or json); -1 when name is no kind. */
int cli_help_kind(const char *name, int json)
{
    for (size_t f = 0; f < sizeof families / sizeof families[0]; f++) {
        lre_kind_info k;
        if (families[f].describe(name, &k, NULL)) continue;
        if (json) {
            json_kind(&families[f], &k);
            putchar('\n');
        } else {
            text_kind(&families[f], &k);
        }
        return fflush(stdout) ? cli_error(LRE_EXIT_FAIL, "writing the help: %s", strerror(errno)) : LRE_EXIT_OK;
    }
    return -1;
}

/* Every kind and optimizer name, NULL-terminated, in buf (for "did you mean"). */
size_t cli_kind_names(const char **buf, size_t size)
{
    size_t n = 0;
    for (size_t f = 0; f < sizeof families / sizeof families[0]; f++)
        for (const char *const *k = families[f].kinds(); *k && n + 1 < size; k++) buf[n++] = *k;
    buf[n] = NULL;
    return n;
}

static const cli_option list_options[] = {
    {"format", 'f', "FORMAT", "text (default) or json: every kind with its parameters, as `help KIND --format json`"},
    {NULL, 0, NULL, NULL}};

static const cli_command list_command = {
    "list", "[schedules|optimizers]",
    "Lists every built-in schedule kind and optimizer with a one-line summary (--quiet: the names only,\n"
    "one per line). `lrengine help KIND` shows one's parameters, defaults, ranges and formula.",
    list_options, 0, 1, 0};

int cmd_list(int argc, char **argv)
{
    cli_parser p;
    int json, rc = cli_parse_format(&p, &list_command, argc, argv, &json);
    if (rc >= 0) return rc;
    int want[2] = {1, 1};
    if (p.noperands) {
        static const char *const which[] = {"schedules", "optimizers", NULL};
        const char *w = p.operands[0];
        if (strcmp(w, which[0]) && strcmp(w, which[1])) {
            const char *best = lre_suggest(w, which);
            return cli_usage_error(&list_command, "list: unknown family '%s'%s%s%s: schedules or optimizers", w,
                                   best ? " (did you mean '" : "", best ? best : "", best ? "'?)" : "");
        }
        want[0] = !strcmp(w, which[0]), want[1] = !want[0];
    }
    if (json) putchar('{');
    for (size_t f = 0, shown = 0; f < 2; f++) {
        if (!want[f]) continue;
        const family *fam = &families[f];
        size_t n = 0;
        for (const char *const *k = fam->kinds(); *k; k++) n++;
        if (json) printf("%s\"%s\":[", shown ? "," : "", fam->name);
        else if (!p.quiet) printf("%s%s (%zu):\n", shown ? "\n" : "", fam->name, n);
        for (const char *const *k = fam->kinds(); *k; k++) {
            lre_kind_info info;
            fam->describe(*k, &info, NULL);
            if (json) {
                if (k != fam->kinds()) putchar(',');
                json_kind(fam, &info);
            } else if (p.quiet) {
                printf("%s\n", *k);
            } else {
                printf("  %-20s %s\n", *k, info.summary);
            }
        }
        if (json) putchar(']');
        shown++;
    }
    if (json) puts("}");
    return fflush(stdout) ? cli_error(LRE_EXIT_FAIL, "writing the list: %s", strerror(errno)) : LRE_EXIT_OK;
}
