/* SPDX-License-Identifier: Apache-2.0 */
/*
 * util.h: small helpers every program uses: allocation that aborts on
 * out-of-memory (redis zmalloc_default_oom), a monotonic clock, and a
 * growable byte buffer.
 */
#ifndef PART5_UTIL_H
#define PART5_UTIL_H

#include <stddef.h>

#include <stdint.h>
#include <sys/types.h>

/* Allocation wrappers: on failure they log and abort(). */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);

/*
 * The one whole-file reader. Reads the file at path into dst, which holds
 * cap bytes (cap >= 1), and NUL-terminates it. Returns the file's length,
 * or -1 with errno set: EFBIG when the file has cap bytes or more (it did
 * not fit with its NUL), EISDIR for a directory, or open()'s and read()'s
 * own. Nothing is allocated, so a secret read this way is only where the
 * caller put it (and can be wiped there).
 */
ssize_t read_file_into(const char *path, char *dst, size_t cap);

/*
 * Reads a whole file of at most max bytes into a new NUL-terminated buffer
 * (*len bytes, when len is not NULL). Returns it, or NULL with errno set
 * as read_file_into() does. The caller frees it with free().
 */
char *read_file(const char *path, size_t max, size_t *len);

/* The last component of a path or an image name (s itself when no '/'). */
const char *base_name(const char *s);

/* Milliseconds from an arbitrary fixed point (CLOCK_MONOTONIC). */
uint64_t now_ms(void);

/*
 * A growable buffer, always NUL-terminated (lwan strbuf). Start it with
 * BUF_INIT or buf_init(); free its memory with buf_free().
 */
struct buf {
    char *data;
    size_t len, cap;
};

#define BUF_INIT                                                               \
    {                                                                          \
        NULL, 0, 0                                                             \
    }

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);

/* Makes room for n more bytes (plus the NUL). */
void buf_reserve(struct buf *b, size_t n);
void buf_append(struct buf *b, const void *data, size_t len);
void buf_append_str(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Gives the caller the buffer's memory (free with free()), and leaves the
 * buffer empty. *len receives the length when len is not NULL.
 */
char *buf_steal(struct buf *b, size_t *len);

/*
 * Appends s, HTML-escaped for text and attribute values: & < > " ' become
 * entities. Bytes that are not valid UTF-8 become U+FFFD, and control
 * characters other than tab and newline are dropped, so hostile input can
 * neither open markup nor break the page's encoding.
 */
void buf_append_html(struct buf *b, const char *s, size_t len);

/*
 * Escapes s into a new NUL-terminated string as buf_append_html() does.
 * Caller frees with free().
 */
char *html_escape(const char *s);

#endif
