/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker_client.c: a small HTTP/1.1 client for the Docker engine on a
 * libuv loop: the connections and their I/O. See docker_client.h.
 *
 * Each request has its own connection (a uv_pipe_t for unix://, a
 * uv_tcp_t for tcp://), writes one fixed GET with "Connection: close",
 * and feeds the reply to its parser (docker_reply.c) as it arrives.
 *
 * Who frees what: the client owns its requests (a list of those not yet
 * ended). A request ends exactly once (dc_finish() or docker_cancel()),
 * and after that no owner callback comes. Its memory lives until libuv has
 * closed its handles and given back its name lookup (pending counts
 * them), so late callbacks (UV_ECANCELED) always find it; the client's
 * memory lives until the last such request is released.
 */
#include "docker_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "docker_model.h"
#include "docker_reply.h"
#include "log.h"
#include "util.h"

#define DC_CONNECT_TIMEOUT_MS 3000
#define DC_READ_BUF (64 * 1024)
/*
 * The event stream stays open for good and brings a few hundred bytes at
 * a time: a small buffer, so its 64 KiB are not held (and resident) for
 * the life of the process.
 */
#define DC_EVENTS_READ_BUF (4 * 1024)

struct docker_client {
    uv_loop_t *loop;
    struct docker_endpoint ep;
    LIST_HEAD(, docker_req) reqs; /* requests not yet ended */
    unsigned closing;             /* ended requests whose handles are closing */
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
    char *rbuf;     /* for libuv's reads */
    size_t rbuflen; /* DC_READ_BUF, DC_EVENTS_READ_BUF for events */

    struct docker_reply reply; /* the reply, parsed as it arrives */

    LIST_ENTRY(docker_req) link; /* in the client's reqs until it ends */
};

/* ------------------------------------------------------------------ */
/* Ending a request                                                    */
/* ------------------------------------------------------------------ */

static void dc_release(struct docker_req *r)
{
    struct docker_client *c = r->c;

    if (--r->pending > 0)
        return;
    docker_reply_free(&r->reply);
    free(r->rbuf);
    free(r);
    if (--c->closing == 0 && c->freeing)
        free(c);
}

static void dc_on_closed(uv_handle_t *h)
{
    dc_release(h->data);
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
    LIST_REMOVE(r, link);
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
    const struct docker_reply *rep = &r->reply;
    struct docker_result res;
    char err[512], msg[256];
    void (*on_done)(void *, const struct docker_result *) = r->ops.on_done;
    void *arg = r->arg;

    if (r->ended)
        return;
    memset(&res, 0, sizeof(res));
    res.status = rep->status;
    res.aborted = rep->aborted;
    if (rep->aborted) {
        res.error = "the reply was refused while reading it";
    } else if (unreachable) {
        dc_unreachable(r, why, uverr, err, sizeof(err));
        res.unreachable = 1;
        res.error = err;
    } else if (why != NULL) {
        snprintf(err, sizeof(err), "GET %s: %s", docker_get_path(r->what), why);
        res.error = err;
    } else if (rep->status != 200) {
        msg[0] = '\0';
        docker_error_message(rep->errbody, rep->errlen, msg, sizeof(msg));
        snprintf(err, sizeof(err), "GET %s: the engine answered %ld%s%s",
                 docker_get_path(r->what), rep->status, msg[0] ? ": " : "",
                 msg);
        res.error = err;
    }
    dc_end(r);
    if (on_done != NULL)
        on_done(arg, &res);
}

/* ------------------------------------------------------------------ */
/* I/O                                                                 */
/* ------------------------------------------------------------------ */

static void dc_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    struct docker_req *r = h->data;

    (void)hint;
    *b = uv_buf_init(r->rbuf, (unsigned)r->rbuflen);
}

static void dc_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    struct docker_req *r = s->data;
    const char *why = NULL;
    size_t received;
    int rc;

    if (r->ended)
        return;
    if (nread == UV_EOF) {
        if (r->reply.state == DOCKER_REPLY_BODY_CLOSE)
            dc_finish(r, 0, NULL, 0);
        else
            dc_finish(r, 1, "the engine closed the connection", 0);
        return;
    }
    if (nread < 0) {
        dc_finish(r, 1, NULL, (int)nread);
        return;
    }
    received = r->reply.received;
    rc = docker_reply_feed(&r->reply, b->base, (size_t)nread, &why);
    r->c->bytes += r->reply.received - received;
    if (rc == 1)
        dc_finish(r, 0, NULL, 0);
    else if (rc < 0)
        dc_finish(r, 0, r->reply.aborted ? NULL : why, 0);
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
    r->rbuflen = what == DOCKER_GET_EVENTS ? DC_EVENTS_READ_BUF : DC_READ_BUF;
    r->rbuf = xmalloc(r->rbuflen);
    docker_reply_init(&r->reply, ops->on_data, arg);
    r->request_len = (size_t)snprintf(
        r->request, sizeof(r->request),
        "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: part5-visualizer\r\n"
        "Accept: application/json\r\nConnection: close\r\n\r\n",
        docker_get_path(what), c->ep.is_unix ? "docker" : c->ep.base + 7);
    LIST_INSERT_HEAD(&c->reqs, r, link);
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
    LIST_INIT(&c->reqs);
    return c;
}

void docker_client_free(struct docker_client *c)
{
    if (c == NULL)
        return;
    while (!LIST_EMPTY(&c->reqs))
        dc_end(LIST_FIRST(&c->reqs));
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
