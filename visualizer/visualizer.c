/* SPDX-License-Identifier: Apache-2.0 */
/*
 * visualizer.c: routes, rendering and life cycle of the visualizer.
 *
 * The engine watcher says when the picture changed; the model is then
 * rendered once (at most every VIZ_PUBLISH_MIN_MS), and the rendered frame
 * is shared by GET /api/state and every event stream. A rendering equal to
 * the previous one (generated_at aside) is dropped, so the periodic resync
 * of an idle swarm sends nothing to the pages. A frame nobody asked for in
 * 5 to 10 s is let go (sse.h) and rendered again when a page or GET
 * /api/state wants it.
 */
#include "visualizer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fnv1a.h"
#include "util.h"

/* The page, compiled in by part5_embed() (generated visualizer_assets.c). */
extern const unsigned char viz_asset_index_html[], viz_asset_app_js[],
    viz_asset_style_css[], viz_asset_favicon_svg[];
extern const size_t viz_asset_index_html_len, viz_asset_app_js_len,
    viz_asset_style_css_len, viz_asset_favicon_svg_len;

struct viz_asset {
    const unsigned char *data;
    const size_t *len;
    const char *ctype;
    char etag[24];
};

static struct viz_asset viz_assets[] = {
    [VIZ_ROUTE_PAGE] = {viz_asset_index_html, &viz_asset_index_html_len,
                        "text/html; charset=utf-8", ""},
    [VIZ_ROUTE_APP_JS] = {viz_asset_app_js, &viz_asset_app_js_len,
                          "text/javascript; charset=utf-8", ""},
    [VIZ_ROUTE_STYLE_CSS] = {viz_asset_style_css, &viz_asset_style_css_len,
                             "text/css; charset=utf-8", ""},
    [VIZ_ROUTE_FAVICON] = {viz_asset_favicon_svg, &viz_asset_favicon_svg_len,
                           "image/svg+xml", ""},
};

static const struct http_route viz_routes[] = {
    {"", HTTP_GET | HTTP_HEAD, VIZ_ROUTE_PAGE},
    {"app.js", HTTP_GET | HTTP_HEAD, VIZ_ROUTE_APP_JS},
    {"style.css", HTTP_GET | HTTP_HEAD, VIZ_ROUTE_STYLE_CSS},
    {"favicon.svg", HTTP_GET | HTTP_HEAD, VIZ_ROUTE_FAVICON},
    {"api/state", HTTP_GET | HTTP_HEAD, VIZ_ROUTE_STATE},
    {"api/traffic", HTTP_GET | HTTP_HEAD, VIZ_ROUTE_TRAFFIC},
    {"api/events", HTTP_GET | HTTP_HEAD, VIZ_ROUTE_EVENTS},
    {"healthz", HTTP_GET | HTTP_HEAD, VIZ_ROUTE_HEALTHZ},
};

/* Characters a CTX_ROOT may hold: unreserved and sub-delims of RFC 3986. */
static int viz_root_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || strchr("-._~!$&'()*+,;=:@/", c) != NULL;
}

int viz_root_normalise(
    const char *in, char *out, size_t size, char *err, size_t errlen)
{
    size_t n = 0, seg;
    const char *p;

    if (in == NULL)
        in = "";
    if (strlen(in) > VIZ_ROOT_MAX || size < VIZ_ROOT_SIZE) {
        snprintf(err, errlen, "invalid CTX_ROOT: longer than %d bytes",
                 VIZ_ROOT_MAX);
        return -1;
    }
    out[n++] = '/';
    for (p = in; *p != '\0';) {
        if (*p == '/') {
            p++;
            continue;
        }
        seg = strcspn(p, "/");
        if ((seg == 1 && p[0] == '.') ||
            (seg == 2 && p[0] == '.' && p[1] == '.')) {
            snprintf(err, errlen,
                     "invalid CTX_ROOT=\"%.60s\": \".\" and \"..\" are not "
                     "allowed",
                     in);
            return -1;
        }
        for (size_t i = 0; i < seg; i++) {
            if (!viz_root_char((unsigned char)p[i]) || p[i] == '\0') {
                snprintf(err, errlen,
                         "invalid CTX_ROOT=\"%.60s\": only letters, digits "
                         "and -._~!$&'()*+,;=:@ may appear in a path prefix",
                         in);
                return -1;
            }
        }
        memcpy(out + n, p, seg);
        n += seg;
        out[n++] = '/';
        p += seg;
    }
    out[n] = '\0';
    return 0;
}

unsigned viz_route(const char *root,
                   const char *method,
                   const char *path,
                   enum viz_route *route)
{
    size_t rootlen = strlen(root);
    unsigned status;
    int id = 0;

    if (rootlen > 1 && strlen(path) == rootlen - 1 &&
        strncmp(path, root, rootlen - 1) == 0)
        return http_method_bit(method) == HTTP_OTHER ? 405 : 301;
    if (strncmp(path, root, rootlen) != 0)
        return 404;
    status =
        http_route_match(viz_routes, sizeof(viz_routes) / sizeof(viz_routes[0]),
                         method, path + rootlen, &id);
    if (status == 200)
        *route = (enum viz_route)id;
    return status;
}

/* ------------------------------------------------------------------ */
/* Rendering and publishing                                            */
/* ------------------------------------------------------------------ */

/* CPU time of the process in ms, for the debug log of each rendering. */
static double viz_cpu_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/*
 * The port to ask task t on: its service's, when the service is one of the
 * ns that opt in (svc) and the task runs; 0 otherwise.
 */
static int viz_target_port(const struct docker_service *const *svc,
                           size_t ns,
                           const struct docker_task *t)
{
    size_t k;

    if (ns == 0 || t->state == NULL || t->desired_state == NULL ||
        strcmp(t->state, "running") != 0 ||
        strcmp(t->desired_state, "running") != 0)
        return 0;
    for (k = 0; k < ns; k++)
        if (strcmp(svc[k]->id, t->service_id) == 0)
            return svc[k]->scrape_port;
    return 0;
}

/*
 * The tasks to ask for traffic, from the engine's picture: the running
 * tasks of the services that opt in (docs/visualizer-api.md, "Which tasks
 * are asked"), each with its addresses; traffic.c keeps the first on a
 * network this process is on. Two passes: count, then fill arrays of
 * exactly that size (5,000 tasks must not cost 5,000 allocations).
 */
static void viz_update_targets(struct visualizer *v,
                               const struct docker_model *m)
{
    const struct docker_list *sl = m->services, *tl = m->tasks;
    const struct docker_service **svc = NULL;
    struct traffic_target *tg = NULL;
    const struct traffic_net *nets;
    const char **addrs = NULL;
    size_t i, ns = 0, n = 0, na = 0, bytes = 0, nnets, reachable = 0;
    char *text = NULL, *p;
    int port;

    if (m->swarm && sl != NULL && tl != NULL && sl->n > 0) {
        svc = xcalloc(sl->n, sizeof(*svc));
        for (i = 0; i < sl->n; i++) {
            const struct docker_service *s =
                DOCKER_LIST_AT(sl, struct docker_service, i);

            if (s->scrape_port > 0)
                svc[ns++] = s;
        }
    }
    for (i = 0; ns > 0 && i < tl->n; i++) {
        const struct docker_task *t = DOCKER_LIST_AT(tl, struct docker_task, i);

        if (viz_target_port(svc, ns, t) == 0)
            continue;
        n++;
        for (p = (char *)t->addrs; p != NULL; p = strchr(p + 1, ' '))
            na++;
        bytes += t->addrs != NULL ? strlen(t->addrs) + 1 : 0;
    }
    tg = xcalloc(n + 1, sizeof(*tg));
    addrs = xcalloc(na + 1, sizeof(*addrs));
    text = xmalloc(bytes + 1);
    n = na = bytes = 0;
    for (i = 0; ns > 0 && i < tl->n; i++) {
        const struct docker_task *t = DOCKER_LIST_AT(tl, struct docker_task, i);

        if ((port = viz_target_port(svc, ns, t)) == 0)
            continue;
        tg[n].task_id = t->id;
        tg[n].service_id = t->service_id;
        tg[n].port = port;
        tg[n].addrs = addrs + na;
        if (t->addrs != NULL) {
            /* "a/24 b/24": copied into text, split at the spaces. */
            p = strcpy(text + bytes, t->addrs);
            bytes += strlen(t->addrs) + 1;
            while (p != NULL) {
                addrs[na++] = p;
                tg[n].naddrs++;
                p = strchr(p, ' ');
                if (p != NULL)
                    *p++ = '\0';
            }
        }
        n++;
    }
    nets = scrape_nets(v->scrape, &nnets);
    traffic_set_targets(&v->traffic, tg, n, nets, nnets);
    for (i = 0; i < v->traffic.n; i++)
        reachable += (size_t)v->traffic.tasks[i]->reachable;
    if (v->traffic.n != v->ntargets || reachable != v->nreachable)
        log_info("traffic: %zu task(s) of %zu service(s) opt in; %zu on a "
                 "network this visualizer shares",
                 v->traffic.n, ns, reachable);
    v->ntargets = v->traffic.n;
    v->nreachable = reachable;
    free(svc);
    free(tg);
    free(addrs);
    free(text);
}

/* A scraping round ended: publish the traffic document if it changed. */
static void viz_on_round(void *arg)
{
    struct visualizer *v = arg;
    struct buf b = BUF_INIT;
    struct sse_frame *f;
    char when[32];
    size_t body_off = 0, len;
    char *data;

    if (v->stopping)
        return;
    docker_iso_time((long long)time(NULL), when, sizeof(when));
    buf_append_str(&b, SSE_TRAFFIC_PREFIX);
    if (traffic_json(&v->traffic, uv_now(v->loop), when, &b, &body_off) != 0) {
        log_errorx("cannot render the traffic document");
        buf_free(&b);
        return;
    }
    body_off -= sizeof(SSE_TRAFFIC_PREFIX) - 1;
    buf_append(&b, "\n\n", 2);
    data = buf_steal(&b, &len);
    f = sse_frame_new_traffic(data, len, body_off);
    if (sse_frame_same(f, sse_hub_traffic(v->hub))) {
        sse_frame_unref(f);
        return;
    }
    sse_hub_publish_traffic(v->hub, f);
}

/*
 * Renders the model into a new frame and publishes it, unless it is the
 * same as the current one (or as the one the hub let go of: then kept
 * only when wanted, for a page or GET /api/state that needs it now).
 */
static void viz_render(struct visualizer *v, int wanted)
{
    struct docker_model m;
    struct buf b = BUF_INIT;
    struct sse_frame *f;
    char when[32];
    size_t body_off = 0, len;
    double t0 = viz_cpu_ms();
    char *data;

    v->rendered_generation = engine_generation(v->engine);
    engine_model(v->engine, &m);
    viz_update_targets(v, &m);
    docker_iso_time((long long)time(NULL), when, sizeof(when));
    buf_reserve(&b, v->last_render_len + 4096);
    buf_append_str(&b, SSE_STATE_PREFIX);
    if (docker_model_json(&m, when, &b, &body_off) != 0) {
        log_errorx("cannot render the model");
        buf_free(&b);
        return;
    }
    body_off -= sizeof(SSE_STATE_PREFIX) - 1;
    buf_append(&b, "\n\n", 2);
    v->renders++;
    v->last_render_len = b.len;
    data = buf_steal(&b, &len);
    f = sse_frame_new(data, len, body_off);
    if (!sse_hub_offer(v->hub, f, wanted)) {
        log_debug("model unchanged (%.1f ms)", viz_cpu_ms() - t0);
        return;
    }
    v->frames++;
    v->last_publish_ms = now_ms();
    log_debug("model published: %zu bytes, %u streams, %.1f ms of CPU", len,
              sse_hub_clients(v->hub), viz_cpu_ms() - t0);
}

/*
 * The hub lets go of a frame nobody asked for in a while (sse.h): a new
 * page or GET /api/state then gets a fresh rendering (generated_at now).
 */
static void viz_ensure_frame(struct visualizer *v)
{
    if (sse_hub_released(v->hub))
        viz_render(v, 1);
}

static void viz_on_publish(uv_timer_t *t)
{
    struct visualizer *v = t->data;

    if (v->stopping)
        return;
    viz_render(v, 0);
}

/* The engine's picture changed: render soon, at most every 200 ms. */
static void viz_on_engine_change(void *arg)
{
    struct visualizer *v = arg;
    uint64_t now = now_ms(), delay = 0;

    if (v->stopping || uv_is_active((uv_handle_t *)&v->publish))
        return;
    if (now - v->last_publish_ms < VIZ_PUBLISH_MIN_MS)
        delay = VIZ_PUBLISH_MIN_MS - (now - v->last_publish_ms);
    uv_timer_start(&v->publish, viz_on_publish, delay, 0);
}

/* ------------------------------------------------------------------ */
/* Handlers                                                            */
/* ------------------------------------------------------------------ */

/* 64-bit FNV-1a of an asset, as its ETag. */
static void viz_etag(struct viz_asset *a)
{
    snprintf(a->etag, sizeof(a->etag), "\"%016llx\"",
             (unsigned long long)fnv1a64(a->data, *a->len));
}

static enum MHD_Result viz_send_asset(struct http_req *req, enum viz_route r)
{
    const struct viz_asset *a = &viz_assets[r];
    const char *inm;
    struct MHD_Response *resp;
    enum MHD_Result ret;
    unsigned status = 200;

    inm = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
                                      MHD_HTTP_HEADER_IF_NONE_MATCH);
    if (inm != NULL && strstr(inm, a->etag) != NULL)
        status = 304;
    resp = MHD_create_response_from_buffer(
        status == 304 ? 0 : *a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
    if (resp == NULL)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, a->etag);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    ret = http_send_response(req, status, resp, a->ctype);
    MHD_destroy_response(resp);
    return ret;
}

static void viz_frame_release(void *cls)
{
    sse_frame_unref(cls);
}

/*
 * GET /api/state (or /api/traffic): the current frame's JSON, shared, not
 * copied.
 */
static enum MHD_Result viz_send_frame(struct http_req *req, struct sse_frame *f)
{
    struct MHD_Response *resp;
    enum MHD_Result ret;

    if (f == NULL)
        return http_send_error(req, 503);
    sse_frame_ref(f);
    resp = MHD_create_response_from_buffer_with_free_callback_cls(
        f->json_len, f->data + f->json_off, viz_frame_release, f);
    if (resp == NULL) {
        sse_frame_unref(f);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    ret = http_send_response(req, 200, resp, "application/json");
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result viz_redirect(struct visualizer *v, struct http_req *req)
{
    static const char body[] = "301 Moved Permanently\n";
    struct MHD_Response *resp;
    enum MHD_Result ret;

    resp = MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body,
                                           MHD_RESPMEM_PERSISTENT);
    if (resp == NULL)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, v->root);
    ret = http_send_response(req, 301, resp, "text/plain; charset=utf-8");
    MHD_destroy_response(resp);
    return ret;
}

/*
 * A period of refused event streams is over: their count goes to the log,
 * and the next period starts if there were any; else the next refusal is
 * logged at once.
 */
static void viz_on_refused_log(uv_timer_t *t)
{
    struct visualizer *v = t->data;

    if (v->refused_quiet == 0)
        return;
    log_warnx("event streams: %u more refused in the last %d s, %u open "
              "(the VISUALIZER_MAX_CLIENTS cap)",
              v->refused_quiet, VIZ_REFUSED_LOG_MS / 1000,
              sse_hub_clients(v->hub));
    v->refused_quiet = 0;
    uv_timer_start(&v->refused_log, viz_on_refused_log, VIZ_REFUSED_LOG_MS, 0);
}

/*
 * A stream refused at the cap. A crowd of pages, or anyone with curl, can
 * make thousands: the first of a period is logged, the rest counted.
 */
static void viz_log_refused(struct visualizer *v)
{
    if (uv_is_active((uv_handle_t *)&v->refused_log)) {
        v->refused_quiet++;
        return;
    }
    log_warnx("event streams: %u open, refusing another",
              sse_hub_clients(v->hub));
    uv_timer_start(&v->refused_log, viz_on_refused_log, VIZ_REFUSED_LOG_MS, 0);
}

/*
 * Basic authentication, when configured. Returns 1 when allowed. A hash
 * that had to be computed (a credential not seen before) is logged at
 * debug level, with its cost.
 */
static int viz_authorized(struct visualizer *v, struct http_req *req)
{
    char *user, *pass = NULL;
    uint64_t hashes, t0 = now_ms();
    int ok;

    if (v->auth == NULL)
        return 1;
    user = MHD_basic_auth_get_username_password(req->conn, &pass);
    hashes = auth_hashes(v->auth);
    ok = auth_check(v->auth, user, pass);
    if (auth_hashes(v->auth) != hashes && user != NULL)
        log_debug("auth: %s %s (a hash checked in %llu ms)",
                  ok ? "verified" : "refused", user,
                  (unsigned long long)(now_ms() - t0));
    if (pass != NULL) {
        explicit_bzero(pass, strlen(pass));
        MHD_free(pass);
    }
    if (user != NULL)
        MHD_free(user);
    return ok;
}

static enum MHD_Result viz_handle(void *cls, struct http_req *req)
{
    struct visualizer *v = cls;
    enum viz_route route = VIZ_ROUTE_PAGE;
    unsigned status;

    status = viz_route(v->root, req->method, req->url, &route);
    if (status == 301)
        return viz_redirect(v, req);
    if (status != 200)
        return http_send_error(req, status);
    if (route == VIZ_ROUTE_HEALTHZ)
        return http_send(req, 200, "text/plain; charset=utf-8", "ok\n", 3,
                         MHD_RESPMEM_PERSISTENT);
    if (!viz_authorized(v, req))
        return http_send_unauthorized(req, "visualizer");
    switch (route) {
    case VIZ_ROUTE_STATE:
        viz_ensure_frame(v);
        return viz_send_frame(req, sse_hub_current(v->hub));
    case VIZ_ROUTE_TRAFFIC: return viz_send_frame(req, sse_hub_traffic(v->hub));
    case VIZ_ROUTE_EVENTS:
        if (http_method_bit(req->method) == HTTP_HEAD)
            return http_send(req, 200, "text/event-stream; charset=utf-8", "",
                             0, MHD_RESPMEM_PERSISTENT);
        if (sse_hub_full(v->hub)) {
            viz_log_refused(v);
            return http_send_error(req, 503);
        }
        viz_ensure_frame(v);
        return sse_hub_attach(v->hub, req);
    default: return viz_send_asset(req, route);
    }
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                          */
/* ------------------------------------------------------------------ */

static void viz_on_drained(void *arg)
{
    struct visualizer *v = arg;

    log_info("stopped: %u requests still open; %llu renderings, %llu "
             "frames published",
             http_in_flight(v->srv), (unsigned long long)v->renders,
             (unsigned long long)v->frames);
    http_server_free(v->srv);
    v->srv = NULL;
    viz_on_refused_log(&v->refused_log); /* the count not yet logged */
    uv_close((uv_handle_t *)&v->refused_log, NULL);
    sse_hub_free(v->hub);
    v->hub = NULL;
    engine_free(v->engine);
    v->engine = NULL;
    traffic_free(&v->traffic);
    auth_free(v->auth);
    v->auth = NULL;
    uv_close((uv_handle_t *)&v->publish, NULL);
    shutdown_watch_close(&v->sw);
}

/*
 * SIGTERM: no new connections, event streams end now (their pages will
 * reconnect to another replica or to this one restarted), requests in
 * flight finish within a short grace period.
 */
static void viz_on_signal(void *arg, int signum)
{
    struct visualizer *v = arg;

    (void)signum;
    v->stopping = 1;
    uv_timer_stop(&v->publish);
    scrape_free(v->scrape);
    v->scrape = NULL;
    sse_hub_close(v->hub);
    http_server_drain(v->srv, 5000, viz_on_drained, v);
}

/* Once, at start: plaintext passwords in the credentials file. */
static void viz_warn_plaintext(struct visualizer *v, const char *path)
{
    size_t line, n = auth_plaintext(v->auth, &line);

    if (n > 0)
        log_warnx("VISUALIZER_AUTH_FILE %s: %zu plaintext password%s (first "
                  "on line %zu); store hashes instead: htpasswd -B "
                  "(README, Basic authentication)",
                  path, n, n > 1 ? "s" : "", line);
}

int visualizer_start(struct visualizer *v,
                     uv_loop_t *loop,
                     const struct visualizer_config *cfg,
                     char *err,
                     size_t errlen)
{
    struct http_server_config hc;
    struct engine_config ec;
    struct sse_hub_config sc;
    size_t i;

    memset(v, 0, sizeof(*v));
    v->loop = loop;
    if (cfg->max_connections < cfg->max_clients + VIZ_CONN_ROOM) {
        snprintf(err, errlen,
                 "invalid MAX_CONNECTIONS=%d: it must exceed "
                 "VISUALIZER_MAX_CLIENTS=%d by at least %d, so pages can "
                 "still load when every event stream is open",
                 cfg->max_connections, cfg->max_clients, VIZ_CONN_ROOM);
        return -1;
    }
    if (viz_root_normalise(cfg->ctx_root, v->root, sizeof(v->root), err,
                           errlen) != 0)
        return -1;
    v->rootlen = strlen(v->root);
    for (i = 0; i < sizeof(viz_assets) / sizeof(viz_assets[0]); i++)
        if (viz_assets[i].data != NULL)
            viz_etag(&viz_assets[i]);

    if (cfg->auth_file != NULL && cfg->auth_file[0] != '\0') {
        char aerr[256];

        v->auth = auth_load(cfg->auth_file, aerr, sizeof(aerr));
        if (v->auth == NULL) {
            snprintf(err, errlen, "VISUALIZER_AUTH_FILE: %s", aerr);
            return -1;
        }
        viz_warn_plaintext(v, cfg->auth_file);
    }

    memset(&ec, 0, sizeof(ec));
    ec.docker_host = cfg->docker_host;
    if (docker_endpoint_parse(cfg->docker_host, &ec.ep, err, errlen) != 0)
        goto err;
    v->engine = engine_new(loop, &ec, viz_on_engine_change, v, err, errlen);
    if (v->engine == NULL)
        goto err;

    memset(&sc, 0, sizeof(sc));
    sc.max_clients = (unsigned)cfg->max_clients;
    sc.keepalive_ms = 15000;
    sc.lag_ms = 30000;
    sc.retry_ms = 2000;
    v->hub = sse_hub_new(loop, &sc);

    memset(&hc, 0, sizeof(hc));
    hc.host = cfg->host;
    hc.port = cfg->port;
    /*
     * Each stream holds one connection; the rest serve page loads and
     * slow clients. Idle connections close after idle_timeout_s; an
     * event stream waiting for news is suspended, and libmicrohttpd does
     * not time out suspended connections, so streams stay open.
     */
    hc.conn_limit = (unsigned)cfg->max_connections;
    hc.idle_timeout_s = (unsigned)cfg->idle_timeout_s;
    /*
     * Each open page holds one connection, whose pool libmicrohttpd also
     * uses as the event stream's write buffer: 16 KiB sends a 1.4 MB
     * snapshot (5,000 tasks) in about 100 writes, and takes request
     * headers of up to about 8 KB (a larger Cookie header gets 431).
     * 32 KiB cost 16 KiB more per open page (bench/visualizer/README.md,
     * "Traffic").
     */
    hc.conn_memory = 16 * 1024;
    hc.csp = VIZ_CSP;
    hc.handler = viz_handle;
    hc.cls = v;
    v->srv = http_server_new(loop, &hc, err, errlen);
    if (v->srv == NULL)
        goto err;

    uv_timer_init(loop, &v->publish);
    v->publish.data = v;
    uv_timer_init(loop, &v->refused_log);
    v->refused_log.data = v;
    traffic_init(&v->traffic);
    v->scrape = scrape_new(loop, &v->traffic, NULL, viz_on_round, v);
    /* A first picture ("connecting ..."), so /api/state answers at once,
     * and the first (empty) traffic document. */
    viz_render(v, 0);
    viz_on_round(v);
    engine_start(v->engine);
    scrape_start(v->scrape);
    shutdown_watch_start(loop, &v->sw, viz_on_signal, v);
    return 0;
err:
    engine_free(v->engine);
    v->engine = NULL;
    sse_hub_free(v->hub);
    v->hub = NULL;
    auth_free(v->auth);
    v->auth = NULL;
    return -1;
}
