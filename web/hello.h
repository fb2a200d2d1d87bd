/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hello.h: the web service of the stack, the tutorial's "friendlyhello"
 * page. main.c reads the configuration and starts it; hello.c answers
 * requests.
 */
#ifndef HELLO_HELLO_H
#define HELLO_HELLO_H

#include <uv.h>

#include "counter.h"
#include "http.h"
#include "page.h"
#include "shutdown.h"

enum hello_route {
    HELLO_ROUTE_PAGE,
    HELLO_ROUTE_API,
    HELLO_ROUTE_HEALTHZ,
    HELLO_ROUTE_METRICS,
};

struct hello_config {
    const char *name;
    int port;
    const char *redis_host;
    int redis_port;
    const char *redis_password_file;
    int redis_timeout_ms;
    int max_connections;
    int idle_timeout_s;
    int log_level;
};

struct hello {
    uv_loop_t *loop;
    struct http_server *srv;
    struct counter *counter;
    struct page page;
    struct shutdown_watch sw;
    double start_time;
    unsigned drain_grace_ms;
};

/*
 * Finds the route of a request. Returns 200 with *route set, 404 for an
 * unknown path or 405 for a method the path does not accept.
 */
unsigned
hello_route(const char *method, const char *path, enum hello_route *route);

/*
 * Starts the service on loop: the HTTP server, the Redis counter and the
 * signal watch. password may be NULL. Returns 0, or -1 with err set.
 */
int hello_start(struct hello *h,
                uv_loop_t *loop,
                const struct hello_config *cfg,
                const char *hostname,
                const char *password,
                char *err,
                size_t errlen);

#endif
