/* SPDX-License-Identifier: Apache-2.0 */
/*
 * counter.h: the visit counter, Redis INCR over one asynchronous hiredis
 * connection on the program's libuv loop.
 *
 * Concurrent requests share the connection: their INCR commands are
 * written together and their replies read together (pipelining), so the
 * cost of a Redis round trip is paid once per batch, not per request.
 * Every command has a deadline (the timeout); when the oldest one passes,
 * or the connection fails, the counter goes down (see breaker.h): pending
 * requests get "no count", new requests are answered at once, and a
 * background probe (AUTH, PING) brings it back.
 */
#ifndef HELLO_COUNTER_H
#define HELLO_COUNTER_H

#include <stdint.h>
#include <uv.h>

struct counter;
struct counter_op;

/*
 * Called once per counter_incr(): ok is 1 with the new count in value, or
 * 0 when Redis failed or did not answer in time.
 */
typedef void counter_cb(void *arg, int ok, long long value);

struct counter_config {
    const char *host; /* name or address; resolved off the loop */
    int port;
    const char *password; /* NULL for none; copied */
    unsigned timeout_ms;  /* the longest a request waits for Redis */
    const char *key;      /* the key to INCR: "counter" */
};

struct counter_stats {
    uint64_t incr_ok; /* INCR answered */
    uint64_t errors;  /* requests that got no count from Redis */
    uint64_t outages; /* times Redis went down */
};

/* Creates the counter and starts connecting. Free with counter_free(). */
struct counter *counter_new(uv_loop_t *loop, const struct counter_config *cfg);

/*
 * Asks for the next count. Returns an operation whose callback will run
 * exactly once (unless cancelled), always later, from the loop: never
 * before counter_incr() has returned. Returns NULL when Redis is known to
 * be down (or goes down while asked): the caller answers at once without
 * a count, and no callback will come.
 */
struct counter_op *counter_incr(struct counter *c, counter_cb *cb, void *arg);

/*
 * Asks for the count the next counter_incr() would get, without counting
 * a visit (Redis GET, plus one): what HEAD needs to send the headers GET
 * would. The same promises and the same callback as counter_incr(); ok is
 * 0 where INCR would fail (the key holds no integer, or its largest).
 */
struct counter_op *counter_next(struct counter *c, counter_cb *cb, void *arg);

/* The callback of op will not be called; op is freed by the counter. */
void counter_cancel(struct counter_op *op);

/* Returns 1 while Redis is considered up (or still starting). */
int counter_up(const struct counter *c);

void counter_get_stats(const struct counter *c, struct counter_stats *st);

/*
 * Fails what is pending, disconnects and closes the loop handles. Accepts
 * NULL. The memory is freed once libuv has closed the handles.
 */
void counter_free(struct counter *c);

#endif
