/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check.c: the Redis health check. See check.h.
 *
 * check_redis() is four steps on one connection (connect, AUTH, PING,
 * INFO), each returning CHECK_UP to go on or the result to stop with, its
 * message already written. Each step frees its own reply; the connection
 * is freed once, by check_redis().
 */
#include "check.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

/* Whether a reply is the error whose first word is code ("LOADING"). */
static int is_error(const redisReply *r, const char *code)
{
    size_t n = strlen(code);

    return r != NULL && r->type == REDIS_REPLY_ERROR && r->str != NULL &&
           strncmp(r->str, code, n) == 0 &&
           (r->str[n] == ' ' || r->str[n] == '\0');
}

/*
 * Finds "name:value" in an INFO reply and copies value into out. Returns 1
 * when found.
 */
static int info_field(const char *info, const char *name, char *out, size_t n)
{
    size_t len = strlen(name), i;
    const char *p = info;

    while ((p = strstr(p, name)) != NULL) {
        if ((p == info || p[-1] == '\n') && p[len] == ':') {
            p += len + 1;
            for (i = 0;
                 i + 1 < n && p[i] != '\r' && p[i] != '\n' && p[i] != '\0'; i++)
                out[i] = p[i];
            out[i] = '\0';
            return 1;
        }
        p += len;
    }
    return 0;
}

/* One conversation with Redis: where, and what was found. */
struct check_ctx {
    const char *host;
    int port;
    redisContext *c;
    char *msg;
    size_t msglen;
};

/*
 * Connects with the timeout, which then bounds every reply too: a Redis
 * that accepts but never answers (stopped with SIGSTOP, a full backlog)
 * is down, not a hung health check. Returns 0 or -1 (msg says why).
 */
static int check_connect(struct check_ctx *x, int timeout_ms)
{
    struct timeval tv;

    tv.tv_sec = timeout_ms / 1000;
    tv.tv_usec = (timeout_ms % 1000) * 1000;
    x->c = redisConnectWithTimeout(x->host, x->port, tv);
    if (x->c == NULL || x->c->err) {
        snprintf(x->msg, x->msglen,
                 "Redis at %s:%d is down: %s (is redis-server running, and "
                 "on this port?)",
                 x->host, x->port,
                 x->c != NULL ? x->c->errstr : "out of memory");
        return -1;
    }
    if (redisSetTimeout(x->c, tv) != REDIS_OK) {
        snprintf(x->msg, x->msglen, "cannot set a timeout on the connection");
        return -1;
    }
    return 0;
}

/*
 * AUTH, when there is a password; a LOADING answer is left to PING.
 * Returns CHECK_UP to go on, or the result (msg says why).
 */
static enum check_result check_auth(struct check_ctx *x, const char *password)
{
    enum check_result res = CHECK_UP;
    redisReply *r;

    if (password == NULL)
        return CHECK_UP;
    r = redisCommand(x->c, "AUTH %s", password);
    if (r == NULL) {
        snprintf(x->msg, x->msglen, "Redis at %s:%d did not answer AUTH: %s",
                 x->host, x->port, x->c->errstr);
        return CHECK_DOWN;
    }
    if (r->type == REDIS_REPLY_ERROR && !is_error(r, "LOADING")) {
        res = CHECK_AUTH;
        snprintf(x->msg, x->msglen,
                 "Redis at %s:%d refused the password (%s): check that "
                 "REDIS_PASSWORD_FILE is the secret Redis was started with",
                 x->host, x->port, r->str);
    }
    freeReplyObject(r);
    return res;
}

/* PING must get PONG. Returns CHECK_UP to go on, or the result. */
static enum check_result check_ping(struct check_ctx *x)
{
    enum check_result res = CHECK_DOWN;
    redisReply *r = redisCommand(x->c, "PING");

    if (r == NULL) {
        snprintf(x->msg, x->msglen, "Redis at %s:%d did not answer PING: %s",
                 x->host, x->port, x->c->errstr);
        return CHECK_DOWN;
    }
    if (is_error(r, "LOADING")) {
        res = CHECK_LOADING;
        snprintf(x->msg, x->msglen,
                 "Redis at %s:%d is loading its data set: wait and ask again",
                 x->host, x->port);
    } else if (is_error(r, "NOAUTH")) {
        res = CHECK_AUTH;
        snprintf(x->msg, x->msglen,
                 "Redis at %s:%d requires a password: set "
                 "REDIS_PASSWORD_FILE or give --password-file",
                 x->host, x->port);
    } else if (r->type != REDIS_REPLY_STATUS || r->str == NULL ||
               strcmp(r->str, "PONG") != 0) {
        snprintf(x->msg, x->msglen,
                 "%s:%d answered PING with something other than PONG (%s): "
                 "is it really Redis?",
                 x->host, x->port,
                 r->type == REDIS_REPLY_ERROR && r->str != NULL ? r->str
                                                                : "no PONG");
    } else {
        res = CHECK_UP;
    }
    freeReplyObject(r);
    return res;
}

/*
 * PING is allowed while loading in some versions: INFO persistence says
 * whether the data set is still loading. Returns the result.
 */
static enum check_result check_loaded(struct check_ctx *x)
{
    char loading[16], perc[32];
    enum check_result res = CHECK_LOADING;
    redisReply *r = redisCommand(x->c, "INFO persistence");
    const char *info;

    if (r == NULL) {
        snprintf(x->msg, x->msglen, "Redis at %s:%d did not answer INFO: %s",
                 x->host, x->port, x->c->errstr);
        return CHECK_DOWN;
    }
    info = r->type == REDIS_REPLY_STRING ? r->str : NULL;
    if (!is_error(r, "LOADING") &&
        !(info != NULL &&
          info_field(info, "loading", loading, sizeof(loading)) &&
          strcmp(loading, "0") != 0) &&
        !(info != NULL &&
          info_field(info, "async_loading", loading, sizeof(loading)) &&
          strcmp(loading, "0") != 0)) {
        res = CHECK_UP;
        snprintf(x->msg, x->msglen, "Redis at %s:%d is up (PONG)", x->host,
                 x->port);
    } else if (info != NULL &&
               info_field(info, "loading_loaded_perc", perc, sizeof(perc))) {
        snprintf(x->msg, x->msglen,
                 "Redis at %s:%d is loading its data set (%s%% done): wait "
                 "and ask again",
                 x->host, x->port, perc);
    } else {
        snprintf(x->msg, x->msglen,
                 "Redis at %s:%d is loading its data set: wait and ask again",
                 x->host, x->port);
    }
    freeReplyObject(r);
    return res;
}

enum check_result check_redis(const char *host,
                              int port,
                              const char *password,
                              int timeout_ms,
                              char *msg,
                              size_t msglen)
{
    struct check_ctx x = {host, port, NULL, msg, msglen};
    enum check_result res = CHECK_DOWN;

    if (check_connect(&x, timeout_ms) == 0 &&
        (res = check_auth(&x, password)) == CHECK_UP &&
        (res = check_ping(&x)) == CHECK_UP)
        res = check_loaded(&x);
    if (x.c != NULL)
        redisFree(x.c);
    return res;
}
