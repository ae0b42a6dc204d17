/* duration.c -- durations in the units people plan runs in: steps, epochs,
 * a fraction of the run ("10%"), tokens (with tokens per step known),
 * resolved to steps once the run's horizon is known. */
#include "internal.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int word_is(const char *p, const char *w, const char *plural)
{
    return !strcmp(p, w) || (plural && !strcmp(p, plural));
}

int lre_duration_steps(const char *text, const lre_horizon *h, int64_t *steps, lre_error *err)
{
    const char *t = text ? text : "";
    char *end;
    while (isspace((unsigned char)*t)) t++;
    double v = strtod(t, &end);
    if (end == t || !isfinite(v) || v < 0)
        return lre_error_set(err, LRE_EINVAL, "duration '%s': expected a number >= 0 and a unit (steps, epochs, %%, tokens)",
                             text ? text : "");
    const char *u = end;
    while (isspace((unsigned char)*u)) u++;
    char unit[16];
    size_t n = strlen(u);
    while (n && isspace((unsigned char)u[n - 1])) n--;
    if (n >= sizeof unit) return lre_error_set(err, LRE_EINVAL, "duration '%s': unknown unit", text);
    memcpy(unit, u, n);
    unit[n] = 0;
    double scale = 1; /* k, M, G or B before "tokens" */
    if (n > 1 && strchr("kMGB", unit[0])) {
        const char *w = unit + 1;
        while (*w == ' ') w++;
        if (!strncmp(w, "tok", 3)) {
            scale = unit[0] == 'k' ? 1e3 : unit[0] == 'M' ? 1e6 : 1e9;
            memmove(unit, w, strlen(w) + 1);
        }
    }
    double r;
    if (!unit[0] || word_is(unit, "step", "steps")) {
        r = v;
    } else if (word_is(unit, "epoch", "epochs")) {
        if (!h || h->steps_per_epoch <= 0)
            return lre_error_set(err, LRE_EINVAL, "duration '%s': epochs need the steps per epoch, unknown here", text);
        r = v * (double)h->steps_per_epoch;
    } else if (!strcmp(unit, "%")) {
        if (!h || h->total_steps <= 0)
            return lre_error_set(err, LRE_EINVAL, "duration '%s': a fraction of the run needs its total steps, unknown here", text);
        r = v / 100 * (double)h->total_steps;
    } else if (word_is(unit, "token", "tokens") || !strcmp(unit, "tok")) {
        if (!h || h->tokens_per_step <= 0)
            return lre_error_set(err, LRE_EINVAL, "duration '%s': tokens need the tokens per step, unknown here", text);
        r = v * scale / h->tokens_per_step;
    } else {
        return lre_error_set(err, LRE_EINVAL, "duration '%s': unknown unit '%s' (steps, epochs, %%, tokens)", text, unit);
    }
    r = floor(r + 0.5); /* to the nearest whole step */
    if (!(r <= 9007199254740992.0))
        return lre_error_set(err, LRE_EINVAL, "duration '%s': %.17g steps, more than 2^53", text, r);
    *steps = (int64_t)r;
    return LRE_OK;
}

int lre__duration_needs(const char *text)
{
    static const lre_horizon h[4] = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    int64_t ignored;
    for (int k = 0; k < 4; k++)
        if (lre_duration_steps(text, &h[k], &ignored, NULL) == LRE_OK) return k;
    return -1;
}

const char *lre__duration_item(const char *p, char *item, size_t size)
{
    if (!p) return NULL;
    size_t n = strcspn(p, ",");
    if (n >= size) n = size - 1; /* cut: it then reads as no duration */
    memcpy(item, p, n);
    item[n] = 0;
    p += strcspn(p, ",");
    return *p ? p + 1 : NULL;
}

int lre__duration_list_needs(const char *text, size_t *count)
{
    int need = 0;
    size_t n = 0;
    char item[64];
    for (const char *p = text; p; n++) {
        size_t len = strcspn(p, ",");
        if (len >= sizeof item) return -1;
        p = lre__duration_item(p, item, sizeof item);
        int k = lre__duration_needs(item);
        if (k < 0) return -1;
        if (k > need) need = k;
    }
    *count = n;
    return need;
}
