/* schedule_tree.c -- a schedule tree as a whole: its text (what a
 * checkpoint records of the plan that produced it), where two trees differ
 * (what a resume under a changed plan reports: the node, the parameter, the
 * old and new values), and the state of one tree's nodes carried onto
 * another's by path (a replaced plan keeps its plateau counters and its
 * scripts' state). Paths name a node by the kinds from the root down, with
 * the inner schedule's number where a node has several: "warmup/cosine",
 * "sequence/2:plateau". */
#include "schedule_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct text {
    char *buf;
    size_t size, len; /* len: what the whole text needs, as snprintf */
} text;

static void put(text *o, const char *fmt, ...) LRE_PRINTF(2, 3);
static void put(text *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = o->len < o->size ? o->size - o->len : 0;
    int n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0) o->len += (size_t)n;
}

/* The shortest of %.15g, %.16g, %.17g that reads back as v. */
static void put_number(text *o, double v)
{
    char b[32];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(b, sizeof b, "%.*g", prec, v);
        if (strtod(b, NULL) == v || isnan(v)) break;
    }
    put(o, "%s", b);
}

/* The i-th of "a|b|c". */
static void put_choice(text *o, const char *choices, double v)
{
    const char *c = choices;
    for (int k = (int)v; k > 0 && c; k--) c = strchr(c, '|') ? strchr(c, '|') + 1 : NULL;
    if (c) put(o, "%.*s", (int)strcspn(c, "|"), c);
    else put_number(o, v);
}

/* Parameter i of node s (a built-in kind), by its spec; l counts the lists seen. */
static void put_param(text *o, const lre_schedule *s, size_t i, size_t *l)
{
    const lre_pspec *ps = &lre__kinds[s->kind].spec[i];
    if ((ps->flags & LRE_P_LIST) && s->dur[i] && s->unresolved) {
        put(o, "'%s'", s->dur[i]);
        ++*l;
    } else if (ps->flags & LRE_P_LIST) {
        if (s->dur[i]) put(o, "'%s'=", s->dur[i]); /* the texts, and their steps once planned */
        put(o, "[");
        for (size_t k = 0; k < s->nlist[*l]; k++) {
            if (k) put(o, ", ");
            put_number(o, s->list[*l][k]);
        }
        put(o, "]");
        ++*l;
    } else if (s->dur[i]) { /* the text, and its steps once planned */
        put(o, "'%s'", s->dur[i]);
        if (!s->unresolved) {
            put(o, "=");
            put_number(o, s->p[i]);
        }
    } else if (ps->flags & LRE_P_CHOICE) {
        put_choice(o, ps->choices, s->p[i]);
    } else if (ps->flags & LRE_P_BOOL) {
        put(o, "%s", s->p[i] ? "true" : "false");
    } else {
        put_number(o, s->p[i]);
    }
}

static void tree_text(text *o, const lre_schedule *s)
{
    if (s->kind == K_CUSTOM) {
        put(o, "custom '%s'", s->name);
        return;
    }
    const lre_kind_def *def = &lre__kinds[s->kind];
    size_t n = lre__kind_nspec(def), l = 0;
    put(o, "%s{", def->name);
    for (size_t i = 0; i < n; i++) {
        if (isnan(s->p[i]) && !(def->spec[i].flags & LRE_P_LIST) && !s->dur[i]) continue; /* not given, no default */
        put(o, "%s%s=", i ? ", " : "", def->spec[i].name);
        put_param(o, s, i, &l);
    }
    if (s->tokens_per_step > 0) {
        put(o, "%stokens_per_step=", n ? ", " : "");
        put_number(o, s->tokens_per_step);
    }
    put(o, "}");
    if (!s->nchild) return;
    put(o, "(");
    for (size_t i = 0; i < s->nchild; i++) {
        if (i) put(o, ", ");
        tree_text(o, s->child[i]);
    }
    put(o, ")");
}

size_t lre_schedule_text(const lre_schedule *s, char *buf, size_t size)
{
    text o = {buf, size, 0};
    if (size) buf[0] = 0;
    tree_text(&o, s);
    return o.len;
}

/* ---- where two trees differ ---- */

static void put_path(text *o, const char *path) { put(o, "%s", path[0] ? path : "the root"); }

/* path: the parent's path, extended here for each node in turn. */
static int differ(const lre_schedule *a, const lre_schedule *b, char *path, size_t pathsize, text *o)
{
    size_t plen = strlen(path);
    const char *ka = lre_schedule_kind(a), *kb = lre_schedule_kind(b);
    if (a->kind != b->kind || (a->kind == K_CUSTOM && strcmp(a->name, b->name))) {
        put_path(o, path);
        put(o, ": the kind: %s -> %s", ka, kb);
        return 1;
    }
    if (a->kind != K_CUSTOM) {
        const lre_kind_def *def = &lre__kinds[a->kind];
        size_t n = lre__kind_nspec(def), la = 0, lb = 0;
        for (size_t i = 0; i < n; i++) {
            int list = (def->spec[i].flags & LRE_P_LIST) != 0;
            /* a duration by its text: "90%" is the same plan on any horizon */
            int same = a->dur[i] || b->dur[i] ? a->dur[i] && b->dur[i] && !strcmp(a->dur[i], b->dur[i])
                       : list ? a->nlist[la] == b->nlist[lb] &&
                                    (!a->nlist[la] || !memcmp(a->list[la], b->list[lb], a->nlist[la] * sizeof(double)))
                              : (a->p[i] == b->p[i] || (isnan(a->p[i]) && isnan(b->p[i])));
            if (!same) {
                put_path(o, path);
                put(o, ": %s ", def->spec[i].name);
                size_t l0 = la;
                put_param(o, a, i, &l0);
                put(o, " -> ");
                l0 = lb;
                put_param(o, b, i, &l0);
                return 1;
            }
            if (list) la++, lb++;
        }
    }
    if (a->tokens_per_step != b->tokens_per_step) {
        put_path(o, path);
        put(o, ": tokens_per_step ");
        put_number(o, a->tokens_per_step);
        put(o, " -> ");
        put_number(o, b->tokens_per_step);
        return 1;
    }
    if (a->nchild != b->nchild) {
        put_path(o, path);
        put(o, ": %zu inner schedules -> %zu", a->nchild, b->nchild);
        return 1;
    }
    for (size_t i = 0; i < a->nchild; i++) {
        const char *kc = lre_schedule_kind(a->child[i]);
        if (a->nchild > 1) snprintf(path + plen, pathsize - plen, "%s%zu:%s", plen ? "/" : "", i + 1, kc);
        else snprintf(path + plen, pathsize - plen, "%s%s", plen ? "/" : "", kc);
        if (differ(a->child[i], b->child[i], path, pathsize, o)) return 1;
        path[plen] = 0;
    }
    return 0;
}

int lre_schedule_differ(const lre_schedule *a, const lre_schedule *b, char *buf, size_t size)
{
    char path[512];
    snprintf(path, sizeof path, "%s", lre_schedule_kind(a));
    text o = {buf, size, 0};
    if (size) buf[0] = 0;
    if (a->kind != b->kind || (a->kind == K_CUSTOM && strcmp(a->name, b->name))) {
        put(&o, "the kind: %s -> %s", lre_schedule_kind(a), lre_schedule_kind(b));
        return 1;
    }
    return differ(a, b, path, sizeof path, &o);
}

/* ---- state carried by path ---- */

typedef struct carry {
    size_t n;
    lre_buf blob;
} carry;

static int blob_writer(void *ud, const void *p, size_t n)
{
    lre_buf *b = ud;
    lre__buf_put(b, p, n);
    return b->failed;
}

/* Stages from's state on to (as a load would), for nodes of the same kind
 * at the same path; lre__schedule_finish_load commits or drops it all. */
static int stage(lre_schedule *to, lre_schedule *from, carry *c, lre_error *err)
{
    if (to->kind != from->kind || (to->kind == K_CUSTOM && strcmp(to->name, from->name)) || to->staged) return LRE_OK;
    for (size_t i = 0; i < to->nchild && i < from->nchild; i++) {
        int rc = stage(to->child[i], from->child[i], c, err);
        if (rc) return rc;
    }
    if (to->kind == K_PLATEAU) {
        if (to->p[PL_MODE] != from->p[PL_MODE]) return LRE_OK; /* a best of the other direction means nothing */
        lre_plateau_state st = from->plateau;
        /* counters within the new patience and cooldown: what plateau_observe could leave */
        if ((double)st.num_bad_epochs > to->p[PL_PATIENCE]) st.num_bad_epochs = (int64_t)to->p[PL_PATIENCE];
        if ((double)st.cooldown_counter > to->p[PL_COOLDOWN]) st.cooldown_counter = (int64_t)to->p[PL_COOLDOWN];
        to->plateau_staged = st;
        to->staged = 1;
        c->n++;
    } else if (to->kind == K_CUSTOM) {
        c->blob.len = 0;
        c->blob.failed = 0;
        if (from->vt->save) {
            int rc = from->vt->save(from->ud, blob_writer, &c->blob, err);
            if (rc) return rc;
            if (c->blob.failed) return lre_error_set(err, LRE_ENOMEM, "%s: out of memory carrying its state", to->name);
        }
        to->token = NULL;
        if (to->vt->prepare_load) {
            static const unsigned char nothing[1];
            int rc = to->vt->prepare_load(to->ud, c->blob.data ? c->blob.data : nothing, c->blob.len, &to->token, err);
            if (rc) return rc;
        }
        to->ctx_staged.last_value = from->ctx.last_value;
        to->ctx_staged.metric = from->ctx.metric;
        to->staged = 1;
        c->n++;
    }
    return LRE_OK;
}

int lre_schedule_carry_state(lre_schedule *to, lre_schedule *from, size_t *carried, lre_error *err)
{
    lre_error scratch; /* custom schedules always get somewhere to write their message */
    if (!err) err = &scratch;
    carry c = {0, {.alloc = &to->alloc}};
    int rc = stage(to, from, &c, err);
    lre__schedule_finish_load(to, rc == LRE_OK);
    lre__buf_free(&c.blob);
    if (carried) *carried = rc ? 0 : c.n;
    return rc;
}
