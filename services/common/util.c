/* SPDX-License-Identifier: Apache-2.0 */
/*
 * util.c: allocation, clock and buffer helpers. See util.h.
 */
#include "util.h"

#include <stdarg.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static void util_oom(size_t size) __attribute__((noreturn));

static void util_oom(size_t size)
{
    log_errorx("out of memory allocating %zu bytes", size);
    abort();
}

ssize_t read_file_into(const char *path, char *dst, size_t cap)
{
    size_t len = 0;
    ssize_t got;
    int fd, saved;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return -1;
    for (;;) {
        /* One byte more than fits, to tell "exactly full" from "too big". */
        if (len == cap) {
            close(fd);
            errno = EFBIG;
            return -1;
        }
        got = read(fd, dst + len, cap - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            saved = errno;
            close(fd);
            errno = saved;
            return -1;
        }
        if (got == 0)
            break;
        len += (size_t)got;
    }
    close(fd);
    dst[len] = '\0';
    return (ssize_t)len;
}

char *read_file(const char *path, size_t max, size_t *len)
{
    char *data = xmalloc(max + 1);
    ssize_t n;
    int saved;

    n = read_file_into(path, data, max + 1);
    if (n < 0) {
        saved = errno;
        free(data);
        errno = saved;
        return NULL;
    }
    if (len != NULL)
        *len = (size_t)n;
    return data;
}

const char *base_name(const char *s)
{
    const char *slash = strrchr(s, '/');

    return slash != NULL ? slash + 1 : s;
}

void *xmalloc(size_t size)
{
    void *p = malloc(size == 0 ? 1 : size);

    if (p == NULL)
        util_oom(size);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size);

    if (p == NULL)
        util_oom(n * size);
    return p;
}

void *xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size == 0 ? 1 : size);

    if (q == NULL)
        util_oom(size);
    return q;
}

char *xstrdup(const char *s)
{
    size_t len = strlen(s) + 1;
    char *p = xmalloc(len);

    memcpy(p, s, len);
    return p;
}

uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void buf_init(struct buf *b)
{
    b->data = NULL;
    b->len = b->cap = 0;
}

void buf_free(struct buf *b)
{
    free(b->data);
    buf_init(b);
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data != NULL)
        b->data[0] = '\0';
}

void buf_reserve(struct buf *b, size_t n)
{
    size_t need = b->len + n + 1, cap;

    if (need <= b->cap)
        return;
    cap = b->cap < 256 ? 256 : b->cap;
    while (cap < need)
        cap *= 2;
    b->data = xrealloc(b->data, cap);
    if (b->cap == 0)
        b->data[0] = '\0';
    b->cap = cap;
}

void buf_append(struct buf *b, const void *data, size_t len)
{
    buf_reserve(b, len);
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void buf_append_str(struct buf *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *buf_steal(struct buf *b, size_t *len)
{
    char *p;

    if (b->data == NULL)
        buf_reserve(b, 0);
    p = b->data;
    if (len != NULL)
        *len = b->len;
    buf_init(b);
    return p;
}

/*
 * Returns the length of the valid UTF-8 sequence at s (at most len bytes),
 * or 0 when it is not valid: overlong forms, surrogates and code points
 * above U+10FFFF are refused (RFC 3629).
 */
static size_t utf8_seq_len(const unsigned char *s, size_t len)
{
    size_t n, i;
    uint32_t cp;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        n = 2;
        cp = s[0] & 0x1f;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        n = 3;
        cp = s[0] & 0x0f;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        n = 4;
        cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (len < n)
        return 0;
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
        return 0;
    return n;
}

void buf_append_html(struct buf *b, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, n;

    buf_reserve(b, len);
    while (i < len) {
        switch (p[i]) {
        case '&':
            buf_append(b, "&amp;", 5);
            i++;
            continue;
        case '<':
            buf_append(b, "&lt;", 4);
            i++;
            continue;
        case '>':
            buf_append(b, "&gt;", 4);
            i++;
            continue;
        case '"':
            buf_append(b, "&quot;", 6);
            i++;
            continue;
        case '\'':
            buf_append(b, "&#39;", 5);
            i++;
            continue;
        }
        if ((p[i] < 0x20 && p[i] != '\t' && p[i] != '\n') || p[i] == 0x7f) {
            i++;
            continue;
        }
        n = utf8_seq_len(p + i, len - i);
        if (n == 0) {
            buf_append(b, "\xef\xbf\xbd", 3);
            i++;
            continue;
        }
        buf_append(b, p + i, n);
        i += n;
    }
}

char *html_escape(const char *s)
{
    struct buf b = BUF_INIT;

    buf_append_html(&b, s, strlen(s));
    return buf_steal(&b, NULL);
}
