/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker_reply.c: the engine's HTTP/1.1 reply, parsed as it arrives. See
 * docker_reply.h.
 *
 * The rule: bytes go through the states of enum docker_reply_state in
 * order and each byte is looked at once; nothing here blocks, allocates
 * more than the bounded header buffer, or calls anything but on_data. The
 * parser never trusts a length it read: a body or a line past its bound
 * ends the reply with a reason.
 */
#include "docker_reply.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void docker_reply_init(struct docker_reply *r,
                       docker_reply_data_fn on_data,
                       void *arg)
{
    memset(r, 0, sizeof(*r));
    r->on_data = on_data;
    r->arg = arg;
    buf_init(&r->head);
}

void docker_reply_free(struct docker_reply *r)
{
    buf_free(&r->head);
}

/* Body bytes: to the owner for a 200, kept for the message otherwise. */
static int reply_body(struct docker_reply *r, const char *p, size_t n)
{
    size_t k;

    r->received += n;
    if (r->received > DOCKER_REPLY_MAX)
        return -1;
    if (r->status == 200) {
        if (r->on_data != NULL && r->on_data(r->arg, p, n) != 0) {
            r->aborted = 1;
            return -1;
        }
        return 0;
    }
    k = sizeof(r->errbody) - 1 - r->errlen;
    if (k > n)
        k = n;
    memcpy(r->errbody + r->errlen, p, k);
    r->errlen += k;
    r->errbody[r->errlen] = '\0';
    return 0;
}

/*
 * The headers are in (NUL-terminated in r->head): reads the status and
 * how the body is framed. Returns 0, or -1 when it is not HTTP.
 */
static int reply_headers(struct docker_reply *r)
{
    char *line = r->head.data, *next, *v, *end;
    int chunked = 0, have_length = 0;
    unsigned long long length = 0;

    if (strncmp(line, "HTTP/1.", 7) != 0 || strlen(line) < 12 || line[8] != ' ')
        return -1;
    r->status = strtol(line + 9, &end, 10);
    if (end != line + 12 || r->status < 200 || r->status > 599)
        return -1;
    for (line = strstr(line, "\r\n"); line != NULL; line = next) {
        line += 2;
        next = strstr(line, "\r\n");
        if (next != NULL)
            *next = '\0';
        v = strchr(line, ':');
        if (v == NULL)
            continue;
        *v++ = '\0';
        v += strspn(v, " \t");
        if (strcasecmp(line, "Transfer-Encoding") == 0 &&
            strcasestr(v, "chunked") != NULL) {
            chunked = 1;
        } else if (strcasecmp(line, "Content-Length") == 0) {
            errno = 0;
            length = strtoull(v, &end, 10);
            if (*v < '0' || *v > '9' || errno != 0 ||
                (*end != '\0' && *end != ' '))
                return -1;
            have_length = 1;
        }
    }
    buf_reset(&r->head);
    if (r->status == 204 || r->status == 304) {
        r->state = DOCKER_REPLY_DONE;
    } else if (chunked) {
        r->state = DOCKER_REPLY_CHUNK_SIZE;
    } else if (have_length) {
        r->left = length;
        r->state = length > 0 ? DOCKER_REPLY_BODY_LENGTH : DOCKER_REPLY_DONE;
    } else {
        r->state = DOCKER_REPLY_BODY_CLOSE;
    }
    return 0;
}

/*
 * Collects the status line and headers. Returns the bytes of p used, or
 * -1 with *why set.
 */
static ssize_t
reply_head(struct docker_reply *r, const char *p, size_t n, const char **why)
{
    size_t from = r->head.len > 3 ? r->head.len - 3 : 0;
    size_t k = n < DOCKER_REPLY_MAX_HEAD ? n : DOCKER_REPLY_MAX_HEAD;
    char *end;

    buf_append(&r->head, p, k);
    end = memmem(r->head.data + from, r->head.len - from, "\r\n\r\n", 4);
    if (end == NULL) {
        if (r->head.len >= DOCKER_REPLY_MAX_HEAD) {
            *why = "the reply's headers are too long";
            return -1;
        }
        return (ssize_t)k;
    }
    end[2] = '\0';
    k = (size_t)(end + 4 - r->head.data) - (r->head.len - k);
    if (reply_headers(r) != 0) {
        *why = "the reply is not HTTP";
        return -1;
    }
    return (ssize_t)k;
}

/*
 * Collects a line (a chunk size, a trailer) into r->head. Returns the
 * bytes of p used; *complete is set when the line ended.
 */
static size_t
reply_line(struct docker_reply *r, const char *p, size_t n, int *complete)
{
    const char *nl = memchr(p, '\n', n);
    size_t used = nl != NULL ? (size_t)(nl - p) + 1 : n;

    *complete = nl != NULL;
    if (r->head.len + used <= DOCKER_REPLY_MAX_LINE)
        buf_append(&r->head, p, used);
    else
        r->head.len = DOCKER_REPLY_MAX_LINE + 1; /* marked too long */
    return used;
}

/*
 * A chunk-size, chunk-end or trailer line is complete in r->head: moves
 * to the next state. Returns 0, or -1 with *why set.
 */
static int reply_chunk_line(struct docker_reply *r, const char **why)
{
    char *end;

    if (r->state == DOCKER_REPLY_CHUNK_END) {
        r->state = DOCKER_REPLY_CHUNK_SIZE;
    } else if (r->state == DOCKER_REPLY_TRAILER) {
        if (r->head.len <= 2)
            r->state = DOCKER_REPLY_DONE;
    } else {
        errno = 0;
        buf_append(&r->head, "", 1);
        r->left = strtoull(r->head.data, &end, 16);
        if (!isxdigit((unsigned char)r->head.data[0]) || errno != 0 ||
            (*end != '\r' && *end != ';' && *end != '\n')) {
            *why = "the reply's chunked coding is broken";
            return -1;
        }
        r->state = r->left > 0 ? DOCKER_REPLY_CHUNK_DATA : DOCKER_REPLY_TRAILER;
    }
    buf_reset(&r->head);
    return 0;
}

int docker_reply_feed(struct docker_reply *r,
                      const char *p,
                      size_t n,
                      const char **why)
{
    size_t used, k;
    ssize_t got;
    int complete;

    while (n > 0 && r->state != DOCKER_REPLY_DONE) {
        switch (r->state) {
        case DOCKER_REPLY_HEAD:
            got = reply_head(r, p, n, why);
            if (got < 0)
                return -1;
            p += got;
            n -= (size_t)got;
            break;
        case DOCKER_REPLY_BODY_LENGTH:
        case DOCKER_REPLY_CHUNK_DATA:
            k = n < r->left ? n : (size_t)r->left;
            if (reply_body(r, p, k) != 0)
                goto refused;
            r->left -= k;
            p += k;
            n -= k;
            if (r->left == 0)
                r->state = r->state == DOCKER_REPLY_BODY_LENGTH
                               ? DOCKER_REPLY_DONE
                               : DOCKER_REPLY_CHUNK_END;
            break;
        case DOCKER_REPLY_BODY_CLOSE:
            if (reply_body(r, p, n) != 0)
                goto refused;
            n = 0;
            break;
        case DOCKER_REPLY_CHUNK_SIZE:
        case DOCKER_REPLY_CHUNK_END:
        case DOCKER_REPLY_TRAILER:
            used = reply_line(r, p, n, &complete);
            p += used;
            n -= used;
            if (r->head.len > DOCKER_REPLY_MAX_LINE) {
                *why = "a chunk line of the reply is too long";
                return -1;
            }
            if (complete && reply_chunk_line(r, why) != 0)
                return -1;
            break;
        case DOCKER_REPLY_DONE: break;
        }
    }
    return r->state == DOCKER_REPLY_DONE ? 1 : 0;
refused:
    *why = r->aborted ? NULL : "the reply is larger than 256 MiB";
    return -1;
}
