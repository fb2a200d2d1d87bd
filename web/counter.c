/* SPDX-License-Identifier: Apache-2.0 */
/*
 * counter.c: see counter.h.
 *
 * Who owns what, and who may free what from a callback:
 * - The counter owns every counter_op, from counter_incr() or
 *   counter_next() until its outcome is delivered: counter_finish()
 *   unlinks it, runs its callback and frees it. The caller holds the
 *   pointer only to cancel it; a cancelled op stays queued, without a
 *   callback, until its reply or failure comes.
 * - Callbacks run from the loop, never inside counter_incr() or
 *   counter_next() (counter_ask() makes the op only after everything that
 *   can fail at once). A callback may call counter_incr(), counter_next()
 *   and counter_cancel(); it must not call counter_free(). Every walk of
 *   c->ops that finishes ops runs with Redis marked down or the counter
 *   closing, when those calls return at once without touching c->ops,
 *   and keeps the next op before each call.
 * - c->ops is one FIFO in the order queued, which with one timeout is
 *   deadline order: the first op has the earliest deadline. An op sent
 *   to hiredis is privdata there until counter_on_reply() gets its reply,
 *   or NULL when the connection is gone; counter_fail() therefore
 *   finishes only ops not yet sent and leaves the others to hiredis.
 * - hiredis owns the redisAsyncContext and its replies: it frees a reply
 *   after our callback, and the context after the connect or disconnect
 *   callback or in redisAsyncFree(). c->ac is cleared before either, and
 *   ac->data before we free a context ourselves, so our callbacks ignore
 *   a context that is going.
 * - counter_free() fails what is queued and closes the loop handles; the
 *   counter's memory goes when the last of them (and a pending resolve)
 *   is done (counter_maybe_free()).
 */
#include "counter.h"

#include <async.h>
#include <errno.h>
#include <hiredis.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "breaker.h"
#include "log.h"
#include "redis_uv.h"
#include "util.h"

enum op_kind {
    OP_INCR, /* a visit: INCR key */
    OP_NEXT, /* the count the next INCR gets (HEAD): GET key, plus one */
    OP_AUTH,
    OP_PING,
};

struct counter_op {
    struct counter *c;
    enum op_kind kind;
    counter_cb *cb; /* NULL once cancelled */
    void *arg;
    uint64_t deadline;
    int sent;                     /* handed to hiredis */
    TAILQ_ENTRY(counter_op) link; /* in c->ops */
};

struct counter {
    uv_loop_t *loop;
    char *host, *password, *key;
    int port;
    unsigned timeout_ms;
    redisAsyncContext *ac; /* NULL while not connected */
    int resolving;
    uv_getaddrinfo_t gai;
    uv_timer_t deadline_timer, retry_timer;
    int handles; /* libuv handles and requests not yet closed */
    int closing;
    struct breaker br;
    TAILQ_HEAD(, counter_op) ops; /* in the order queued: FIFO */
    struct counter_stats stats;
    uint64_t last_data_warn; /* rate limit for data errors */
};

static void counter_connect(struct counter *c);
static void counter_fail(struct counter *c, const char *why);
static void counter_on_deadline(uv_timer_t *t);
static void counter_on_retry(uv_timer_t *t);

static void counter_maybe_free(struct counter *c)
{
    if (!c->closing || c->handles > 0 || c->resolving)
        return;
    free(c->host);
    if (c->password != NULL) {
        explicit_bzero(c->password, strlen(c->password));
        free(c->password);
    }
    free(c->key);
    free(c);
}

/*
 * Arms the deadline timer for the oldest pending operation. Operations are
 * queued in time order with one timeout, so the head has the earliest
 * deadline.
 */
static void counter_arm(struct counter *c)
{
    struct counter_op *oldest = TAILQ_FIRST(&c->ops);
    uint64_t now;

    if (c->closing)
        return;
    if (oldest == NULL) {
        uv_timer_stop(&c->deadline_timer);
        return;
    }
    now = now_ms();
    uv_timer_start(&c->deadline_timer, counter_on_deadline,
                   oldest->deadline > now ? oldest->deadline - now : 0, 0);
}

/* Delivers the outcome of op to its caller and frees it. */
static void counter_finish(struct counter *c,
                           struct counter_op *op,
                           int ok,
                           long long value)
{
    TAILQ_REMOVE(&c->ops, op, link);
    if (op->kind == OP_INCR) {
        if (ok)
            c->stats.incr_ok++;
        else
            c->stats.errors++;
    }
    if (op->cb != NULL)
        op->cb(op->arg, ok, value);
    free(op);
}

/*
 * Is this error reply about the connection or the server (LOADING, NOAUTH,
 * WRONGPASS, MASTERDOWN, BUSY), so that Redis should be treated as down?
 * Other errors (WRONGTYPE, MISCONF, ERR ...) are about the data: the
 * request gets no count, but the connection stays.
 */
static int counter_error_is_fatal(const char *msg)
{
    static const char *const fatal_prefixes[] = {
        "LOADING", "NOAUTH", "WRONGPASS", "MASTERDOWN", "BUSY",
    };
    size_t i;

    for (i = 0; i < sizeof(fatal_prefixes) / sizeof(fatal_prefixes[0]); i++)
        if (strncmp(msg, fatal_prefixes[i], strlen(fatal_prefixes[i])) == 0)
            return 1;
    return 0;
}

/*
 * What INCR would answer after GET answered reply: the value plus one, or
 * 1 when the key does not exist. Returns 1 with *next, or 0 where INCR
 * would fail: a value that is not an integer as Redis writes one (an
 * optional '-', no leading zero, nothing else), or the largest one.
 */
static int counter_next_value(const redisReply *reply, long long *next)
{
    const char *p = reply->str;
    size_t i, len = reply->len;
    int neg;
    long long v;

    if (reply->type == REDIS_REPLY_NIL) {
        *next = 1;
        return 1;
    }
    if (reply->type != REDIS_REPLY_STRING)
        return 0;
    neg = len > 0 && p[0] == '-';
    p += neg;
    len -= (size_t)neg;
    /* "0" alone; no "-0", no "012" (Redis' string2ll refuses them). */
    if (len == 0 || len > 19 || (p[0] == '0' && (neg || len > 1)))
        return 0;
    for (i = 0; i < len; i++)
        if (p[i] < '0' || p[i] > '9')
            return 0;
    errno = 0;
    v = strtoll(reply->str, NULL, 10);
    if (errno != 0 || v == LLONG_MAX)
        return 0;
    *next = v + 1;
    return 1;
}

/* The reply callback of every command we send. */
static void counter_on_reply(redisAsyncContext *ac, void *r, void *privdata)
{
    struct counter_op *op = privdata;
    struct counter *c = op->c;
    redisReply *reply = r;
    uint64_t down_ms = 0, now;
    char why[192];

    if (reply == NULL) {
        /* The connection is gone: hiredis fails what was sent on it. */
        snprintf(why, sizeof(why), "%s",
                 ac->errstr[0] != '\0' ? ac->errstr : "connection closed");
        counter_finish(c, op, 0, 0);
        counter_fail(c, why);
        return;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
        if (op->kind == OP_AUTH || op->kind == OP_PING ||
            counter_error_is_fatal(reply->str)) {
            snprintf(why, sizeof(why), "%s: %.120s",
                     op->kind == OP_AUTH
                         ? "password refused, check REDIS_PASSWORD_FILE"
                         : "error reply",
                     reply->str);
            counter_finish(c, op, 0, 0);
            counter_fail(c, why);
            return;
        }
        now = now_ms();
        if (c->last_data_warn == 0 || now - c->last_data_warn > 60000) {
            c->last_data_warn = now;
            log_warnx("redis: %s %s failed: %.120s (does the key hold "
                      "something other than a number?)",
                      op->kind == OP_NEXT ? "GET" : "INCR", c->key, reply->str);
        }
        counter_finish(c, op, 0, 0);
        counter_arm(c);
        return;
    }
    if (breaker_ok(&c->br, now_ms(), &down_ms))
        log_info("redis at %s:%d is back after %.1f s: counting visits again",
                 c->host, c->port, (double)down_ms / 1000.0);
    if (op->kind == OP_INCR) {
        counter_finish(c, op, reply->type == REDIS_REPLY_INTEGER,
                       reply->integer);
    } else if (op->kind == OP_NEXT) {
        long long next = 0;
        int ok = counter_next_value(reply, &next);

        counter_finish(c, op, ok, next);
    } else {
        counter_finish(c, op, 1, 0);
    }
    counter_arm(c);
}

/* Hands op to hiredis. Returns 0, or -1 when hiredis refused it. */
static int counter_send(struct counter *c, struct counter_op *op)
{
    int rc;

    switch (op->kind) {
    case OP_AUTH:
        rc = redisAsyncCommand(c->ac, counter_on_reply, op, "AUTH %s",
                               c->password);
        break;
    case OP_PING:
        rc = redisAsyncCommand(c->ac, counter_on_reply, op, "PING");
        break;
    case OP_NEXT:
        rc = redisAsyncCommand(c->ac, counter_on_reply, op, "GET %s", c->key);
        break;
    default:
        rc = redisAsyncCommand(c->ac, counter_on_reply, op, "INCR %s", c->key);
        break;
    }
    if (rc != REDIS_OK)
        return -1;
    op->sent = 1;
    return 0;
}

/* Queues a new operation, not yet sent. */
static struct counter_op *
counter_push(struct counter *c, enum op_kind kind, counter_cb *cb, void *arg)
{
    struct counter_op *op = xcalloc(1, sizeof(*op));

    op->c = c;
    op->kind = kind;
    op->cb = cb;
    op->arg = arg;
    op->deadline = now_ms() + c->timeout_ms;
    TAILQ_INSERT_TAIL(&c->ops, op, link);
    if (TAILQ_FIRST(&c->ops) == op)
        counter_arm(c);
    return op;
}

/*
 * Marks Redis down (logged once per outage), drops the connection, fails
 * every pending operation and schedules the next probe. Must not be
 * called from hiredis' connect or disconnect callbacks with c->ac still
 * set: those clear c->ac first, and hiredis frees the context itself.
 */
static void counter_fail(struct counter *c, const char *why)
{
    redisAsyncContext *ac = c->ac;
    struct counter_op *op, *next;

    if (breaker_fail(&c->br, now_ms())) {
        c->stats.outages++;
        log_warnx("redis at %s:%d is down (%s): answering without a count, "
                  "retrying in the background",
                  c->host, c->port, why);
    } else {
        log_debug("redis at %s:%d: still down (%s)", c->host, c->port, why);
    }
    c->ac = NULL;
    if (ac != NULL) {
        /*
         * hiredis calls back every command sent on ac with a NULL reply;
         * from inside a reply callback it does so after we return.
         */
        ac->data = NULL;
        redisAsyncFree(ac);
    }
    for (op = TAILQ_FIRST(&c->ops); op != NULL; op = next) {
        next = TAILQ_NEXT(op, link);
        if (!op->sent)
            counter_finish(c, op, 0, 0);
    }
    counter_arm(c);
    if (!c->closing && !c->resolving && c->ac == NULL &&
        !uv_is_active((uv_handle_t *)&c->retry_timer))
        uv_timer_start(&c->retry_timer, counter_on_retry,
                       breaker_next_retry(&c->br), 0);
}

static void counter_on_deadline(uv_timer_t *t)
{
    struct counter *c = t->data;
    struct counter_op *oldest = TAILQ_FIRST(&c->ops);
    char why[64];

    if (oldest == NULL)
        return;
    if (oldest->deadline > now_ms()) {
        counter_arm(c);
        return;
    }
    snprintf(why, sizeof(why), "no answer within %u ms", c->timeout_ms);
    counter_fail(c, why);
    /* Whatever is still queued was sent on the dropped connection. */
    while ((oldest = TAILQ_FIRST(&c->ops)) != NULL &&
           oldest->deadline <= now_ms())
        counter_finish(c, oldest, 0, 0);
    counter_arm(c);
}

static void counter_on_retry(uv_timer_t *t)
{
    counter_connect(t->data);
}

static void counter_on_connect(const redisAsyncContext *ac, int status)
{
    struct counter *c = ac->data;

    if (c == NULL || status == REDIS_OK)
        return;
    /* hiredis frees ac after this returns and fails what was queued. */
    if (c->ac == ac)
        c->ac = NULL;
    counter_fail(c, ac->errstr[0] != '\0' ? ac->errstr : "connect failed");
}

static void counter_on_disconnect(const redisAsyncContext *ac, int status)
{
    struct counter *c = ac->data;

    (void)status;
    if (c == NULL)
        return;
    if (c->ac == ac)
        c->ac = NULL;
    counter_fail(c, ac->errstr[0] != '\0' ? ac->errstr
                                          : "connection closed by redis");
}

/*
 * The address is known: open the connection and queue AUTH (with a
 * password), then PING, then whatever requests were waiting for it.
 */
static void
counter_on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct counter *c = req->data;
    char ip[INET6_ADDRSTRLEN] = "", why[160];
    struct counter_op *op, *next;
    redisAsyncContext *ac;

    c->resolving = 0;
    c->handles--;
    if (c->closing) {
        uv_freeaddrinfo(res);
        counter_maybe_free(c);
        return;
    }
    if (status != 0) {
        snprintf(why, sizeof(why), "cannot resolve %s: %s", c->host,
                 uv_strerror(status));
        uv_freeaddrinfo(res);
        counter_fail(c, why);
        return;
    }
    uv_ip_name(res->ai_addr, ip, sizeof(ip));
    uv_freeaddrinfo(res);

    ac = redisAsyncConnect(ip, c->port);
    if (ac == NULL || ac->err) {
        snprintf(why, sizeof(why), "connect to %s: %s", ip,
                 ac != NULL ? ac->errstr : "out of memory");
        if (ac != NULL)
            redisAsyncFree(ac);
        counter_fail(c, why);
        return;
    }
    if (redis_uv_attach(ac, c->loop) != 0) {
        redisAsyncFree(ac);
        counter_fail(c, "cannot attach to the event loop");
        return;
    }
    ac->data = c;
    redisAsyncSetConnectCallback(ac, counter_on_connect);
    redisAsyncSetDisconnectCallback(ac, counter_on_disconnect);
    c->ac = ac;

    /* The handshake goes first; requests that waited follow it. */
    if (c->password != NULL)
        counter_send(c, counter_push(c, OP_AUTH, NULL, NULL));
    counter_send(c, counter_push(c, OP_PING, NULL, NULL));
    for (op = TAILQ_FIRST(&c->ops); op != NULL && c->ac != NULL; op = next) {
        next = TAILQ_NEXT(op, link);
        if (!op->sent && counter_send(c, op) != 0) {
            counter_fail(c, "hiredis refused a command");
            break;
        }
    }
    /*
     * AUTH and PING were queued behind the requests that waited, whose
     * deadlines are earlier: the head still has the earliest one.
     */
    counter_arm(c);
}

/* Starts a connection attempt, unless one is under way. */
static void counter_connect(struct counter *c)
{
    struct addrinfo hints;
    int rc;

    if (c->closing || c->ac != NULL || c->resolving)
        return;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    c->gai.data = c;
    rc = uv_getaddrinfo(c->loop, &c->gai, counter_on_resolved, c->host, NULL,
                        &hints);
    if (rc != 0) {
        char why[160];

        snprintf(why, sizeof(why), "cannot resolve %s: %s", c->host,
                 uv_strerror(rc));
        counter_fail(c, why);
        return;
    }
    c->resolving = 1;
    c->handles++;
}

struct counter *counter_new(uv_loop_t *loop, const struct counter_config *cfg)
{
    struct counter *c = xcalloc(1, sizeof(*c));

    TAILQ_INIT(&c->ops);
    c->loop = loop;
    c->host = xstrdup(cfg->host);
    c->port = cfg->port;
    c->password = cfg->password != NULL ? xstrdup(cfg->password) : NULL;
    c->key = xstrdup(cfg->key != NULL ? cfg->key : "counter");
    c->timeout_ms = cfg->timeout_ms;
    breaker_init(&c->br);
    uv_timer_init(loop, &c->deadline_timer);
    uv_timer_init(loop, &c->retry_timer);
    c->deadline_timer.data = c->retry_timer.data = c;
    c->handles = 2;
    counter_connect(c);
    return c;
}

/*
 * counter_incr() and counter_next(). The callback of an op never runs
 * before this returns it: what can fail at once (starting a connection,
 * handing the command to hiredis) either happens before the op exists
 * or, when it fails, takes the op's callback away before failing it, and
 * the caller gets NULL.
 */
static struct counter_op *
counter_ask(struct counter *c, enum op_kind kind, counter_cb *cb, void *arg)
{
    struct counter_op *op;

    if (!c->closing && breaker_allows(&c->br) && c->ac == NULL)
        counter_connect(c); /* may fail at once: Redis is down then */
    if (c->closing || !breaker_allows(&c->br)) {
        if (kind == OP_INCR)
            c->stats.errors++;
        return NULL;
    }
    op = counter_push(c, kind, cb, arg);
    if (c->ac != NULL && counter_send(c, op) != 0) {
        op->cb = NULL;
        counter_fail(c, "hiredis refused a command"); /* frees op */
        return NULL;
    }
    return op;
}

struct counter_op *counter_incr(struct counter *c, counter_cb *cb, void *arg)
{
    return counter_ask(c, OP_INCR, cb, arg);
}

struct counter_op *counter_next(struct counter *c, counter_cb *cb, void *arg)
{
    return counter_ask(c, OP_NEXT, cb, arg);
}

void counter_cancel(struct counter_op *op)
{
    if (op != NULL)
        op->cb = NULL;
}

int counter_up(const struct counter *c)
{
    return breaker_allows(&c->br);
}

void counter_get_stats(const struct counter *c, struct counter_stats *st)
{
    *st = c->stats;
}

static void counter_on_close(uv_handle_t *h)
{
    struct counter *c = h->data;

    c->handles--;
    counter_maybe_free(c);
}

void counter_free(struct counter *c)
{
    struct counter_op *op;
    redisAsyncContext *ac;

    if (c == NULL)
        return;
    c->closing = 1;
    ac = c->ac;
    c->ac = NULL;
    if (ac != NULL) {
        ac->data = NULL;
        redisAsyncFree(ac);
    }
    while ((op = TAILQ_FIRST(&c->ops)) != NULL)
        counter_finish(c, op, 0, 0);
    if (c->resolving)
        uv_cancel((uv_req_t *)&c->gai);
    uv_close((uv_handle_t *)&c->deadline_timer, counter_on_close);
    uv_close((uv_handle_t *)&c->retry_timer, counter_on_close);
}
