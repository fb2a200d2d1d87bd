/* SPDX-License-Identifier: Apache-2.0 */
/*
 * traffic.h: requests per task, from the counters the scraper reads.
 *
 * The table holds one entry per target: a running task of a service that
 * opts in (docs/visualizer-api.md, "Traffic"). Each entry keeps where to
 * ask (an address on a network the visualizer shares with the task, or
 * none) and the last few answers (time, counter). From them come the
 * numbers of the traffic document: requests per second over the last
 * window, each task's share of its service, and the requests since the
 * previous document. Nothing else of a task's answer is kept.
 *
 * Pure: no I/O but traffic_local_nets(). The scraper (scrape.c) walks the
 * entries and reports each answer with traffic_answer(); the owner
 * replaces the targets whenever the engine's picture changes.
 */
#ifndef PART5_TRAFFIC_H
#define PART5_TRAFFIC_H

#include <stddef.h>

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

#include "util.h"

#define TRAFFIC_WINDOW_MS 5000   /* rates are over this much time */
#define TRAFFIC_STALE_MS 3500    /* no answer for this long: no data */
#define TRAFFIC_SAMPLES 6        /* answers kept per task: the window */
#define TRAFFIC_ID_MAX 32        /* longer task or service IDs are skipped */
#define TRAFFIC_MAX_TARGETS 4096 /* tasks asked at most */
#define TRAFFIC_MAX_NETS 64      /* local interfaces considered */
#define TRAFFIC_MAX_ADDRS 16     /* addresses looked at per task */

/* A subnet of one of the visualizer's own interfaces. */
struct traffic_net {
    int family;       /* AF_INET or AF_INET6 */
    uint8_t addr[16]; /* network byte order */
    unsigned prefix;  /* bits of addr that name the subnet */
};

/* A task to ask, as the owner reads it from the engine's lists. */
struct traffic_target {
    const char *task_id, *service_id; /* borrowed for the call */
    const char *const *addrs;         /* "10.0.1.5/24", "fd00::5/64", ... */
    size_t naddrs;
    int port; /* 1-65535 */
};

/* One answer kept: when it came, and the counter it carried. */
struct traffic_sample {
    uint64_t t_ms;
    uint64_t count;
};

/* A task's address and port: IPv4 or IPv6, no bigger than needed. */
union traffic_addr {
    struct sockaddr sa;
    struct sockaddr_in in;
    struct sockaddr_in6 in6;
};

/* One target (about 220 bytes). Read-only outside traffic.c. */
struct traffic_task {
    char id[TRAFFIC_ID_MAX], service_id[TRAFFIC_ID_MAX];
    int reachable;           /* an address on a shared network was found */
    union traffic_addr addr; /* with the port */
    struct traffic_sample s[TRAFFIC_SAMPLES]; /* oldest first */
    unsigned ns;
    int have_reported;
    uint64_t reported; /* the counter in the last document */
    uint32_t answers, failures;
};

struct traffic {
    struct traffic_task **tasks; /* sorted by id */
    size_t n;
    uint64_t generation; /* bumped when the targets change */
};

void traffic_init(struct traffic *t);
void traffic_free(struct traffic *t);

/*
 * Makes the targets exactly tg (n of them). Entries of tasks already
 * known keep their answers; for each, the first of its addresses that
 * lies in one of nets (nnets) is where it will be asked. Tasks with IDs of
 * TRAFFIC_ID_MAX bytes or more, or a bad port, are left out, and so is
 * everything past TRAFFIC_MAX_TARGETS.
 */
void traffic_set_targets(struct traffic *t,
                         const struct traffic_target *tg,
                         size_t n,
                         const struct traffic_net *nets,
                         size_t nnets);

/* The entry of a task, or NULL. */
struct traffic_task *traffic_find(const struct traffic *t, const char *id);

/*
 * A task answered with counter count at now_ms (ok 1), or did not give a
 * usable answer (ok 0). A counter lower than the last one (a restarted
 * process) starts the task's window again.
 */
void traffic_answer(struct traffic_task *k,
                    int ok,
                    uint64_t now_ms,
                    uint64_t count);

/*
 * Requests per second over the window ending at the task's last answer,
 * into *rps. Returns 0, or -1 when the task has no data at now_ms (fewer
 * than two answers, or none for TRAFFIC_STALE_MS).
 */
int traffic_rate(const struct traffic_task *k, uint64_t now_ms, double *rps);

/*
 * Parses "address/prefix" (or a bare address) into *sa with port. Returns
 * 0, or -1 when it is neither IPv4 nor IPv6.
 */
int traffic_parse_addr(const char *s,
                       int port,
                       struct sockaddr_storage *sa,
                       socklen_t *len);

/* 1 when sa lies in net. */
int traffic_in_net(const struct sockaddr_storage *sa,
                   const struct traffic_net *net);

/*
 * The subnets of this host's (or container's) interfaces that are up,
 * into nets (at most max). Returns how many, or -1 with errno set.
 */
int traffic_local_nets(struct traffic_net *nets, size_t max);

/*
 * Renders the traffic document (docs/visualizer-api.md) at now_ms into
 * out, one line of JSON. *body_off receives the offset where the part
 * after "at" begins, to compare two documents. Marks the counters as
 * reported (for the next document's "new"). Returns 0, or -1 if yajl_gen
 * fails.
 */
int traffic_json(struct traffic *t,
                 uint64_t now_ms,
                 const char *at,
                 struct buf *out,
                 size_t *body_off);

#endif
