/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker_client.h: GET requests to the Docker engine, on the program's
 * libuv loop.
 *
 * The socket given by DOCKER_HOST is root on the host, so this client can
 * only send the fixed requests of enum docker_get: there is no function
 * that takes a path, a method or a body, and nothing a browser sends ever
 * reaches it.
 *
 * A small HTTP/1.1 client of our own: one connection per request
 * ("Connection: close", docker_client.c), bodies with Content-Length,
 * chunked or until close (the reply parser, docker_reply.c), delivered
 * chunk by chunk as they arrive, so a 5 MB /tasks is never held whole.
 * Everything runs on the loop's thread (libuv's pool only resolves a
 * tcp:// host name). libcurl was measured as the alternative
 * (bench/visualizer/README.md): no faster (1.16x and 1.22x our CPU per
 * fetch), 7.3 to 7.9 MiB more resident memory and 9.3 to 10 MB more image
 * for the protocols it brings and the visualizer does not use; its
 * implementation of this same API is kept as the benchmark's peer
 * (bench/visualizer/docker_client_curl.c).
 */
#ifndef PART5_DOCKER_CLIENT_H
#define PART5_DOCKER_CLIENT_H

#include <stddef.h>

#include <stdint.h>
#include <uv.h>

/* The requests the visualizer may send, and nothing else. */
enum docker_get {
    DOCKER_GET_PING,       /* GET /_ping */
    DOCKER_GET_VERSION,    /* GET /version */
    DOCKER_GET_INFO,       /* GET /info */
    DOCKER_GET_NODES,      /* GET /nodes */
    DOCKER_GET_SERVICES,   /* GET /services */
    DOCKER_GET_TASKS,      /* GET /tasks */
    DOCKER_GET_CONTAINERS, /* GET /containers/json?all=1 */
    DOCKER_GET_EVENTS,     /* GET /events?filters=... (a stream) */
    DOCKER_GET_COUNT
};

/* The path and query of a request, e.g. "/tasks". */
const char *docker_get_path(enum docker_get what);

/* Where the engine listens, parsed from DOCKER_HOST. */
struct docker_endpoint {
    int is_unix;
    char path[108]; /* unix: the socket's path */
    char host[256]; /* tcp: host name or address (IPv6 without brackets) */
    int port;       /* tcp: port */
    char base[300]; /* for messages and URLs: http://host:port */
};

/*
 * Parses DOCKER_HOST: "unix:///path/to/socket" or "tcp://host:port"
 * (port 2375 when absent). Returns 0, or -1 with a message in err naming
 * DOCKER_HOST and what is accepted (TLS, ssh:// and npipe:// are not).
 */
int docker_endpoint_parse(const char *docker_host,
                          struct docker_endpoint *ep,
                          char *err,
                          size_t errlen);

struct docker_client;
struct docker_req;

/* How a request ended. */
struct docker_result {
    long status;       /* HTTP status, 0 when none arrived */
    int unreachable;   /* the engine could not be reached or went away */
    int aborted;       /* on_data returned -1 */
    const char *error; /* NULL on success; else words for a user (borrowed,
                          valid during on_done only) */
};

struct docker_req_ops {
    /*
     * A chunk of a 200 reply's body, borrowed for the call. Returns 0 to
     * go on, -1 to abort the request (on_done then has aborted set).
     */
    int (*on_data)(void *arg, const char *data, size_t len);
    /* The request is over (success, error or abort, never after cancel). */
    void (*on_done)(void *arg, const struct docker_result *res);
};

/*
 * Creates a client for an endpoint on loop. Returns NULL with a message
 * in err. Free with docker_client_free().
 */
struct docker_client *docker_client_new(uv_loop_t *loop,
                                        const struct docker_endpoint *ep,
                                        char *err,
                                        size_t errlen);

/*
 * Cancels every request (without calling back) and closes the client's
 * handles; the memory goes once the loop has run the close callbacks.
 * Accepts NULL. Not from inside a callback of this client.
 */
void docker_client_free(struct docker_client *c);

/*
 * Starts a request. timeout_ms bounds the whole request (0: no bound, for
 * the event stream). ops is copied; arg is passed back. Returns the
 * request (owned by the client, gone after on_done or docker_cancel()).
 */
struct docker_req *docker_client_get(struct docker_client *c,
                                     enum docker_get what,
                                     unsigned timeout_ms,
                                     const struct docker_req_ops *ops,
                                     void *arg);

/*
 * Stops a request; no callback follows. Not from inside on_data (return
 * -1 there instead). Accepts NULL.
 */
void docker_cancel(struct docker_req *r);

/* Requests sent so far, per kind (for tests and /metrics-like logs). */
uint64_t docker_client_count(const struct docker_client *c,
                             enum docker_get what);

/* Bytes of reply bodies received so far. */
uint64_t docker_client_bytes(const struct docker_client *c);

#endif
