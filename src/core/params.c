/* params.c -- named arguments checked against a specification table, so that
 * every optimizer and schedule refuses bad input with the same kind of
 * message: "adam: betas[2] must be in [0, 1), got 1.5". */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int lre__spec_index(const lre_pspec *spec, size_t nspec, const char *name)
{
    for (size_t i = 0; i < nspec; i++)
        if (strcmp(spec[i].name, name) == 0) return (int)i;
    return -1;
}

/* "in [0, 1)", ">= 0", "> 0", "in (0, inf)" style description of the range. */
static void describe_range(const lre_pspec *ps, char *buf, size_t size)
{
    const char *kind = (ps->flags & LRE_P_INT) ? "a whole number " : "";
    if (isinf(ps->lo) && isinf(ps->hi))
        snprintf(buf, size, "a number");
    else if (isinf(ps->hi))
        snprintf(buf, size, "%s%s %.17g", kind, (ps->flags & LRE_P_LO_OPEN) ? ">" : ">=", ps->lo);
    else if (isinf(ps->lo))
        snprintf(buf, size, "%s%s %.17g", kind, (ps->flags & LRE_P_HI_OPEN) ? "<" : "<=", ps->hi);
    else
        snprintf(buf, size, "%sin %c%.17g, %.17g%c", kind, (ps->flags & LRE_P_LO_OPEN) ? '(' : '[', ps->lo,
                 ps->hi, (ps->flags & LRE_P_HI_OPEN) ? ')' : ']');
}

int lre__check_value(const char *who, const lre_pspec *ps, double v, lre_error *err)
{
    if (ps->flags & LRE_P_BOOL) {
        if (v != 0 && v != 1) return lre_error_set(err, LRE_EINVAL, "%s: %s must be a boolean, got %.17g", who, ps->name, v);
        return LRE_OK;
    }
    int ok = !isnan(v);
    if (ok && (ps->flags & LRE_P_INT) && (isinf(v) || v != floor(v))) ok = 0;
    if (ok) ok = (ps->flags & LRE_P_LO_OPEN) ? v > ps->lo : v >= ps->lo;
    if (ok) ok = (ps->flags & LRE_P_HI_OPEN) ? v < ps->hi : v <= ps->hi;
    if (ok && (ps->flags & LRE_P_FINITE) && isinf(v))
        return lre_error_set(err, LRE_ENONFINITE, "%s: %s must be finite, got %.17g", who, ps->name, v);
    if (!ok) {
        char range[96];
        describe_range(ps, range, sizeof range);
        return lre_error_set(err, isfinite(v) ? LRE_EINVAL : LRE_ENONFINITE, "%s: %s must be %s, got %.17g", who,
                         ps->name, range, v);
    }
    return LRE_OK;
}

/* Index of str among "a|b|c", or -1. */
static int choice_index(const char *choices, const char *str)
{
    size_t len = strlen(str);
    int idx = 0;
    for (const char *p = choices;; idx++) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n == len && strncmp(p, str, n) == 0) return idx;
        if (!bar) return -1;
        p = bar + 1;
    }
}

/* Length of the base name of a pair spec: "betas[1]" -> 5. */
static size_t pair_base_len(const char *name)
{
    const char *b = strchr(name, '[');
    return b ? (size_t)(b - name) : strlen(name);
}

/* How many specs from k on share k's base name ("betas[1]", "betas[2]",
 * "betas[3]" for AdEMAMix): the length of the list the base name takes. */
static size_t tuple_len(const lre_pspec *spec, size_t nspec, size_t k)
{
    size_t bl = pair_base_len(spec[k].name), m = 1;
    while (k + m < nspec && strncmp(spec[k + m].name, spec[k].name, bl) == 0 && spec[k + m].name[bl] == '[') m++;
    return m;
}

int lre__unknown_param(const char *who, const lre_pspec *spec, size_t nspec, const char *name, lre_error *err)
{
    enum { MAXN = 64 };
    const char *names[MAXN + 1], *candidates[2 * MAXN + 1];
    char bases[MAXN][32];
    size_t n = 0, nc = 0;
    for (size_t i = 0; i < nspec && n < MAXN; i++) {
        names[n++] = candidates[nc++] = spec[i].name;
        if (spec[i].flags & LRE_P_PAIR) { /* "betas[1]" is also given as "betas" */
            snprintf(bases[i], sizeof bases[i], "%.*s", (int)pair_base_len(spec[i].name), spec[i].name);
            candidates[nc++] = bases[i];
        }
    }
    names[n] = candidates[nc] = NULL;
    if (n == 0)
        return lre_error_set(err, LRE_EINVAL, "%s: unknown parameter '%s' (%s takes no parameters)", who,
                             name ? name : "(null)", who);
    return lre__error_unknown(err, who, "parameter", name, lre_suggest(name, candidates), "parameters", names);
}

static int parse_one(const char *who, const lre_pspec *spec, size_t nspec, const lre_param *p, double *out,
                     lre_plist *lists, const char **texts, unsigned char *seen, lre_error *err)
{
    int i = lre__spec_index(spec, nspec, p->name);
    if (i < 0) { /* "betas" given as a pair */
        for (size_t k = 0; k < nspec; k++) {
            size_t bl = pair_base_len(spec[k].name);
            if ((spec[k].flags & LRE_P_PAIR) && strlen(p->name) == bl && strncmp(spec[k].name, p->name, bl) == 0) {
                size_t m = tuple_len(spec, nspec, k);
                if (!p->list || p->len != m)
                    return lre_error_set(err, LRE_EINVAL, "%s: %s must be a list of %s numbers", who, p->name,
                                         m == 2 ? "two" : "three");
                for (size_t j = 0; j < m; j++) {
                    if (seen[k + j]) return lre_error_set(err, LRE_EINVAL, "%s: %s given twice", who, spec[k + j].name);
                    int rc = lre__check_value(who, &spec[k + j], p->list[j], err);
                    if (rc) return rc;
                    out[k + j] = p->list[j];
                    seen[k + j] = 1;
                }
                return LRE_OK;
            }
        }
        return lre__unknown_param(who, spec, nspec, p->name, err);
    }
    const lre_pspec *ps = &spec[i];
    if (p->schedule) return lre_error_set(err, LRE_EINVAL, "%s: %s can not be a schedule", who, ps->name);
    if (seen[i]) return lre_error_set(err, LRE_EINVAL, "%s: %s given twice", who, ps->name);
    seen[i] = 1;
    if (ps->flags & LRE_P_LIST) {
        if (texts && (ps->flags & LRE_P_DUR) && p->str && !p->list) { /* "1 epoch, 2 epochs" */
            size_t n;
            if (lre__duration_list_needs(p->str, &n) < 0)
                return lre_error_set(err, LRE_EINVAL, "%s: %s = '%s': expected durations separated by commas "
                                     "(steps, epochs, %%, tokens)", who, ps->name, p->str);
            texts[i] = p->str;
            lists[i].v = NULL;
            lists[i].n = n;
            return LRE_OK;
        }
        if (!p->list && p->len == 0 && !p->str) { /* an empty list */
            lists[i].v = NULL;
            lists[i].n = 0;
            return LRE_OK;
        }
        if (!p->list) return lre_error_set(err, LRE_EINVAL, "%s: %s must be a list of numbers", who, ps->name);
        size_t bytes;
        if (!lre__mul_size(p->len, sizeof(double), &bytes))
            return lre_error_set(err, LRE_EINVAL, "%s: %s has %zu entries: too many", who, ps->name, p->len);
        for (size_t k = 0; k < p->len; k++) {
            if (lre__check_value(who, ps, p->list[k], err) == LRE_OK) continue;
            lre_pspec item = *ps; /* checked again for a message naming the entry */
            char name[64];
            snprintf(name, sizeof name, "%s[%zu]", ps->name, k + 1);
            item.name = name;
            return lre__check_value(who, &item, p->list[k], err);
        }
        lists[i].v = p->list;
        lists[i].n = p->len;
        return LRE_OK;
    }
    if (ps->flags & LRE_P_CHOICE) {
        if (!p->str) return lre_error_set(err, LRE_EINVAL, "%s: %s must be one of %s", who, ps->name, ps->choices);
        int c = choice_index(ps->choices, p->str);
        if (c < 0)
            return lre_error_set(err, LRE_EINVAL, "%s: %s must be one of %s, got '%s'", who, ps->name, ps->choices, p->str);
        out[i] = c;
        return LRE_OK;
    }
    if (texts && (ps->flags & LRE_P_DUR) && p->str && !p->list) {
        if (lre__duration_needs(p->str) < 0) {
            lre_error e;
            int64_t ignored;
            lre_duration_steps(p->str, NULL, &ignored, &e);
            return lre_error_set(err, LRE_EINVAL, "%s: %s: %s", who, ps->name, e.msg);
        }
        texts[i] = p->str;
        out[i] = NAN;
        return LRE_OK;
    }
    if (p->str || p->list)
        return lre_error_set(err, LRE_EINVAL, "%s: %s must be a number%s", who, ps->name,
                             texts && (ps->flags & LRE_P_DUR) ? " or a duration (\"500\", \"2 epochs\", \"10%\", \"3M tokens\")" : "");
    int rc = lre__check_value(who, ps, p->value, err);
    if (rc) return rc;
    out[i] = p->value;
    return LRE_OK;
}

int lre__parse_params(const char *who, const lre_pspec *spec, size_t nspec, const lre_param *in, size_t nin,
                      double *out, lre_plist *lists, lre_error *err)
{
    return lre__parse_params_dur(who, spec, nspec, in, nin, out, lists, NULL, err);
}

int lre__parse_params_dur(const char *who, const lre_pspec *spec, size_t nspec, const lre_param *in, size_t nin,
                          double *out, lre_plist *lists, const char **texts, lre_error *err)
{
    unsigned char seen[64] = {0};
    if (nspec > sizeof seen) return lre_error_set(err, LRE_EINVAL, "%s: too many parameters", who);
    for (size_t i = 0; i < nspec; i++) {
        out[i] = spec[i].def;
        if (texts) texts[i] = NULL;
        if (lists) lists[i].v = NULL, lists[i].n = 0;
    }
    for (size_t k = 0; k < nin; k++) {
        if (!in[k].name) return lre_error_set(err, LRE_EINVAL, "%s: parameter %zu has no name", who, k + 1);
        int rc = parse_one(who, spec, nspec, &in[k], out, lists, texts, seen, err);
        if (rc) return rc;
    }
    for (size_t i = 0; i < nspec; i++)
        if ((spec[i].flags & LRE_P_REQUIRED) && !seen[i])
            return lre_error_set(err, LRE_EINVAL, "%s: missing required parameter '%s'", who, spec[i].name);
    return LRE_OK;
}
