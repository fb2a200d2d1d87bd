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
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootstrap.h"
#include "compose.h"
#include "env.h"
#include "healthcheck.h"
#include "hostdirs.h"
#include "log.h"
#include "preflight.h"
#include "target.h"
#include "util.h"
#include "version.h"

/* Exit statuses of prepare (and of usage errors). */
#define EXIT_FINDINGS 1
#define EXIT_UNREADABLE 2

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

/* "UID:GID" or "UID" (then GID = UID), numeric. */
static int parse_owner(const char *s, uid_t *uid, gid_t *gid)
{
    char buf[64], *colon;
    long u, g;

    if (strlen(s) >= sizeof(buf))
        return -1;
    strcpy(buf, s);
    colon = strchr(buf, ':');
    if (colon != NULL)
        *colon = '\0';
    if (parse_long(buf, 1, 0x7fffffffL, &u) != 0)
        return -1;
    g = u;
    if (colon != NULL && parse_long(colon + 1, 1, 0x7fffffffL, &g) != 0)
        return -1;
    *uid = (uid_t)u;
    *gid = (gid_t)g;
    return 0;
}

/*
 * The host name to match node.hostname constraints against: the host
 * root's /etc/hostname when there is one, else this machine's.
 */
static void node_hostname(const char *host_root, char *out, size_t n)
{
    char path[PATH_MAX];
    FILE *f;

    out[0] = '\0';
    if (host_root != NULL) {
        snprintf(path, sizeof(path), "%s/etc/hostname", host_root);
        f = fopen(path, "re");
        if (f != NULL) {
            if (fgets(out, (int)n, f) == NULL)
                out[0] = '\0';
            fclose(f);
            out[strcspn(out, "\r\n")] = '\0';
        }
    }
    if (out[0] == '\0' && gethostname(out, n) != 0)
        out[0] = '\0';
    out[n - 1] = '\0';
}

/*
 * Prints a finding as a compiler would: file:line:column: level: message.
 */
static void print_finding(const char *file, const struct preflight_finding *f)
{
    const char *level = f->level == PREFLIGHT_ERROR ? "error" : "warning";

    if (f->pos.line > 0)
        printf("%s:%u:%u: %s: %s\n", file, f->pos.line, f->pos.column, level,
               f->msg);
    else
        printf("%s: %s: %s\n", file, level, f->msg);
}

/* redis-bootstrap prepare. */
static int cmd_prepare(int argc, char **argv)
{
    const char *file = "docker-compose.yml", *host_root = NULL;
    const char *role = "manager", *hostname_opt = NULL;
    char hostname[256];
    struct compose_error cerr;
    struct compose_file *cf = NULL;
    struct preflight p;
    struct preflight_node node;
    struct hostdirs_opts ao;
    uid_t uid = PREFLIGHT_REDIS_UID;
    gid_t gid = PREFLIGHT_REDIS_GID;
    char *data = NULL;
    size_t len = 0, i, nerr, nwarn;
    int dry_run = 0, rc = EXIT_UNREADABLE, root_fd = -1;

    /* Options: flags, and options that take the next argument. */
    preflight_init(&p);
    for (i = 1; i < (size_t)argc; i++) {
        const char *a = argv[i], *v = (size_t)argc > i + 1 ? argv[i + 1] : NULL;

        if (strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(a, "--dry-run") == 0 || strcmp(a, "-n") == 0) {
            dry_run = 1;
            continue;
        }
        if (strcmp(a, "-f") != 0 && strcmp(a, "--file") != 0 &&
            strcmp(a, "-c") != 0 && strcmp(a, "--host-root") != 0 &&
            strcmp(a, "--owner") != 0 && strcmp(a, "--role") != 0 &&
            strcmp(a, "--hostname") != 0)
            return usage_error("prepare: unknown option %s", a);
        if (v == NULL)
            return usage_error("prepare: %s needs a value", a);
        i++;
        if (strcmp(a, "--host-root") == 0)
            host_root = v;
        else if (strcmp(a, "--owner") == 0) {
            if (parse_owner(v, &uid, &gid) != 0)
                return usage_error("prepare: --owner %s: give numeric "
                                   "UID:GID, not root's (e.g. 999:999)",
                                   v);
        } else if (strcmp(a, "--role") == 0) {
            if (strcmp(v, "manager") != 0 && strcmp(v, "worker") != 0)
                return usage_error("prepare: --role %s: give manager or "
                                   "worker",
                                   v);
            role = v;
        } else if (strcmp(a, "--hostname") == 0)
            hostname_opt = v;
        else
            file = v;
    }

    /* Read and check (pure), then make the host paths exist (I/O). */
    data = read_file(file, COMPOSE_MAX_INPUT, &len);
    if (data == NULL && errno == EFBIG) {
        fprintf(stderr,
                "%s: error: the file is larger than %u MiB: is it really a "
                "compose file?\n",
                file, COMPOSE_MAX_INPUT / (1024 * 1024));
        goto done;
    }
    if (data == NULL) {
        fprintf(stderr,
                "%s: error: cannot read the stack file: %s: give its path "
                "with -f FILE\n",
                file, strerror(errno));
        goto done;
    }
    cf = compose_parse(data, len, &cerr);
    if (cf == NULL) {
        if (cerr.pos.line > 0)
            fprintf(stderr, "%s:%u:%u: error: %s\n", file, cerr.pos.line,
                    cerr.pos.column, cerr.msg);
        else
            fprintf(stderr, "%s: error: %s\n", file, cerr.msg);
        goto done; /* not YAML, not a compose file, or a wrong type: 2 */
    }

    if (hostname_opt != NULL)
        snprintf(hostname, sizeof(hostname), "%s", hostname_opt);
    else
        node_hostname(host_root, hostname, sizeof(hostname));
    node.role = role;
    node.hostname = hostname[0] != '\0' ? hostname : NULL;
    preflight_check(cf, &node, &p);

    root_fd = open(host_root != NULL ? host_root : "/",
                   O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0) {
        fprintf(stderr,
                "redis-bootstrap: prepare: cannot open the host root %s: "
                "%s: give an existing directory to --host-root\n",
                host_root != NULL ? host_root : "/", strerror(errno));
        goto done;
    }
    printf("%s: this node: role %s, hostname %s%s%s\n", file, role,
           node.hostname != NULL ? node.hostname : "(unknown)",
           host_root != NULL ? ", host root " : "",
           host_root != NULL ? host_root : "");
    if (dry_run)
        printf("%s: dry run: nothing is changed\n", file);
    ao.root_fd = root_fd;
    ao.root_name = host_root;
    ao.uid = uid;
    ao.gid = gid;
    ao.dry_run = dry_run;
    ao.out = stdout;
    hostdirs_apply(&p, &ao);

    for (i = 0; i < p.nfindings; i++)
        print_finding(file, &p.findings[i]);
    nerr = preflight_errors(&p);
    nwarn = p.nfindings - nerr;
    printf("%s: %zu error%s, %zu warning%s\n", file, nerr, nerr == 1 ? "" : "s",
           nwarn, nwarn == 1 ? "" : "s");
    rc = nerr > 0 ? EXIT_FINDINGS : 0;
done:
    if (root_fd >= 0)
        close(root_fd);
    preflight_free(&p);
    compose_free(cf);
    free(data);
    return rc;
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
