/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http.h: the HTTP server of hello and the visualizer, libmicrohttpd driven
 * from a libuv loop, with the habits each of them needs:
 *
 * - the access handler is called once headers and body are in, never on
 *   the first call (libmicrohttpd answers "Connection: close" to responses
 *   queued on the first call, which costs a new TCP connection per request);
 * - explicit limits: connections, idle timeout, memory per connection;
 * - common headers on every response, and one function that renders every
 *   error page (OpenBSD httpd server_abort_http);
 * - a drain for SIGTERM: stop accepting, let requests in flight finish,
 *   answer "Connection: close" meanwhile, then stop.
 */
#ifndef PART5_HTTP_H
#define PART5_HTTP_H

#include <stddef.h>

#include <microhttpd.h>
#include <stdint.h>
#include <sys/queue.h>
#include <uv.h>

struct http_server;

/* One request, as the program's handler sees it. */
struct http_req {
    struct http_server *srv;
    struct MHD_Connection *conn;
    const char *method; /* borrowed from libmicrohttpd */
    const char *url;    /* path without the query string, not decoded */
    int suspended;      /* set by http_suspend(), cleared by http_resume() */
    int answered;       /* a response was queued */
    int tag;            /* free for the program (e.g. the route) */
    size_t body_len;    /* request body bytes received and discarded */
    void *cls;          /* the program's context: the config's cls */
    void *data;         /* the program's per-request state */
    void (*data_free)(void *data); /* called when the request completes */
    LIST_ENTRY(http_req) link;     /* in the server's suspended list */
};

/*
 * The program's handler. It must queue a response (http_send() and
 * friends) or suspend the request with http_suspend() and answer later.
 * Returns MHD_YES, or MHD_NO to drop the connection.
 */
typedef enum MHD_Result (*http_handler_fn)(void *cls, struct http_req *req);

struct http_server_config {
    const char *host;        /* bind address; NULL or "" for all */
    int port;                /* 0 picks a free port: see http_port() */
    unsigned conn_limit;     /* open connections at most */
    unsigned idle_timeout_s; /* close a connection idle this long */
    size_t conn_memory;      /* bytes per connection for headers */
    size_t max_body;         /* a larger request body closes the
                                connection (no answer) */
    const char *csp;         /* Content-Security-Policy for HTML */
    http_handler_fn handler;
    void *cls;
};

/* Defaults suited to a small service behind a swarm's load balancer. */
#define HTTP_DEFAULT_CONN_LIMIT 2048
#define HTTP_DEFAULT_IDLE_TIMEOUT_S 30
#define HTTP_DEFAULT_CONN_MEMORY (8 * 1024)
#define HTTP_DEFAULT_MAX_BODY (16 * 1024)

/*
 * Starts a server on loop. Returns it, or NULL with a message in err.
 * Free with http_server_free().
 */
struct http_server *http_server_new(uv_loop_t *loop,
                                    const struct http_server_config *cfg,
                                    char *err,
                                    size_t errlen);

/* The port the server listens on (useful after port 0). */
int http_port(const struct http_server *srv);

/* Requests whose headers have arrived and that have not completed. */
unsigned http_in_flight(const struct http_server *srv);

/*
 * Responses queued so far, by status code: n entries of codes[i] and
 * counts[i]. The arrays belong to the server.
 */
#define HTTP_STATUS_SLOTS 24
void http_status_counts(const struct http_server *srv,
                        const unsigned **codes,
                        const uint64_t **counts,
                        size_t *n);

/* Open connections, idle ones included. */
unsigned http_connections(const struct http_server *srv);

/*
 * Stops accepting new connections and marks the server as draining:
 * responses carry "Connection: close" from now on. done(arg) is called
 * from the loop once every connection has closed (a keep-alive one after
 * its next answer) or none had a request for half a second, or after
 * grace_ms.
 */
void http_server_drain(struct http_server *srv,
                       unsigned grace_ms,
                       void (*done)(void *arg),
                       void *arg);

/*
 * Stops the server: requests still suspended get a 503 first, then the
 * daemon stops and the loop handles are closed. Accepts NULL. Run the loop
 * afterwards so libuv can finish closing; the memory is freed then.
 */
void http_server_free(struct http_server *srv);

/* Suspends a request until http_resume(); see MHD_suspend_connection(). */
void http_suspend(struct http_req *req);
void http_resume(struct http_req *req);

/*
 * Queues a response. body is used as mode says: MHD_RESPMEM_PERSISTENT for
 * static data, MHD_RESPMEM_MUST_COPY for buffers on the stack. Adds the
 * common headers (and the CSP when ctype is text/html). Returns MHD_YES or
 * MHD_NO as MHD_queue_response() does.
 */
enum MHD_Result http_send(struct http_req *req,
                          unsigned status,
                          const char *ctype,
                          const void *body,
                          size_t len,
                          enum MHD_ResponseMemoryMode mode);

/*
 * Queues a response the caller made; adds the common headers. The caller
 * still owns resp and destroys it afterwards.
 */
enum MHD_Result http_send_response(struct http_req *req,
                                   unsigned status,
                                   struct MHD_Response *resp,
                                   const char *ctype);

/*
 * Renders every error page: a short text/plain body such as
 * "404 Not Found\n". A 405 carries "Allow: GET, HEAD", a 401 carries the
 * WWW-Authenticate header given in http_send_unauthorized().
 */
enum MHD_Result http_send_error(struct http_req *req, unsigned status);
enum MHD_Result http_send_unauthorized(struct http_req *req, const char *realm);

/* Reason phrase of a status code ("Not Found"); "Unknown" if unknown. */
const char *http_reason(unsigned status);

/* Routing: a table of paths and the methods each accepts. */
#define HTTP_GET 0x1u
#define HTTP_HEAD 0x2u
#define HTTP_OTHER 0x80u

struct http_route {
    const char *path; /* exact match */
    unsigned methods; /* HTTP_GET | HTTP_HEAD ... */
    int id;
};

/* Returns the HTTP_* bit of a method name, HTTP_OTHER if unknown. */
unsigned http_method_bit(const char *method);

/*
 * Finds path in routes. Returns 200 with *id set when the route exists and
 * accepts the method, 405 when it exists but does not, 404 otherwise.
 */
unsigned http_route_match(const struct http_route *routes,
                          size_t n,
                          const char *method,
                          const char *path,
                          int *id);

/*
 * The --healthcheck client: GET http://host:port<path> with the whole
 * exchange bounded by timeout_ms. Returns the status code, or -1 with a
 * message in err.
 */
int http_probe(const char *host,
               int port,
               const char *path,
               int timeout_ms,
               char *err,
               size_t errlen);

#endif
