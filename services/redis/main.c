/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c: redis-bootstrap, the Redis service of the Docker Get Started
 * Part 5 stack.
 *
 *     redis-bootstrap redis-server [ARGS...]   the image's entrypoint
 *     redis-bootstrap prepare -f FILE ...      preflight on a node
 *     redis-bootstrap check [--host H] ...     does Redis answer?
 */
#include <stdarg.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootstrap.h"
#include "check.h"
#include "env.h"
#include "log.h"
#include "preflight.h"
#include "prepare.h"
#include "util.h"
#include "version.h"

/* The exit status of usage errors (prepare.h: also of prepare). */
#define EXIT_UNREADABLE PREPARE_EXIT_UNREADABLE

static struct {
    const char *password_file;
    enum log_level log_level;
} cfg = {
    .password_file = NULL,
    .log_level = LOG_LEVEL_INFO,
};

static const struct env_var rb_env[] = {
    {"REDIS_PASSWORD_FILE", ENV_PATH, 0, 4096, &cfg.password_file,
     "file holding the Redis password (a Docker secret); Redis requires it"},
    {"LOG_LEVEL", ENV_LOGLEVEL, 0, 0, &cfg.log_level,
     "debug, info, warn or error"},
};

#define RB_NENV (sizeof(rb_env) / sizeof(rb_env[0]))

/*
 * The text of --help: every command, what it does and its exit codes.
 */
static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: redis-bootstrap redis-server [ARGS...]\n"
        "       redis-bootstrap [--option ... | FILE.conf ...]\n"
        "       redis-bootstrap prepare [-f FILE] [--host-root DIR] "
        "[--dry-run]\n"
        "                       [--owner UID:GID] [--role manager|worker]\n"
        "                       [--hostname NAME]\n"
        "       redis-bootstrap check [--host HOST] [--port PORT]\n"
        "                       [--password-file FILE] [--timeout MS] "
        "[--wait SECONDS] [-q]\n"
        "       redis-bootstrap --help | --version\n"
        "\n"
        "The Redis service of the Docker Get Started Part 5 stack.\n"
        "\n"
        "redis-server ARGS: the image's entrypoint. As root it makes the data\n"
        "  directory (/data, or --dir) usable by user redis, changing the\n"
        "  owner of the directory and of Redis' own files only, sets umask\n"
        "  0077, drops to user redis for good (no groups, no capabilities,\n"
        "  no-new-privileges) and execs redis-server. Arguments starting\n"
        "  with '-' or a first argument ending in .conf get redis-server put\n"
        "  in front; other commands run as they are. With REDIS_PASSWORD_FILE\n"
        "  Redis requires that password, passed on stdin, never on the\n"
        "  command line.\n"
        "\n"
        "prepare: run on a swarm node before `docker stack deploy`. Reads the\n"
        "  stack file (default docker-compose.yml), prints its findings as\n"
        "  file:line:column: level: message, and creates the missing host\n"
        "  directories of bind mounts of services that run on this node\n"
        "  (Redis' owned by --owner, default %u:%u, the uid of the stack's\n"
        "  Redis image). --host-root DIR: host paths are under DIR (run it in\n"
        "  a container with the host's / mounted there). --dry-run: change\n"
        "  nothing, say what would be done. --role (default manager) and\n"
        "  --hostname (default this host's) decide which placement\n"
        "  constraints match this node.\n"
        "  Exit: 0 fine or warnings only, 1 errors, 2 not a compose file.\n"
        "\n"
        "check: exits 0 when Redis at HOST:PORT (default 127.0.0.1:6379)\n"
        "  answers PING and is not loading its data, 1 otherwise. --wait N\n"
        "  retries for up to N seconds. For the image's HEALTHCHECK.\n"
        "\n"
        "Environment:\n",
        PREFLIGHT_REDIS_UID, PREFLIGHT_REDIS_GID);
    env_usage(out, rb_env, RB_NENV);
}

/* Fails a subcommand's option parsing: message, hint, exit 2. */
static int usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "redis-bootstrap: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nrun `redis-bootstrap --help` for the options\n");
    return EXIT_UNREADABLE;
}

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

/* redis-bootstrap prepare: its options, then the command (prepare.c). */
static int cmd_prepare(int argc, char **argv)
{
    struct prepare_opts o;
    struct buf why = BUF_INIT;
    int rc;

    switch (prepare_parse_args(argc, argv, &o, &why)) {
    case PREPARE_ARGS_HELP: usage(stdout); return 0;
    case PREPARE_ARGS_BAD:
        rc = usage_error("%s", why.data);
        buf_free(&why);
        return rc;
    case PREPARE_ARGS_OK: break;
    }
    return prepare_run(&o, stdout, stderr);
}

/* redis-bootstrap check. */
static int cmd_check(int argc, char **argv)
{
    const char *host = "127.0.0.1", *password_file = cfg.password_file;
    char password[BOOTSTRAP_SECRET_MAX], err[ENV_ERR_LEN];
    char msg[CHECK_MSG_LEN];
    long port = 6379, timeout_ms = 2000, wait_s = 0;
    enum check_result res;
    uint64_t deadline;
    int i, quiet = 0, have_password = 0;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = argc > i + 1 ? argv[i + 1] : NULL;

        if (strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            quiet = 1;
            continue;
        }
        if (strcmp(a, "--host") != 0 && strcmp(a, "--port") != 0 &&
            strcmp(a, "--password-file") != 0 && strcmp(a, "--timeout") != 0 &&
            strcmp(a, "--wait") != 0)
            return usage_error("check: unknown option %s", a);
        if (v == NULL)
            return usage_error("check: %s needs a value", a);
        i++;
        if (strcmp(a, "--host") == 0)
            host = v;
        else if (strcmp(a, "--password-file") == 0)
            password_file = v;
        else if (strcmp(a, "--port") == 0) {
            if (parse_long(v, 1, 65535, &port) != 0)
                return usage_error("check: --port %s: give 1-65535", v);
        } else if (strcmp(a, "--timeout") == 0) {
            if (parse_long(v, 1, 60000, &timeout_ms) != 0)
                return usage_error("check: --timeout %s: give milliseconds, "
                                   "1-60000",
                                   v);
        } else if (parse_long(v, 0, 3600, &wait_s) != 0)
            return usage_error("check: --wait %s: give seconds, 0-3600", v);
    }
    if (password_file != NULL) {
        if (env_read_secret(password_file, password, sizeof(password), err,
                            sizeof(err)) != 0) {
            fprintf(stderr,
                    "redis-bootstrap: check: %s: give the secret Redis was "
                    "started with\n",
                    err);
            return 1;
        }
        have_password = 1;
    }
    /* One try, or tries every 200 ms until --wait seconds have passed. */
    deadline = now_ms() + (uint64_t)wait_s * 1000;
    for (;;) {
        res = check_redis(host, (int)port, have_password ? password : NULL,
                          (int)timeout_ms, msg, sizeof(msg));

        /* A wrong password will not fix itself: no point in waiting. */
        if (res == CHECK_UP || res == CHECK_AUTH || now_ms() >= deadline)
            break;
        usleep(200 * 1000);
    }
    explicit_bzero(password, sizeof(password));
    if (!quiet)
        fprintf(res == CHECK_UP ? stdout : stderr, "redis-bootstrap: %s\n",
                msg);
    return res == CHECK_UP ? 0 : 1;
}

int main(int argc, char **argv)
{
    struct bootstrap_config bc;
    char err[ENV_ERR_LEN];

    log_init("redis-bootstrap");
    if (argc < 2) {
        usage(stderr);
        fprintf(stderr, "\nredis-bootstrap: no command given: in the image "
                        "the command is `redis-server` (the Dockerfile's "
                        "CMD)\n");
        return EXIT_UNREADABLE;
    }
    /*
     * --help and --version are ours only alone: `redis-bootstrap
     * --version --port 1` goes to redis-server, as the official image does.
     */
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        printf("redis-bootstrap %s\n", PART5_VERSION);
        return 0;
    }
    if (env_load(rb_env, RB_NENV, err, sizeof(err)) != 0) {
        log_errorx("%s", err);
        return 1;
    }
    if (strcmp(argv[1], "prepare") == 0)
        return cmd_prepare(argc - 1, argv + 1);
    if (strcmp(argv[1], "check") == 0)
        return cmd_check(argc - 1, argv + 1);
    bc.password_file = cfg.password_file;
    return bootstrap_run(&bc, argc - 1, (const char *const *)(argv + 1));
}
