/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scrape.c: the traffic scraper. See scrape.h.
 *
 * Who owns what: the scraper owns a fixed pool of request slots, made
 * once; a slot is busy from the connect until its TCP handle's close
 * callback, and holds the task's ID (a copy), never a pointer into the
 * traffic table, whose entries may go between two callbacks. The reply
 * is framed by docker_reply.c (the engine client's HTTP/1.1 reader) and
 * read by metrics_parse.c; both are bounded, and so is every byte count
 * here, so a hostile task costs one slot for at most timeout_ms.
 */
#include "scrape.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker_reply.h"
#include "log.h"
#include "metrics_parse.h"
#include "util.h"

struct scrape_slot {
    struct scrape *s;
    uv_tcp_t tcp;
    uv_connect_t conn;
    uv_write_t wr;
    uv_timer_t timer;
    int busy; /* a request holds the slot (until the close callback) */
    int done; /* its outcome is recorded; nothing more is read */
    char id[TRAFFIC_ID_MAX];
    char req[160];
    size_t got; /* reply bytes read */
    struct docker_reply reply;
    struct buf body; /* a 200's body: METRICS_MAX_BODY at most */
    char rbuf[2048];
};

struct scrape {
    uv_loop_t *loop;
    struct traffic *t;
    struct scrape_config cfg;
    scrape_round_fn on_round;
    void *arg;
    uv_timer_t tick;
    struct scrape_slot *slots;
    unsigned inflight;
    size_t cursor;      /* next task of the round, in the table */
    uint64_t round_gen; /* the table's generation when it began */
    int in_round;
    struct traffic_net nets[TRAFFIC_MAX_NETS];
    size_t nnets;
    uint64_t nets_ms; /* when they were read; 0: never */
    struct scrape_stats st;
    int stopping;
    unsigned open_handles; /* closed one by one in scrape_free() */
};

static void scrape_fill(struct scrape *s);
static void scrape_release(struct scrape *s);

size_t scrape_request_text(const struct sockaddr *sa, char *out, size_t size)
{
    char ip[INET6_ADDRSTRLEN], host[INET6_ADDRSTRLEN + 8];
    int n;

    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const void *)sa;

        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
        snprintf(host, sizeof(host), "%s:%u", ip, ntohs(in->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const void *)sa;

        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
        snprintf(host, sizeof(host), "[%s]:%u", ip, ntohs(in6->sin6_port));
    } else {
        return 0;
    }
    n = snprintf(out, size, SCRAPE_REQUEST, host);
    return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

const struct traffic_net *scrape_nets(struct scrape *s, size_t *n)
{
    uint64_t now = uv_now(s->loop);
    int got;

    if (s->nets_ms == 0 || now - s->nets_ms >= SCRAPE_NETS_MS) {
        got = traffic_local_nets(s->nets, TRAFFIC_MAX_NETS);
        if (got < 0)
            log_warn("traffic: reading this host's network interfaces");
        else
            s->nnets = (size_t)got;
        s->nets_ms = now != 0 ? now : 1;
    }
    *n = s->nnets;
    return s->nets;
}

void scrape_get_stats(const struct scrape *s, struct scrape_stats *st)
{
    *st = s->st;
}

/* ------------------------------------------------------------------ */
/* One request                                                         */
/* ------------------------------------------------------------------ */

static void scrape_on_closed(uv_handle_t *h)
{
    struct scrape_slot *sl = h->data;
    struct scrape *s = sl->s;

    docker_reply_free(&sl->reply);
    buf_free(&sl->body);
    sl->busy = 0;
    s->inflight--;
    if (s->stopping)
        scrape_release(s); /* scrape_free() counted this handle */
    else
        scrape_fill(s);
}

/*
 * The request is over: records the answer (ok, with the counter) or its
 * absence, and closes the connection. Later callbacks of this request
 * find done set and do nothing.
 */
static void scrape_finish(struct scrape_slot *sl, int ok, uint64_t count)
{
    struct scrape *s = sl->s;
    struct traffic_task *k;

    if (sl->done)
        return;
    sl->done = 1;
    uv_timer_stop(&sl->timer);
    k = traffic_find(s->t, sl->id);
    if (k != NULL)
        traffic_answer(k, ok, uv_now(s->loop), count);
    if (ok)
        s->st.answers++;
    uv_close((uv_handle_t *)&sl->tcp, scrape_on_closed);
}

/* The reply is complete: a 200 whose body holds the counter, or not. */
static void scrape_complete(struct scrape_slot *sl)
{
    const char *why = NULL;
    uint64_t count = 0;

    if (sl->reply.status != 200) {
        log_debug("traffic: task %s answered %ld", sl->id, sl->reply.status);
    } else if (metrics_parse(sl->body.data, sl->body.len, METRICS_PAGE_REQUESTS,
                             &count, &why) == 0) {
        scrape_finish(sl, 1, count);
        return;
    } else {
        log_debug("traffic: task %s: %s", sl->id, why);
    }
    sl->s->st.refused++;
    scrape_finish(sl, 0, 0);
}

static void scrape_refuse(struct scrape_slot *sl, const char *why)
{
    log_debug("traffic: task %s: %s", sl->id, why);
    sl->s->st.refused++;
    scrape_finish(sl, 0, 0);
}

/* A 200's body bytes: kept up to what the parser accepts. */
static int scrape_on_body(void *arg, const char *data, size_t len)
{
    struct scrape_slot *sl = arg;

    if (len > METRICS_MAX_BODY - sl->body.len)
        return -1;
    buf_append(&sl->body, data, len);
    return 0;
}

static void scrape_on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    struct scrape_slot *sl = h->data;

    (void)suggested;
    b->base = sl->rbuf;
    b->len = sizeof(sl->rbuf);
}

static void scrape_on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *b)
{
    struct scrape_slot *sl = st->data;
    const char *why = NULL;
    int rc;

    if (sl->done)
        return;
    if (nread == UV_EOF) {
        /* A body framed by the end of the connection ends here. */
        if (sl->reply.state == DOCKER_REPLY_BODY_CLOSE)
            scrape_complete(sl);
        else
            scrape_refuse(sl, "the reply ended early");
        return;
    }
    if (nread < 0) {
        sl->s->st.unreachable++;
        log_debug("traffic: task %s: %s", sl->id, uv_strerror((int)nread));
        scrape_finish(sl, 0, 0);
        return;
    }
    sl->got += (size_t)nread;
    if (sl->got > SCRAPE_MAX_REPLY) {
        scrape_refuse(sl, "the reply is larger than 16 KiB");
        return;
    }
    rc = docker_reply_feed(&sl->reply, b->base, (size_t)nread, &why);
    if (rc < 0)
        scrape_refuse(sl, why != NULL ? why : "the body is too large");
    else if (rc == 1)
        scrape_complete(sl);
}

static void scrape_on_write(uv_write_t *w, int status)
{
    struct scrape_slot *sl = w->data;

    if (status < 0 && !sl->done) {
        sl->s->st.unreachable++;
        scrape_finish(sl, 0, 0);
    }
}

static void scrape_on_connect(uv_connect_t *c, int status)
{
    struct scrape_slot *sl = c->data;
    uv_buf_t b;

    if (sl->done)
        return;
    if (status < 0) {
        sl->s->st.unreachable++;
        log_debug("traffic: task %s: connect: %s", sl->id, uv_strerror(status));
        scrape_finish(sl, 0, 0);
        return;
    }
    b = uv_buf_init(sl->req, (unsigned)strlen(sl->req));
    if (uv_write(&sl->wr, (uv_stream_t *)&sl->tcp, &b, 1, scrape_on_write) !=
            0 ||
        uv_read_start((uv_stream_t *)&sl->tcp, scrape_on_alloc,
                      scrape_on_read) != 0) {
        sl->s->st.unreachable++;
        scrape_finish(sl, 0, 0);
    }
}

static void scrape_on_timeout(uv_timer_t *t)
{
    struct scrape_slot *sl = t->data;

    sl->s->st.timeouts++;
    log_debug("traffic: task %s: no answer within %u ms", sl->id,
              sl->s->cfg.timeout_ms);
    scrape_finish(sl, 0, 0);
}

/* Starts a request to task k in a free slot. */
static void scrape_begin(struct scrape *s,
                         struct scrape_slot *sl,
                         const struct traffic_task *k)
{
    snprintf(sl->id, sizeof(sl->id), "%s", k->id);
    sl->busy = 1;
    sl->done = 0;
    sl->got = 0;
    buf_init(&sl->body);
    docker_reply_init(&sl->reply, scrape_on_body, sl);
    s->inflight++;
    s->st.requests++;
    uv_tcp_init(s->loop, &sl->tcp);
    sl->tcp.data = sl->conn.data = sl->wr.data = sl;
    uv_timer_start(&sl->timer, scrape_on_timeout, s->cfg.timeout_ms, 0);
    if (scrape_request_text(&k->addr.sa, sl->req, sizeof(sl->req)) == 0 ||
        uv_tcp_connect(&sl->conn, &sl->tcp, &k->addr.sa, scrape_on_connect) !=
            0) {
        s->st.unreachable++;
        scrape_finish(sl, 0, 0);
    }
}

/* ------------------------------------------------------------------ */
/* Rounds                                                              */
/* ------------------------------------------------------------------ */

/* Starts requests while slots are free and the round has tasks left. */
static void scrape_fill(struct scrape *s)
{
    unsigned i = 0;

    if (!s->in_round)
        return;
    if (s->round_gen != s->t->generation && s->cursor > s->t->n)
        s->cursor = s->t->n; /* the table shrank during the round */
    while (s->inflight < s->cfg.max_inflight && s->cursor < s->t->n) {
        const struct traffic_task *k = s->t->tasks[s->cursor++];

        if (!k->reachable)
            continue;
        while (s->slots[i].busy)
            i++;
        scrape_begin(s, &s->slots[i], k);
    }
    if (s->inflight == 0 && s->cursor >= s->t->n) {
        s->in_round = 0;
        s->st.rounds++;
        s->on_round(s->arg);
    }
}

static void scrape_on_tick(uv_timer_t *t)
{
    struct scrape *s = t->data;

    if (s->in_round) {
        s->st.skipped_ticks++; /* slow tasks: the round goes on */
        return;
    }
    s->in_round = 1;
    s->cursor = 0;
    s->round_gen = s->t->generation;
    scrape_fill(s);
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                          */
/* ------------------------------------------------------------------ */

struct scrape *scrape_new(uv_loop_t *loop,
                          struct traffic *t,
                          const struct scrape_config *cfg,
                          scrape_round_fn on_round,
                          void *arg)
{
    struct scrape *s = xcalloc(1, sizeof(*s));
    unsigned i;

    s->loop = loop;
    s->t = t;
    if (cfg != NULL)
        s->cfg = *cfg;
    if (s->cfg.interval_ms == 0)
        s->cfg.interval_ms = SCRAPE_INTERVAL_MS;
    if (s->cfg.timeout_ms == 0)
        s->cfg.timeout_ms = SCRAPE_TIMEOUT_MS;
    if (s->cfg.max_inflight == 0)
        s->cfg.max_inflight = SCRAPE_MAX_INFLIGHT;
    s->on_round = on_round;
    s->arg = arg;
    s->slots = xcalloc(s->cfg.max_inflight, sizeof(*s->slots));
    uv_timer_init(loop, &s->tick);
    s->tick.data = s;
    for (i = 0; i < s->cfg.max_inflight; i++) {
        s->slots[i].s = s;
        uv_timer_init(loop, &s->slots[i].timer);
        s->slots[i].timer.data = &s->slots[i];
    }
    return s;
}

void scrape_start(struct scrape *s)
{
    uv_timer_start(&s->tick, scrape_on_tick, s->cfg.interval_ms,
                   s->cfg.interval_ms);
}

/* One handle less to wait for; the last one frees the scraper. */
static void scrape_release(struct scrape *s)
{
    if (--s->open_handles > 0)
        return;
    free(s->slots);
    free(s);
}

static void scrape_on_tick_closed(uv_handle_t *h)
{
    scrape_release(h->data);
}

static void scrape_on_timer_closed(uv_handle_t *h)
{
    scrape_release(((struct scrape_slot *)h->data)->s);
}

void scrape_free(struct scrape *s)
{
    unsigned i;

    if (s == NULL)
        return;
    s->stopping = 1;
    s->in_round = 0;
    s->open_handles = 1 + s->cfg.max_inflight;
    uv_close((uv_handle_t *)&s->tick, scrape_on_tick_closed);
    for (i = 0; i < s->cfg.max_inflight; i++) {
        struct scrape_slot *sl = &s->slots[i];

        uv_close((uv_handle_t *)&sl->timer, scrape_on_timer_closed);
        if (!sl->busy)
            continue;
        /* Its connection closes too (scrape_on_closed() releases it). */
        s->open_handles++;
        if (!sl->done) {
            sl->done = 1;
            uv_close((uv_handle_t *)&sl->tcp, scrape_on_closed);
        }
    }
}
