/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_metrics_parse.c: libFuzzer target for the visualizer's reader of a
 * task's GET /metrics answer (visualizer/metrics_parse.c): bytes a hostile
 * task could send. The contract of metrics_parse.h:
 * - it never reads past len (ASan) and never crashes;
 * - a refusal always says why, and leaves the value alone;
 * - an accepted answer gives a value from 0 to 2^53;
 * - the same answer with a comment line before it reads the same, and
 *   with the counter's line once more it is refused (exactly once).
 */
#include <stddef.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char comment[] = "# a comment\n";
    static const char again[] = METRICS_PAGE_REQUESTS " 1\n";
    static char tmp[METRICS_MAX_BODY * 2 + 64];
    const char *body = (const char *)data, *why = NULL, *why2 = NULL;
    uint64_t v = 42, v2 = 43;
    int rc;

    rc = metrics_parse(body, size, METRICS_PAGE_REQUESTS, &v, &why);
    if (rc != 0) {
        if (rc != -1 || why == NULL || v != 42)
            abort();
        return 0;
    }
    if (why != NULL || v > METRICS_MAX_VALUE)
        abort();
    if (size + sizeof(comment) > sizeof(tmp) ||
        size + sizeof(again) > sizeof(tmp))
        return 0;
    memcpy(tmp, comment, sizeof(comment) - 1);
    memcpy(tmp + sizeof(comment) - 1, body, size);
    if (size + sizeof(comment) - 1 <= METRICS_MAX_BODY) {
        if (metrics_parse(tmp, size + sizeof(comment) - 1,
                          METRICS_PAGE_REQUESTS, &v2, &why2) != 0 ||
            v2 != v)
            abort();
    }
    memcpy(tmp, body, size);
    memcpy(tmp + size, again, sizeof(again) - 1);
    if (metrics_parse(tmp, size + sizeof(again) - 1, METRICS_PAGE_REQUESTS, &v2,
                      &why2) != -1)
        abort();
    return 0;
}
