/* checkpoint.h -- a training run's checkpoint: counters, model parameters
 * and the optimizer's state (its schedules' and scripts' state included),
 * written atomically (a temporary PATH.tmp.XXXXXX of its own, fsync, rename,
 * fsync of the directory) so a killed process never leaves a torn file and a
 * failed write (a full disk) leaves the previous checkpoint as it was; a
 * successful write removes the temporaries of killed runs. It holds no
 * timestamps or paths, so equal runs write equal bytes. */
#ifndef LRE_CHECKPOINT_H
#define LRE_CHECKPOINT_H

#include "lrengine.h"
#include "plan.h"

#include <stddef.h>
#include <stdint.h>

typedef struct ckpt_counters {
    uint64_t fingerprint; /* of the config: model, data, batch size, seed, optimizer */
    uint64_t epoch;       /* completed epochs */
    uint64_t batch;       /* batches done in the current epoch */
    double loss_sum;      /* of the current epoch so far */
    uint64_t loss_count;
} ckpt_counters;

/* Writes the checkpoint, with the run's plan (its history: plan.h; may be
 * NULL or empty: none recorded). 0, or -1 with a message naming the file,
 * the step that failed and strerror(errno). */
int ckpt_write(const char *path, const ckpt_counters *c, const float *params, size_t nparams, lre_optim *opt,
               const train_plan *plan, char *msg, size_t size);
/* Reads a checkpoint written for this model: c->fingerprint holds the
 * expected fingerprint on entry. Refuses, with a message naming the file and
 * the offset, anything but a regular file, a wrong signature or version,
 * another byte order, another configuration or parameter count, sizes that
 * disagree with the file's real size, a bad checksum; nothing sized by the
 * file is allocated before those checks, and nothing (c, params, opt)
 * changes unless the whole checkpoint is good; plan (may be NULL) receives
 * the recorded plan. 0, or -1 with a message. */
int ckpt_read(const char *path, ckpt_counters *c, float *params, size_t nparams, lre_optim *opt, train_plan *plan,
              char *msg, size_t size);
/* Its header alone against want->fingerprint and nparams, and its size
 * against what the header declares: a checkpoint of another configuration
 * refused before a model is built for it. 0, or -1 with a message. */
int ckpt_check(const char *path, const ckpt_counters *want, size_t nparams, char *msg, size_t size);
/* The plan alone, from a checkpoint checked as ckpt_read checks it (the
 * header against want->fingerprint and nparams, sizes, checksum, the plan
 * decoded as hostile): the history a resume rebuilds its schedules from
 * before it loads the optimizer's state into them. plan->n = 0 for a
 * checkpoint without a plan (format 2). plan changes only on success. */
int ckpt_read_plan(const char *path, const ckpt_counters *want, size_t nparams, train_plan *plan, char *msg,
                   size_t size);

#endif
