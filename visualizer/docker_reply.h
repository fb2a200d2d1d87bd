/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker_reply.h: the engine's HTTP/1.1 reply, parsed as it arrives.
 *
 * No I/O and no libuv: the client (docker_client.c) reads bytes from its
 * socket and feeds them here, in whatever pieces the network delivers,
 * as hiredis keeps its reply reader (read.c) apart from its connections
 * (async.c). So the parser can be unit-tested and fuzzed alone
 * (tests/unit/test_docker_client.c, tests/fuzz/fuzz_docker_client.c).
 *
 * What it accepts: a status line "HTTP/1.x NNN" with a status of 200 to
 * 599, at most DOCKER_REPLY_MAX_HEAD bytes of headers, then a body framed
 * by Content-Length, by chunked transfer coding (what the engine uses
 * for its JSON and for the endless /events stream) or by the end of the
 * connection. A 200 body goes to on_data chunk by chunk; the start of any
 * other body is kept in errbody for the engine's error message.
 */
#ifndef PART5_DOCKER_REPLY_H
#define PART5_DOCKER_REPLY_H

#include <stddef.h>

#include <stdint.h>

#include "util.h"

#define DOCKER_REPLY_MAX (256u * 1024 * 1024) /* largest real one: ~5 MB */
#define DOCKER_REPLY_MAX_HEAD (16 * 1024)     /* status line and headers */
#define DOCKER_REPLY_MAX_LINE 256             /* a chunk-size or trailer line */
#define DOCKER_REPLY_ERRBODY 1024             /* kept of a non-200 body */

enum docker_reply_state {
    DOCKER_REPLY_HEAD,        /* status line and headers */
    DOCKER_REPLY_BODY_LENGTH, /* Content-Length bytes */
    DOCKER_REPLY_BODY_CLOSE,  /* until the connection ends */
    DOCKER_REPLY_CHUNK_SIZE,  /* a chunk-size line */
    DOCKER_REPLY_CHUNK_DATA,  /* chunk bytes */
    DOCKER_REPLY_CHUNK_END,   /* the CRLF after them */
    DOCKER_REPLY_TRAILER,     /* trailer lines until an empty one */
    DOCKER_REPLY_DONE,
};

/*
 * A 200 reply's body bytes, borrowed for the call. Returns 0 to go on,
 * -1 to refuse the rest of the reply.
 */
typedef int (*docker_reply_data_fn)(void *arg, const char *data, size_t len);

/* One reply being parsed. Fields are read-only outside docker_reply.c. */
struct docker_reply {
    enum docker_reply_state state;
    long status;     /* HTTP status once the headers are in, else 0 */
    size_t received; /* body bytes so far (all of them, not only kept) */
    char errbody[DOCKER_REPLY_ERRBODY]; /* a non-200 body's start */
    size_t errlen;                      /* NUL-terminated at errlen */
    int aborted;                        /* on_data returned -1 */

    docker_reply_data_fn on_data; /* may be NULL: the body is dropped */
    void *arg;
    struct buf head; /* headers, then the current chunk-size line */
    uint64_t left;   /* bytes left in the body or the chunk */
};

/* Prepares r for a reply; free with docker_reply_free(). */
void docker_reply_init(struct docker_reply *r,
                       docker_reply_data_fn on_data,
                       void *arg);

/* Frees what r holds (not r itself). */
void docker_reply_free(struct docker_reply *r);

/*
 * Feeds n reply bytes. Returns 0 to read on, 1 when the reply is
 * complete, -1 on a malformed reply or a refused body: *why says which,
 * NULL when on_data refused it (aborted is then set). Once it has
 * returned 1 or -1, r is not fed again.
 */
int docker_reply_feed(struct docker_reply *r,
                      const char *p,
                      size_t n,
                      const char **why);

#endif
