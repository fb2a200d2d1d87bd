/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker_errmsg.c: the words of an engine error reply, for the user. See
 * docker_error_message() in docker_model.h.
 *
 * The rule: an error body is read like any other reply, through a
 * whitelist of one field ("message"), cut to fit on a UTF-8 boundary; a
 * body that is not such JSON gives no message at all, never raw bytes.
 */
#include <string.h>

#include "docker_model.h"
#include "jscan.h"

static const struct jscan_field error_fields[] = {
    {{"message", NULL}, JSCAN_STRING},
};

struct docker_errmsg {
    char *out;
    size_t size;
};

static int docker_error_record(void *arg, const struct jscan_record *rec)
{
    struct docker_errmsg *e = arg;

    jscan_copy(rec, 0, e->out, e->size);
    return 0;
}

void docker_error_message(const char *body, size_t len, char *out, size_t size)
{
    struct docker_errmsg e = {out, size};
    struct jscan *s;

    if (size == 0)
        return;
    out[0] = '\0';
    s = jscan_new(error_fields, 1, 0, docker_error_record, &e);
    if (jscan_feed(s, body, len) != 0 || jscan_finish(s) != 0)
        out[0] = '\0';
    jscan_free(s);
}
