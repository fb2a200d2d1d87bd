/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scrape.h: asks the tasks that opt in for their request counter, about
 * once a second, on the program's libuv loop.
 *
 * The only thing it ever sends is SCRAPE_REQUEST: a fixed GET /metrics to
 * a task's own address and the port its service's label names, one
 * connection per request (docs/visualizer-api.md, "Which tasks are asked,
 * and how"). No function takes a path, a method or a body. Each request
 * ends after timeout_ms whatever happens; at most max_inflight are open at
 * once; a reply of more than SCRAPE_MAX_REPLY bytes, a status other than
 * 200 (a redirect is never followed) or a body that metrics_parse()
 * refuses is "no data" for that task. What is kept of an answer is one
 * number, given to the traffic table (traffic.h).
 *
 * A round walks the table's reachable tasks in order; a round that has
 * not ended when the next tick comes (slow or silent tasks) goes on and
 * the tick is skipped, so hostile tasks slow the rounds down but never
 * pile up connections. When a round ends, the owner's callback runs: it
 * renders the traffic document.
 */
#ifndef PART5_SCRAPE_H
#define PART5_SCRAPE_H

#include <stddef.h>

#include <stdint.h>
#include <uv.h>

#include "traffic.h"

#define SCRAPE_INTERVAL_MS 1000
#define SCRAPE_TIMEOUT_MS 500
#define SCRAPE_MAX_INFLIGHT 16
#define SCRAPE_MAX_REPLY (16 * 1024) /* status line, headers and body */
#define SCRAPE_NETS_MS 15000         /* local interfaces read again */

/* The request, with the task's address and port as Host. */
#define SCRAPE_REQUEST                                                         \
    "GET /metrics HTTP/1.1\r\nHost: %s\r\nUser-Agent: part5-visualizer\r\n"    \
    "Accept: text/plain\r\nConnection: close\r\n\r\n"

struct scrape_config {
    unsigned interval_ms;  /* a round every (SCRAPE_INTERVAL_MS) */
    unsigned timeout_ms;   /* bound of one request (SCRAPE_TIMEOUT_MS) */
    unsigned max_inflight; /* connections at once (SCRAPE_MAX_INFLIGHT) */
};

/* What the scraper did since it started (for logs, tests, the bench). */
struct scrape_stats {
    uint64_t rounds, skipped_ticks;
    uint64_t requests, answers; /* answers: a counter was read */
    uint64_t refused;           /* a reply that was not a usable one */
    uint64_t timeouts, unreachable;
};

/* A round ended: the table has new answers. */
typedef void (*scrape_round_fn)(void *arg);

struct scrape;

/*
 * Creates a scraper for the targets of t (borrowed: it must outlive the
 * scraper), on loop. cfg may be NULL; zero fields take the defaults.
 * Free with scrape_free().
 */
struct scrape *scrape_new(uv_loop_t *loop,
                          struct traffic *t,
                          const struct scrape_config *cfg,
                          scrape_round_fn on_round,
                          void *arg);

/* Starts the rounds. */
void scrape_start(struct scrape *s);

/*
 * Ends every request (no callback follows) and closes the handles; the
 * memory goes once the loop has run the close callbacks. Accepts NULL.
 */
void scrape_free(struct scrape *s);

/*
 * The subnets of the visualizer's interfaces, read again when older than
 * SCRAPE_NETS_MS (for traffic_set_targets()). Borrowed; *n receives how
 * many.
 */
const struct traffic_net *scrape_nets(struct scrape *s, size_t *n);

void scrape_get_stats(const struct scrape *s, struct scrape_stats *st);

/*
 * The request for a task at sa, into out (size bytes). Returns its
 * length, or 0 when it does not fit.
 */
size_t scrape_request_text(const struct sockaddr *sa, char *out, size_t size);

#endif
