/* fileio.h -- bounded file access for the training job's inputs (data files,
 * checkpoints), all of which are treated as hostile: only regular files are
 * opened (never a FIFO, a device such as /dev/zero, or a directory), their
 * size is taken from fstat before anything is allocated, reads and writes
 * retry EINTR and short transfers, and every failure is reported with the
 * file's name and strerror(errno). Plain POSIX, no Lua. */
#ifndef LRE_FILEIO_H
#define LRE_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Opens path read-only, refusing anything but a regular file (the open does
 * not block on a FIFO). *fd and *size (its fstat size) are set on success.
 * 0, or -1 with "PATH: reason" in msg (prefixed by what, when not NULL). */
int fileio_open_regular(const char *path, const char *what, int *fd, uint64_t *size, char *msg, size_t msgsize);

/* Reads up to n bytes; *got is what arrived before end of file. 0, or -1
 * with errno set on a read error. */
int fileio_read(int fd, void *buf, size_t n, size_t *got);

/* Writes all n bytes. 0, or -1 with errno set (ENOSPC, EFBIG, EIO...). */
int fileio_write(int fd, const void *buf, size_t n);

/* Writes the message (printf-style) into msg and returns -1: the job's
 * "return fail(msg, size, ...)" for failures reported with a message. */
int fileio_fail(char *msg, size_t size, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* checked arithmetic on sizes: 0, or -1 (and *r unset) on overflow */
int fileio_mul(size_t a, size_t b, size_t *r);
int fileio_add(size_t a, size_t b, size_t *r);

/* Copies at most max bytes of s[0, n) into out (of outsize bytes) for a
 * message: printable ASCII as is, anything else as \xNN, "..." when cut.
 * Returns out. */
const char *fileio_quote(char *out, size_t outsize, const char *s, size_t n, size_t max);

/* A line reader over a regular file that never reads past `limit` bytes
 * (the file's size when opened) and grows its buffer to the longest line. */
typedef struct fileio_lines {
    int fd;
    uint64_t limit, consumed; /* bytes read from fd so far */
    char *buf;                /* buf[start, end) is read but not yet returned */
    size_t cap, start, end;
    int eof;
} fileio_lines;

void fileio_lines_init(fileio_lines *r, int fd, uint64_t limit);
/* The next line without its "\n" (a carriage return before it is kept): 1 and
 * *line and *len (valid until the next call; the line may hold NUL bytes and
 * is followed by a NUL), 0 at end of file, -1 with errno set on a read
 * error or ENOMEM. */
int fileio_lines_next(fileio_lines *r, char **line, size_t *len);
void fileio_lines_free(fileio_lines *r);

/* fopen(path, "r") for a text file read as a stream, which may be a pipe:
 * opened without blocking, so a FIFO that no process writes to reads as
 * empty at once instead of waiting for a writer. NULL with errno set. */
FILE *fileio_fopen_read(const char *path);

/* The next line of a text stream (stdin included) into buf, its newline
 * dropped, in a buffer of size bytes: a line of more than size - 1 bytes is
 * refused rather than read in parts (which would pass the rest off as the
 * next line) or grown without end (/dev/zero, a binary file), and so is a NUL
 * byte, which would hide the rest of its line. 1 and *len, 0 at end of file,
 * or one of: */
enum { FILEIO_LINE_ERROR = -1 /* a read error, errno set */, FILEIO_LINE_LONG = -2, FILEIO_LINE_NUL = -3 };
int fileio_getline(FILE *f, char *buf, size_t size, size_t *len);

#endif
