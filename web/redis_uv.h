/* SPDX-License-Identifier: Apache-2.0 */
/*
 * redis_uv.h: runs a hiredis asynchronous context on a libuv loop.
 *
 * hiredis ships an adapter for libuv, but the one in Debian 12 (hiredis
 * 0.14) drops poll errors: when a connect is refused, libuv reports the
 * error as the poll's status, the adapter returns, and the context waits
 * forever. This one hands errors to hiredis as readiness, so hiredis reads
 * the socket error and fails the connection at once.
 */
#ifndef HELLO_REDIS_UV_H
#define HELLO_REDIS_UV_H

#include <async.h>
#include <uv.h>

/*
 * Attaches ac to loop. Returns 0, or -1 when ac is attached already or
 * the fd cannot be polled. The adapter frees itself when hiredis cleans
 * up the context.
 */
int redis_uv_attach(redisAsyncContext *ac, uv_loop_t *loop);

#endif
