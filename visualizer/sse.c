/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sse.c: the event-stream hub. See sse.h.
 *
 * Who frees what:
 * - A frame is reference-counted. The hub holds one reference (its
 *   current frame), each client one for the frame it is sending and one
 *   for the frame queued after it, each GET /api/state response one
 *   (visualizer.c). The last sse_frame_unref() frees it. The same holds
 *   for traffic frames: the hub's current one, each client's queued one
 *   (tnext), each GET /api/traffic response.
 * - The hub lets go of its current frame when a whole tick went by with
 *   nobody asking for it and nothing else holding it (sse_hub_trim()): at
 *   5,000 tasks it is 1.4 MB that an idle swarm would keep for nothing. It
 *   keeps the model part's length and hash instead, and
 *   sse_hub_offer() takes the next rendering as the current frame without
 *   sending it when they match (the pages have that model already).
 * - A client has two owners with different lifetimes: the request (its
 *   http_req's data_free, sse_on_request_done(), runs when libmicrohttpd
 *   completes the request) and the response (its free callback,
 *   sse_on_response_free(), runs when libmicrohttpd destroys the
 *   response, and libmicrohttpd may call the content reader until then).
 *   refs counts both; the last to let go frees the client. The request's
 *   end also takes the client off the hub's list, so the hub never
 *   resumes a connection that is gone, and sets req to NULL, so the
 *   reader ends the stream.
 * - The hub owns no client: its list borrows them. sse_hub_free() unlinks
 *   those left (their two owners still free them) and frees the hub once
 *   libuv has closed its timer.
 *
 * When a callback may free its caller:
 * - A client is freed only from libmicrohttpd's callbacks, which run
 *   inside MHD_run() (http.c), never under a hub function: what the hub
 *   calls on a connection (http_resume(), which only schedules the resume
 *   for the next loop iteration; shutdown() on its socket) calls nothing
 *   back. So a walk over the hub's clients never meets a freed one; the
 *   walks that end streams still read the next client first.
 * - sse_read(), the content reader, runs inside MHD_run() for its own
 *   connection: it may suspend that connection, never free its client or
 *   touch another.
 */
#include "sse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "fnv1a.h"
#include "log.h"
#include "util.h"

/*
 * The content reader's block. libmicrohttpd allocates one with every
 * response, but an HTTP/1.1 stream (chunked, what EventSource uses) is
 * read into the connection's own write buffer instead, in chunks of about
 * the size of its pool (conn_memory in visualizer.c): the block only serves
 * HTTP/1.0 clients. 16 KiB here cost 16 KiB of memory per open page for
 * nothing (measured: bench/visualizer/README.md, "Traffic").
 */
#define SSE_BLOCK_SIZE 2048
#define SSE_TICK_MS 5000 /* sweep, keepalive and lag checks */

struct sse_client {
    struct sse_hub *hub;
    struct http_req *req;    /* NULL once the request is over */
    struct sse_frame *frame; /* being sent */
    size_t off;              /* bytes of frame sent */
    struct sse_frame *next;  /* the newest frame, to send after frame */
    struct sse_frame *tnext; /* the newest traffic, after next */
    const char *extra;       /* retry advice or keepalive, static */
    size_t extra_len, extra_off;
    int refs;                    /* request + response */
    int ending;                  /* end the stream at the next call */
    uint64_t last_sent_ms;       /* for keepalives */
    LIST_ENTRY(sse_client) link; /* in the hub's clients while c->hub */
};

struct sse_hub {
    uv_loop_t *loop;
    struct sse_hub_config cfg;
    struct sse_frame *current;
    int current_wanted; /* asked for, or published, since the last tick */
    int released;       /* current was let go; its model's digest: */
    size_t released_len;
    uint64_t released_hash;
    struct sse_frame *traffic;       /* the newest traffic frame */
    LIST_HEAD(, sse_client) clients; /* borrowed; see the rules above */
    unsigned nclients;
    int closing;
    uint64_t dropped;
    uv_timer_t timer; /* keepalives and lag checks */
    char retry[32];
    size_t retry_len;
};

static const char sse_keepalive[] = ": keepalive\n\n";

struct sse_frame *sse_frame_new(char *data, size_t len, size_t body_off)
{
    struct sse_frame *f = xcalloc(1, sizeof(*f));

    f->refs = 1;
    f->data = data;
    f->len = len;
    f->json_off = sizeof(SSE_STATE_PREFIX) - 1;
    f->json_len = len - f->json_off - 2;
    f->body_off = body_off;
    return f;
}

struct sse_frame *sse_frame_new_traffic(char *data, size_t len, size_t body_off)
{
    struct sse_frame *f = sse_frame_new(data, len, body_off);

    f->json_off = sizeof(SSE_TRAFFIC_PREFIX) - 1;
    f->json_len = len - f->json_off - 2;
    return f;
}

struct sse_frame *sse_frame_ref(struct sse_frame *f)
{
    f->refs++;
    return f;
}

void sse_frame_unref(struct sse_frame *f)
{
    if (f == NULL || --f->refs > 0)
        return;
    free(f->data);
    free(f);
}

int sse_frame_same(const struct sse_frame *a, const struct sse_frame *b)
{
    size_t la, lb;

    if (a == NULL || b == NULL)
        return 0;
    la = a->json_len - a->body_off;
    lb = b->json_len - b->body_off;
    return la == lb && memcmp(a->data + a->json_off + a->body_off,
                              b->data + b->json_off + b->body_off, la) == 0;
}

/* The length and hash of the model in f (generated_at aside). */
static uint64_t sse_frame_digest(const struct sse_frame *f, size_t *len)
{
    *len = f->json_len - f->body_off;
    return fnv1a64(f->data + f->json_off + f->body_off, *len);
}

/* Drops one of the client's two owners; the last one frees it. */
static void sse_client_release(struct sse_client *c)
{
    if (--c->refs > 0)
        return;
    sse_frame_unref(c->frame);
    sse_frame_unref(c->next);
    sse_frame_unref(c->tnext);
    free(c);
}

static void sse_client_unlink(struct sse_client *c)
{
    struct sse_hub *hub = c->hub;

    if (hub == NULL)
        return;
    LIST_REMOVE(c, link);
    hub->nclients--;
    c->hub = NULL;
}

/* The request is over (data_free of the http_req). */
static void sse_on_request_done(void *data)
{
    struct sse_client *c = data;

    sse_client_unlink(c);
    c->req = NULL;
    sse_client_release(c);
}

/* libmicrohttpd destroyed the response. */
static void sse_on_response_free(void *cls)
{
    sse_client_release(cls);
}

/* Copies up to max bytes of what the client has to send into buf. */
static size_t sse_fill(struct sse_client *c, char *buf, size_t max)
{
    size_t n = 0, k;

    while (n < max) {
        if (c->frame == NULL && c->tnext != NULL) {
            c->frame = c->tnext;
            c->tnext = NULL;
            c->off = 0;
        }
        if (c->extra != NULL) {
            k = c->extra_len - c->extra_off;
            if (k > max - n)
                k = max - n;
            memcpy(buf + n, c->extra + c->extra_off, k);
            n += k;
            c->extra_off += k;
            if (c->extra_off == c->extra_len)
                c->extra = NULL;
            continue;
        }
        if (c->frame != NULL) {
            k = c->frame->len - c->off;
            if (k > max - n)
                k = max - n;
            memcpy(buf + n, c->frame->data + c->off, k);
            n += k;
            c->off += k;
            if (c->off == c->frame->len) {
                sse_frame_unref(c->frame);
                c->frame = c->next != NULL ? c->next : c->tnext;
                if (c->next != NULL)
                    c->next = NULL;
                else
                    c->tnext = NULL;
                c->off = 0;
            }
            continue;
        }
        break;
    }
    return n;
}

/*
 * The content reader. Sends what is ready; with nothing ready, suspends
 * the connection until sse_hub_publish() or a keepalive resumes it.
 */
static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct sse_client *c = cls;
    size_t n;

    (void)pos;
    if (c->req == NULL)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    if (c->ending || c->hub == NULL || c->hub->closing)
        return MHD_CONTENT_READER_END_OF_STREAM;
    n = sse_fill(c, buf, max);
    if (n > 0) {
        c->last_sent_ms = now_ms();
        return (ssize_t)n;
    }
    http_suspend(c->req);
    return 0;
}

/* Resumes a client waiting for data, if it is waiting. */
static void sse_wake(struct sse_client *c)
{
    if (c->req != NULL && c->req->suspended)
        http_resume(c->req);
}

/*
 * Closes a client's connection from outside libmicrohttpd: shutting the
 * socket down makes its next send fail, and libmicrohttpd then cleans up
 * as for any peer that went away.
 */
static void sse_drop(struct sse_client *c)
{
    const union MHD_ConnectionInfo *info;

    if (c->req == NULL)
        return;
    info = MHD_get_connection_info(c->req->conn,
                                   MHD_CONNECTION_INFO_CONNECTION_FD);
    if (info != NULL)
        shutdown(info->connect_fd, SHUT_RDWR);
    c->ending = 1;
    sse_wake(c);
}

/*
 * libmicrohttpd does not watch the socket of a suspended connection, so a
 * page that went away would keep its stream (and its place under the cap)
 * until the next write. An event stream's client never sends anything
 * after its request: a peek that finds the end of the stream means the
 * peer closed it.
 */
static int sse_peer_gone(const struct sse_client *c)
{
    const union MHD_ConnectionInfo *info;
    char byte;
    ssize_t n;

    if (c->req == NULL)
        return 0;
    info = MHD_get_connection_info(c->req->conn,
                                   MHD_CONNECTION_INFO_CONNECTION_FD);
    if (info == NULL)
        return 0;
    n = recv(info->connect_fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 ||
           (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

/* Ends the streams of waiting clients whose peer has gone. */
static void sse_sweep(struct sse_hub *hub)
{
    struct sse_client *c, *next;

    for (c = LIST_FIRST(&hub->clients); c != NULL; c = next) {
        next = LIST_NEXT(c, link);
        if (!c->ending && c->req != NULL && c->req->suspended &&
            sse_peer_gone(c)) {
            c->ending = 1;
            sse_wake(c);
        }
    }
}

/*
 * Every tick: closed peers are swept, idle clients get a keepalive
 * comment, and a client stuck on a superseded frame for lag_ms is dropped.
 */
static void sse_on_timer(uv_timer_t *t)
{
    struct sse_hub *hub = t->data;
    struct sse_client *c, *next;
    uint64_t now = now_ms();

    sse_sweep(hub);
    sse_hub_trim(hub);
    for (c = LIST_FIRST(&hub->clients); c != NULL; c = next) {
        next = LIST_NEXT(c, link);
        if (c->ending)
            continue;
        if (c->frame != NULL && c->frame->superseded_ms != 0 &&
            now - c->frame->superseded_ms > hub->cfg.lag_ms) {
            log_info("sse: dropping a client %u ms behind",
                     (unsigned)(now - c->frame->superseded_ms));
            hub->dropped++;
            sse_drop(c);
            continue;
        }
        if (c->frame == NULL && c->extra == NULL &&
            now - c->last_sent_ms >= hub->cfg.keepalive_ms) {
            c->extra = sse_keepalive;
            c->extra_len = sizeof(sse_keepalive) - 1;
            c->extra_off = 0;
            sse_wake(c);
        }
    }
}

struct sse_hub *sse_hub_new(uv_loop_t *loop, const struct sse_hub_config *cfg)
{
    struct sse_hub *hub = xcalloc(1, sizeof(*hub));

    hub->loop = loop;
    hub->cfg = *cfg;
    LIST_INIT(&hub->clients);
    hub->retry_len = (size_t)snprintf(hub->retry, sizeof(hub->retry),
                                      "retry: %u\n\n", cfg->retry_ms);
    uv_timer_init(loop, &hub->timer);
    hub->timer.data = hub;
    uv_timer_start(&hub->timer, sse_on_timer, SSE_TICK_MS, SSE_TICK_MS);
    return hub;
}

static void sse_on_hub_closed(uv_handle_t *h)
{
    struct sse_hub *hub = h->data;

    sse_frame_unref(hub->current);
    sse_frame_unref(hub->traffic);
    free(hub);
}

void sse_hub_free(struct sse_hub *hub)
{
    struct sse_client *c;

    if (hub == NULL)
        return;
    /* Clients still listed lose their hub; their owners free them. */
    while ((c = LIST_FIRST(&hub->clients)) != NULL)
        sse_client_unlink(c);
    uv_close((uv_handle_t *)&hub->timer, sse_on_hub_closed);
}

unsigned sse_hub_clients(const struct sse_hub *hub)
{
    return hub->nclients;
}

int sse_hub_full(struct sse_hub *hub)
{
    struct sse_client *c;
    unsigned open = 0;

    if (hub->closing)
        return 1;
    if (hub->nclients < hub->cfg.max_clients)
        return 0;
    /* At the cap: first let go of the streams whose pages are gone. */
    sse_sweep(hub);
    LIST_FOREACH(c, &hub->clients, link)
        open += !c->ending;
    return open >= hub->cfg.max_clients;
}

enum MHD_Result sse_hub_attach(struct sse_hub *hub, struct http_req *req)
{
    struct sse_client *c = xcalloc(1, sizeof(*c));
    struct MHD_Response *resp;
    enum MHD_Result ret;

    c->hub = hub;
    c->req = req;
    c->refs = 2;
    c->extra = hub->retry;
    c->extra_len = hub->retry_len;
    c->last_sent_ms = now_ms();
    hub->current_wanted = 1;
    if (hub->current != NULL)
        c->frame = sse_frame_ref(hub->current);
    if (hub->traffic != NULL)
        c->tnext = sse_frame_ref(hub->traffic);
    resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, SSE_BLOCK_SIZE,
                                             sse_read, c, sse_on_response_free);
    if (resp == NULL) {
        sse_frame_unref(c->frame);
        free(c);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    /* Reverse proxies (nginx) must not buffer the stream. */
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");
    LIST_INSERT_HEAD(&hub->clients, c, link);
    hub->nclients++;
    req->data = c;
    req->data_free = sse_on_request_done;
    ret =
        http_send_response(req, 200, resp, "text/event-stream; charset=utf-8");
    MHD_destroy_response(resp);
    return ret;
}

/* Makes f the hub's newest frame of its kind (*held: the model or the
 * traffic document; the hub takes f's reference) and queues it on every
 * client: a client between events starts it now, a client in the middle of
 * one finishes that event and then jumps to the newest of this kind (*queued
 * of the client, next or tnext; what was queued there is dropped). */
static void hub_broadcast(struct sse_hub *hub,
                          struct sse_frame **held,
                          struct sse_frame *f,
                          int traffic)
{
    struct sse_client *c;
    struct sse_frame **queued;

    if (*held != NULL) {
        (*held)->superseded_ms = now_ms();
        sse_frame_unref(*held);
    }
    *held = f;
    LIST_FOREACH(c, &hub->clients, link) {
        if (c->frame == NULL) {
            c->frame = sse_frame_ref(f);
            c->off = 0;
        } else {
            queued = traffic ? &c->tnext : &c->next;
            sse_frame_unref(*queued);
            *queued = sse_frame_ref(f);
        }
        sse_wake(c);
    }
}

void sse_hub_publish(struct sse_hub *hub, struct sse_frame *f)
{
    hub->current_wanted = 1;
    hub->released = 0;
    hub_broadcast(hub, &hub->current, f, 0);
}

int sse_hub_offer(struct sse_hub *hub, struct sse_frame *f, int wanted)
{
    size_t len;
    uint64_t hash;

    if (hub->current != NULL) {
        if (sse_frame_same(f, hub->current)) {
            sse_frame_unref(f);
            return 0;
        }
    } else if (hub->released) {
        hash = sse_frame_digest(f, &len);
        if (len == hub->released_len && hash == hub->released_hash) {
            if (!wanted) {
                sse_frame_unref(f);
                return 0;
            }
            hub->current = f;
            hub->current_wanted = 1;
            hub->released = 0;
            return 0;
        }
    }
    sse_hub_publish(hub, f);
    return 1;
}

struct sse_frame *sse_hub_current(struct sse_hub *hub)
{
    hub->current_wanted = 1;
    return hub->current;
}

int sse_hub_released(const struct sse_hub *hub)
{
    return hub->released;
}

void sse_hub_trim(struct sse_hub *hub)
{
    struct sse_frame *f = hub->current;

    if (f != NULL && f->refs == 1 && !hub->current_wanted) {
        hub->released_hash = sse_frame_digest(f, &hub->released_len);
        hub->released = 1;
        hub->current = NULL;
        log_debug("sse: let go of the model's frame (%zu bytes), unused",
                  f->len);
        sse_frame_unref(f);
    }
    hub->current_wanted = 0;
}

void sse_hub_publish_traffic(struct sse_hub *hub, struct sse_frame *f)
{
    hub_broadcast(hub, &hub->traffic, f, 1);
}

struct sse_frame *sse_hub_traffic(const struct sse_hub *hub)
{
    return hub->traffic;
}

void sse_hub_close(struct sse_hub *hub)
{
    struct sse_client *c;

    hub->closing = 1;
    uv_timer_stop(&hub->timer);
    LIST_FOREACH(c, &hub->clients, link) {
        c->ending = 1;
        sse_wake(c);
    }
}

uint64_t sse_hub_dropped(const struct sse_hub *hub)
{
    return hub->dropped;
}
