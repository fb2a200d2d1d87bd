/* SPDX-License-Identifier: Apache-2.0 */
/*
 * page.h: what hello answers, as pure functions of the inputs, so tests
 * can check every byte without a server.
 */
#ifndef HELLO_PAGE_H
#define HELLO_PAGE_H

#include <stddef.h>

#include <stdint.h>

#include "util.h"

/* Shown instead of the count when Redis cannot be reached. */
#define PAGE_REDIS_DOWN "<i>cannot connect to Redis, counter disabled</i>"

/*
 * The parts of the page that do not change between requests, escaped
 * once at start: NAME and the host name for HTML and for JSON.
 */
struct page {
    char *name_html, *host_html;
    char *name_json, *host_json; /* quoted JSON strings */
};

/* Prepares p from NAME and the host name. Free with page_free(). */
void page_init(struct page *p, const char *name, const char *hostname);
void page_free(struct page *p);

/*
 * Renders the tutorial's page into out (cap bytes): the count when
 * have_visits is set, the "counter disabled" message otherwise. Returns
 * the length, or 0 when out is too small.
 */
size_t page_render_html(const struct page *p,
                        int have_visits,
                        long long visits,
                        char *out,
                        size_t cap);

/*
 * Renders GET /api: {"name":..,"hostname":..,"visits":N|null,"redis":
 * "up"|"down"}. Returns the length, or 0 when out is too small.
 */
size_t page_render_json(const struct page *p,
                        int have_visits,
                        long long visits,
                        char *out,
                        size_t cap);

/* The figures GET /metrics shows. */
struct page_metrics {
    const unsigned *codes;  /* status codes counted */
    const uint64_t *counts; /* requests answered with each */
    size_t ncodes;
    uint64_t redis_errors;   /* requests that got no count */
    uint64_t redis_outages;  /* times Redis went down */
    uint64_t visits_counted; /* INCR answered */
    uint64_t page_requests;  /* GET / and GET /api, counted or not */
    int redis_up;
    unsigned connections; /* open HTTP connections */
    double start_time;    /* Unix time of the start */
};

/* Appends the Prometheus text format (version 0.0.4) to b. */
void page_render_metrics(struct buf *b, const struct page_metrics *m);

#endif
