/* SPDX-License-Identifier: Apache-2.0 */
/*
 * breaker.h: the Redis-failure logic of hello, kept apart from I/O so it
 * can be tested with a fake clock.
 *
 * While Redis is up, requests go to Redis. The first failure (an error on
 * the connection, or no answer within the timeout) turns the breaker down:
 * requests are answered at once without asking Redis, and a background
 * probe reconnects at growing intervals (100 ms doubling up to 500 ms) so
 * the counter comes back within about half a second of Redis. Each change
 * of state is reported once, so the log gets one line when Redis goes away
 * and one when it comes back, not one per request.
 */
#ifndef HELLO_BREAKER_H
#define HELLO_BREAKER_H

#include <stdint.h>

enum breaker_state {
    BREAKER_STARTING, /* first connection: requests wait for it */
    BREAKER_UP,
    BREAKER_DOWN,
};

#define BREAKER_RETRY_MIN_MS 100
#define BREAKER_RETRY_MAX_MS 500

struct breaker {
    enum breaker_state state;
    unsigned retry_ms;   /* delay before the next probe */
    uint64_t down_since; /* when it went down, in ms */
    uint64_t failures;   /* failures seen since start */
};

void breaker_init(struct breaker *b);

/* Returns 1 when a request should be sent to Redis. */
int breaker_allows(const struct breaker *b);

/*
 * Records a failure at now_ms. Returns 1 when this turned the breaker down
 * (log it), 0 when it was down already.
 */
int breaker_fail(struct breaker *b, uint64_t now_ms);

/*
 * Records a success at now_ms. Returns 1 when this brought the breaker up
 * from down (log it), 0 otherwise. *down_ms gets how long it was down.
 */
int breaker_ok(struct breaker *b, uint64_t now_ms, uint64_t *down_ms);

/* The delay before the next probe, growing after each call. */
unsigned breaker_next_retry(struct breaker *b);

#endif
