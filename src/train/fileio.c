/* fileio.c -- see fileio.h. */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *file_kind(mode_t m)
{
    if (S_ISDIR(m)) return "a directory";
    if (S_ISFIFO(m)) return "a FIFO";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISSOCK(m)) return "a socket";
    return "not a regular file";
}

int fileio_open_regular(const char *path, const char *what, int *fd, uint64_t *size, char *msg, size_t msgsize)
{
    const char *sp = what ? " " : "";
    if (!what) what = "";
    /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer */
    int f = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (f < 0) {
        snprintf(msg, msgsize, "%s%s%s: cannot open: %s", what, sp, path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(f, &st)) {
        snprintf(msg, msgsize, "%s%s%s: cannot stat: %s", what, sp, path, strerror(errno));
        close(f);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(msg, msgsize, "%s%s%s: not a regular file (%s)", what, sp, path, file_kind(st.st_mode));
        close(f);
        return -1;
    }
    int fl = fcntl(f, F_GETFL);
    if (fl < 0 || fcntl(f, F_SETFL, fl & ~O_NONBLOCK) < 0) {
        snprintf(msg, msgsize, "%s%s%s: cannot open: %s", what, sp, path, strerror(errno));
        close(f);
        return -1;
    }
    *fd = f;
    *size = st.st_size < 0 ? 0 : (uint64_t)st.st_size;
    return 0;
}

int fileio_read(int fd, void *buf, size_t n, size_t *got)
{
    unsigned char *p = buf;
    size_t done = 0;
    while (done < n) {
        size_t want = n - done > ((size_t)1 << 30) ? ((size_t)1 << 30) : n - done;
        ssize_t r = read(fd, p + done, want);
        if (r < 0) {
            if (errno == EINTR) continue;
            *got = done;
            return -1;
        }
        if (r == 0) break;
        done += (size_t)r;
    }
    *got = done;
    return 0;
}

int fileio_write(int fd, const void *buf, size_t n)
{
    const unsigned char *p = buf;
    while (n > 0) {
        size_t want = n > ((size_t)1 << 30) ? ((size_t)1 << 30) : n;
        ssize_t w = write(fd, p, want);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (w == 0) { /* no progress and no error: call it a full disk */
            errno = ENOSPC;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int fileio_mul(size_t a, size_t b, size_t *r)
{
    if (a && b > SIZE_MAX / a) return -1;
    *r = a * b;
    return 0;
}

int fileio_add(size_t a, size_t b, size_t *r)
{
    if (b > SIZE_MAX - a) return -1;
    *r = a + b;
    return 0;
}

const char *fileio_quote(char *out, size_t outsize, const char *s, size_t n, size_t max)
{
    size_t o = 0;
    if (!outsize) return out;
    for (size_t i = 0; i < n && i < max; i++) {
        unsigned char c = (unsigned char)s[i];
        char tmp[8];
        int k = c >= 0x20 && c < 0x7f && c != '\\' && c != '\'' ? snprintf(tmp, sizeof tmp, "%c", c)
                                                               : snprintf(tmp, sizeof tmp, "\\x%02x", c);
        if (o + (size_t)k + 4 > outsize) break;
        memcpy(out + o, tmp, (size_t)k);
        o += (size_t)k;
    }
    if (n > max && o + 4 <= outsize) memcpy(out + o, "...", 3), o += 3;
    out[o < outsize ? o : outsize - 1] = 0;
    return out;
}

void fileio_lines_init(fileio_lines *r, int fd, uint64_t limit)
{
    memset(r, 0, sizeof *r);
    r->fd = fd;
    r->limit = limit;
}

int fileio_lines_next(fileio_lines *r, char **line, size_t *len)
{
    size_t scanned = r->start;
    for (;;) {
        char *nl = r->end > scanned ? memchr(r->buf + scanned, '\n', r->end - scanned) : NULL;
        if (nl) {
            *nl = 0;
            *line = r->buf + r->start;
            *len = (size_t)(nl - *line);
            r->start = (size_t)(nl - r->buf) + 1;
            return 1;
        }
        if (r->eof) {
            if (r->start == r->end) return 0;
            r->buf[r->end] = 0; /* cap > end always holds: room for this NUL */
            *line = r->buf + r->start;
            *len = r->end - r->start;
            r->start = r->end;
            return 1;
        }
        /* keep the partial line, then read more */
        if (r->start) {
            memmove(r->buf, r->buf + r->start, r->end - r->start);
            r->end -= r->start;
            r->start = 0;
        }
        scanned = r->end;
        uint64_t left = r->limit - r->consumed;
        if (r->cap - r->end < 2 && left > 0) { /* grow: the line is longer than the buffer */
            size_t cap = r->cap ? r->cap : 65536;
            while (cap - r->end < 2) {
                if (cap > SIZE_MAX / 2) {
                    errno = ENOMEM;
                    return -1;
                }
                cap *= 2;
            }
            /* never more than the rest of the file can fill */
            if ((uint64_t)(cap - r->end - 1) > left) cap = r->end + 1 + (size_t)left;
            char *b = realloc(r->buf, cap);
            if (!b) {
                errno = ENOMEM;
                return -1;
            }
            r->buf = b;
            r->cap = cap;
        } else if (!r->buf) { /* an empty file still needs room for the final NUL */
            r->buf = malloc(1);
            if (!r->buf) {
                errno = ENOMEM;
                return -1;
            }
            r->cap = 1;
        }
        size_t want = r->cap - r->end - 1;
        if ((uint64_t)want > left) want = (size_t)left;
        size_t got = 0;
        if (want == 0) {
            r->eof = 1;
            continue;
        }
        if (fileio_read(r->fd, r->buf + r->end, want, &got)) return -1;
        r->end += got;
        r->consumed += got;
        if (got < want) r->eof = 1; /* the file shrank: stop at what it holds */
    }
}

void fileio_lines_free(fileio_lines *r)
{
    free(r->buf);
    r->buf = NULL;
    r->cap = r->start = r->end = 0;
}

int fileio_fail(char *msg, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, size, fmt, ap);
    va_end(ap);
    return -1;
}

int fileio_getline(FILE *f, char *buf, size_t size, size_t *len)
{
    size_t n = 0;
    int ch, got = 1;
    flockfile(f); /* once, for getc_unlocked, rather than a lock a byte */
    while ((ch = getc_unlocked(f)) != EOF && ch != '\n') {
        if (!ch || n == size - 1) {
            got = !ch ? FILEIO_LINE_NUL : FILEIO_LINE_LONG;
            break;
        }
        buf[n++] = (char)ch;
    }
    if (ch == EOF) got = ferror(f) ? FILEIO_LINE_ERROR : n ? 1 : 0;
    funlockfile(f);
    buf[n] = 0;
    *len = n;
    return got;
}

FILE *fileio_fopen_read(const char *path)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return NULL;
    int flags = fcntl(fd, F_GETFL);
    FILE *f = flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0 ? NULL : fdopen(fd, "r");
    if (!f) {
        int e = errno;
        close(fd);
        errno = e;
    }
    return f;
}
