/* SPDX-License-Identifier: Apache-2.0 */
/*
 * healthcheck.c: `redis-bootstrap check`. See healthcheck.h.
 *
 * The order is the point: as root, only the record and the secret are
 * read; then root is dropped for good; then the config file is read and
 * Redis is asked. Nothing read after the drop can reach a root process.
 */
#include "healthcheck.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bootstrap.h"
#include "check.h"
#include "env.h"
#include "privdrop.h"
#include "target.h"

/*
 * Parses a decimal number within [min, max]. Returns 0, or -1 when s is not
 * one.
 */
static int parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

enum healthcheck_args healthcheck_parse_args(int argc,
                                             char **argv,
                                             struct healthcheck_opts *o,
                                             struct buf *why)
{
    static const struct healthcheck_opts defaults = {
        .timeout_ms = 2000,
    };
    long port;
    int i;

    *o = defaults;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = argc > i + 1 ? argv[i + 1] : NULL;

        if (strcmp(a, "--help") == 0)
            return HEALTHCHECK_ARGS_HELP;
        if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            o->quiet = 1;
            continue;
        }
        if (strcmp(a, "--host") != 0 && strcmp(a, "--port") != 0 &&
            strcmp(a, "--password-file") != 0 && strcmp(a, "--timeout") != 0 &&
            strcmp(a, "--wait") != 0) {
            buf_printf(why, "check: unknown option %s", a);
            return HEALTHCHECK_ARGS_BAD;
        }
        if (v == NULL) {
            buf_printf(why, "check: %s needs a value", a);
            return HEALTHCHECK_ARGS_BAD;
        }
        i++;
        if (strcmp(a, "--host") == 0) {
            o->host = v;
        } else if (strcmp(a, "--password-file") == 0) {
            o->password_file = v;
        } else if (strcmp(a, "--port") == 0) {
            if (parse_long(v, 1, 65535, &port) != 0) {
                buf_printf(why, "check: --port %s: give 1-65535", v);
                return HEALTHCHECK_ARGS_BAD;
            }
            o->port = (int)port;
        } else if (strcmp(a, "--timeout") == 0) {
            if (parse_long(v, 1, 60000, &o->timeout_ms) != 0) {
                buf_printf(why,
                           "check: --timeout %s: give milliseconds, "
                           "1-60000",
                           v);
                return HEALTHCHECK_ARGS_BAD;
            }
        } else if (parse_long(v, 0, 3600, &o->wait_s) != 0) {
            buf_printf(why, "check: --wait %s: give seconds, 0-3600", v);
            return HEALTHCHECK_ARGS_BAD;
        }
    }
    return HEALTHCHECK_ARGS_OK;
}

/* Where and how to reach Redis, once everything was read. */
struct healthcheck_target {
    char host[256];
    int port;
    char password[BOOTSTRAP_SECRET_MAX];
    int have_password;
    int have_record;          /* the entrypoint's record was read */
    struct redis_args record; /* valid when have_record */
};

/*
 * As root, if we are: the entrypoint's record and the secret. Returns 0,
 * or -1 with a message in err.
 */
static int read_privileged(const struct healthcheck_opts *o,
                           const struct healthcheck_env *env,
                           struct healthcheck_target *t,
                           char *err,
                           size_t errlen)
{
    const char *secret =
        o->password_file != NULL ? o->password_file : env->password_file;
    char why[ENV_ERR_LEN];
    int got;

    got = target_read(env->target_path, &t->record, err, errlen);
    if (got < 0)
        return -1;
    t->have_record = got;
    if (secret != NULL) {
        if (env_read_secret(secret, t->password, sizeof(t->password), why,
                            sizeof(why)) != 0) {
            snprintf(err, errlen, "%s: give the secret Redis was started with",
                     why);
            return -1;
        }
        t->have_password = 1;
    }
    return 0;
}

/*
 * Becomes the redis user for good when root (no groups, no capabilities,
 * no-new-privileges); otherwise only sets no-new-privileges. Returns 0,
 * or -1 with a message in err.
 */
static int drop_root(char *err, size_t errlen)
{
    struct privdrop_report rep;
    char why[256];
    uid_t uid;
    gid_t gid;

    if (geteuid() != 0)
        return privdrop_harden(err, errlen);
    if (privdrop_passwd_user("/etc/passwd", BOOTSTRAP_USER, &uid, &gid) != 0 ||
        uid == 0 || gid == 0) {
        snprintf(err, errlen,
                 "no user '%s' (with its own uid and gid) in /etc/passwd: "
                 "check does not talk to Redis as root",
                 BOOTSTRAP_USER);
        return -1;
    }
    if (privdrop_to(uid, gid, &rep, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "cannot drop root: %s", why);
        return -1;
    }
    return 0;
}

/*
 * As the redis user: reads the config file of the record, if any, and
 * works out where Redis listens and its password. Options win over the
 * record, REDIS_PASSWORD_FILE over any requirepass (as in the entrypoint,
 * where it comes last). Returns 0, or -1 with a message in err.
 */
static int resolve(const struct healthcheck_opts *o,
                   struct healthcheck_target *t,
                   char *err,
                   size_t errlen)
{
    const char *conf, *pass = NULL;
    struct redis_args *a = &t->record;
    char *text;
    size_t len;
    long port = 6379;

    snprintf(t->host, sizeof(t->host), "127.0.0.1");
    if (t->have_record && a->config_index != 0) {
        conf = a->argv[a->config_index];
        text = read_file(conf, BOOTSTRAP_CONFIG_MAX, &len);
        if (text == NULL) {
            snprintf(err, errlen,
                     "cannot read %s, the config file Redis was started "
                     "with: %s",
                     conf, strerror(errno));
            return -1;
        }
        redis_args_read_config(a, text, len);
        explicit_bzero(text, len);
        free(text);
    }
    if (t->have_record) {
        target_connect_host(redis_args_bind(a), t->host, sizeof(t->host));
        if (parse_long(redis_args_port(a), 0, 65535, &port) != 0) {
            snprintf(err, errlen, "Redis was started with port %s: not a port",
                     redis_args_port(a));
            return -1;
        }
        pass = redis_args_requirepass(a);
    }
    if (o->host != NULL)
        snprintf(t->host, sizeof(t->host), "%s", o->host);
    t->port = o->port != 0 ? o->port : (int)port;
    if (t->port == 0) {
        snprintf(err, errlen,
                 "Redis was started with port 0 (no TCP port): check cannot "
                 "reach it; give --port");
        return -1;
    }
    if (!t->have_password && pass != NULL) {
        snprintf(t->password, sizeof(t->password), "%s", pass);
        t->have_password = 1;
    }
    return 0;
}

int healthcheck_run(const struct healthcheck_opts *o,
                    const struct healthcheck_env *env)
{
    struct healthcheck_target t;
    char err[CHECK_MSG_LEN], msg[CHECK_MSG_LEN];
    enum check_result res = CHECK_DOWN;
    uint64_t deadline;

    memset(&t, 0, sizeof(t));
    if (read_privileged(o, env, &t, err, sizeof(err)) != 0 ||
        drop_root(err, sizeof(err)) != 0 ||
        resolve(o, &t, err, sizeof(err)) != 0) {
        if (!o->quiet)
            fprintf(stderr, "redis-bootstrap: check: %s\n", err);
        goto done;
    }

    /* One try, or tries every 200 ms until --wait seconds have passed. */
    deadline = now_ms() + (uint64_t)o->wait_s * 1000;
    for (;;) {
        res = check_redis(t.host, t.port, t.have_password ? t.password : NULL,
                          (int)o->timeout_ms, msg, sizeof(msg));

        /* A wrong password will not fix itself: no point in waiting. */
        if (res == CHECK_UP || res == CHECK_AUTH || now_ms() >= deadline)
            break;
        usleep(200 * 1000);
    }
    if (!o->quiet)
        fprintf(res == CHECK_UP ? stdout : stderr, "redis-bootstrap: %s\n",
                msg);
done:
    explicit_bzero(t.password, sizeof(t.password));
    if (t.have_record)
        redis_args_free(&t.record);
    return res == CHECK_UP ? 0 : 1;
}
