/* blas.c -- OpenBLAS loaded on first use (blas.h says why). */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "blas.h"

#include <dlfcn.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>

/* The address space OpenBLAS reserves for each thread's buffer (BUFFER_SIZE,
 * 32 << 22 bytes in its common_x86_64.h: the mmap its allocator retries when
 * it fails), and what the library and its first calls take beside them. */
#define BUFFER_BYTES ((size_t)128 << 20)
#define MARGIN_BYTES ((size_t)64 << 20)

__typeof__(cblas_sgemm) *lre__sgemm;
__typeof__(cblas_dgemm) *lre__dgemm;
static void (*set_threads)(int);
static void *library;
static int threads_started; /* the most it has run: fewer need no new buffers */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* The threads OpenBLAS starts as it loads: its environment variables, in
 * its order, else the CPUs this process may run on. */
static int threads_at_load(void)
{
    static const char *const vars[] = {"OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        long n = v ? strtol(v, NULL, 10) : 0;
        if (n > 0) return n < 1024 ? (int)n : 1024;
    }
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
    return 1;
}

/* 0 when `buffers` buffers fit under the address-space limit (none set:
 * always), by reserving that much address space, unused, and giving it
 * back; else -1 and why. */
static int room_for(int buffers, char *msg, size_t size)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) || rl.rlim_cur == RLIM_INFINITY) return 0;
    size_t bytes = (size_t)buffers * BUFFER_BYTES + MARGIN_BYTES;
    void *p = mmap(NULL, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p != MAP_FAILED) {
        munmap(p, bytes);
        return 0;
    }
    snprintf(msg, size,
             "OpenBLAS needs %zu MB of address space for %d thread%s, and the process's limit (ulimit -v: %llu MB) "
             "leaves less: raise the limit, or give it fewer threads (OPENBLAS_NUM_THREADS, a job's threads)",
             bytes >> 20, buffers, buffers == 1 ? "" : "s", (unsigned long long)(rl.rlim_cur >> 20));
    return -1;
}

static int load(char *msg, size_t size)
{
    if (room_for(threads_at_load(), msg, size)) return -1;
    void *h = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(msg, size, "cannot load OpenBLAS (libopenblas.so.0): %s", dlerror());
        return -1;
    }
    /* (through a void *, as POSIX's dlsym page does: C has no cast from an
     * object pointer to a function pointer) */
    *(void **)&lre__sgemm = dlsym(h, "cblas_sgemm");
    *(void **)&lre__dgemm = dlsym(h, "cblas_dgemm");
    *(void **)&set_threads = dlsym(h, "openblas_set_num_threads");
    if (!lre__sgemm || !lre__dgemm || !set_threads) {
        snprintf(msg, size, "libopenblas.so.0 lacks cblas_sgemm, cblas_dgemm or openblas_set_num_threads");
        dlclose(h);
        lre__sgemm = NULL, lre__dgemm = NULL, set_threads = NULL;
        return -1;
    }
    library = h;
    threads_started = threads_at_load();
    return 0;
}

int lre__blas_ready(int threads, char *msg, size_t size)
{
    pthread_mutex_lock(&lock);
    int rc = library ? 0 : load(msg, size);
    if (!rc && threads > 0) {
        /* more threads than it has run start more, each with its buffer */
        if (threads > threads_started && room_for(threads, msg, size)) rc = -1;
        else set_threads(threads), threads_started = threads > threads_started ? threads : threads_started;
    }
    pthread_mutex_unlock(&lock);
    return rc;
}
