/* continue.h -- the run's plan across a resume (continue.c): a fresh run
 * records its origin; a resume rebuilds the tree the checkpoint's history
 * describes, compares the config's schedules with the plan in force,
 * refuses a difference unless --plan or --continue says which plan wins,
 * and applies a continuation at the resume step once the state is loaded. */
#ifndef LRE_CONTINUE_H
#define LRE_CONTINUE_H

#include "checkpoint.h"
#include "train.h"

typedef struct plan_resume {
    train_plan plan;         /* the history; the run's record from now on */
    lre_schedule_set tree;   /* the schedules in force (the optimizer holds them too) */
    lre_schedule_set current;/* the last config's schedules within tree: where state is carried from */
    int op;                  /* the continuation to apply after the load (0: none) */
    char differs[TRAIN_MSG_SIZE]; /* what differs between the config and the plan, "" when alike */
} plan_resume;

/* A fresh run's plan: its origin, the config c with the command line's overrides. */
int plan_origin(train_plan *p, const train_config *c, const train_options *o, long long total, char *msg, size_t size);

/* Before the checkpoint's state is loaded: reads its plan, rebuilds the
 * tree, decides which plan wins (o->plan, o->cont) and gives the optimizer
 * the tree whose state the checkpoint holds. A checkpoint without a plan
 * (format 2) gets the config as its origin, as before. 0, or -1 with a
 * message; r is freed by plan_resume_free either way. */
int plan_resume_prepare(plan_resume *r, lre_optim *opt, const train_config *c, const train_options *o,
                        const ckpt_counters *want, size_t nparams, long long total, char *msg, size_t size);
/* After the load: applies the continuation at the optimizer's step (the
 * step the run is at), records it, and reports it (report(ud, e)). *end
 * becomes the step a cooldown ends the run at when the run's length was
 * not given (--epochs), else stays. 0, or -1 with a message. */
int plan_resume_finish(plan_resume *r, lre_optim *opt, const train_config *c, const train_options *o,
                       long long steps_per_epoch, long long total, long long *end,
                       void (*report)(void *ud, const train_plan_event *e), void *ud, char *msg, size_t size);
/* The run's length on an exact resume, before anything is built: the
 * checkpoint's plan's (its last record's total) unless --epochs says
 * otherwise or the config's plan is taken (--plan config, --continue
 * replace or rewarm). Sets c->epochs to it, and when it is not the
 * config's says in notice which length runs and why ("" otherwise). 0, or
 * -1 with a message (a recorded length that is not whole epochs). */
int plan_length(train_config *c, const train_options *o, const ckpt_counters *want, size_t nparams,
                long long steps_per_epoch, char *notice, size_t nsize, char *msg, size_t size);
void plan_resume_free(plan_resume *r);

#endif
