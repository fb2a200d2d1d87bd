/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hello.c: the request handler and the life cycle of the web service.
 *
 * GET / and GET /api ask the counter for the next visit number; the
 * request is suspended until Redis answers (or its deadline passes) and
 * resumed with the page. When Redis is known to be down, they are answered
 * at once. Everything runs on one libuv loop.
 */
#include "hello.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "log.h"
#include "util.h"

static const struct http_route hello_routes[] = {
    {"/", HTTP_GET | HTTP_HEAD, HELLO_ROUTE_PAGE},
    {"/api", HTTP_GET | HTTP_HEAD, HELLO_ROUTE_API},
    {"/healthz", HTTP_GET | HTTP_HEAD, HELLO_ROUTE_HEALTHZ},
    {"/metrics", HTTP_GET | HTTP_HEAD, HELLO_ROUTE_METRICS},
};

unsigned
hello_route(const char *method, const char *path, enum hello_route *route)
{
    int id = 0;
    unsigned status;

    status = http_route_match(hello_routes,
                              sizeof(hello_routes) / sizeof(hello_routes[0]),
                              method, path, &id);
    if (status == 200)
        *route = (enum hello_route)id;
    return status;
}

/* Queues the page (or /api's JSON) with or without a count. */
static enum MHD_Result hello_answer(struct hello *h,
                                    struct http_req *req,
                                    int have_visits,
                                    long long visits)
{
    struct MHD_Response *resp;
    enum MHD_Result ret;
    char body[4096];
    size_t len;
    const char *ctype;

    if (req->tag == HELLO_ROUTE_API) {
        len =
            page_render_json(&h->page, have_visits, visits, body, sizeof(body));
        ctype = "application/json";
    } else {
        len =
            page_render_html(&h->page, have_visits, visits, body, sizeof(body));
        ctype = "text/html; charset=utf-8";
    }
    if (len == 0)
        return http_send_error(req, 500);
    resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_COPY);
    if (resp == NULL)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    ret = http_send_response(req, 200, resp, ctype);
    MHD_destroy_response(resp);
    return ret;
}

/* The counter's answer for a suspended request. */
static void hello_on_count(void *arg, int ok, long long value)
{
    struct http_req *req = arg;

    req->data = NULL;
    req->data_free = NULL;
    hello_answer(req->cls, req, ok, value);
    http_resume(req);
}

/*
 * The request ended before Redis answered (only when the server is
 * stopped with requests still waiting): the answer must not reach it.
 */
static void hello_cancel(void *op)
{
    counter_cancel(op);
}

static enum MHD_Result hello_metrics(struct hello *h, struct http_req *req)
{
    struct page_metrics m;
    struct counter_stats st;
    struct buf b = BUF_INIT;
    struct MHD_Response *resp;
    enum MHD_Result ret;
    size_t len;
    char *text;

    counter_get_stats(h->counter, &st);
    memset(&m, 0, sizeof(m));
    http_status_counts(h->srv, &m.codes, &m.counts, &m.ncodes);
    m.redis_errors = st.errors;
    m.redis_outages = st.outages;
    m.visits_counted = st.incr_ok;
    m.page_requests = h->page_requests;
    m.redis_up = counter_up(h->counter);
    m.connections = http_connections(h->srv);
    m.start_time = h->start_time;
    page_render_metrics(&b, &m);
    text = buf_steal(&b, &len);
    resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    if (resp == NULL) {
        free(text);
        return MHD_NO;
    }
    ret = http_send_response(req, 200, resp,
                             "text/plain; version=0.0.4; charset=utf-8");
    MHD_destroy_response(resp);
    return ret;
}

/*
 * The handler. HEAD / and HEAD /api send the headers GET would send (RFC
 * 9110 section 9.3.2), Content-Length included, so they render the page
 * with the count a GET would get, read without counting a visit: a HEAD
 * from a monitor is not a visit.
 */
static enum MHD_Result hello_handle(void *cls, struct http_req *req)
{
    struct hello *h = cls;
    struct counter_op *op;
    enum hello_route route;
    unsigned status;

    status = hello_route(req->method, req->url, &route);
    if (status != 200)
        return http_send_error(req, status);
    req->tag = (int)route;
    switch (route) {
    case HELLO_ROUTE_HEALTHZ:
        return http_send(req, 200, "text/plain; charset=utf-8", "ok\n", 3,
                         MHD_RESPMEM_PERSISTENT);
    case HELLO_ROUTE_METRICS: return hello_metrics(h, req);
    case HELLO_ROUTE_PAGE:
    case HELLO_ROUTE_API:
        if (http_method_bit(req->method) == HTTP_HEAD)
            op = counter_next(h->counter, hello_on_count, req);
        else {
            h->page_requests++;
            op = counter_incr(h->counter, hello_on_count, req);
        }
        if (op == NULL)
            return hello_answer(h, req, 0, 0);
        req->data = op;
        req->data_free = hello_cancel;
        http_suspend(req);
        return MHD_YES;
    }
    return http_send_error(req, 500);
}

/* The drain is over: close everything so the loop ends. */
static void hello_on_drained(void *arg)
{
    struct hello *h = arg;

    /*
     * The counter first: requests still waiting for Redis (none, unless
     * the grace period ran out) get their page without a count.
     */
    counter_free(h->counter);
    h->counter = NULL;
    http_server_free(h->srv);
    h->srv = NULL;
    shutdown_watch_close(&h->sw);
}

static void hello_on_signal(void *arg, int signum)
{
    struct hello *h = arg;

    (void)signum;
    http_server_drain(h->srv, h->drain_grace_ms, hello_on_drained, h);
}

int hello_start(struct hello *h,
                uv_loop_t *loop,
                const struct hello_config *cfg,
                const char *hostname,
                const char *password,
                char *err,
                size_t errlen)
{
    struct http_server_config hc;
    struct counter_config cc;
    struct timeval tv;

    memset(h, 0, sizeof(*h));
    h->loop = loop;
    gettimeofday(&tv, NULL);
    h->start_time = (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
    /* A request waits for Redis at most the timeout: drain a bit longer. */
    h->drain_grace_ms = (unsigned)cfg->redis_timeout_ms + 5000;
    page_init(&h->page, cfg->name, hostname);

    memset(&hc, 0, sizeof(hc));
    hc.port = cfg->port;
    hc.conn_limit = (unsigned)cfg->max_connections;
    hc.idle_timeout_s = (unsigned)cfg->idle_timeout_s;
    hc.conn_memory = HELLO_HEADER_MEMORY;
    hc.csp = "default-src 'none'; frame-ancestors 'none'; "
             "base-uri 'none'; form-action 'none'";
    hc.handler = hello_handle;
    hc.cls = h;
    h->srv = http_server_new(loop, &hc, err, errlen);
    if (h->srv == NULL) {
        page_free(&h->page);
        return -1;
    }

    memset(&cc, 0, sizeof(cc));
    cc.host = cfg->redis_host;
    cc.port = cfg->redis_port;
    cc.password = password;
    cc.timeout_ms = (unsigned)cfg->redis_timeout_ms;
    cc.key = "counter";
    h->counter = counter_new(loop, &cc);

    shutdown_watch_start(loop, &h->sw, hello_on_signal, h);
    return 0;
}
