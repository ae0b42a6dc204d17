/* fuzz_config.c -- libFuzzer harness for training configs: the input is a
 * config script (a file in a temporary directory) read by
 * train_config_load in the sandbox, with small limits (16 MB, 1M
 * instructions, 2 s per call) so that runaway inputs end fast. Properties:
 * the load succeeds, or fails with a message; either way nothing is left
 * behind (train_config_free releases the schedules, which keep the
 * script's state alive), and no crash, leak or hang. A config that loads
 * has sane values: its counts in range, its schedules evaluating (errors
 * allowed) at a few steps.
 *
 * Seeds (tests/fuzz/corpus/config/): the configs of examples/ and small
 * variants with schedules, plateau rules and CSV data, clipping, guards,
 * weight averaging and a schedule-free optimizer. */
#include "train.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__lsan_default_suppressions(void);

/* One leak is known and left: a config that keeps a schedule object in a
 * global (or in a table its custom function's upvalues reach) while that
 * function reads globals is a cycle through C -- the function's _ENV holds
 * the object, the object holds the custom schedule, the schedule holds the
 * host -- which keeps its Lua state (16 MB at most here) until the process
 * ends; see unref in src/host/host.c, which frees every other such state.
 * Whole leaked hosts are not reported; any other leak is. */
const char *__lsan_default_suppressions(void) { return "leak:lre_host_new\nleak:host_alloc\n"; }

static char dir[64], path[128];

static void cleanup(void)
{
    unlink(path);
    rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/fuzz_config.XXXXXX");
        if (!mkdtemp(dir)) abort();
        snprintf(path, sizeof path, "%s/config.lua", dir);
        atexit(cleanup);
    }
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f)) abort();

    lre_script_limits limits = {0};
    limits.memory_bytes = 16u << 20;
    limits.instructions_per_call = 1000000;
    limits.seconds_per_call = 2;
    train_config c;
    char msg[TRAIN_MSG_SIZE];
    msg[0] = 0;
    memset(&c, 0, sizeof c);
    if (train_config_load(&c, path, &limits, msg, sizeof msg)) {
        if (!msg[0]) abort(); /* a refusal says why */
    } else {
        if (c.epochs < 0 || c.batch_size < 0 || c.nhidden < 0 || c.nhidden > MLP_MAX_LAYERS - 1) abort();
        if (c.schedules.n < 0 || c.schedules.n > LRE_SCHEDULE_SET_MAX) abort();
        for (int i = 0; i < c.schedules.n; i++) {
            if (!c.schedules.s[i]) abort();
            for (int64_t t = 0; t < 3; t++) {
                double v;
                lre_error err;
                err.msg[0] = 0;
                if (lre_schedule_eval(c.schedules.s[i], t, &v, &err) && !err.msg[0]) abort();
            }
        }
    }
    train_config_free(&c);
    return 0;
}
