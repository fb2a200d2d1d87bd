/* SPDX-License-Identifier: Apache-2.0 */
/*
 * engine.h: keeps a picture of the Docker engine up to date.
 *
 * One engine watcher per process, whatever the number of open pages: the
 * pages read the picture, they never cause a request. The watcher
 *
 * - connects (GET /_ping), then reads /version once and follows /events
 *   (services, nodes and containers);
 * - on a relevant event, re-reads what it touches (a service event: the
 *   services and tasks), debounced, so a burst costs one round;
 * - while tasks move towards their desired state after an event, re-reads
 *   /tasks every second for a while (task state changes on other nodes
 *   have no event on a manager);
 * - re-reads everything (/info, then /nodes /services /tasks, or
 *   /containers/json outside swarm mode) every resync period, which heals
 *   missed events and notices a swarm being created or left;
 * - when the engine goes away, says so in the model, keeps the last known
 *   lists, and reconnects with a growing delay (0.5 s up to 10 s).
 *
 * A reply that cannot be parsed is logged and dropped: the previous list
 * stays. Every change of the picture calls the owner's callback; the
 * owner decides when to render it (see visualizer.c, which coalesces).
 */
#ifndef PART5_ENGINE_H
#define PART5_ENGINE_H

#include <stdint.h>
#include <uv.h>

#include "docker_client.h"
#include "docker_model.h"

struct engine_config {
    const char *docker_host;     /* DOCKER_HOST as given, for messages */
    struct docker_endpoint ep;   /* parsed from it */
    unsigned resync_ms;          /* full re-read period (15000) */
    unsigned debounce_ms;        /* wait after an event (100) */
    unsigned settle_ms;          /* re-read period while tasks move */
    unsigned settle_window_ms;   /* how long after an event to do that */
    unsigned request_timeout_ms; /* bound of one request (10000) */
};

#define ENGINE_DEFAULT_RESYNC_MS 15000
#define ENGINE_DEFAULT_DEBOUNCE_MS 100
#define ENGINE_DEFAULT_SETTLE_MS 1000
#define ENGINE_DEFAULT_SETTLE_WINDOW_MS 60000
#define ENGINE_DEFAULT_TIMEOUT_MS 10000
#define ENGINE_BACKOFF_MIN_MS 500
#define ENGINE_BACKOFF_MAX_MS 10000
/* The longest delay while the engine cannot be reached at all. */
#define ENGINE_BACKOFF_ABSENT_MS 2000
/*
 * A connection that lasted this long was a good one: losing it starts the
 * reconnect delays again from ENGINE_BACKOFF_MIN_MS. A shorter one (an
 * engine that answers /_ping and then fails a read) keeps them growing.
 */
#define ENGINE_STABLE_MS 30000

/* Called on the loop after every change of the picture. */
typedef void (*engine_change_fn)(void *arg);

struct engine;

/*
 * Creates the watcher (it does nothing until engine_start()). cfg is
 * copied; docker_host must outlive the watcher. Returns NULL with a
 * message in err. Free with engine_free().
 */
struct engine *engine_new(uv_loop_t *loop,
                          const struct engine_config *cfg,
                          engine_change_fn on_change,
                          void *arg,
                          char *err,
                          size_t errlen);

/* Connects and starts watching. */
void engine_start(struct engine *e);

/*
 * Stops everything and closes the handles; memory is freed once the loop
 * has run the close callbacks. Accepts NULL. Not from an engine callback.
 */
void engine_free(struct engine *e);

/*
 * Fills m with the current picture. Everything in it is borrowed from the
 * watcher and valid until the loop next runs.
 */
void engine_model(const struct engine *e, struct docker_model *m);

/* Increases with every change of the picture. */
uint64_t engine_generation(const struct engine *e);

/* The engine client, for request counters. */
const struct docker_client *engine_client(const struct engine *e);

/*
 * Decides the mode from GET /info: returns 1 when the swarm's lists can be
 * read (an active manager), else 0 with the note for the page in note.
 */
int engine_swarm_mode(const struct docker_info *info, char *note, size_t size);

/*
 * Returns 1 when some task is on its way to its desired state (a task
 * meant to run that is not yet running, or one meant to stop that still
 * runs).
 */
int engine_tasks_moving(const struct docker_list *tasks);

#endif
