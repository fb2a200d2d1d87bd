/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check.c: the Redis health check. See check.h.
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

enum check_result check_redis(const char *host,
                              int port,
                              const char *password,
                              int timeout_ms,
                              char *msg,
                              size_t msglen)
{
    struct timeval tv;
    redisContext *c = NULL;
    redisReply *r = NULL;
    enum check_result res = CHECK_DOWN;
    char loading[16], perc[32];

    /*
     * The timeout bounds the connection and then every reply: a Redis
     * that accepts but never answers (stopped with SIGSTOP, a full
     * backlog) is down, not a hung health check.
     */
    tv.tv_sec = timeout_ms / 1000;
    tv.tv_usec = (timeout_ms % 1000) * 1000;
    c = redisConnectWithTimeout(host, port, tv);
    if (c == NULL || c->err) {
        snprintf(msg, msglen,
                 "Redis at %s:%d is down: %s (is redis-server running, and "
                 "on this port?)",
                 host, port, c != NULL ? c->errstr : "out of memory");
        goto done;
    }
    if (redisSetTimeout(c, tv) != REDIS_OK) {
        snprintf(msg, msglen, "cannot set a timeout on the connection");
        goto done;
    }
    /* AUTH first; a LOADING answer to it is handled by PING below. */
    if (password != NULL) {
        r = redisCommand(c, "AUTH %s", password);
        if (r == NULL) {
            snprintf(msg, msglen, "Redis at %s:%d did not answer AUTH: %s",
                     host, port, c->errstr);
            goto done;
        }
        if (r->type == REDIS_REPLY_ERROR && !is_error(r, "LOADING")) {
            res = CHECK_AUTH;
            snprintf(msg, msglen,
                     "Redis at %s:%d refused the password (%s): check that "
                     "REDIS_PASSWORD_FILE is the secret Redis was started with",
                     host, port, r->str);
            goto done;
        }
        freeReplyObject(r);
        r = NULL;
    }
    r = redisCommand(c, "PING");
    if (r == NULL) {
        snprintf(msg, msglen, "Redis at %s:%d did not answer PING: %s", host,
                 port, c->errstr);
        goto done;
    }
    if (is_error(r, "LOADING")) {
        res = CHECK_LOADING;
        snprintf(msg, msglen,
                 "Redis at %s:%d is loading its data set: wait and ask again",
                 host, port);
        goto done;
    }
    if (is_error(r, "NOAUTH")) {
        res = CHECK_AUTH;
        snprintf(msg, msglen,
                 "Redis at %s:%d requires a password: set "
                 "REDIS_PASSWORD_FILE or give --password-file",
                 host, port);
        goto done;
    }
    if (r->type != REDIS_REPLY_STATUS || r->str == NULL ||
        strcmp(r->str, "PONG") != 0) {
        snprintf(msg, msglen,
                 "%s:%d answered PING with something other than PONG (%s): "
                 "is it really Redis?",
                 host, port,
                 r->type == REDIS_REPLY_ERROR && r->str != NULL ? r->str
                                                                : "no PONG");
        goto done;
    }
    freeReplyObject(r);

    /* PING is allowed while loading in some versions: ask INFO as well. */
    r = redisCommand(c, "INFO persistence");
    if (r == NULL) {
        snprintf(msg, msglen, "Redis at %s:%d did not answer INFO: %s", host,
                 port, c->errstr);
        goto done;
    }
    if (is_error(r, "LOADING") ||
        (r->type == REDIS_REPLY_STRING && r->str != NULL &&
         ((info_field(r->str, "loading", loading, sizeof(loading)) &&
           strcmp(loading, "0") != 0) ||
          (info_field(r->str, "async_loading", loading, sizeof(loading)) &&
           strcmp(loading, "0") != 0)))) {
        res = CHECK_LOADING;
        if (r->type == REDIS_REPLY_STRING &&
            info_field(r->str, "loading_loaded_perc", perc, sizeof(perc)))
            snprintf(msg, msglen,
                     "Redis at %s:%d is loading its data set (%s%% done): "
                     "wait and ask again",
                     host, port, perc);
        else
            snprintf(msg, msglen,
                     "Redis at %s:%d is loading its data set: wait and ask "
                     "again",
                     host, port);
        goto done;
    }
    res = CHECK_UP;
    snprintf(msg, msglen, "Redis at %s:%d is up (PONG)", host, port);
done:
    if (r != NULL)
        freeReplyObject(r);
    if (c != NULL)
        redisFree(c);
    return res;
}
