/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics_parse.h: a strict reader of one counter in a task's GET /metrics
 * answer (Prometheus' text format, version 0.0.4).
 *
 * The answer comes from a task, so it is hostile until proven otherwise:
 * the whole body must be well-formed text format (every line a comment,
 * a HELP or TYPE line, or a sample with a valid name, labels and value),
 * valid UTF-8 without control characters, at most METRICS_MAX_BODY bytes,
 * and must hold exactly one sample of the wanted counter, without labels,
 * whose value is a plain integer from 0 to 2^53. Anything else is "no
 * data". What leaves here is that one number: no string of the answer
 * is ever kept.
 *
 * Pure: bytes in, a number out; no I/O, no allocation. Fuzzed by
 * tests/fuzz/fuzz_metrics_parse.c.
 */
#ifndef PART5_METRICS_PARSE_H
#define PART5_METRICS_PARSE_H

#include <stddef.h>

#include <stdint.h>

#define METRICS_MAX_BODY (16 * 1024)   /* hello's answer is about 1.3 KB */
#define METRICS_MAX_NAME 200           /* a metric or label name */
#define METRICS_MAX_VALUE (1ULL << 53) /* exact in a double, in JSON */

/* The counter the visualizer reads: GET / and GET /api of hello. */
#define METRICS_PAGE_REQUESTS "hello_page_requests_total"

/*
 * Reads the counter name from body (len bytes). Returns 0 with *value
 * set, or -1 with *why (a static string, for a debug log) set when the
 * body is not well-formed, too large, or holds the counter not exactly
 * once as an unlabelled integer in range.
 */
int metrics_parse(const char *body,
                  size_t len,
                  const char *name,
                  uint64_t *value,
                  const char **why);

#endif
