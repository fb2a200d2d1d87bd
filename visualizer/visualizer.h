/* SPDX-License-Identifier: Apache-2.0 */
/*
 * visualizer.h: the visualizer service: its HTTP routes (see
 * docs/visualizer-api.md), the engine watcher and the event-stream hub,
 * all on one libuv loop.
 */
#ifndef PART5_VISUALIZER_H
#define PART5_VISUALIZER_H

#include <stddef.h>

#include <stdint.h>
#include <uv.h>

#include "auth.h"
#include "engine.h"
#include "http.h"
#include "log.h"
#include "scrape.h"
#include "shutdown.h"
#include "sse.h"
#include "traffic.h"

#define VIZ_ROOT_MAX 200
/* A normalised root: CTX_ROOT with a '/' added at each end, and the NUL. */
#define VIZ_ROOT_SIZE (VIZ_ROOT_MAX + 3)

struct visualizer_config {
    const char *host;        /* bind address, NULL or "" for all */
    int port;                /* 8080 */
    const char *ctx_root;    /* CTX_ROOT as given, or NULL */
    const char *docker_host; /* DOCKER_HOST */
    const char *auth_file;   /* VISUALIZER_AUTH_FILE, or NULL */
    int max_clients;         /* event streams at once */
    int max_connections;     /* open HTTP connections at most */
    int idle_timeout_s;      /* close a connection idle this long */
    int log_level;           /* enum log_level */
};

/* The routes below the root. */
enum viz_route {
    VIZ_ROUTE_PAGE,
    VIZ_ROUTE_APP_JS,
    VIZ_ROUTE_STYLE_CSS,
    VIZ_ROUTE_FAVICON,
    VIZ_ROUTE_STATE,
    VIZ_ROUTE_TRAFFIC,
    VIZ_ROUTE_EVENTS,
    VIZ_ROUTE_HEALTHZ,
};

/* The Content-Security-Policy of every HTML response (the contract's). */
#define VIZ_CSP                                                                \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src "        \
    "'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "  \
    "frame-ancestors 'none'"

/*
 * Connections kept for page loads and /api/state when every event stream
 * is open: MAX_CONNECTIONS must exceed VISUALIZER_MAX_CLIENTS by this.
 */
#define VIZ_CONN_ROOM 16

/* Publish at most this often (the contract: about five a second). */
#define VIZ_PUBLISH_MIN_MS 200

/*
 * Event streams refused past VISUALIZER_MAX_CLIENTS: the first is logged,
 * then one line with their count per this period while refusals go on.
 */
#define VIZ_REFUSED_LOG_MS 5000

struct visualizer {
    uv_loop_t *loop;
    struct http_server *srv;
    struct engine *engine;
    struct sse_hub *hub;
    struct traffic traffic;      /* the tasks that opt in, and their answers */
    struct scrape *scrape;       /* asks them, once a second */
    size_t ntargets, nreachable; /* for the log, when they change */
    struct auth *auth;
    struct shutdown_watch sw;
    char root[VIZ_ROOT_SIZE]; /* "/" or "/prefix/" */
    size_t rootlen;
    uv_timer_t publish;
    uv_timer_t refused_log; /* active: refusals are counted, not logged */
    unsigned refused_quiet; /* refused since the last line about them */
    uint64_t last_publish_ms;
    uint64_t rendered_generation;
    size_t last_render_len;
    uint64_t renders, frames;
    int stopping;
};

/*
 * Normalises CTX_ROOT into out (size bytes, at least VIZ_ROOT_SIZE): a
 * leading and a trailing '/',
 * no empty, "." or ".." segments, only URL path characters. NULL or ""
 * gives "/". Returns 0, or -1 with a message in err naming CTX_ROOT.
 */
int viz_root_normalise(
    const char *in, char *out, size_t size, char *err, size_t errlen);

/*
 * Routes a request path (as libmicrohttpd gives it: decoded, no query)
 * below root. Returns 200 with *route set, 301 when path is the root
 * without its final slash, 405 for a method other than GET or HEAD, and
 * 404 for everything else.
 */
unsigned viz_route(const char *root,
                   const char *method,
                   const char *path,
                   enum viz_route *route);

/*
 * Starts the service on loop: reads the credentials file, listens, and
 * starts watching the engine. Returns 0, or -1 with a message in err.
 * SIGTERM drains it; the loop then ends.
 */
int visualizer_start(struct visualizer *v,
                     uv_loop_t *loop,
                     const struct visualizer_config *cfg,
                     char *err,
                     size_t errlen);

#endif
