/* SPDX-License-Identifier: Apache-2.0 */
/*
 * engine.c: the engine watcher. See engine.h.
 *
 * States: IDLE (not connected; a reconnect timer is armed), PINGING (a
 * GET /_ping is out) and CONNECTED (the event stream is open, fetches run
 * as needed). Fetches are per reply kind: at most one of each kind is out
 * at a time; a kind asked for while one is out is remembered in `pending`
 * and fetched again when it returns, so the last answer is always at
 * least as new as the last event.
 */
#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "util.h"

#define BIT(what) (1u << (what))
#define SWARM_LISTS                                                            \
    (BIT(DOCKER_GET_NODES) | BIT(DOCKER_GET_SERVICES) | BIT(DOCKER_GET_TASKS))
#define ALL_LISTS (SWARM_LISTS | BIT(DOCKER_GET_CONTAINERS))
#define EVENT_LINE_MAX (64 * 1024)
#define POLL_NO_EVENTS_MS 2000

enum engine_state { ENGINE_IDLE, ENGINE_PINGING, ENGINE_CONNECTED };

/* One fetch of one reply kind, with its parser and what it fills. */
struct engine_fetch {
    struct engine *e;
    enum docker_get what;
    struct docker_req *req;
    struct docker_parse *parse;
    struct docker_list list;
    struct docker_info info;
    struct docker_version version;
};

struct engine {
    uv_loop_t *loop;
    struct engine_config cfg;
    struct docker_client *dc;
    engine_change_fn on_change;
    void *arg;

    enum engine_state state;
    int connected, ever_connected;
    char error[512];
    char since[32];
    unsigned backoff_ms;
    uint64_t connected_ms; /* when the last /_ping succeeded */
    uint64_t generation;

    struct docker_req *ping;
    struct docker_req *events;
    struct buf evline; /* an event line being received */
    int evline_skip;   /* the current line was too long: skip to its end */
    int polling;       /* /events refused: resync often instead */

    struct engine_fetch fetch[DOCKER_GET_COUNT];
    unsigned inflight, pending;
    int mode_known;
    uint64_t last_event_ms;

    /* The picture. */
    struct docker_version version;
    int swarm; /* the mode /info says: decides what is fetched */
    char note[512];
    int shown_swarm; /* the mode shown: changes once its lists are in */
    char shown_note[512];
    unsigned switching; /* lists still missing before the mode is shown */
    struct docker_list nodes, services, tasks, containers;

    uv_timer_t reconnect, resync, debounce, settle;
    int open_handles;
};

static void engine_kick(struct engine *e);
static void engine_lost(struct engine *e, const char *why);

/* The picture changed: tell the owner. */
static void engine_changed(struct engine *e)
{
    e->generation++;
    e->on_change(e->arg);
}

static void engine_set_since(struct engine *e)
{
    docker_iso_time((long long)time(NULL), e->since, sizeof(e->since));
}

int engine_swarm_mode(const struct docker_info *info, char *note, size_t size)
{
    const char *s = info->local_state;

    if (strcmp(s, "active") == 0 && info->control_available) {
        note[0] = '\0';
        return 1;
    }
    if (strcmp(s, "active") == 0)
        snprintf(note, size,
                 "This engine is a swarm worker: only a manager can list the "
                 "swarm's nodes and tasks (run the visualizer on a manager, "
                 "e.g. with the placement constraint node.role == manager). "
                 "Showing this engine's containers.");
    else if (strcmp(s, "pending") == 0)
        snprintf(note, size,
                 "This engine is joining a swarm; showing its containers "
                 "meanwhile.");
    else if (strcmp(s, "locked") == 0)
        snprintf(note, size,
                 "The swarm is locked (run docker swarm unlock); showing "
                 "this engine's containers meanwhile.");
    else if (strcmp(s, "error") == 0)
        snprintf(note, size,
                 "The swarm is in an error state%s%.300s; showing this "
                 "engine's containers.",
                 info->swarm_error[0] ? ": " : "", info->swarm_error);
    else
        snprintf(note, size,
                 "This engine is not part of a swarm (run docker swarm "
                 "init); showing its containers, grouped by compose "
                 "project.");
    return 0;
}

int engine_tasks_moving(const struct docker_list *tasks)
{
    static const char *const starting[] = {
        "new",       "pending", "assigned", "accepted",
        "preparing", "ready",   "starting",
    };
    size_t i, k;

    for (i = 0; i < tasks->n; i++) {
        const struct docker_task *t =
            DOCKER_LIST_AT(tasks, struct docker_task, i);

        if (t->state == NULL || t->desired_state == NULL)
            continue;
        if (strcmp(t->desired_state, "running") == 0) {
            for (k = 0; k < sizeof(starting) / sizeof(*starting); k++)
                if (strcmp(t->state, starting[k]) == 0)
                    return 1;
        } else if (strcmp(t->state, "running") == 0) {
            return 1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Fetches                                                             */
/* ------------------------------------------------------------------ */

static enum docker_kind engine_kind(enum docker_get what)
{
    switch (what) {
    case DOCKER_GET_VERSION: return DOCKER_KIND_VERSION;
    case DOCKER_GET_INFO: return DOCKER_KIND_INFO;
    case DOCKER_GET_NODES: return DOCKER_KIND_NODES;
    case DOCKER_GET_SERVICES: return DOCKER_KIND_SERVICES;
    case DOCKER_GET_TASKS: return DOCKER_KIND_TASKS;
    default: return DOCKER_KIND_CONTAINERS;
    }
}

/* Drops a fetch's request and half-filled results. */
static void engine_fetch_reset(struct engine_fetch *f)
{
    docker_cancel(f->req);
    f->req = NULL;
    docker_parse_free(f->parse);
    f->parse = NULL;
    docker_list_free(&f->list);
    f->e->inflight &= ~BIT(f->what);
}

static int engine_on_fetch_data(void *arg, const char *data, size_t len)
{
    struct engine_fetch *f = arg;

    return docker_parse_feed(f->parse, data, len);
}

/*
 * The mode may have changed. The new mode is fetched at once but shown
 * only when all its lists are in (see engine_commit()): a page never sees
 * "swarm" with no nodes yet, nor the containers of a swarm manager.
 */
static void engine_commit_info(struct engine *e, const struct docker_info *i)
{
    char note[sizeof(e->note)];
    int swarm = engine_swarm_mode(i, note, sizeof(note));
    int first = !e->mode_known;

    if (!first && swarm == e->swarm && strcmp(note, e->note) == 0)
        return;
    if (first || swarm != e->swarm) {
        log_info("docker: %s", swarm ? "swarm mode (a manager): showing "
                                       "nodes and tasks"
                                     : note);
        e->switching = swarm ? SWARM_LISTS : BIT(DOCKER_GET_CONTAINERS);
        e->pending |= e->switching;
    }
    e->mode_known = 1;
    e->swarm = swarm;
    snprintf(e->note, sizeof(e->note), "%s", note);
    if (e->switching == 0) {
        /* Same mode, another note (a worker became locked...). */
        snprintf(e->shown_note, sizeof(e->shown_note), "%s", note);
        engine_changed(e);
    }
}

/* All lists of the new mode are in: show it, drop the other's lists. */
static void engine_show_mode(struct engine *e)
{
    e->shown_swarm = e->swarm;
    snprintf(e->shown_note, sizeof(e->shown_note), "%s", e->note);
    if (e->swarm) {
        docker_list_free(&e->containers);
    } else {
        docker_list_free(&e->nodes);
        docker_list_free(&e->services);
        docker_list_free(&e->tasks);
    }
}

static void engine_settle_later(struct engine *e);

/* A fetch parsed completely: its result becomes the picture. */
static void engine_commit(struct engine_fetch *f)
{
    struct engine *e = f->e;
    struct docker_list *dst = NULL;

    switch (f->what) {
    case DOCKER_GET_VERSION:
        e->version = f->version;
        engine_changed(e);
        return;
    case DOCKER_GET_INFO: engine_commit_info(e, &f->info); return;
    case DOCKER_GET_NODES: dst = &e->nodes; break;
    case DOCKER_GET_SERVICES: dst = &e->services; break;
    case DOCKER_GET_TASKS: dst = &e->tasks; break;
    case DOCKER_GET_CONTAINERS: dst = &e->containers; break;
    default: return;
    }
    if (f->list.skipped > 0 || f->list.truncated > 0)
        log_warnx("docker: GET %s: skipped %zu unusable and %zu excess "
                  "records",
                  docker_get_path(f->what), f->list.skipped, f->list.truncated);
    docker_list_move(dst, &f->list);
    log_debug("docker: %s: %zu records", docker_get_path(f->what), dst->n);
    if (f->what == DOCKER_GET_TASKS)
        engine_settle_later(e);
    if (e->switching != 0) {
        e->switching &= ~BIT(f->what);
        if (e->switching != 0)
            return; /* the rest of the new mode's lists is still out */
        engine_show_mode(e);
    }
    engine_changed(e);
}

static void engine_on_fetch_done(void *arg, const struct docker_result *res)
{
    struct engine_fetch *f = arg;
    struct engine *e = f->e;
    enum docker_get what = f->what;

    f->req = NULL;
    if (res->unreachable) {
        engine_fetch_reset(f);
        engine_lost(e, res->error);
        return;
    }
    if (res->error != NULL && !res->aborted) {
        log_warnx("docker: %s; keeping the last picture", res->error);
        /* 503 on a swarm list: the node left the swarm or was demoted. */
        if (res->status == 503 && (BIT(what) & SWARM_LISTS))
            e->pending |= BIT(DOCKER_GET_INFO);
    } else if (res->aborted || docker_parse_finish(f->parse) != 0) {
        log_warnx("docker: GET %s: %s; keeping the last picture",
                  docker_get_path(what), docker_parse_error(f->parse));
    } else {
        engine_commit(f);
    }
    engine_fetch_reset(f);
    engine_kick(e);
}

static void engine_fetch_start(struct engine *e, enum docker_get what)
{
    static const struct docker_req_ops ops = {engine_on_fetch_data,
                                              engine_on_fetch_done};
    struct engine_fetch *f = &e->fetch[what];
    void *out;

    f->e = e;
    f->what = what;
    docker_list_free(&f->list);
    switch (what) {
    case DOCKER_GET_VERSION: out = &f->version; break;
    case DOCKER_GET_INFO: out = &f->info; break;
    case DOCKER_GET_NODES:
        docker_list_init(&f->list, sizeof(struct docker_node));
        out = &f->list;
        break;
    case DOCKER_GET_SERVICES:
        docker_list_init(&f->list, sizeof(struct docker_service));
        out = &f->list;
        break;
    case DOCKER_GET_TASKS:
        docker_list_init(&f->list, sizeof(struct docker_task));
        out = &f->list;
        break;
    default:
        docker_list_init(&f->list, sizeof(struct docker_container));
        out = &f->list;
        break;
    }
    f->parse = docker_parse_new(engine_kind(what), out);
    e->inflight |= BIT(what);
    f->req = docker_client_get(e->dc, what, e->cfg.request_timeout_ms, &ops, f);
}

/*
 * Starts what is pending and not already out. /info goes first and alone
 * when asked for, since its answer decides which lists exist.
 */
static void engine_kick(struct engine *e)
{
    unsigned allowed, start;
    int what;

    if (e->state != ENGINE_CONNECTED)
        return;
    if ((e->pending & BIT(DOCKER_GET_VERSION)) &&
        !(e->inflight & BIT(DOCKER_GET_VERSION))) {
        e->pending &= ~BIT(DOCKER_GET_VERSION);
        engine_fetch_start(e, DOCKER_GET_VERSION);
    }
    if ((e->pending | e->inflight) & BIT(DOCKER_GET_INFO)) {
        if (!(e->inflight & BIT(DOCKER_GET_INFO))) {
            e->pending &= ~BIT(DOCKER_GET_INFO);
            engine_fetch_start(e, DOCKER_GET_INFO);
        }
        return;
    }
    if (!e->mode_known)
        return;
    allowed = e->swarm ? SWARM_LISTS : BIT(DOCKER_GET_CONTAINERS);
    e->pending &= allowed;
    start = e->pending & ~e->inflight;
    for (what = 0; what < DOCKER_GET_COUNT; what++) {
        if (start & BIT(what)) {
            e->pending &= ~BIT(what);
            engine_fetch_start(e, (enum docker_get)what);
        }
    }
}

/* ------------------------------------------------------------------ */
/* Timers                                                              */
/* ------------------------------------------------------------------ */

static void engine_on_debounce(uv_timer_t *t)
{
    engine_kick(t->data);
}

static void engine_on_settle(uv_timer_t *t)
{
    struct engine *e = t->data;

    e->pending |= BIT(DOCKER_GET_TASKS);
    engine_kick(e);
}

/*
 * After new tasks arrive: while some are still on their way and an event
 * happened recently, look again in settle_ms.
 */
static void engine_settle_later(struct engine *e)
{
    if (!e->swarm || uv_is_active((uv_handle_t *)&e->settle))
        return;
    if (now_ms() - e->last_event_ms > e->cfg.settle_window_ms)
        return;
    if (!engine_tasks_moving(&e->tasks))
        return;
    uv_timer_start(&e->settle, engine_on_settle, e->cfg.settle_ms, 0);
}

static void engine_on_resync(uv_timer_t *t)
{
    struct engine *e = t->data;

    if (e->state != ENGINE_CONNECTED)
        return;
    e->pending |= BIT(DOCKER_GET_INFO) | ALL_LISTS;
    engine_kick(e);
}

/* ------------------------------------------------------------------ */
/* Events                                                              */
/* ------------------------------------------------------------------ */

/* One event: decide what to re-read, and re-read it after the debounce. */
static void engine_on_event(struct engine *e, const char *line, size_t len)
{
    struct docker_event ev;
    char err[256];
    unsigned want = 0;

    if (docker_parse_all(DOCKER_KIND_EVENT, &ev, line, len, err, sizeof(err)) !=
        0) {
        log_warnx("docker: skipping an event: %s", err);
        return;
    }
    log_debug("docker: event %s %s %s", ev.type, ev.action, ev.name);
    if (strcmp(ev.type, "service") == 0)
        want = BIT(DOCKER_GET_SERVICES) | BIT(DOCKER_GET_TASKS);
    else if (strcmp(ev.type, "node") == 0)
        want = BIT(DOCKER_GET_NODES) | BIT(DOCKER_GET_TASKS);
    else if (strcmp(ev.type, "container") == 0)
        /* In swarm mode only the containers of tasks matter. */
        want = e->swarm ? (ev.swarm_task ? BIT(DOCKER_GET_TASKS) : 0)
                        : BIT(DOCKER_GET_CONTAINERS);
    if (want == 0)
        return;
    e->last_event_ms = now_ms();
    e->pending |= want;
    if (!uv_is_active((uv_handle_t *)&e->debounce))
        uv_timer_start(&e->debounce, engine_on_debounce, e->cfg.debounce_ms, 0);
}

/* Bytes of the event stream: one JSON object per line. */
static int engine_on_events_data(void *arg, const char *data, size_t len)
{
    struct engine *e = arg;
    const char *nl;
    size_t n;

    while (len > 0) {
        nl = memchr(data, '\n', len);
        n = nl != NULL ? (size_t)(nl - data) : len;
        if (!e->evline_skip) {
            if (e->evline.len + n > EVENT_LINE_MAX) {
                log_warnx("docker: skipping an event longer than %d bytes",
                          EVENT_LINE_MAX);
                e->evline_skip = 1;
                buf_reset(&e->evline);
            } else {
                buf_append(&e->evline, data, n);
            }
        }
        if (nl == NULL)
            break;
        if (!e->evline_skip && e->evline.len > 0)
            engine_on_event(e, e->evline.data, e->evline.len);
        buf_reset(&e->evline);
        e->evline_skip = 0;
        data += n + 1;
        len -= n + 1;
    }
    return 0;
}

static void engine_on_events_done(void *arg, const struct docker_result *res)
{
    struct engine *e = arg;

    e->events = NULL;
    buf_reset(&e->evline);
    e->evline_skip = 0;
    if (e->state != ENGINE_CONNECTED)
        return;
    if (res->unreachable || res->error == NULL) {
        engine_lost(e, res->error != NULL
                           ? res->error
                           : "the Docker engine closed its event stream "
                             "(is it restarting?)");
        return;
    }
    /* A socket proxy may refuse /events: poll instead of following it. */
    log_warnx("docker: %s; without events, re-reading everything every %d "
              "ms",
              res->error, POLL_NO_EVENTS_MS);
    e->polling = 1;
    uv_timer_start(&e->resync, engine_on_resync, POLL_NO_EVENTS_MS,
                   POLL_NO_EVENTS_MS);
}

/* ------------------------------------------------------------------ */
/* Connection                                                          */
/* ------------------------------------------------------------------ */

static void engine_on_reconnect(uv_timer_t *t);

/* Arms the next connection attempt, each one waiting twice as long. */
static void engine_retry_later(struct engine *e)
{
    uv_timer_start(&e->reconnect, engine_on_reconnect, e->backoff_ms, 0);
    e->backoff_ms *= 2;
    if (e->backoff_ms > ENGINE_BACKOFF_MAX_MS)
        e->backoff_ms = ENGINE_BACKOFF_MAX_MS;
}

/* Cancels every request in flight to the engine: the fetches, the event
 * stream and the ping. */
static void engine_cancel_requests(struct engine *e)
{
    int what;

    for (what = 0; what < DOCKER_GET_COUNT; what++)
        if (e->fetch[what].e != NULL)
            engine_fetch_reset(&e->fetch[what]);
    docker_cancel(e->events);
    e->events = NULL;
    docker_cancel(e->ping);
    e->ping = NULL;
}

/*
 * The engine went away (or never came): stop everything that talks to it,
 * keep the lists, say why, and try again later.
 */
static void engine_lost(struct engine *e, const char *why)
{
    int changed;

    engine_cancel_requests(e);
    e->inflight = e->pending = 0;
    uv_timer_stop(&e->debounce);
    uv_timer_stop(&e->settle);
    uv_timer_stop(&e->resync);
    changed = e->connected || strcmp(e->error, why) != 0;
    if (e->connected) {
        e->connected = 0;
        engine_set_since(e);
        if (now_ms() - e->connected_ms >= ENGINE_STABLE_MS)
            e->backoff_ms = ENGINE_BACKOFF_MIN_MS;
        log_warnx("docker: lost the engine: %s; reconnecting in %u ms", why,
                  e->backoff_ms);
    } else {
        log_info("docker: %s; next attempt in %u ms", why, e->backoff_ms);
    }
    e->state = ENGINE_IDLE;
    snprintf(e->error, sizeof(e->error), "%s", why);
    if (changed)
        engine_changed(e);
    engine_retry_later(e);
}

static void engine_on_ping_done(void *arg, const struct docker_result *res)
{
    static const struct docker_req_ops events_ops = {engine_on_events_data,
                                                     engine_on_events_done};
    struct engine *e = arg;
    unsigned period;

    e->ping = NULL;
    if (res->error != NULL) {
        /*
         * Nothing answers at all (a dockerd restarting, its socket gone):
         * asking costs the engine nothing, so ask often enough to show it
         * again within a few seconds of its return.
         */
        if (res->unreachable && e->backoff_ms > ENGINE_BACKOFF_ABSENT_MS)
            e->backoff_ms = ENGINE_BACKOFF_ABSENT_MS;
        engine_lost(e, res->error);
        return;
    }
    e->state = ENGINE_CONNECTED;
    e->connected = 1;
    e->ever_connected = 1;
    e->error[0] = '\0';
    /*
     * The backoff is not reset here: an engine that answers /_ping and
     * then fails every read would be asked again every 0.5 s, the whole
     * picture each time. engine_lost() resets it after a lasting
     * connection.
     */
    e->connected_ms = now_ms();
    e->polling = 0;
    engine_set_since(e);
    log_info("docker: connected to the engine at %s", e->cfg.docker_host);
    /* Follow events first, then read: nothing falls in between. */
    e->events = docker_client_get(e->dc, DOCKER_GET_EVENTS, 0, &events_ops, e);
    e->pending |= BIT(DOCKER_GET_VERSION) | BIT(DOCKER_GET_INFO) | ALL_LISTS;
    period = e->cfg.resync_ms;
    uv_timer_start(&e->resync, engine_on_resync, period, period);
    engine_changed(e);
    engine_kick(e);
}

static int engine_on_ping_data(void *arg, const char *data, size_t len)
{
    (void)arg;
    (void)data;
    (void)len;
    return 0;
}

static void engine_on_reconnect(uv_timer_t *t)
{
    static const struct docker_req_ops ping_ops = {engine_on_ping_data,
                                                   engine_on_ping_done};
    struct engine *e = t->data;

    if (e->state != ENGINE_IDLE)
        return;
    e->state = ENGINE_PINGING;
    e->ping = docker_client_get(e->dc, DOCKER_GET_PING, 3000, &ping_ops, e);
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                          */
/* ------------------------------------------------------------------ */

struct engine *engine_new(uv_loop_t *loop,
                          const struct engine_config *cfg,
                          engine_change_fn on_change,
                          void *arg,
                          char *err,
                          size_t errlen)
{
    struct engine *e = xcalloc(1, sizeof(*e));
    uv_timer_t *timers[] = {&e->reconnect, &e->resync, &e->debounce,
                            &e->settle};
    size_t i;

    e->loop = loop;
    e->cfg = *cfg;
    if (e->cfg.resync_ms == 0)
        e->cfg.resync_ms = ENGINE_DEFAULT_RESYNC_MS;
    if (e->cfg.debounce_ms == 0)
        e->cfg.debounce_ms = ENGINE_DEFAULT_DEBOUNCE_MS;
    if (e->cfg.settle_ms == 0)
        e->cfg.settle_ms = ENGINE_DEFAULT_SETTLE_MS;
    if (e->cfg.settle_window_ms == 0)
        e->cfg.settle_window_ms = ENGINE_DEFAULT_SETTLE_WINDOW_MS;
    if (e->cfg.request_timeout_ms == 0)
        e->cfg.request_timeout_ms = ENGINE_DEFAULT_TIMEOUT_MS;
    e->on_change = on_change;
    e->arg = arg;
    e->dc = docker_client_new(loop, &cfg->ep, err, errlen);
    if (e->dc == NULL) {
        free(e);
        return NULL;
    }
    buf_init(&e->evline);
    docker_list_init(&e->nodes, sizeof(struct docker_node));
    docker_list_init(&e->services, sizeof(struct docker_service));
    docker_list_init(&e->tasks, sizeof(struct docker_task));
    docker_list_init(&e->containers, sizeof(struct docker_container));
    snprintf(e->error, sizeof(e->error),
             "connecting to the Docker engine at %s", cfg->docker_host);
    engine_set_since(e);
    e->backoff_ms = ENGINE_BACKOFF_MIN_MS;
    for (i = 0; i < sizeof(timers) / sizeof(*timers); i++) {
        uv_timer_init(loop, timers[i]);
        timers[i]->data = e;
    }
    e->open_handles = (int)(sizeof(timers) / sizeof(*timers));
    return e;
}

void engine_start(struct engine *e)
{
    uv_timer_start(&e->reconnect, engine_on_reconnect, 0, 0);
}

static void engine_on_closed(uv_handle_t *h)
{
    struct engine *e = h->data;

    if (--e->open_handles > 0)
        return;
    docker_list_free(&e->nodes);
    docker_list_free(&e->services);
    docker_list_free(&e->tasks);
    docker_list_free(&e->containers);
    buf_free(&e->evline);
    free(e);
}

void engine_free(struct engine *e)
{
    if (e == NULL)
        return;
    engine_cancel_requests(e);
    docker_client_free(e->dc);
    e->dc = NULL;
    uv_close((uv_handle_t *)&e->reconnect, engine_on_closed);
    uv_close((uv_handle_t *)&e->resync, engine_on_closed);
    uv_close((uv_handle_t *)&e->debounce, engine_on_closed);
    uv_close((uv_handle_t *)&e->settle, engine_on_closed);
}

void engine_model(const struct engine *e, struct docker_model *m)
{
    memset(m, 0, sizeof(*m));
    m->connected = e->connected;
    m->error = e->connected ? NULL : e->error;
    m->version = e->version.version[0] ? e->version.version : NULL;
    m->api_version = e->version.api_version[0] ? e->version.api_version : NULL;
    m->since = e->since;
    m->swarm = e->shown_swarm;
    m->swarm_note = !e->shown_swarm && e->shown_note[0] ? e->shown_note : NULL;
    m->nodes = &e->nodes;
    m->services = &e->services;
    m->tasks = &e->tasks;
    m->containers = &e->containers;
}

uint64_t engine_generation(const struct engine *e)
{
    return e->generation;
}

const struct docker_client *engine_client(const struct engine *e)
{
    return e->dc;
}
