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

/*
 * Memory per connection for the request line and headers. libmicrohttpd
 * also keeps a parsed copy of the Cookie header in it, so that header
 * gets about half. Browsers send every cookie of a host name to every
 * port on it: the page on "localhost" or a node's IP gets the cookies of
 * whatever else runs there. libmicrohttpd's default of 8 KiB refused a
 * Cookie header over about 3.9 KB (and any header over 7.7 KB); 16 KiB
 * takes one of about 7.9 KB, close to the 8 KB header line nginx allows
 * by default, and other headers up to about 15.5 KB. 2,048 connections
 * then hold at most 32 MiB, within the stack file's 50 MB for a task.
 */
#define HELLO_HEADER_MEMORY (16 * 1024)

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
    uint64_t page_requests; /* GET / and GET /api (not HEAD) */
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
