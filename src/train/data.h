/* data.h -- labelled examples: Fashion-MNIST from IDX files (gzip through
 * zlib), kept as their bytes, and CSV files (label column first), as float32
 * rows; data_rows gives any rows as floats. No Lua here.
 * Data files are treated as hostile: only regular files are read, never more
 * than they hold, nothing sized by a header is allocated before the header
 * is checked against the file's real size, and every refusal names the file
 * and the offset or line:field. */
#ifndef LRE_DATA_H
#define LRE_DATA_H

#include <stddef.h>
#include <stdint.h>

#define DATA_IDX_CLASSES 10      /* MNIST and Fashion-MNIST labels are 0..9 */
#define DATA_CSV_MAX_LABEL 65535 /* CSV labels are whole numbers in 0..65535 */

typedef struct dataset {
    size_t n, dim, classes;
    float *x;         /* n rows of dim features, or NULL when pixels holds them */
    uint8_t *pixels;  /* IDX images: n rows of dim bytes, feature byte / 255.0f */
    int32_t *y;       /* n labels in [0, classes) */
} dataset;

/* Each returns 0, or -1 with a message naming the file, where (offset, or
 * line and field) and what was expected; on failure *d is empty. IDX data
 * has DATA_IDX_CLASSES classes; CSV data the largest label + 1. */
int data_load_idx(dataset *d, const char *images_path, const char *labels_path, char *msg, size_t msgsize);
int data_load_csv(dataset *d, const char *path, char *msg, size_t msgsize);
/* Rows rows[0..nb) of d (rows NULL: first..first+nb-1) as floats into out,
 * nb rows of dim, and their labels into y (unless NULL). */
void data_rows(const dataset *d, const uint32_t *rows, size_t first, size_t nb, float *restrict out, int32_t *y);
/* Asks the caches for rows[0..nb) of d and their labels, without waiting:
 * a batch's scattered rows, fetched while the step before it computes,
 * are then read from the cache rather than one miss after another. */
void data_prefetch(const dataset *d, const uint32_t *rows, size_t nb);
/* Makes d's rows floats (x) if they are bytes, for a set read whole (the
 * evaluation sets): 0, or -1 out of memory (d unchanged). */
int data_floats(dataset *d);
/* Splits off the last `count` rows into `tail` (copies), keeping the first in d. */
int data_split(dataset *d, dataset *tail, size_t count);
/* Keeps the first n rows. */
void data_truncate(dataset *d, size_t n);
void data_free(dataset *d);

#endif
