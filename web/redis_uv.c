/* SPDX-License-Identifier: Apache-2.0 */
/*
 * redis_uv.c: see redis_uv.h.
 */
#include "redis_uv.h"

#include <stdlib.h>

#include "util.h"

struct redis_uv {
    redisAsyncContext *ac; /* NULL once hiredis cleaned up */
    uv_poll_t poll;
    int events;
};

static void redis_uv_on_poll(uv_poll_t *h, int status, int events)
{
    struct redis_uv *r = h->data;

    /*
     * On an error libuv passes a negative status and no events: let
     * hiredis try what it waited for, so it sees the error itself.
     */
    if (status < 0)
        events = r->events;
    if (r->ac != NULL && (events & UV_READABLE))
        redisAsyncHandleRead(r->ac);
    if (r->ac != NULL && (events & UV_WRITABLE))
        redisAsyncHandleWrite(r->ac);
}

static void redis_uv_update(struct redis_uv *r)
{
    if (r->events != 0)
        uv_poll_start(&r->poll, r->events, redis_uv_on_poll);
    else
        uv_poll_stop(&r->poll);
}

static void redis_uv_add_read(void *privdata)
{
    struct redis_uv *r = privdata;

    if (r->events & UV_READABLE)
        return;
    r->events |= UV_READABLE;
    redis_uv_update(r);
}

static void redis_uv_del_read(void *privdata)
{
    struct redis_uv *r = privdata;

    if (!(r->events & UV_READABLE))
        return;
    r->events &= ~UV_READABLE;
    redis_uv_update(r);
}

static void redis_uv_add_write(void *privdata)
{
    struct redis_uv *r = privdata;

    if (r->events & UV_WRITABLE)
        return;
    r->events |= UV_WRITABLE;
    redis_uv_update(r);
}

static void redis_uv_del_write(void *privdata)
{
    struct redis_uv *r = privdata;

    if (!(r->events & UV_WRITABLE))
        return;
    r->events &= ~UV_WRITABLE;
    redis_uv_update(r);
}

static void redis_uv_on_close(uv_handle_t *h)
{
    free(h->data);
}

/* hiredis is done with the context: stop polling before it closes the fd. */
static void redis_uv_cleanup(void *privdata)
{
    struct redis_uv *r = privdata;

    if (r->ac == NULL)
        return;
    r->ac->ev.data = NULL;
    r->ac = NULL;
    uv_close((uv_handle_t *)&r->poll, redis_uv_on_close);
}

int redis_uv_attach(redisAsyncContext *ac, uv_loop_t *loop)
{
    struct redis_uv *r;

    if (ac->ev.data != NULL)
        return -1;
    r = xcalloc(1, sizeof(*r));
    if (uv_poll_init(loop, &r->poll, ac->c.fd) != 0) {
        free(r);
        return -1;
    }
    r->ac = ac;
    r->poll.data = r;
    ac->ev.addRead = redis_uv_add_read;
    ac->ev.delRead = redis_uv_del_read;
    ac->ev.addWrite = redis_uv_add_write;
    ac->ev.delWrite = redis_uv_del_write;
    ac->ev.cleanup = redis_uv_cleanup;
    ac->ev.data = r;
    return 0;
}
