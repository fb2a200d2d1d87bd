/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker_client_curl.c: the libcurl peer of visualizer/
 * docker_client.c, for bench/visualizer (same API, docker_client.h):
 * libcurl's multi interface on a libuv loop. See
 * docker_client.h.
 *
 * curl asks, through CURLMOPT_SOCKETFUNCTION, to watch a socket for
 * reading or writing: we keep one uv_poll_t per socket (struct dc_sock,
 * attached to the socket with curl_multi_assign()). When libuv reports
 * the socket ready, curl_multi_socket_action() lets curl work on it.
 * CURLMOPT_TIMERFUNCTION asks for one timeout, kept in a uv_timer_t.
 * After each action, finished transfers are collected from
 * curl_multi_info_read() and their owners called back, outside any curl
 * callback, so an owner may start or cancel requests there.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker_client.h"
#include "docker_model.h"
#include "log.h"
#include "util.h"

/* A reply larger than this is refused (the largest real one is ~5 MB). */
#define DOCKER_MAX_REPLY (256u * 1024 * 1024)
#define DOCKER_CONNECT_TIMEOUT_MS 3000
#define DOCKER_ERRBODY 1024 /* bytes of an error reply kept for its message */

struct docker_client {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;
    struct docker_endpoint ep;
    struct docker_req *reqs; /* requests in flight */
    struct dc_sock *socks;   /* sockets watched */
    int open_handles;        /* libuv handles not yet closed */
    int freeing;
    uint64_t count[DOCKER_GET_COUNT];
    uint64_t bytes;
};

struct docker_req {
    struct docker_client *c;
    CURL *easy;
    enum docker_get what;
    struct docker_req_ops ops;
    void *arg;
    long status;
    int aborted, too_large;
    size_t received;
    char errbody[DOCKER_ERRBODY];
    size_t errlen;
    char curlerr[CURL_ERROR_SIZE];
    struct docker_req *prev, *next;
};

struct dc_sock {
    uv_poll_t poll;
    struct docker_client *c;
    curl_socket_t fd;
    struct dc_sock *prev, *next;
};

/* ------------------------------------------------------------------ */
/* libuv <-> curl                                                      */
/* ------------------------------------------------------------------ */

static void dc_check_done(struct docker_client *c);

static void dc_on_handle_closed(uv_handle_t *h)
{
    struct docker_client *c = h->data;

    if (h->type == UV_POLL)
        free(h); /* the dc_sock: its poll handle is its first member */
    if (--c->open_handles == 0 && c->freeing)
        free(c);
}

/* Stops watching a socket and frees its state once libuv has let go. */
static void dc_sock_close(struct dc_sock *s)
{
    struct docker_client *c = s->c;

    if (s->prev != NULL)
        s->prev->next = s->next;
    else
        c->socks = s->next;
    if (s->next != NULL)
        s->next->prev = s->prev;
    uv_poll_stop(&s->poll);
    s->poll.data = c;
    uv_close((uv_handle_t *)&s->poll, dc_on_handle_closed);
}

static void dc_on_poll(uv_poll_t *p, int status, int events)
{
    struct dc_sock *s = p->data;
    struct docker_client *c = s->c;
    int flags = 0, running;

    if (status < 0)
        flags = CURL_CSELECT_ERR;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    curl_multi_socket_action(c->multi, s->fd, flags, &running);
    dc_check_done(c);
}

/* CURLMOPT_SOCKETFUNCTION: curl says what to watch on a socket. */
static int
dc_socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    struct docker_client *c = userp;
    struct dc_sock *s = socketp;
    int events = 0;

    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        if (s != NULL) {
            curl_multi_assign(c->multi, fd, NULL);
            dc_sock_close(s);
        }
        return 0;
    }
    if (s == NULL) {
        s = xcalloc(1, sizeof(*s));
        s->c = c;
        s->fd = fd;
        if (uv_poll_init_socket(c->loop, &s->poll, fd) != 0) {
            log_errorx("docker: cannot watch socket %d", fd);
            free(s);
            return -1;
        }
        s->poll.data = s;
        c->open_handles++;
        s->next = c->socks;
        if (c->socks != NULL)
            c->socks->prev = s;
        c->socks = s;
        curl_multi_assign(c->multi, fd, s);
    }
    if (what & CURL_POLL_IN)
        events |= UV_READABLE;
    if (what & CURL_POLL_OUT)
        events |= UV_WRITABLE;
    uv_poll_start(&s->poll, events, dc_on_poll);
    return 0;
}

static void dc_on_timer(uv_timer_t *t)
{
    struct docker_client *c = t->data;
    int running;

    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    dc_check_done(c);
}

/* CURLMOPT_TIMERFUNCTION: curl wants to be woken after timeout_ms. */
static int dc_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    struct docker_client *c = userp;

    (void)multi;
    if (timeout_ms < 0)
        uv_timer_stop(&c->timer);
    else
        uv_timer_start(&c->timer, dc_on_timer, (uint64_t)timeout_ms, 0);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Requests                                                            */
/* ------------------------------------------------------------------ */

/*
 * CURLOPT_WRITEFUNCTION: body bytes. A 200 reply goes to the owner as it
 * comes; the start of any other reply is kept for its error message.
 */
static size_t dc_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct docker_req *r = ud;
    size_t len = size * nmemb, n;

    if (r->status == 0)
        curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->status);
    r->received += len;
    r->c->bytes += len;
    if (r->received > DOCKER_MAX_REPLY) {
        r->too_large = 1;
        return 0;
    }
    if (r->status == 200) {
        if (r->ops.on_data != NULL && r->ops.on_data(r->arg, ptr, len) != 0) {
            r->aborted = 1;
            return 0;
        }
        return len;
    }
    n = sizeof(r->errbody) - 1 - r->errlen;
    if (n > len)
        n = len;
    memcpy(r->errbody + r->errlen, ptr, n);
    r->errlen += n;
    r->errbody[r->errlen] = '\0';
    return len;
}

static void dc_unlink(struct docker_req *r)
{
    struct docker_client *c = r->c;

    if (r->prev != NULL)
        r->prev->next = r->next;
    else
        c->reqs = r->next;
    if (r->next != NULL)
        r->next->prev = r->prev;
    r->prev = r->next = NULL;
}

static void dc_req_free(struct docker_req *r)
{
    dc_unlink(r);
    curl_multi_remove_handle(r->c->multi, r->easy);
    curl_easy_cleanup(r->easy);
    free(r);
}

/*
 * Words for a failed transfer that a user can act on: the socket that is
 * missing, the permission that is lacking, the engine that is not running.
 */
static void dc_describe(struct docker_req *r,
                        CURLcode code,
                        char *out,
                        size_t size,
                        int *unreachable)
{
    const struct docker_endpoint *ep = &r->c->ep;
    char where[160], msg[256];
    long oserr = 0;
    const char *why, *hint = "";

    *unreachable = 0;
    if (r->too_large) {
        snprintf(out, size, "GET %s: the reply is larger than %u MiB",
                 docker_get_path(r->what), DOCKER_MAX_REPLY >> 20);
        return;
    }
    if (code == CURLE_OK) {
        msg[0] = '\0';
        docker_error_message(r->errbody, r->errlen, msg, sizeof(msg));
        snprintf(out, size, "GET %s: the engine answered %ld%s%s",
                 docker_get_path(r->what), r->status, msg[0] ? ": " : "", msg);
        return;
    }
    *unreachable = 1;
    if (ep->is_unix)
        snprintf(where, sizeof(where), "unix://%s", ep->path);
    else
        snprintf(where, sizeof(where), "%s", ep->base + 7);
    curl_easy_getinfo(r->easy, CURLINFO_OS_ERRNO, &oserr);
    why = curl_easy_strerror(code);
    if (code == CURLE_OPERATION_TIMEDOUT) {
        why = "no answer in time";
    } else if (code == CURLE_COULDNT_CONNECT && oserr != 0) {
        why = strerror((int)oserr);
        if (oserr == ENOENT)
            hint = " (is the socket mounted? -v "
                   "/var/run/docker.sock:/var/run/docker.sock)";
        else if (oserr == EACCES)
            hint = " (run as root or in the socket's group)";
        else if (oserr == ECONNREFUSED)
            hint = " (is dockerd running?)";
    } else if (code == CURLE_GOT_NOTHING || code == CURLE_RECV_ERROR ||
               code == CURLE_PARTIAL_FILE || code == CURLE_SEND_ERROR) {
        why = "the engine closed the connection";
    } else if (code == CURLE_COULDNT_RESOLVE_HOST) {
        why = "unknown host name";
    }
    snprintf(out, size, "cannot reach the Docker engine at %s: %s%s", where,
             why, hint);
}

/* Collects finished transfers and calls their owners back. */
static void dc_check_done(struct docker_client *c)
{
    CURLMsg *msg;
    int left;

    while ((msg = curl_multi_info_read(c->multi, &left)) != NULL) {
        struct docker_req *r = NULL;
        struct docker_result res;
        char err[512];

        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        if (r == NULL)
            continue;
        memset(&res, 0, sizeof(res));
        if (r->status == 0)
            curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->status);
        res.status = r->status;
        res.aborted = r->aborted;
        if (!r->aborted && (msg->data.result != CURLE_OK || r->status != 200 ||
                            r->too_large)) {
            dc_describe(r, r->too_large ? CURLE_OK : msg->data.result, err,
                        sizeof(err), &res.unreachable);
            res.error = err;
        } else if (r->aborted) {
            res.error = "the reply was refused while reading it";
        }
        /* Unlink first: the owner may start new requests in on_done. */
        dc_unlink(r);
        curl_multi_remove_handle(c->multi, r->easy);
        if (r->ops.on_done != NULL)
            r->ops.on_done(r->arg, &res);
        curl_easy_cleanup(r->easy);
        free(r);
    }
}

struct docker_req *docker_client_get(struct docker_client *c,
                                     enum docker_get what,
                                     unsigned timeout_ms,
                                     const struct docker_req_ops *ops,
                                     void *arg)
{
    struct docker_req *r;
    char url[512];

    r = xcalloc(1, sizeof(*r));
    r->c = c;
    r->what = what;
    r->ops = *ops;
    r->arg = arg;
    r->easy = curl_easy_init();
    if (r->easy == NULL) {
        log_errorx("docker: curl_easy_init failed");
        abort();
    }
    snprintf(url, sizeof(url), "%s%s", c->ep.base, docker_get_path(what));
    curl_easy_setopt(r->easy, CURLOPT_URL, url);
    if (c->ep.is_unix)
        curl_easy_setopt(r->easy, CURLOPT_UNIX_SOCKET_PATH, c->ep.path);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(r->easy, CURLOPT_PROTOCOLS_STR, "http");
#else
    curl_easy_setopt(r->easy, CURLOPT_PROTOCOLS, (long)CURLPROTO_HTTP);
#endif
    /* The engine is never reached through a proxy from the environment. */
    curl_easy_setopt(r->easy, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(r->easy, CURLOPT_USERAGENT, "part5-visualizer");
    curl_easy_setopt(r->easy, CURLOPT_PRIVATE, r);
    curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, dc_write);
    curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(r->easy, CURLOPT_ERRORBUFFER, r->curlerr);
    curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)DOCKER_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    if (!c->ep.is_unix) {
        /* A dead TCP peer must end the event stream eventually. */
        curl_easy_setopt(r->easy, CURLOPT_TCP_KEEPALIVE, 1L);
        curl_easy_setopt(r->easy, CURLOPT_TCP_KEEPIDLE, 30L);
        curl_easy_setopt(r->easy, CURLOPT_TCP_KEEPINTVL, 10L);
    }
    r->next = c->reqs;
    if (c->reqs != NULL)
        c->reqs->prev = r;
    c->reqs = r;
    c->count[what]++;
    log_debug("docker: GET %s", docker_get_path(what));
    if (curl_multi_add_handle(c->multi, r->easy) != CURLM_OK) {
        log_errorx("docker: curl_multi_add_handle failed");
        abort();
    }
    return r;
}

void docker_cancel(struct docker_req *r)
{
    if (r == NULL)
        return;
    dc_req_free(r);
}

struct docker_client *docker_client_new(uv_loop_t *loop,
                                        const struct docker_endpoint *ep,
                                        char *err,
                                        size_t errlen)
{
    struct docker_client *c = xcalloc(1, sizeof(*c));

    c->loop = loop;
    c->ep = *ep;
    c->multi = curl_multi_init();
    if (c->multi == NULL) {
        snprintf(err, errlen, "curl_multi_init failed");
        free(c);
        return NULL;
    }
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, dc_socket_cb);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, dc_timer_cb);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    /* Four parallel requests at most: one stream and a resync of three. */
    curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, 4L);
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    c->open_handles = 1;
    return c;
}

void docker_client_free(struct docker_client *c)
{
    if (c == NULL)
        return;
    while (c->reqs != NULL)
        dc_req_free(c->reqs);
    curl_multi_cleanup(c->multi);
    c->multi = NULL;
    while (c->socks != NULL)
        dc_sock_close(c->socks);
    c->freeing = 1;
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->timer, dc_on_handle_closed);
}

uint64_t docker_client_count(const struct docker_client *c,
                             enum docker_get what)
{
    return (unsigned)what < DOCKER_GET_COUNT ? c->count[what] : 0;
}

uint64_t docker_client_bytes(const struct docker_client *c)
{
    return c->bytes;
}
