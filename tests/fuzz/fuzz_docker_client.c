/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_docker_client.c: libFuzzer target for the engine client's reply
 * parser (docker_reply_feed(), visualizer/docker_reply.c) and for the
 * engine's error message, docker_error_message().
 *
 * Input: the first byte sets the size of the pieces the reply is fed in
 * (the network splits replies anywhere); the rest is the engine's reply:
 * status line, headers, a body framed by Content-Length, chunks or the
 * end of the connection. Beyond memory safety:
 * - docker_reply_feed() answers 0 (more), 1 (complete) or -1 (with a
 *   reason), and once it has answered 1 or -1 it is not fed again;
 * - a status, once read, is 200-599; only a 200's body reaches the
 *   owner, never more bytes than were fed;
 * - the message made from an error body fits its buffer, and the model
 *   renders with it as engine.error (valid JSON on one line); in the log
 *   log.c writes its control characters as escapes (tests/unit/
 *   test_log.c).
 */
#include <stddef.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "docker_model.h"
#include "docker_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_sink {
    size_t bytes;
};

static int fuzz_sink_data(void *arg, const char *data, size_t len)
{
    struct fuzz_sink *s = arg;

    (void)data;
    s->bytes += len;
    return 0;
}

/*
 * The engine's message from an error body fits its buffer and, as the
 * visualizer shows it (engine.error), renders: yajl_gen checks UTF-8, and
 * a string it refused would stop every update of the picture.
 */
static void fuzz_message(const char *body, size_t len)
{
    struct docker_list empty;
    struct docker_model m;
    struct buf out = BUF_INIT;
    char msg[256], err[128];
    size_t off;
    yajl_val v;

    memset(msg, 'x', sizeof(msg));
    docker_error_message(body, len, msg, sizeof(msg));
    if (memchr(msg, '\0', sizeof(msg)) == NULL)
        abort();
    docker_list_init(&empty, sizeof(struct docker_node));
    memset(&m, 0, sizeof(m));
    m.error = msg;
    m.since = "2026-11-27T11:00:00Z";
    m.nodes = m.services = m.tasks = m.containers = &empty;
    if (docker_model_json(&m, "now", &out, &off) != 0 ||
        memchr(out.data, '\n', out.len) != NULL)
        abort();
    v = yajl_tree_parse(out.data, err, sizeof(err));
    if (v == NULL)
        abort();
    yajl_tree_free(v);
    buf_free(&out);
    docker_list_free(&empty);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct docker_reply r;
    struct fuzz_sink sink = {0};
    const char *why = NULL;
    size_t step, off, n;
    int rc = 0;

    if (size < 1)
        return 0;
    step = data[0] == 0 ? size : data[0];
    data++;
    size--;
    docker_reply_init(&r, fuzz_sink_data, &sink);
    for (off = 0; off < size && rc == 0; off += n) {
        n = size - off < step ? size - off : step;
        rc = docker_reply_feed(&r, (const char *)data + off, n, &why);
        if (rc < -1 || rc > 1)
            abort();
    }
    if (rc == -1 && why == NULL)
        abort(); /* every refusal says why */
    if (r.state != DOCKER_REPLY_HEAD && (r.status < 200 || r.status > 599))
        abort();
    if (sink.bytes > size || (sink.bytes > 0 && r.status != 200))
        abort();
    if (r.errlen >= sizeof(r.errbody) || r.errbody[r.errlen] != '\0')
        abort();
    fuzz_message(r.errbody, r.errlen);
    /* The same bytes as a whole error body, as the engine may send. */
    fuzz_message((const char *)data, size);
    docker_reply_free(&r);
    return 0;
}
