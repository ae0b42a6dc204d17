/* optim_events.c -- lre_optim_set_events: the events of the optimizer's
 * schedules, each reported under the hyper-parameter (and group) it drives.
 * A tree reports to one receiver (lre_schedule_set_events); the optimizer
 * is that receiver for every tree it holds, and knows which tree speaks
 * because lre_optim_step and lre_optim_observe name it (o->ev_tree) around
 * each evaluation. A tree evaluated once for several uses (optim.c's
 * earlier_use) has its one event fanned out here to each use. Besides the
 * groups' hyper-parameters, a tree may drive the clip's bound, judge for
 * the guard or give the average's decay (the side trees): reported under
 * "clip.max_norm" (or clip_value, clip_factor), "guard", "average.decay". */
#include "optim_internal.h"
#include "schedule_internal.h"

static void tree_event(void *ud, const lre_event *ev)
{
    lre_optim *o = ud;
    const lre_schedule *s = o->ev_tree;
    if (!s) { /* a tree of ours evaluated outside a step or an observation */
        o->ev_fn(o->ev_ud, ev, NULL, -1);
        return;
    }
    for (int h = 0; h < HP_COUNT; h++) {
        int uses = 0;
        for (int i = 0; i < o->ngroups; i++) uses += o->groups[i].sched[h] == s;
        if (!uses) continue;
        const char *name = lre__optim_hp_name(o->kind, h);
        if (uses == o->ngroups) {
            o->ev_fn(o->ev_ud, ev, name, -1);
            continue;
        }
        for (int i = 0; i < o->ngroups; i++)
            if (o->groups[i].sched[h] == s) o->ev_fn(o->ev_ud, ev, name, i);
    }
    for (int x = 0; x < LRE_SIDE_TREES; x++)
        if (lre__optim_side_tree(o, x) == s) o->ev_fn(o->ev_ud, ev, lre__optim_side_name(o, x), -1);
}

lre_schedule *lre__optim_side_tree(const lre_optim *o, int x)
{
    switch (x) {
    case LRE_SIDE_CLIP: return o->clip.sched;
    case LRE_SIDE_GUARD: return o->guard.script;
    default: return o->average.sched;
    }
}

const char *lre__optim_side_name(const lre_optim *o, int x)
{
    switch (x) {
    case LRE_SIDE_CLIP:
        return o->clip.kind == CLIP_NORM ? "clip.max_norm" : o->clip.kind == CLIP_VALUE ? "clip.clip_value" : "clip.clip_factor";
    case LRE_SIDE_GUARD: return "guard";
    default: return "average.decay";
    }
}

int lre__optim_groups_hold(const lre_optim *o, const lre_schedule *s)
{
    for (int i = 0; s && i < o->ngroups; i++)
        for (int k = 0; k < o->groups[i].nscheduled; k++)
            if (o->groups[i].sched[o->groups[i].scheduled[k]] == s) return 1;
    return 0;
}

int lre__optim_side_first(const lre_optim *o, int x)
{
    const lre_schedule *s = lre__optim_side_tree(o, x);
    if (!s || lre__optim_groups_hold(o, s)) return 0;
    for (int y = 0; y < x; y++)
        if (lre__optim_side_tree(o, y) == s) return 0;
    return 1;
}

static int ours(const lre_optim *o, const lre_schedule *s) { return s && s->ev_fn == tree_event && s->ev_ud == o; }

void lre__optim_events_drop(lre_optim *o, lre_schedule *s)
{
    if (ours(o, s)) lre_schedule_set_events(s, NULL, NULL, NULL);
}

static int take_over(lre_optim *o, lre_schedule *s, const char *name)
{
    if (!s || ours(o, s)) return LRE_OK;
    lre_error e;
    int rc = lre_schedule_set_events(s, tree_event, o, &e);
    return rc ? lre_error_set(&o->err, rc, "%s: events of %s: %s", lre_optim_kind(o), name, e.msg) : LRE_OK;
}

int lre__optim_events_sync(lre_optim *o)
{
    if (!o->ev_fn) return LRE_OK;
    for (int i = 0; i < o->ngroups; i++)
        for (int h = 0; h < HP_COUNT; h++) {
            int rc = take_over(o, o->groups[i].sched[h], lre__optim_hp_name(o->kind, h));
            if (rc) return rc;
        }
    for (int x = 0; x < LRE_SIDE_TREES; x++) {
        int rc = take_over(o, lre__optim_side_tree(o, x), lre__optim_side_name(o, x));
        if (rc) return rc;
    }
    return LRE_OK;
}

/* Gives up every tree's events (the optimizer's trees, and the defaults
 * that drive groups added later). */
static void drop_all(lre_optim *o)
{
    for (int i = 0; i < o->ngroups; i++)
        for (int h = 0; h < HP_COUNT; h++) lre__optim_events_drop(o, o->groups[i].sched[h]);
    for (int h = 0; h < HP_COUNT; h++) lre__optim_events_drop(o, o->default_sched[h]);
    for (int x = 0; x < LRE_SIDE_TREES; x++) lre__optim_events_drop(o, lre__optim_side_tree(o, x));
}

int lre_optim_set_events(lre_optim *o, lre_optim_event_fn fn, void *ud)
{
    o->err.code = 0;
    drop_all(o);
    o->ev_fn = fn;
    o->ev_ud = ud;
    int rc = lre__optim_events_sync(o);
    if (rc) {
        drop_all(o);
        o->ev_fn = NULL;
        o->ev_ud = NULL;
    }
    return rc;
}

void lre__optim_events_free(lre_optim *o)
{
    if (o->ev_fn) drop_all(o);
}
