/* eventlog.h -- a training run's event log: one JSON object per line, next
 * to its metrics (run.jsonl -> run.events.jsonl), of every change of a
 * hyper-parameter that is not a closed form of the step (a plateau's
 * reduction, a script's own event) and of the run's landmarks (the end of a
 * warm-up, a restart, a resume, a continuation, a skipped step):
 *
 *   {"step":3000,"epoch":4,"event":"plateau_reduce","node":"lr/plateau","metric":0.41,...}
 *
 * `step` is the first step the change applies to, `epoch` the 1-based
 * epoch that step falls in (absent when unknown), `node` the hyper-
 * parameter and the schedule node's path (lre_schedule_walk's names) or
 * "run" for the run's own events; the event's fields follow, numbers in
 * their exact %.17g form (null when not finite) or strings. Plain C. */
#ifndef LRE_EVENTLOG_H
#define LRE_EVENTLOG_H

#include "lrengine.h"

#include <stdio.h>

typedef struct eventlog {
    const char *path;
    FILE *f;
    int append; /* open for appending (a resumed run) rather than anew */
} eventlog;

/* The log's path for a metrics file: its name with ".jsonl" (or ".json")
 * replaced by ".events.jsonl", else ".events.jsonl" appended. 0, or -1 when
 * it does not fit. */
int eventlog_path_for(const char *metrics, char *out, size_t size);

/* Writes one event (node replaces ev->path when not NULL; epoch < 1: none).
 * The file is opened at its first event, so a run that reports none leaves
 * an existing log as it was. 0, or -1 with "cannot write event log PATH:
 * reason" in msg. */
int eventlog_write(eventlog *l, const lre_event *ev, const char *node, long long epoch, char *msg, size_t size);

/* Flushes and closes; 0, or -1 with a message. Safe on a log never opened. */
int eventlog_close(eventlog *l, char *msg, size_t size);

#endif
