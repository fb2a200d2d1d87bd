/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check.h: does Redis answer? For the image's HEALTHCHECK and for scripts
 * that wait for Redis before going on.
 *
 * Redis is up when it answers PING with PONG (after AUTH, when a password
 * is set) and is not loading its data set: while it loads a large AOF at
 * start, clients get LOADING errors, so the service is not ready yet.
 */
#ifndef PART5_CHECK_H
#define PART5_CHECK_H

#include <stddef.h>

enum check_result {
    CHECK_UP = 0,
    CHECK_DOWN,    /* no connection, no answer, or an unexpected one */
    CHECK_LOADING, /* answers, but is still loading its data */
    CHECK_AUTH,    /* a password is missing or wrong */
};

#define CHECK_MSG_LEN 512

/*
 * Asks Redis at host:port once, each step bounded by timeout_ms. password
 * may be NULL. Returns the result, with one line in msg saying what was
 * found and, when Redis is not up, what to do.
 */
enum check_result check_redis(const char *host,
                              int port,
                              const char *password,
                              int timeout_ms,
                              char *msg,
                              size_t msglen);

#endif
