/* test_data.c -- the training job's data readers against hostile files:
 * IDX (gzip and plain) and CSV. Every test writes small files into a
 * temporary directory and checks the load, or the exact refusal (file,
 * offset or line:field, what was expected) and that nothing is left in the
 * dataset. */
#include "data.h"
#include "test.h"
#include "test_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <float.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static char dir[64];
static char msg[1024];

static const char *at(const char *name)
{
    static char paths[8][512];
    static int k;
    char *p = paths[k++ % 8];
    snprintf(p, 512, "%s/%s", dir, name);
    return p;
}

static const char *put(const char *name, const void *data, size_t n)
{
    const char *p = at(name);
    FILE *f = fopen(p, "wb");
    if (!f) abort();
    if (n && fwrite(data, 1, n, f) != n) abort();
    fclose(f);
    return p;
}

static const char *put_gz(const char *name, const void *data, size_t n)
{
    const char *p = at(name);
    gzFile f = gzopen(p, "wb");
    if (!f) abort();
    if (n && gzwrite(f, data, (unsigned)n) != (int)n) abort();
    gzclose(f);
    return p;
}

static const char *put_str(const char *name, const char *s) { return put(name, s, strlen(s)); }

static void be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16), p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

/* An IDX images file: the header of n images of rows x cols, then `pixels` bytes (i % 251). */
static size_t idx_images(unsigned char *buf, uint32_t magic, uint32_t n, uint32_t rows, uint32_t cols, size_t pixels)
{
    be32(buf, magic), be32(buf + 4, n), be32(buf + 8, rows), be32(buf + 12, cols);
    for (size_t i = 0; i < pixels; i++) buf[16 + i] = (unsigned char)(i % 251);
    return 16 + pixels;
}

static size_t idx_labels(unsigned char *buf, uint32_t n, const unsigned char *labels, size_t count)
{
    be32(buf, 0x801), be32(buf + 4, n);
    memcpy(buf + 8, labels, count);
    return 8 + count;
}

static int empty(const dataset *d)
{
    return d->n == 0 && d->x == NULL && d->pixels == NULL && d->y == NULL && d->dim == 0;
}

/* A good labels file for 3 items. */
static const char *good_labels(void)
{
    unsigned char b[16];
    static const unsigned char lab[3] = {0, 5, 9};
    return put_gz("labels.gz", b, idx_labels(b, 3, lab, 3));
}

/* Loads images written (gzip) from buf[0, n) with the good labels; 0 or -1. */
static int load_images(dataset *d, const unsigned char *buf, size_t n)
{
    return data_load_idx(d, put_gz("images.gz", buf, n), good_labels(), msg, sizeof msg);
}

/* ---- IDX ---- */

static void idx_round_trip_gzip_and_plain(void)
{
    unsigned char img[64], lab[16];
    static const unsigned char labels[3] = {0, 5, 9};
    size_t ni = idx_images(img, 0x803, 3, 2, 2, 12), nl = idx_labels(lab, 3, labels, 3);
    for (int gz = 0; gz < 2; gz++) {
        dataset d;
        const char *pi = gz ? put_gz("rt-images.gz", img, ni) : put("rt-images", img, ni);
        const char *pl = gz ? put_gz("rt-labels.gz", lab, nl) : put("rt-labels", lab, nl);
        ASSERT_EQ(data_load_idx(&d, pi, pl, msg, sizeof msg), 0);
        ASSERT_EQ(d.n, 3);
        ASSERT_EQ(d.dim, 4);
        ASSERT_EQ(d.classes, 10);
        ASSERT(d.x == NULL && d.pixels[5] == 5 && d.pixels[11] == 11);
        ASSERT(d.y[0] == 0 && d.y[1] == 5 && d.y[2] == 9);
        data_free(&d);
    }
}

/* IDX images stay bytes; data_rows makes any rows floats, each byte b the
 * float b / 255.0f the loader used to store; a split keeps both sides
 * bytes; data_floats turns a whole set into float rows. */
static void idx_rows_as_floats_split_and_whole(void)
{
    unsigned char img[16 + 256], lab[16];
    static const unsigned char labels[4] = {1, 2, 3, 4};
    size_t ni = idx_images(img, 0x803, 4, 8, 8, 256), nl = idx_labels(lab, 4, labels, 4);
    for (int b = 0; b < 256; b++) img[16 + b] = (unsigned char)(255 - b);
    dataset d, tail;
    ASSERT_EQ(data_load_idx(&d, put("all-images", img, ni), put("all-labels", lab, nl), msg, sizeof msg), 0);
    float rows[4 * 64];
    int32_t y[4];
    const uint32_t order[4] = {3, 0, 2, 1};
    data_rows(&d, order, 0, 4, rows, y);
    int exact = 1;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 64; j++) {
            int byte = 255 - (int)(order[i] * 64 + (uint32_t)j);
            exact &= rows[i * 64 + j] == byte / 255.0f;
        }
    ASSERT(exact);
    ASSERT(y[0] == 4 && y[1] == 1 && y[2] == 3 && y[3] == 2);
    ASSERT(rows[0 * 64 + 63] == 0.0f && rows[1 * 64] == 1.0f);
    ASSERT_EQ(data_split(&d, &tail, 1), 0);
    ASSERT(d.n == 3 && tail.n == 1 && tail.pixels && !tail.x && tail.pixels[0] == 255 - 192 && tail.y[0] == 4);
    ASSERT_EQ(data_floats(&d), 0);
    ASSERT(d.x && !d.pixels && d.x[64] == (255 - 64) / 255.0f && d.x[3 * 64 - 1] == 64 / 255.0f);
    data_rows(&d, NULL, 1, 1, rows, NULL); /* float rows are copied as they are */
    ASSERT(memcmp(rows, d.x + 64, 64 * sizeof(float)) == 0);
    data_free(&d);
    data_free(&tail);
}

static void idx_refuses_billions_of_items_before_allocating(void)
{
    unsigned char img[64];
    dataset d;
    idx_images(img, 0x803, 0xffffffffu, 28, 28, 0);
    ASSERT_EQ(load_images(&d, img, 16), -1);
    ASSERT(empty(&d));
    ASSERT_STR_CONTAINS(msg, "images.gz: offset 4: the header declares 4294967295 images of 28x28 (3367254359296 bytes)");
    ASSERT_STR_CONTAINS(msg, "gzip file can hold");
    /* the product rows x columns x items overflows 32 bits: checked in size_t */
    idx_images(img, 0x803, 0xffffffffu, 4096, 4096, 0);
    ASSERT_EQ(load_images(&d, img, 16), -1);
    ASSERT_STR_CONTAINS(msg, "4294967295 images of 4096x4096 (72057594021150736 bytes)");
    /* a plain file holds exactly what it holds */
    idx_images(img, 0x803, 1000, 28, 28, 40);
    ASSERT_EQ(data_load_idx(&d, put("plain-images", img, 56), good_labels(), msg, sizeof msg), -1);
    ASSERT_STR_CONTAINS(msg, "plain-images: truncated: the header declares 1000 images of 28x28 (784016 bytes), "
                             "the file holds 56 bytes");
}

static void idx_refuses_bad_dimensions_and_magic(void)
{
    unsigned char img[64];
    dataset d;
    idx_images(img, 0x803, 3, 0, 2, 0);
    ASSERT_EQ(load_images(&d, img, 16), -1);
    ASSERT_STR_CONTAINS(msg, "images.gz: offset 8: rows 0, expected 1..4096");
    idx_images(img, 0x803, 3, 2, 5000, 0);
    ASSERT_EQ(load_images(&d, img, 16), -1);
    ASSERT_STR_CONTAINS(msg, "images.gz: offset 12: columns 5000, expected 1..4096");
    idx_images(img, 0x803, 0, 2, 2, 0);
    ASSERT_EQ(load_images(&d, img, 16), -1);
    ASSERT_STR_CONTAINS(msg, "images.gz: offset 4: 0 images, expected at least 1");
    idx_images(img, 0x1f8b0803, 3, 2, 2, 12);
    ASSERT_EQ(load_images(&d, img, 28), -1);
    ASSERT_STR_CONTAINS(msg, "images.gz: offset 0: expected the IDX magic number 00 00 08 03, got 1f 8b 08: not an IDX file");
    idx_images(img, 0x0d03, 3, 2, 2, 12);
    ASSERT_EQ(load_images(&d, img, 28), -1);
    ASSERT_STR_CONTAINS(msg, "images.gz: offset 2: IDX data type 0x0d, expected 0x08 (unsigned bytes)");
    idx_images(img, 0x801, 3, 2, 2, 12);
    ASSERT_EQ(load_images(&d, img, 28), -1);
    ASSERT_STR_CONTAINS(msg, "images.gz: offset 3: 1 dimensions, expected 3 (IDX images)");
    ASSERT(empty(&d));
}

static void idx_refuses_labels_out_of_range_naming_the_offset(void)
{
    unsigned char img[64], lab[16];
    static const unsigned char labels[3] = {0, 12, 3};
    dataset d;
    size_t ni = idx_images(img, 0x803, 3, 2, 2, 12);
    ASSERT_EQ(data_load_idx(&d, put_gz("i.gz", img, ni), put_gz("l.gz", lab, idx_labels(lab, 3, labels, 3)), msg,
                            sizeof msg), -1);
    ASSERT_STR_CONTAINS(msg, "l.gz: offset 9: label 12, expected 0..9");
    ASSERT(empty(&d));
    ASSERT_EQ(data_load_idx(&d, put_gz("i.gz", img, ni), put_gz("l.gz", lab, idx_labels(lab, 2, labels, 2)), msg,
                            sizeof msg), -1);
    ASSERT_STR_CONTAINS(msg, "i.gz: 3 images but");
    ASSERT_STR_CONTAINS(msg, "l.gz has 2 labels");
}

static void idx_names_expected_and_actual_sizes_of_a_truncated_file(void)
{
    unsigned char img[64];
    dataset d;
    size_t n = idx_images(img, 0x803, 3, 2, 2, 12);
    ASSERT_EQ(load_images(&d, img, n - 8), -1);
    ASSERT_STR_CONTAINS(msg, "images.gz: truncated: the header declares 3 images of 2x2 (28 bytes), the file holds 20 bytes uncompressed");
    ASSERT_EQ(load_images(&d, img, 10), -1);
    ASSERT_STR_CONTAINS(msg, "images.gz: truncated IDX header: 10 of 16 bytes");
    ASSERT_EQ(load_images(&d, img, 0), -1);
    ASSERT_STR_CONTAINS(msg, "images.gz: truncated IDX header: 0 of 16 bytes");
    unsigned char lab[16];
    static const unsigned char labels[3] = {1, 2, 3};
    ASSERT_EQ(data_load_idx(&d, put_gz("i.gz", img, n), put("l", lab, idx_labels(lab, 3, labels, 2)), msg, sizeof msg), -1);
    ASSERT_STR_CONTAINS(msg, "l: truncated: the header declares 3 labels (11 bytes), the file holds 10 bytes");
    ASSERT(empty(&d));
}

static void idx_refuses_data_beyond_the_declared_end(void)
{
    unsigned char img[64];
    dataset d;
    size_t n = idx_images(img, 0x803, 3, 2, 2, 13);
    ASSERT_EQ(load_images(&d, img, n), -1);
    ASSERT_STR_CONTAINS(msg, "images.gz: offset 28: data beyond the end the header declares");
    ASSERT(empty(&d));
}

static void idx_reports_corrupt_gzip_data(void)
{
    unsigned char img[4096];
    dataset d;
    size_t n = idx_images(img, 0x803, 3, 32, 32, 3 * 1024);
    uLongf zn = compressBound(n) + 32;
    unsigned char *z = malloc(zn);
    /* a gzip stream by hand: header, raw deflate, then damage in the middle */
    z_stream s;
    memset(&s, 0, sizeof s);
    ASSERT_EQ(deflateInit2(&s, 9, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    s.next_in = img, s.avail_in = (uInt)n, s.next_out = z, s.avail_out = (uInt)zn;
    ASSERT_EQ(deflate(&s, Z_FINISH), Z_STREAM_END);
    size_t zlen = s.total_out;
    deflateEnd(&s);
    for (size_t i = 12; i < zlen - 8; i += 3) z[i] ^= 0x5a;
    int rc = data_load_idx(&d, put("corrupt.gz", z, zlen), good_labels(), msg, sizeof msg);
    free(z);
    ASSERT_EQ(rc, -1);
    ASSERT_STR_CONTAINS(msg, "corrupt.gz: ");
    ASSERT(empty(&d));
}

static void refuses_what_is_not_a_regular_file(void)
{
    dataset d;
    char sub[600], fifo[600];
    snprintf(sub, sizeof sub, "%s/subdir", dir);
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    mkdir(sub, 0755);
    mkfifo(fifo, 0644);
    ASSERT_EQ(data_load_idx(&d, "/dev/zero", good_labels(), msg, sizeof msg), -1);
    ASSERT_STR_CONTAINS(msg, "/dev/zero: not a regular file (a character device)");
    ASSERT_EQ(data_load_idx(&d, sub, good_labels(), msg, sizeof msg), -1);
    ASSERT_STR_CONTAINS(msg, "subdir: not a regular file (a directory)");
    ASSERT_EQ(data_load_csv(&d, fifo, msg, sizeof msg), -1); /* and it does not wait for a writer */
    ASSERT_STR_CONTAINS(msg, "fifo: not a regular file (a FIFO)");
    ASSERT_EQ(data_load_csv(&d, "/dev/zero", msg, sizeof msg), -1);
    ASSERT_STR_CONTAINS(msg, "/dev/zero: not a regular file (a character device)");
    ASSERT_EQ(data_load_csv(&d, at("missing.csv"), msg, sizeof msg), -1);
    ASSERT_STR_CONTAINS(msg, "missing.csv: cannot open: No such file or directory");
    ASSERT(empty(&d));
}

/* A gzip bomb within the 1032:1 bound but short of what it declares: the
 * buffers grow only with the data that really arrives. */
static void idx_declared_size_within_the_bound_but_short(void)
{
    size_t pixels = 200 * 28 * 28;
    unsigned char *img = calloc(16 + pixels, 1);
    dataset d;
    idx_images(img, 0x803, 1000, 28, 28, 0);
    uint32_t r = 1; /* incompressible pixels: the gzip file is about as large as the data */
    for (size_t i = 0; i < pixels; i++) r = r * 1103515245u + 12345u, img[16 + i] = (unsigned char)(r >> 24);
    unsigned char lab[1008];
    memset(lab, 0, sizeof lab);
    idx_labels(lab, 1000, lab + 8, 0);
    int rc = data_load_idx(&d, put_gz("bomb.gz", img, 16 + pixels), put_gz("l1000.gz", lab, sizeof lab), msg, sizeof msg);
    free(img);
    ASSERT_EQ(rc, -1);
    ASSERT_STR_CONTAINS(msg, "truncated: the header declares 1000 images of 28x28 (784016 bytes), the file holds 156816 bytes");
}

/* ---- CSV ---- */

static int load_csv(dataset *d, const char *text) { return data_load_csv(d, put_str("x.csv", text), msg, sizeof msg); }

#define CSV_FAILS(text, expected)                 \
    do {                                          \
        dataset d_;                               \
        ASSERT_EQ(load_csv(&d_, text), -1);       \
        ASSERT(empty(&d_));                       \
        ASSERT_STR_CONTAINS(msg, expected);       \
    } while (0)

static void csv_round_trip_with_header_crlf_padding_and_blank_lines(void)
{
    dataset d;
    ASSERT_EQ(load_csv(&d, "label,a,b\r\n\r\n0, 1.5 ,-2e3\r\n  \n3,\t.25,4.\r\n1,1e-400,3.4028234e38"), 0);
    ASSERT_EQ(d.n, 3);
    ASSERT_EQ(d.dim, 2);
    ASSERT_EQ(d.classes, 4);
    ASSERT(d.x[0] == 1.5f && d.x[1] == -2000.0f && d.x[2] == 0.25f && d.x[3] == 4.0f);
    ASSERT(d.x[4] == 0.0f && d.x[5] == 3.4028234e38f);
    ASSERT(d.y[0] == 0 && d.y[1] == 3 && d.y[2] == 1);
    data_free(&d);
    ASSERT_EQ(load_csv(&d, "2,1,2\n0,3,4\n"), 0); /* no header */
    ASSERT_EQ(d.n, 2);
    ASSERT(d.x[0] == 1.0f && d.y[0] == 2);
    data_free(&d);
}

static void csv_refuses_values_that_are_not_finite_floats(void)
{
    CSV_FAILS("0,1,2\n1,1e39,2\n", "x.csv:2: field 2: expected a number within float range (magnitude at most 3.4e38), got '1e39'");
    CSV_FAILS("0,1,2\n1,2,-1e400\n", "x.csv:2: field 3: expected a number within float range");
    CSV_FAILS("0,1,2\n1,nan,2\n", "x.csv:2: field 2: expected a finite number, got 'nan'");
    CSV_FAILS("0,1,2\n1,2,-Infinity\n", "x.csv:2: field 3: expected a finite number, got '-Infinity'");
    CSV_FAILS("0,1,2\n1,,2\n", "x.csv:2: field 2: expected a number, got ''");
    CSV_FAILS("0,1,2\n1,abc,2\n", "x.csv:2: field 2: expected a number, got 'abc'");
    CSV_FAILS("0,1,2\n1,0x10,2\n", "x.csv:2: field 2: expected a number, got '0x10'");
    CSV_FAILS("0,1,2\n1,1e,2\n", "x.csv:2: field 2: expected a number, got '1e'");
    CSV_FAILS("0,1,2\n1,\xff\xfe\x80,2\n", "x.csv:2: field 2: expected a number, got '\\xff\\xfe\\x80'");
    CSV_FAILS("0,1,2\n1,1 2,2\n", "x.csv:2: field 2: expected a number, got '1 2'");
}

static void csv_refuses_a_nul_byte(void)
{
    dataset d;
    static const char text[] = "0,1,2\n1,2\0003,4\n";
    ASSERT_EQ(data_load_csv(&d, put("nul.csv", text, sizeof text - 1), msg, sizeof msg), -1);
    ASSERT_STR_CONTAINS(msg, "nul.csv:2: field 2: expected a number, got '2\\x003'");
}

static void csv_refuses_labels_that_are_not_whole_numbers_in_range(void)
{
    CSV_FAILS("0,1,2\n1.5,1,2\n", "x.csv:2: field 1: expected a label (a whole number in 0..65535), got '1.5'");
    CSV_FAILS("0,1,2\n-1,1,2\n", "x.csv:2: field 1: expected a label (a whole number in 0..65535), got '-1'");
    CSV_FAILS("0,1,2\n70000,1,2\n", "got '70000'");
    CSV_FAILS("0,1,2\n1e39,1,2\n", "got '1e39'");
    CSV_FAILS("0,1,2\ncat,1,2\n", "x.csv:2: field 1: expected a label (a whole number in 0..65535), got 'cat'");
}

static void csv_takes_at_most_one_header_and_only_a_recognisable_one(void)
{
    CSV_FAILS("junk\n0,1,2\n", "x.csv:1: 1 field, expected a label and at least one feature");
    CSV_FAILS("label,a,b\nlabel,a,b\n0,1,2\n", "x.csv:2: field 1: expected a label (a whole number in 0..65535), got 'label'");
    CSV_FAILS("label,1,2\n0,1,2\n", "x.csv:1: field 1: expected a label (a whole number in 0..65535), got 'label'");
    CSV_FAILS("\n0,1,2\nlabel,a,b\n", "x.csv:3: field 1: expected a label");
    CSV_FAILS("label,a,b\n", "x.csv: no examples, only a header (line 1)");
    CSV_FAILS("", "x.csv: no examples (the file is empty or blank)");
    CSV_FAILS("\n \r\n", "x.csv: no examples (the file is empty or blank)");
}

static void csv_refuses_inconsistent_field_counts(void)
{
    CSV_FAILS("label,a,b\n0,1,2\n1,3\n", "x.csv:3: 1 features, expected 2 as in the header on line 1");
    CSV_FAILS("0,1,2\n1,3,4,5\n", "x.csv:2: 3 features, expected 2 as on line 1");
    CSV_FAILS("label,a\n0,1,2\n", "x.csv:2: 2 features, expected 1 as in the header on line 1");
    CSV_FAILS("0,1,2\n1\n", "x.csv:2: 1 field, expected a label and at least one feature");
}

static void csv_reads_a_one_megabyte_line_of_half_a_million_fields(void)
{
    size_t fields = 500000, n = 2 * fields * 2 + 16;
    char *text = malloc(n), *p = text;
    for (int row = 0; row < 2; row++) {
        *p++ = (char)('0' + row);
        for (size_t j = 1; j < fields; j++) *p++ = ',', *p++ = (char)('0' + (j + row) % 10);
        *p++ = '\n';
    }
    *p = 0;
    dataset d;
    int rc = load_csv(&d, text);
    ASSERT_EQ(rc, 0);
    ASSERT_EQ(d.n, 2);
    ASSERT_EQ(d.dim, fields - 1);
    ASSERT(d.x[fields - 2] == (float)((fields - 1) % 10) && d.x[d.dim] == 2.0f && d.y[1] == 1);
    data_free(&d);
    /* the same line against a narrower first row: refused by count, at once */
    memcpy(text, "0,1\n", 4);
    rc = load_csv(&d, text);
    free(text);
    ASSERT_EQ(rc, -1);
    ASSERT_STR_CONTAINS(msg, "x.csv:2: 499997 features, expected 1 as on line 1");
}

static void csv_quotes_a_long_bad_field_briefly(void)
{
    size_t n = 200000;
    char *text = malloc(n + 16);
    memcpy(text, "0,", 2);
    memset(text + 2, 'z', n);
    strcpy(text + 2 + n, "\n");
    dataset d;
    int rc = load_csv(&d, text);
    free(text);
    ASSERT_EQ(rc, -1);
    ASSERT_STR_CONTAINS(msg, "x.csv:1: field 2: expected a number, got 'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz...'");
    ASSERT(strlen(msg) < 200 + strlen(dir));
}

/* ---- ---- */


int main(void)
{
    strcpy(dir, "/tmp/lre-test-data-XXXXXX");
    if (!mkdtemp(dir)) return perror("mkdtemp"), 1;
    static const test_case tests[] = {
        {"IDX: round trip, gzip and plain", idx_round_trip_gzip_and_plain},
        {"IDX: images stay bytes, made floats by data_rows exactly as loaded before; split, whole", idx_rows_as_floats_split_and_whole},
        {"IDX: refuses billions of items before allocating", idx_refuses_billions_of_items_before_allocating},
        {"IDX: refuses bad dimensions and magic, naming the offset", idx_refuses_bad_dimensions_and_magic},
        {"IDX: refuses labels out of range, naming the offset", idx_refuses_labels_out_of_range_naming_the_offset},
        {"IDX: names expected and actual sizes of a truncated file", idx_names_expected_and_actual_sizes_of_a_truncated_file},
        {"IDX: refuses data beyond the declared end", idx_refuses_data_beyond_the_declared_end},
        {"IDX: reports corrupt gzip data", idx_reports_corrupt_gzip_data},
        {"IDX: a declared size within the gzip bound but short", idx_declared_size_within_the_bound_but_short},
        {"refuses a FIFO, a device, a directory, a missing file", refuses_what_is_not_a_regular_file},
        {"CSV: round trip with header, CRLF, padding and blank lines", csv_round_trip_with_header_crlf_padding_and_blank_lines},
        {"CSV: refuses values that are not finite floats, naming line and field", csv_refuses_values_that_are_not_finite_floats},
        {"CSV: refuses a NUL byte", csv_refuses_a_nul_byte},
        {"CSV: refuses labels that are not whole numbers in range", csv_refuses_labels_that_are_not_whole_numbers_in_range},
        {"CSV: at most one header, and only a recognisable one", csv_takes_at_most_one_header_and_only_a_recognisable_one},
        {"CSV: refuses inconsistent field counts", csv_refuses_inconsistent_field_counts},
        {"CSV: reads a 1 MB line of half a million fields", csv_reads_a_one_megabyte_line_of_half_a_million_fields},
        {"CSV: quotes a long bad field briefly", csv_quotes_a_long_bad_field_briefly},
        {NULL, NULL}};
    int rc = run_tests(tests);
    remove_tree(dir);
    return rc;
}
