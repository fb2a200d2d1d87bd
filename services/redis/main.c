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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootstrap.h"
#include "env.h"
#include "healthcheck.h"
#include "log.h"
#include "preflight.h"
#include "prepare.h"
#include "target.h"
#include "util.h"
#include "version.h"

/* The exit status of usage errors (prepare.h: also of prepare). */
#define EXIT_UNREADABLE PREPARE_EXIT_UNREADABLE

static struct {
    const char *password_file;
    const char *target_path;
    enum log_level log_level;
} cfg = {
    .password_file = NULL,
    .target_path = TARGET_DEFAULT_PATH,
    .log_level = LOG_LEVEL_INFO,
};

static const struct env_var rb_env[] = {
    {"REDIS_PASSWORD_FILE", ENV_PATH, 0, 4096, &cfg.password_file,
     "file holding the Redis password (a Docker secret); Redis requires it"},
    {"REDIS_BOOTSTRAP_TARGET", ENV_PATH, 0, 4096, &cfg.target_path,
     "where the entrypoint records how Redis was started, for check"},
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
        "check: exits 0 when Redis answers PING and is not loading its\n"
        "  data, 1 otherwise. It asks the Redis the entrypoint started (its\n"
        "  port, bind address and password, from REDIS_BOOTSTRAP_TARGET and\n"
        "  the config file named there; default 127.0.0.1:6379);\n"
        "  --host, --port and --password-file win. As root it drops to user\n"
        "  redis before it connects. --wait N retries for up to N seconds.\n"
        "  For the image's HEALTHCHECK.\n"
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

/* redis-bootstrap check: see healthcheck.h. */
static int cmd_check(int argc, char **argv)
{
    struct healthcheck_opts o;
    struct healthcheck_env env;
    struct buf why = BUF_INIT;
    int rc;

    switch (healthcheck_parse_args(argc, argv, &o, &why)) {
    case HEALTHCHECK_ARGS_HELP: usage(stdout); return 0;
    case HEALTHCHECK_ARGS_BAD:
        rc = usage_error("%s", why.data);
        buf_free(&why);
        return rc;
    case HEALTHCHECK_ARGS_OK: break;
    }
    env.password_file = cfg.password_file;
    env.target_path = cfg.target_path;
    return healthcheck_run(&o, &env);
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
    bc.target_path = cfg.target_path;
    return bootstrap_run(&bc, argc - 1, (const char *const *)(argv + 1));
}
