/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker_client.c: a small HTTP/1.1 client for the Docker engine on a
 * libuv loop. See docker_client.h.
 *
 * Each request has its own connection (a uv_pipe_t for unix://, a
 * uv_tcp_t for tcp://), writes one fixed GET with "Connection: close",
 * and parses the reply as it arrives: the status line and headers (at
 * most DC_MAX_HEAD bytes), then a body framed by Content-Length, by
 * chunked transfer coding (what the engine uses for its JSON and for the
 * endless /events stream) or by the end of the connection. A 200 body
 * goes to the owner chunk by chunk; the start of any other body is kept
 * for the engine's error message.
 *
 * A request ends exactly once (finish or cancel). Its memory lives until
 * libuv has closed its handles and given back its pending requests, so
 * late callbacks (UV_ECANCELED) always find it.
 */
#include "docker_client.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "docker_model.h"
#include "log.h"
#include "util.h"

#define DC_MAX_REPLY (256u * 1024 * 1024) /* largest real one: ~5 MB */
#define DC_MAX_HEAD (16 * 1024)           /* status line and headers */
#define DC_MAX_LINE 256                   /* a chunk-size or trailer line */
#define DC_CONNECT_TIMEOUT_MS 3000
#define DC_READ_BUF (64 * 1024)
#define DC_ERRBODY 1024

enum dc_state {
    DC_HEAD,        /* status line and headers */
    DC_BODY_LENGTH, /* Content-Length bytes */
    DC_BODY_CLOSE,  /* until the connection ends */
    DC_CHUNK_SIZE,  /* a chunk-size line */
    DC_CHUNK_DATA,  /* chunk bytes */
    DC_CHUNK_END,   /* the CRLF after them */
    DC_TRAILER,     /* trailer lines until an empty one */
    DC_DONE,
};

struct docker_client {
    uv_loop_t *loop;
    struct docker_endpoint ep;
    struct docker_req *reqs; /* requests not yet ended */
    unsigned closing;        /* ended requests whose handles are closing */
    int freeing;
    uint64_t count[DOCKER_GET_COUNT];
    uint64_t bytes;
};

struct docker_req {
    struct docker_client *c;
    enum docker_get what;
    struct docker_req_ops ops;
    void *arg;
    unsigned timeout_ms;
    uint64_t start_ms;

    union {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_pipe_t pipe;
        uv_tcp_t tcp;
    } s;
    int stream_open; /* s was initialised */
    uv_timer_t timer;
    uv_connect_t connect;
    uv_write_t write;
    uv_getaddrinfo_t gai;
    int pending;     /* handles open, plus the name lookup under way */
    int gai_active;  /* the name lookup is under way */
    int early_error; /* a libuv error before any I/O, reported from the loop */
    int ended;       /* finished or cancelled: no more owner callbacks */

    char request[512];
    size_t request_len;
    char *rbuf; /* DC_READ_BUF bytes for libuv's reads */

    enum dc_state state;
    struct buf head; /* headers, then the current chunk-size line */
    long status;
    uint64_t left; /* bytes left in the body or the chunk */
    size_t received;
    char errbody[DC_ERRBODY];
    size_t errlen;
    int aborted;

    struct docker_req *prev, *next;
};

/* ------------------------------------------------------------------ */
/* Ending a request                                                    */
/* ------------------------------------------------------------------ */

static void dc_release(struct docker_req *r)
{
    struct docker_client *c = r->c;

    if (--r->pending > 0)
        return;
    buf_free(&r->head);
    free(r->rbuf);
    free(r);
    if (--c->closing == 0 && c->freeing)
        free(c);
}

static void dc_on_closed(uv_handle_t *h)
{
    dc_release(h->data);
}

static void dc_unlink(struct docker_req *r)
{
    struct docker_client *c = r->c;

    if (r->prev != NULL)
        r->prev->next = r->next;
    else
        c->reqs = r->next;
    if (r->next != NULL)
        r->next->prev = r->prev;
    r->prev = r->next = NULL;
}

/*
 * Stops everything the request has going. Its memory goes once libuv has
 * closed the handles (and returned the name lookup, if one runs).
 */
static void dc_end(struct docker_req *r)
{
    if (r->ended)
        return;
    r->ended = 1;
    dc_unlink(r);
    r->c->closing++;
    uv_close((uv_handle_t *)&r->timer, dc_on_closed);
    if (r->stream_open)
        uv_close(&r->s.handle, dc_on_closed);
    if (r->gai_active)
        uv_cancel((uv_req_t *)&r->gai); /* its callback still comes */
}

/*
 * Words a user can act on for a failure to talk to the engine: the socket
 * that is missing, the permission that is lacking, the engine that is not
 * running.
 */
static void dc_unreachable(const struct docker_req *r,
                           const char *why,
                           int uverr,
                           char *out,
                           size_t size)
{
    const struct docker_endpoint *ep = &r->c->ep;
    const char *hint = "";

    if (uverr == UV_ENOENT && ep->is_unix)
        hint = " (is the socket mounted? -v "
               "/var/run/docker.sock:/var/run/docker.sock)";
    else if (uverr == UV_EACCES)
        hint = " (run as root or in the socket's group)";
    else if (uverr == UV_ECONNREFUSED)
        hint = " (is dockerd running?)";
    if (why == NULL)
        why = uverr == UV_ENOENT ? "No such file or directory"
                                 : uv_strerror(uverr);
    if (ep->is_unix)
        snprintf(out, size,
                 "cannot reach the Docker engine at unix://%s: "
                 "%s%s",
                 ep->path, why, hint);
    else
        snprintf(out, size, "cannot reach the Docker engine at %s:%d: %s%s",
                 ep->host, ep->port, why, hint);
}

/*
 * Ends the request and tells the owner. unreachable: why is about the
 * connection (uverr its libuv code, or 0); otherwise a non-200 status
 * makes the error from the engine's message.
 */
static void
dc_finish(struct docker_req *r, int unreachable, const char *why, int uverr)
{
    struct docker_result res;
    char err[512], msg[256];
    void (*on_done)(void *, const struct docker_result *) = r->ops.on_done;
    void *arg = r->arg;

    if (r->ended)
        return;
    memset(&res, 0, sizeof(res));
    res.status = r->status;
    res.aborted = r->aborted;
    if (r->aborted) {
        res.error = "the reply was refused while reading it";
    } else if (unreachable) {
        dc_unreachable(r, why, uverr, err, sizeof(err));
        res.unreachable = 1;
        res.error = err;
    } else if (why != NULL) {
        snprintf(err, sizeof(err), "GET %s: %s", docker_get_path(r->what), why);
        res.error = err;
    } else if (r->status != 200) {
        msg[0] = '\0';
        docker_error_message(r->errbody, r->errlen, msg, sizeof(msg));
        snprintf(err, sizeof(err), "GET %s: the engine answered %ld%s%s",
                 docker_get_path(r->what), r->status, msg[0] ? ": " : "", msg);
        res.error = err;
    }
    dc_end(r);
    if (on_done != NULL)
        on_done(arg, &res);
}

/* ------------------------------------------------------------------ */
/* The reply                                                           */
/* ------------------------------------------------------------------ */

/* Body bytes: to the owner for a 200, kept for the message otherwise. */
static int dc_body(struct docker_req *r, const char *p, size_t n)
{
    size_t k;

    r->received += n;
    r->c->bytes += n;
    if (r->received > DC_MAX_REPLY)
        return -1;
    if (r->status == 200) {
        if (r->ops.on_data != NULL && r->ops.on_data(r->arg, p, n) != 0) {
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
static int dc_headers(struct docker_req *r)
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
        r->state = DC_DONE;
    } else if (chunked) {
        r->state = DC_CHUNK_SIZE;
    } else if (have_length) {
        r->left = length;
        r->state = length > 0 ? DC_BODY_LENGTH : DC_DONE;
    } else {
        r->state = DC_BODY_CLOSE;
    }
    return 0;
}

/*
 * Collects a line (a chunk size, a trailer) into r->head. Returns the
 * bytes of p used; *complete is set when the line ended.
 */
static size_t
dc_line(struct docker_req *r, const char *p, size_t n, int *complete)
{
    const char *nl = memchr(p, '\n', n);
    size_t used = nl != NULL ? (size_t)(nl - p) + 1 : n;

    *complete = nl != NULL;
    if (r->head.len + used <= DC_MAX_LINE)
        buf_append(&r->head, p, used);
    else
        r->head.len = DC_MAX_LINE + 1; /* marked too long */
    return used;
}

/*
 * Feeds reply bytes through the states. Returns 0 to read on, 1 when the
 * reply is complete, -1 on a malformed reply or a refused body (*why
 * says which, NULL for a refusal).
 */
static int
dc_parse(struct docker_req *r, const char *p, size_t n, const char **why)
{
    size_t used, k, from;
    char *end;
    int complete;

    while (n > 0 && r->state != DC_DONE) {
        switch (r->state) {
        case DC_HEAD:
            from = r->head.len > 3 ? r->head.len - 3 : 0;
            k = n < DC_MAX_HEAD ? n : DC_MAX_HEAD;
            buf_append(&r->head, p, k);
            end =
                memmem(r->head.data + from, r->head.len - from, "\r\n\r\n", 4);
            if (end == NULL) {
                if (r->head.len >= DC_MAX_HEAD) {
                    *why = "the reply's headers are too long";
                    return -1;
                }
                p += k;
                n -= k;
                break;
            }
            used = (size_t)(end + 4 - r->head.data) - (r->head.len - k);
            end[2] = '\0';
            if (dc_headers(r) != 0) {
                *why = "the reply is not HTTP";
                return -1;
            }
            p += used;
            n -= used;
            break;
        case DC_BODY_LENGTH:
            k = n < r->left ? n : (size_t)r->left;
            if (dc_body(r, p, k) != 0)
                goto refused;
            r->left -= k;
            p += k;
            n -= k;
            if (r->left == 0)
                r->state = DC_DONE;
            break;
        case DC_BODY_CLOSE:
            if (dc_body(r, p, n) != 0)
                goto refused;
            n = 0;
            break;
        case DC_CHUNK_SIZE:
        case DC_CHUNK_END:
        case DC_TRAILER:
            used = dc_line(r, p, n, &complete);
            p += used;
            n -= used;
            if (r->head.len > DC_MAX_LINE) {
                *why = "a chunk line of the reply is too long";
                return -1;
            }
            if (!complete)
                break;
            if (r->state == DC_CHUNK_END) {
                r->state = DC_CHUNK_SIZE;
            } else if (r->state == DC_TRAILER) {
                if (r->head.len <= 2)
                    r->state = DC_DONE;
            } else {
                errno = 0;
                buf_append(&r->head, "", 1);
                r->left = strtoull(r->head.data, &end, 16);
                if (!isxdigit((unsigned char)r->head.data[0]) || errno != 0 ||
                    (*end != '\r' && *end != ';' && *end != '\n')) {
                    *why = "the reply's chunked coding is broken";
                    return -1;
                }
                r->state = r->left > 0 ? DC_CHUNK_DATA : DC_TRAILER;
            }
            buf_reset(&r->head);
            break;
        case DC_CHUNK_DATA:
            k = n < r->left ? n : (size_t)r->left;
            if (dc_body(r, p, k) != 0)
                goto refused;
            r->left -= k;
            p += k;
            n -= k;
            if (r->left == 0)
                r->state = DC_CHUNK_END;
            break;
        case DC_DONE: break;
        }
    }
    return r->state == DC_DONE ? 1 : 0;
refused:
    *why = r->aborted ? NULL : "the reply is larger than 256 MiB";
    return -1;
}

static void dc_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    struct docker_req *r = h->data;

    (void)hint;
    *b = uv_buf_init(r->rbuf, DC_READ_BUF);
}

static void dc_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    struct docker_req *r = s->data;
    const char *why = NULL;
    int rc;

    if (r->ended)
        return;
    if (nread == UV_EOF) {
        if (r->state == DC_BODY_CLOSE)
            dc_finish(r, 0, NULL, 0);
        else
            dc_finish(r, 1, "the engine closed the connection", 0);
        return;
    }
    if (nread < 0) {
        dc_finish(r, 1, NULL, (int)nread);
        return;
    }
    rc = dc_parse(r, b->base, (size_t)nread, &why);
    if (rc == 1)
        dc_finish(r, 0, NULL, 0);
    else if (rc < 0)
        dc_finish(r, 0, r->aborted ? NULL : why, 0);
}

static void dc_on_write(uv_write_t *w, int status)
{
    struct docker_req *r = w->data;

    if (r->ended || status == 0)
        return;
    dc_finish(r, 1, NULL, status);
}

static void dc_on_timeout(uv_timer_t *t)
{
    dc_finish(t->data, 1, "no answer in time", 0);
}

/* An error found while starting: the owner hears of it from the loop. */
static void dc_on_early_error(uv_timer_t *t)
{
    struct docker_req *r = t->data;

    dc_finish(r, 1, NULL, r->early_error);
}

/* Connected: send the request, read the reply, bound the whole. */
static void dc_on_connect(uv_connect_t *creq, int status)
{
    struct docker_req *r = creq->data;
    uv_buf_t b;
    uint64_t spent;

    if (r->ended)
        return;
    if (status < 0) {
        dc_finish(r, 1, NULL, status);
        return;
    }
    if (r->timeout_ms > 0) {
        spent = now_ms() - r->start_ms;
        uv_timer_start(&r->timer, dc_on_timeout,
                       spent < r->timeout_ms ? r->timeout_ms - spent : 0, 0);
    } else {
        uv_timer_stop(&r->timer);
    }
    b = uv_buf_init(r->request, (unsigned)r->request_len);
    r->write.data = r;
    if (uv_write(&r->write, &r->s.stream, &b, 1, dc_on_write) != 0 ||
        uv_read_start(&r->s.stream, dc_alloc, dc_on_read) != 0)
        dc_finish(r, 1, "cannot send the request", 0);
}

/* tcp:// with a host name: the address is known, connect. */
static void
dc_on_resolved(uv_getaddrinfo_t *g, int status, struct addrinfo *res)
{
    struct docker_req *r = g->data;

    r->gai_active = 0;
    if (r->ended) {
        uv_freeaddrinfo(res);
        dc_release(r); /* the lookup's hold on the request */
        return;
    }
    r->pending--; /* the timer still holds it */
    if (status < 0) {
        uv_freeaddrinfo(res);
        dc_finish(r, 1, status == UV_EAI_NONAME ? "unknown host name" : NULL,
                  status);
        return;
    }
    uv_tcp_init(r->c->loop, &r->s.tcp);
    r->s.tcp.data = r;
    r->stream_open = 1;
    r->pending++;
    r->connect.data = r;
    status =
        uv_tcp_connect(&r->connect, &r->s.tcp, res->ai_addr, dc_on_connect);
    uv_freeaddrinfo(res);
    if (status < 0)
        dc_finish(r, 1, NULL, status);
}

struct docker_req *docker_client_get(struct docker_client *c,
                                     enum docker_get what,
                                     unsigned timeout_ms,
                                     const struct docker_req_ops *ops,
                                     void *arg)
{
    struct docker_req *r = xcalloc(1, sizeof(*r));
    struct addrinfo hints;
    char port[16];
    int rc;

    r->c = c;
    r->what = what;
    r->ops = *ops;
    r->arg = arg;
    r->timeout_ms = timeout_ms;
    r->start_ms = now_ms();
    r->rbuf = xmalloc(DC_READ_BUF);
    buf_init(&r->head);
    r->request_len = (size_t)snprintf(
        r->request, sizeof(r->request),
        "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: part5-visualizer\r\n"
        "Accept: application/json\r\nConnection: close\r\n\r\n",
        docker_get_path(what), c->ep.is_unix ? "docker" : c->ep.base + 7);
    r->next = c->reqs;
    if (c->reqs != NULL)
        c->reqs->prev = r;
    c->reqs = r;
    c->count[what]++;
    log_debug("docker: GET %s", docker_get_path(what));

    uv_timer_init(c->loop, &r->timer);
    r->timer.data = r;
    r->pending = 1;
    /* Until connected, the bound is the connect timeout. */
    uv_timer_start(&r->timer, dc_on_timeout,
                   timeout_ms > 0 && timeout_ms < DC_CONNECT_TIMEOUT_MS
                       ? timeout_ms
                       : DC_CONNECT_TIMEOUT_MS,
                   0);
    r->connect.data = r;
    if (c->ep.is_unix) {
        uv_pipe_init(c->loop, &r->s.pipe, 0);
        r->s.pipe.data = r;
        r->stream_open = 1;
        r->pending++;
        uv_pipe_connect(&r->connect, &r->s.pipe, c->ep.path, dc_on_connect);
        return r;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(port, sizeof(port), "%d", c->ep.port);
    r->gai.data = r;
    rc = uv_getaddrinfo(c->loop, &r->gai, dc_on_resolved, c->ep.host, port,
                        &hints);
    if (rc < 0) {
        /* Never call the owner back before it has the request. */
        r->early_error = rc;
        uv_timer_start(&r->timer, dc_on_early_error, 0, 0);
        return r;
    }
    r->gai_active = 1;
    r->pending++;
    return r;
}

void docker_cancel(struct docker_req *r)
{
    if (r == NULL)
        return;
    dc_end(r);
}

struct docker_client *docker_client_new(uv_loop_t *loop,
                                        const struct docker_endpoint *ep,
                                        char *err,
                                        size_t errlen)
{
    struct docker_client *c = xcalloc(1, sizeof(*c));

    (void)err;
    (void)errlen;
    c->loop = loop;
    c->ep = *ep;
    return c;
}

void docker_client_free(struct docker_client *c)
{
    if (c == NULL)
        return;
    while (c->reqs != NULL)
        dc_end(c->reqs);
    c->freeing = 1;
    if (c->closing == 0)
        free(c);
}

uint64_t docker_client_count(const struct docker_client *c,
                             enum docker_get what)
{
    return (unsigned)what < DOCKER_GET_COUNT ? c->count[what] : 0;
}

uint64_t docker_client_bytes(const struct docker_client *c)
{
    return c->bytes;
}
