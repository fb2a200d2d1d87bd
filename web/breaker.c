/* SPDX-License-Identifier: Apache-2.0 */
/*
 * breaker.c: see breaker.h.
 */
#include "breaker.h"

#include <stddef.h>

void breaker_init(struct breaker *b)
{
    b->state = BREAKER_STARTING;
    b->retry_ms = BREAKER_RETRY_MIN_MS;
    b->down_since = 0;
    b->failures = 0;
}

int breaker_allows(const struct breaker *b)
{
    return b->state != BREAKER_DOWN;
}

int breaker_fail(struct breaker *b, uint64_t now_ms)
{
    b->failures++;
    if (b->state == BREAKER_DOWN)
        return 0;
    b->state = BREAKER_DOWN;
    b->down_since = now_ms;
    b->retry_ms = BREAKER_RETRY_MIN_MS;
    return 1;
}

int breaker_ok(struct breaker *b, uint64_t now_ms, uint64_t *down_ms)
{
    enum breaker_state was = b->state;

    b->state = BREAKER_UP;
    b->retry_ms = BREAKER_RETRY_MIN_MS;
    if (was != BREAKER_DOWN)
        return 0;
    if (down_ms != NULL)
        *down_ms = now_ms >= b->down_since ? now_ms - b->down_since : 0;
    return 1;
}

unsigned breaker_next_retry(struct breaker *b)
{
    unsigned delay = b->retry_ms;

    b->retry_ms *= 2;
    if (b->retry_ms > BREAKER_RETRY_MAX_MS)
        b->retry_ms = BREAKER_RETRY_MAX_MS;
    return delay;
}
