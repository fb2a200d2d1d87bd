/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http.c: libmicrohttpd on a libuv loop. See http.h.
 *
 * libmicrohttpd runs in its "external epoll" mode: it keeps its own epoll
 * set, whose descriptor we watch with a uv_poll handle, and a uv_timer
 * wakes it for connection timeouts. Everything runs on the loop's thread,
 * so the programs' handlers, their Redis or Docker clients and the server
 * share state without locks.
 *
 * Who owns what, and who may free what from a callback:
 * - libmicrohttpd owns the connections. http.c owns one struct http_req
 *   per request, from the first call of http_access() until
 *   http_completed(), which calls req->data_free(req->data) (the
 *   program's per-request state) and frees req.
 * - The program's handler borrows req. It answers at once, or suspends
 *   req and keeps the pointer until it has answered and resumed it; a
 *   request is on srv->suspended exactly while req->suspended is set, so
 *   http_server_free() can answer what is still suspended with 503
 *   (libmicrohttpd must not be stopped with a suspended connection).
 *   Anything that may outlive the request hangs on req->data, whose
 *   data_free is where the program lets go of it.
 * - The handler and libmicrohttpd's callbacks run inside MHD_run(); they
 *   may queue answers and suspend or resume any request, but must not
 *   free the server. Any other loop callback may (http_server_free()),
 *   the drain's done() included: http.c calls done() last and touches
 *   nothing of the server afterwards.
 * - http_server_free() closes the three loop handles; the server's memory
 *   goes with the last close callback (http_on_close()), so the loop has
 *   to run once more.
 */
#include "http.h"

#include <stdarg.h>

#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

struct http_server {
    struct MHD_Daemon *daemon;
    uv_loop_t *loop;
    uv_poll_t poll;         /* libmicrohttpd's epoll descriptor */
    uv_timer_t timer;       /* libmicrohttpd's connection timeouts */
    uv_timer_t drain_timer; /* grace period of a drain */
    int open_handles;       /* handles still to be closed by libuv */
    struct http_server_config cfg;
    unsigned in_flight;
    unsigned connections;
    unsigned peak;     /* most connections open since the last trim */
    int closed_in_run; /* a connection closed during MHD_run() */
    int draining;
    uint64_t last_request_ms; /* when the last request began (drain) */
    void (*drain_done)(void *arg);
    void *drain_arg;
    LIST_HEAD(, http_req) suspended; /* requests with req->suspended set */
    int port;
    /* Responses by status code, in the order codes were first seen. */
    unsigned codes[HTTP_STATUS_SLOTS];
    uint64_t counts[HTTP_STATUS_SLOTS];
    size_t ncodes;
    /* Rate limit for libmicrohttpd's own messages. */
    time_t log_second;
    unsigned log_count, log_suppressed;
};

static void http_run(struct http_server *srv);
static void http_on_timer(uv_timer_t *t);

/* Memory of closed connections worth giving back to the system. */
#define HTTP_TRIM_BYTES (512 * 1024)
/* A drain closes connections that had no request for this long. */
#define HTTP_DRAIN_IDLE_MS 500

/*
 * Each connection has a pool of conn_memory bytes from malloc. After a
 * burst of connections (a slow-client attack holding a thousand open, a
 * crowd of pages) closes, glibc keeps the freed pools in the heap, and a
 * block allocated meanwhile pins them there: every new burst then
 * touches more of them, and the resident memory creeps up to connections
 * x conn_memory. Once the open connections have fallen to half their
 * peak, and at least HTTP_TRIM_BYTES of pools were freed, the free pages
 * go back to the system (malloc_trim, a walk over the free lists). That
 * happens once per halving of a large peak, not once per connection, and
 * never under keep-alive load, where connections stay open.
 */
static void http_trim_after_burst(struct http_server *srv)
{
    if (srv->connections > srv->peak / 2 ||
        (size_t)(srv->peak - srv->connections) * srv->cfg.conn_memory <
            HTTP_TRIM_BYTES)
        return;
    malloc_trim(0);
    srv->peak = srv->connections;
}

/*
 * libmicrohttpd's messages ("Server reached connection limit", ...) go to
 * our log, at most 10 a second: a port scan must not flood the log.
 */
static void http_mhd_log(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void http_mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct http_server *srv = cls;
    time_t now = time(NULL);
    char msg[512];
    size_t len;

    if (now != srv->log_second) {
        if (srv->log_suppressed > 0)
            log_warnx("libmicrohttpd: %u similar messages suppressed",
                      srv->log_suppressed);
        srv->log_second = now;
        srv->log_count = 0;
        srv->log_suppressed = 0;
    }
    if (++srv->log_count > 10) {
        srv->log_suppressed++;
        return;
    }
    vsnprintf(msg, sizeof(msg), fmt, ap);
    len = strlen(msg);
    while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
        msg[--len] = '\0';
    log_warnx("libmicrohttpd: %s", msg);
}

/*
 * Adds the headers every response carries. HTML gets the server's
 * Content-Security-Policy; while draining, every response says
 * "Connection: close" so keep-alive clients move to another replica.
 */
static void http_add_headers(struct http_server *srv,
                             struct MHD_Response *resp,
                             const char *ctype)
{
    if (ctype != NULL) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
        if (strncmp(ctype, "text/html", 9) == 0 && srv->cfg.csp != NULL)
            MHD_add_response_header(resp, "Content-Security-Policy",
                                    srv->cfg.csp);
    }
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    if (srv->draining)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
}

enum MHD_Result http_send_response(struct http_req *req,
                                   unsigned status,
                                   struct MHD_Response *resp,
                                   const char *ctype)
{
    struct http_server *srv = req->srv;
    size_t i;

    http_add_headers(srv, resp, ctype);
    req->answered = 1;
    for (i = 0; i < srv->ncodes && srv->codes[i] != status; i++)
        ;
    if (i == srv->ncodes && i < HTTP_STATUS_SLOTS)
        srv->codes[srv->ncodes++] = status;
    if (i < HTTP_STATUS_SLOTS)
        srv->counts[i]++;
    return MHD_queue_response(req->conn, status, resp);
}

enum MHD_Result http_send(struct http_req *req,
                          unsigned status,
                          const char *ctype,
                          const void *body,
                          size_t len,
                          enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *resp;
    enum MHD_Result ret;

    resp = MHD_create_response_from_buffer(len, (void *)body, mode);
    if (resp == NULL) {
        log_errorx("cannot create a response for %s", req->url);
        return MHD_NO;
    }
    ret = http_send_response(req, status, resp, ctype);
    MHD_destroy_response(resp);
    return ret;
}

/* Queues an error page; extra header (name, value) when name is set. */
static enum MHD_Result http_send_error_with(struct http_req *req,
                                            unsigned status,
                                            const char *name,
                                            const char *value)
{
    struct MHD_Response *resp;
    enum MHD_Result ret;
    char body[64];
    int len;

    len = snprintf(body, sizeof(body), "%u %s\n", status, http_reason(status));
    resp = MHD_create_response_from_buffer((size_t)len, body,
                                           MHD_RESPMEM_MUST_COPY);
    if (resp == NULL)
        return MHD_NO;
    if (name != NULL)
        MHD_add_response_header(resp, name, value);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    ret = http_send_response(req, status, resp, "text/plain; charset=utf-8");
    MHD_destroy_response(resp);
    return ret;
}

enum MHD_Result http_send_error(struct http_req *req, unsigned status)
{
    if (status == 405)
        return http_send_error_with(req, status, MHD_HTTP_HEADER_ALLOW,
                                    "GET, HEAD");
    return http_send_error_with(req, status, NULL, NULL);
}

enum MHD_Result http_send_unauthorized(struct http_req *req, const char *realm)
{
    char value[160];

    snprintf(value, sizeof(value), "Basic realm=\"%s\", charset=\"UTF-8\"",
             realm);
    return http_send_error_with(req, 401, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                value);
}

void http_suspend(struct http_req *req)
{
    struct http_server *srv = req->srv;

    if (req->suspended)
        return;
    req->suspended = 1;
    LIST_INSERT_HEAD(&srv->suspended, req, link);
    MHD_suspend_connection(req->conn);
}

void http_resume(struct http_req *req)
{
    struct http_server *srv = req->srv;

    if (!req->suspended)
        return;
    req->suspended = 0;
    LIST_REMOVE(req, link);
    MHD_resume_connection(req->conn);
    /*
     * In external epoll mode libmicrohttpd does not watch its resume
     * signal: run it on the next loop iteration, once for all the requests
     * resumed in this one.
     */
    uv_timer_start(&srv->timer, http_on_timer, 0, 0);
}

/*
 * The access handler libmicrohttpd calls. The first call for a request
 * only allocates its state; methods other than GET and HEAD are refused
 * there already (the connection then closes, and an unwanted body is never
 * read). Body bytes are counted and dropped. The program's handler sees
 * the request once it has fully arrived.
 */
static enum MHD_Result http_access(void *cls,
                                   struct MHD_Connection *conn,
                                   const char *url,
                                   const char *method,
                                   const char *version,
                                   const char *upload_data,
                                   size_t *upload_data_size,
                                   void **req_cls)
{
    struct http_server *srv = cls;
    struct http_req *req = *req_cls;

    (void)version;
    (void)upload_data;
    if (req == NULL) {
        req = xcalloc(1, sizeof(*req));
        req->srv = srv;
        req->conn = conn;
        req->method = method;
        req->url = url;
        req->cls = srv->cfg.cls;
        *req_cls = req;
        srv->in_flight++;
        srv->last_request_ms = now_ms();
        if (http_method_bit(method) == HTTP_OTHER)
            return http_send_error(req, 405);
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        req->body_len += *upload_data_size;
        *upload_data_size = 0;
        if (req->body_len > srv->cfg.max_body)
            return MHD_NO;
        return MHD_YES;
    }
    if (req->answered || req->suspended)
        return MHD_YES;
    return srv->cfg.handler(srv->cfg.cls, req);
}

/* libmicrohttpd is done with a request: free what the handler kept. */
static void http_completed(void *cls,
                           struct MHD_Connection *conn,
                           void **req_cls,
                           enum MHD_RequestTerminationCode toe)
{
    struct http_server *srv = cls;
    struct http_req *req = *req_cls;

    (void)conn;
    (void)toe;
    if (req == NULL)
        return;
    if (req->suspended) {
        /* Cannot happen for a suspended connection; keep the list sane. */
        req->suspended = 0;
        LIST_REMOVE(req, link);
    }
    if (req->data_free != NULL)
        req->data_free(req->data);
    free(req);
    *req_cls = NULL;
    srv->in_flight--;
}

static void http_connection_notify(void *cls,
                                   struct MHD_Connection *conn,
                                   void **socket_context,
                                   enum MHD_ConnectionNotificationCode toe)
{
    struct http_server *srv = cls;

    (void)conn;
    (void)socket_context;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        srv->connections++;
        if (srv->connections > srv->peak)
            srv->peak = srv->connections;
    } else {
        if (srv->connections > 0)
            srv->connections--;
        srv->closed_in_run = 1;
    }
}

static void http_finish_drain(struct http_server *srv)
{
    void (*done)(void *) = srv->drain_done;

    srv->drain_done = NULL;
    uv_timer_stop(&srv->drain_timer);
    if (done != NULL)
        done(srv->drain_arg);
}

/*
 * Whether the drain is over: every connection closed, or none in flight
 * and no request for HTTP_DRAIN_IDLE_MS. Not as soon as nothing is in
 * flight: a keep-alive client sends its next request on the connection it
 * has, and closing that connection between two of its requests resets the
 * next one. While draining each gets its next answer with "Connection:
 * close" and goes elsewhere; only connections left idle (a browser's, which
 * retries) are closed by the stop. Otherwise checks again when the idle
 * time will have passed.
 */
static void http_check_drain(struct http_server *srv)
{
    uint64_t idle = now_ms() - srv->last_request_ms;
    uint64_t wait = HTTP_DRAIN_IDLE_MS - idle;

    if (srv->connections == 0 ||
        (srv->in_flight == 0 && idle >= HTTP_DRAIN_IDLE_MS)) {
        http_finish_drain(srv);
        return;
    }
    if (srv->in_flight == 0 && (!uv_is_active((uv_handle_t *)&srv->timer) ||
                                uv_timer_get_due_in(&srv->timer) > wait))
        uv_timer_start(&srv->timer, http_on_timer, wait, 0);
}

static void http_on_drain_timeout(uv_timer_t *t)
{
    struct http_server *srv = t->data;

    if (srv->drain_done != NULL)
        log_warnx("drain: %u requests still in flight after the grace "
                  "period, stopping anyway",
                  srv->in_flight);
    http_finish_drain(srv);
}

/*
 * Lets libmicrohttpd handle what is ready, then re-arms the timer for its
 * next connection timeout.
 */
static void http_run(struct http_server *srv)
{
    MHD_UNSIGNED_LONG_LONG timeout;

    srv->closed_in_run = 0;
    MHD_run(srv->daemon);
    if (srv->closed_in_run) {
        http_trim_after_burst(srv);
        /*
         * At the connection limit libmicrohttpd stops watching the listen
         * socket, and only starts again at the beginning of a run: run
         * again at once, or a full server would stay deaf after its
         * connections closed.
         */
        uv_timer_start(&srv->timer, http_on_timer, 0, 0);
    } else if (MHD_get_timeout(srv->daemon, &timeout) == MHD_YES) {
        uv_timer_start(&srv->timer, http_on_timer, (uint64_t)timeout, 0);
    } else {
        uv_timer_stop(&srv->timer);
    }
    if (srv->draining && srv->drain_done != NULL)
        http_check_drain(srv);
}

static void http_on_timer(uv_timer_t *t)
{
    http_run(t->data);
}

static void http_on_poll(uv_poll_t *p, int status, int events)
{
    (void)status;
    (void)events;
    http_run(p->data);
}

/* The value of a hexadecimal digit, or -1. */
static int http_hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * Decodes the %XX escapes of a request's path (and query arguments) in
 * place, as libmicrohttpd's own unescaper does, except %00: a NUL inside
 * the path would end the C string the handlers see, and
 * "/app.js%00.html" would be served as "/app.js". "%00" stays as it is and
 * matches no route. Returns the new length.
 */
static size_t http_unescape(void *cls, struct MHD_Connection *conn, char *s)
{
    char *r = s, *w = s;
    int hi, lo;

    (void)cls;
    (void)conn;
    while (*r != '\0') {
        if (r[0] == '%' && (hi = http_hex(r[1])) >= 0 &&
            (lo = http_hex(r[2])) >= 0 && (hi | lo) != 0) {
            *w++ = (char)(hi << 4 | lo);
            r += 3;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
    return (size_t)(w - s);
}

/* Returns 1 when the kernel has IPv6 (an AF_INET6 socket can be made). */
static int http_have_ipv6(void)
{
    int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return 0;
    close(fd);
    return 1;
}

/*
 * The address to listen on, for MHD_OPTION_SOCK_ADDR, and the flags it
 * needs. cfg->host when set (resolved; the first answer). Unset, every
 * address: one socket on "::" with IPV6_V6ONLY off, which takes IPv6 and
 * IPv4 (as ::ffff:a.b.c.d) alike, or "0.0.0.0" on a kernel without IPv6.
 * An IPv6 address always gets MHD_USE_DUAL_STACK, so "::" given by hand is
 * all addresses too (MHD_USE_IPv6 alone would set IPV6_V6ONLY).
 */
static int http_listen_addr(const struct http_server_config *cfg,
                            struct sockaddr_storage *ss,
                            unsigned *flags,
                            char *err,
                            size_t errlen)
{
    struct addrinfo hints, *res = NULL;
    char port[16];
    int rc;

    memset(ss, 0, sizeof(*ss));
    if (cfg->host == NULL || cfg->host[0] == '\0') {
        if (http_have_ipv6()) {
            struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

            sin6->sin6_family = AF_INET6;
            sin6->sin6_port = htons((uint16_t)cfg->port);
            sin6->sin6_addr = in6addr_any;
            *flags |= MHD_USE_DUAL_STACK;
        } else {
            struct sockaddr_in *sin = (struct sockaddr_in *)ss;

            sin->sin_family = AF_INET;
            sin->sin_port = htons((uint16_t)cfg->port);
            sin->sin_addr.s_addr = htonl(INADDR_ANY);
        }
        return 0;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    snprintf(port, sizeof(port), "%d", cfg->port);
    rc = getaddrinfo(cfg->host, port, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "cannot resolve bind address %s: %s", cfg->host,
                 gai_strerror(rc));
        return -1;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    if (res->ai_family == AF_INET6)
        *flags |= MHD_USE_DUAL_STACK;
    freeaddrinfo(res);
    return 0;
}

/* Writes ss as "a.b.c.d:port" or "[v6]:port" into out, for messages. */
static void
http_addr_str(const struct sockaddr_storage *ss, char *out, size_t outlen)
{
    char ip[INET6_ADDRSTRLEN] = "?";

    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

        inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip));
        snprintf(out, outlen, "[%s]:%u", ip, ntohs(sin6->sin6_port));
    } else {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

        inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
        snprintf(out, outlen, "%s:%u", ip, ntohs(sin->sin_port));
    }
}

/*
 * Raises the soft limit on open files to the hard limit, and keeps the
 * connection limit below it, with room for the program's other
 * descriptors: past the limit, accept() would fail in a loop.
 */
static unsigned http_fit_fd_limit(unsigned conn_limit)
{
    struct rlimit rl;
    rlim_t room;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return conn_limit;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            getrlimit(RLIMIT_NOFILE, &rl);
    }
    room = rl.rlim_cur > 64 ? rl.rlim_cur - 64 : 1;
    if (rl.rlim_cur != RLIM_INFINITY && conn_limit > room) {
        log_warnx("only %llu open files allowed: limiting connections to "
                  "%llu instead of %u",
                  (unsigned long long)rl.rlim_cur, (unsigned long long)room,
                  conn_limit);
        return (unsigned)room;
    }
    return conn_limit;
}

struct http_server *http_server_new(uv_loop_t *loop,
                                    const struct http_server_config *cfg,
                                    char *err,
                                    size_t errlen)
{
    struct http_server *srv = NULL;
    struct sockaddr_storage ss;
    const union MHD_DaemonInfo *info;
    unsigned flags =
        MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    char where[INET6_ADDRSTRLEN + 16];
    int epfd;

    srv = xcalloc(1, sizeof(*srv));
    LIST_INIT(&srv->suspended);
    srv->loop = loop;
    srv->cfg = *cfg;
    if (srv->cfg.conn_limit == 0)
        srv->cfg.conn_limit = HTTP_DEFAULT_CONN_LIMIT;
    srv->cfg.conn_limit = http_fit_fd_limit(srv->cfg.conn_limit);
    if (srv->cfg.idle_timeout_s == 0)
        srv->cfg.idle_timeout_s = HTTP_DEFAULT_IDLE_TIMEOUT_S;
    if (srv->cfg.conn_memory == 0)
        srv->cfg.conn_memory = HTTP_DEFAULT_CONN_MEMORY;
    if (srv->cfg.max_body == 0)
        srv->cfg.max_body = HTTP_DEFAULT_MAX_BODY;

    if (http_listen_addr(cfg, &ss, &flags, err, errlen) != 0)
        goto err;

    srv->daemon = MHD_start_daemon(
        flags, (uint16_t)cfg->port, NULL, NULL, http_access, srv,
        MHD_OPTION_EXTERNAL_LOGGER, http_mhd_log, srv, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&ss, MHD_OPTION_NOTIFY_COMPLETED, http_completed,
        srv, MHD_OPTION_NOTIFY_CONNECTION, http_connection_notify, srv,
        MHD_OPTION_CONNECTION_LIMIT, srv->cfg.conn_limit,
        MHD_OPTION_CONNECTION_TIMEOUT, srv->cfg.idle_timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, srv->cfg.conn_memory,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, MHD_OPTION_UNESCAPE_CALLBACK,
        http_unescape, NULL, MHD_OPTION_END);
    if (srv->daemon == NULL) {
        http_addr_str(&ss, where, sizeof(where));
        snprintf(err, errlen,
                 "cannot listen on %s (is the port in use, or the address "
                 "not on this machine?)",
                 where);
        goto err;
    }
    info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info != NULL ? info->port : cfg->port;
    info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_EPOLL_FD);
    if (info == NULL) {
        snprintf(err, errlen, "libmicrohttpd has no epoll descriptor");
        goto err;
    }
    epfd = info->epoll_fd;

    uv_timer_init(loop, &srv->timer);
    uv_timer_init(loop, &srv->drain_timer);
    uv_poll_init(loop, &srv->poll, epfd);
    srv->timer.data = srv->drain_timer.data = srv->poll.data = srv;
    srv->open_handles = 3;
    uv_poll_start(&srv->poll, UV_READABLE, http_on_poll);
    return srv;

err:
    if (srv->daemon != NULL)
        MHD_stop_daemon(srv->daemon);
    free(srv);
    return NULL;
}

int http_port(const struct http_server *srv)
{
    return srv->port;
}

unsigned http_in_flight(const struct http_server *srv)
{
    return srv->in_flight;
}

void http_status_counts(const struct http_server *srv,
                        const unsigned **codes,
                        const uint64_t **counts,
                        size_t *n)
{
    *codes = srv->codes;
    *counts = srv->counts;
    *n = srv->ncodes;
}

unsigned http_connections(const struct http_server *srv)
{
    return srv->connections;
}

void http_server_drain(struct http_server *srv,
                       unsigned grace_ms,
                       void (*done)(void *arg),
                       void *arg)
{
    MHD_socket fd;

    if (srv->draining)
        return;
    srv->draining = 1;
    srv->drain_done = done;
    srv->drain_arg = arg;
    fd = MHD_quiesce_daemon(srv->daemon);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    log_info("draining: no new connections, %u requests in flight, %u "
             "connections open",
             srv->in_flight, srv->connections);
    uv_timer_start(&srv->drain_timer, http_on_drain_timeout, grace_ms, 0);
    http_run(srv);
}

static void http_on_close(uv_handle_t *h)
{
    struct http_server *srv = h->data;

    if (--srv->open_handles == 0)
        free(srv);
}

void http_server_free(struct http_server *srv)
{
    if (srv == NULL)
        return;

    /* libmicrohttpd must not be stopped with suspended connections. */
    while (!LIST_EMPTY(&srv->suspended)) {
        struct http_req *req = LIST_FIRST(&srv->suspended);

        if (!req->answered)
            http_send_error(req, 503);
        http_resume(req);
    }
    MHD_run(srv->daemon);

    uv_close((uv_handle_t *)&srv->poll, http_on_close);
    uv_close((uv_handle_t *)&srv->timer, http_on_close);
    uv_close((uv_handle_t *)&srv->drain_timer, http_on_close);
    MHD_stop_daemon(srv->daemon);
    srv->daemon = NULL;
}
