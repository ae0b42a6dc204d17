/* fuzz_idx.c -- libFuzzer harness for the training job's IDX reader
 * (data_load_idx). The input is two files: a little-endian u32 L, then L
 * bytes of the images file, then the labels file (each gzip or plain, as the
 * reader takes both). Properties: no crash, leak or hang (the reader never
 * holds more than the file can hold); a refusal empties the dataset and
 * leaves a message; a load gives pixels in [0, 1] and labels in 0..9.
 * Seeds (tests/fuzz/corpus/idx/): the first images and labels of the real
 * Fashion-MNIST files, with their header layout, plain and gzip. */
#include "data.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], images[128], labels[128];

static void cleanup(void)
{
    unlink(images);
    unlink(labels);
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
        strcpy(dir, "/tmp/lre-fuzz-idx-XXXXXX");
        if (!mkdtemp(dir)) abort();
        snprintf(images, sizeof images, "%s/images", dir);
        snprintf(labels, sizeof labels, "%s/labels", dir);
        atexit(cleanup);
    }
    if (size < 4) return 0;
    size_t n = (size_t)data[0] | (size_t)data[1] << 8 | (size_t)data[2] << 16 | (size_t)data[3] << 24;
    if (n > size - 4) n = size - 4;
    put(images, data + 4, n);
    put(labels, data + 4 + n, size - 4 - n);
    dataset d;
    char msg[1024] = "";
    if (data_load_idx(&d, images, labels, msg, sizeof msg)) {
        if (d.x || d.pixels || d.y || d.n || !strstr(msg, dir)) abort();
        return 0;
    }
    if (d.n == 0 || d.dim == 0 || d.classes != DATA_IDX_CLASSES) abort();
    for (size_t i = 0; i < d.n; i++)
        if (d.y[i] < 0 || d.y[i] >= DATA_IDX_CLASSES) abort();
    if (!d.pixels || d.x) abort();
    if (data_floats(&d) == 0) /* the rows as the job reads them */
        for (size_t i = 0; i < d.n * d.dim; i++)
            if (!(d.x[i] >= 0 && d.x[i] <= 1)) abort();
    data_free(&d);
    return 0;
}
