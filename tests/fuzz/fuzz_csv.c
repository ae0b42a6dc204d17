/* fuzz_csv.c -- libFuzzer harness for the training job's CSV reader
 * (data_load_csv): the input is written to a file and read back. Properties:
 * no crash, leak or hang; a refusal empties the dataset and leaves a message
 * naming the file; a load gives at least one row, whole labels below its
 * class count and finite features. Seeds: tests/fuzz/corpus/csv/. */
#include "data.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], path[128];

static void cleanup(void)
{
    unlink(path);
    rmdir(dir);
}

static void put(const char *p, const uint8_t *data, size_t size)
{
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size) || close(fd)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        strcpy(dir, "/tmp/lre-fuzz-csv-XXXXXX");
        if (!mkdtemp(dir)) abort();
        snprintf(path, sizeof path, "%s/input.csv", dir);
        atexit(cleanup);
    }
    put(path, data, size);
    dataset d;
    char msg[1024] = "";
    if (data_load_csv(&d, path, msg, sizeof msg)) {
        if (d.x || d.pixels || d.y || d.n || !strstr(msg, path)) abort();
        return 0;
    }
    if (d.n == 0 || d.dim == 0 || d.classes == 0 || d.classes > DATA_CSV_MAX_LABEL + 1) abort();
    for (size_t i = 0; i < d.n; i++)
        if (d.y[i] < 0 || (size_t)d.y[i] >= d.classes) abort();
    for (size_t i = 0; i < d.n * d.dim; i++)
        if (!isfinite(d.x[i])) abort();
    data_free(&d);
    return 0;
}
