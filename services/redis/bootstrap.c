/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bootstrap.c: the entrypoint. See bootstrap.h.
 *
 * One start is a struct start filled step by step by bootstrap_run():
 * what to run (redis_args), the password, the data directory, then the
 * exec. Each step logs its own failure and returns -1; struct start owns
 * every string in it and start_free() wipes the password. Root is held
 * only until become_redis() has prepared the directory and recorded the
 * command line for `check` (target.h); nothing after it runs as root.
 */
#include "bootstrap.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "datadir.h"
#include "env.h"
#include "log.h"
#include "privdrop.h"
#include "redis_args.h"
#include "target.h"
#include "util.h"

#define BOOTSTRAP_ERR_LEN 512

/* One start of Redis, built up by bootstrap_run()'s steps. */
struct start {
    const struct bootstrap_config *cfg;
    struct redis_args a;                 /* what to run */
    char *conf_abs;                      /* the config file, absolute */
    char *dir;                           /* the data directory, absolute */
    char password[BOOTSTRAP_SECRET_MAX]; /* from REDIS_PASSWORD_FILE */
    const char *pw;                      /* password, or NULL */
};

/*
 * Makes path absolute against the working directory. Returns a new string
 * the caller frees.
 */
static char *absolute(const char *path)
{
    char cwd[PATH_MAX];
    struct buf b = BUF_INIT;

    if (path[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
        return xstrdup(path);
    buf_printf(&b, "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, path);
    return buf_steal(&b, NULL);
}

/*
 * Logs the command about to run; the value after --requirepass, if a user
 * put one there, is masked.
 */
static void log_command(const struct redis_args *a)
{
    struct buf b = BUF_INIT;
    size_t i;

    for (i = 0; i < a->argc; i++) {
        if (i > 0)
            buf_append_str(&b, " ");
        if (i > 0 && strcasecmp(a->argv[i - 1], "--requirepass") == 0)
            buf_append_str(&b, "********");
        else
            buf_append_str(&b, a->argv[i]);
    }
    log_info("starting: %s", b.data);
    buf_free(&b);
}

/*
 * Execs the command; returns only on failure, with the exit status a shell
 * would give (127: not found, 126: not executable).
 */
static int run(const struct redis_args *a)
{
    execvp(a->argv[0], a->argv);
    if (errno == ENOENT) {
        if (a->is_redis)
            log_error("cannot run %s: install Debian's redis-server "
                      "(apt-get install redis-server) or put it on PATH",
                      a->argv[0]);
        else
            log_error("cannot run %s: it is not a redis-bootstrap command "
                      "(redis-server, prepare, check, --help) nor a program "
                      "on PATH",
                      a->argv[0]);
        return 127;
    }
    log_error("cannot run %s", a->argv[0]);
    return 126;
}

/*
 * Reads redis-server's configuration file, when one is given, and notes
 * its absolute path (Redis may be started in another directory).
 */
static int read_config(struct start *s)
{
    const char *path;
    char *text;
    size_t len;

    if (s->a.config_index == 0)
        return 0;
    path = s->a.argv[s->a.config_index];
    text = read_file(path, BOOTSTRAP_CONFIG_MAX, &len);
    if (text == NULL) {
        log_error("cannot read the Redis configuration file %s: check the "
                  "path, and mount the file into the container",
                  path);
        return -1;
    }
    redis_args_read_config(&s->a, text, len);
    explicit_bzero(text, len);
    free(text);
    if (s->a.file.has_include)
        log_warnx("%s includes other files: their dir and requirepass "
                  "settings are not looked at here",
                  path);
    s->conf_abs = absolute(path);
    return 0;
}

/*
 * Reads the password of REDIS_PASSWORD_FILE while we may still read a
 * root-only secret, refusing the combinations Redis would not honour.
 */
static int read_password(struct start *s)
{
    const struct bootstrap_config *cfg = s->cfg;
    char err[BOOTSTRAP_ERR_LEN];

    if (cfg->password_file == NULL) {
        if (s->a.args.has_requirepass)
            log_warnx("--requirepass on the command line is visible to "
                      "every user of the host: use REDIS_PASSWORD_FILE with "
                      "a Docker secret instead");
        return 0;
    }
    if (s->a.args.has_requirepass) {
        log_errorx("REDIS_PASSWORD_FILE and --requirepass are both set: "
                   "keep only REDIS_PASSWORD_FILE (a password on the "
                   "command line is visible to every user of the host)");
        return -1;
    }
    if (s->a.stdin_config) {
        log_errorx("REDIS_PASSWORD_FILE cannot be combined with '-' "
                   "(configuration on stdin), which this entrypoint "
                   "uses to pass the password: put your settings in a "
                   ".conf file or on the command line");
        return -1;
    }
    if (env_read_secret(cfg->password_file, s->password, sizeof(s->password),
                        err, sizeof(err)) != 0) {
        log_errorx("REDIS_PASSWORD_FILE: %s: check the secret (docker "
                   "secret ls) and the service's secrets: list",
                   err);
        return -1;
    }
    if (s->a.file.has_requirepass)
        log_info("the configuration file sets requirepass: the password "
                 "of REDIS_PASSWORD_FILE replaces it");
    s->pw = s->password;
    return 0;
}

/*
 * Records the command line for `check` (target.h). Not fatal: without a
 * record check looks at 127.0.0.1:6379, which is only a problem (and only
 * then worth a warning) when Redis listens elsewhere or wants a password
 * check cannot find.
 */
static void record_target(const struct start *s)
{
    const char *path = s->cfg->target_path;
    char err[BOOTSTRAP_ERR_LEN];

    if (path == NULL || path[0] == '\0')
        return;
    if (target_write(path, &s->a, s->conf_abs, err, sizeof(err)) == 0) {
        log_debug("command line recorded in %s for `redis-bootstrap check`",
                  path);
        return;
    }
    if (strcmp(redis_args_port(&s->a), "6379") != 0 ||
        redis_args_bind(&s->a) != NULL ||
        (redis_args_requirepass(&s->a) != NULL && s->pw == NULL))
        log_warnx("%s: `redis-bootstrap check` (the image's HEALTHCHECK) "
                  "will look for Redis at 127.0.0.1:6379 without this "
                  "record; make its directory writable for root (e.g. "
                  "--tmpfs /run) or set REDIS_BOOTSTRAP_TARGET",
                  err);
    else
        log_debug("%s (not needed: Redis listens where check looks)", err);
}

/* Logs what datadir_prepare() did. */
static void log_datadir(const char *dir,
                        const struct passwd *pw,
                        const struct datadir_report *rep)
{
    if (rep->refused)
        log_warnx("%s is a system directory: its owner is left as it is; "
                  "give redis-server a directory of its own with --dir",
                  dir);
    if (rep->created)
        log_info("data directory %s created for user %s (%u:%u, mode 0700)",
                 dir, pw->pw_name, (unsigned)pw->pw_uid, (unsigned)pw->pw_gid);
    else if (rep->chowned_dir)
        log_info("data directory %s given to user %s (%u:%u)", dir, pw->pw_name,
                 (unsigned)pw->pw_uid, (unsigned)pw->pw_gid);
    if (rep->chmodded)
        log_info("data directory %s: owner permissions rwx added", dir);
    if (rep->files_chowned > 0)
        log_info("%u of Redis' own files in %s given to user %s",
                 rep->files_chowned, dir, pw->pw_name);
    if (rep->skipped > 0)
        log_warnx("%u entries of %s left alone (e.g. %s): Redis' files "
                  "there must be plain files; remove or replace them if "
                  "Redis cannot read them",
                  rep->skipped, dir, rep->skipped_example);
}

/*
 * As root: prepares the data directory for the redis user, records the
 * command line for check, then becomes that user for good. Returns 0 or
 * -1 (logged).
 */
static int become_redis(const struct start *s)
{
    const struct redis_args *a = &s->a;
    const char *dir = s->dir;
    char err[BOOTSTRAP_ERR_LEN];
    struct datadir_names names;
    struct datadir_report rep;
    struct privdrop_report prep;
    struct passwd *pw;

    errno = 0;
    pw = getpwnam(BOOTSTRAP_USER);
    if (pw == NULL) {
        log_errorx("no user '%s' in this image/host: create it (e.g. "
                   "`useradd --system --uid 999 --user-group %s`) or "
                   "install Debian's redis-server, which does; Redis is "
                   "never run as root",
                   BOOTSTRAP_USER, BOOTSTRAP_USER);
        return -1;
    }
    if (pw->pw_uid == 0 || pw->pw_gid == 0) {
        log_errorx("user '%s' has uid %u / gid %u: refusing to run Redis "
                   "with root's IDs; give %s its own uid and gid in "
                   "/etc/passwd",
                   BOOTSTRAP_USER, (unsigned)pw->pw_uid, (unsigned)pw->pw_gid,
                   BOOTSTRAP_USER);
        return -1;
    }
    names.dbfilename = redis_args_dbfilename(a);
    names.appendfilename = redis_args_appendfilename(a);
    names.appenddirname = redis_args_appenddirname(a);
    if (datadir_prepare(dir, pw->pw_uid, pw->pw_gid, &names, &rep, err,
                        sizeof(err)) != 0) {
        log_errorx("%s", err);
        return -1;
    }
    log_datadir(dir, pw, &rep);
    record_target(s);
    umask(0077);
    if (privdrop_to(pw->pw_uid, pw->pw_gid, &prep, err, sizeof(err)) != 0) {
        log_errorx("cannot drop root: %s; refusing to run Redis as root", err);
        return -1;
    }
    if (prep.bounding_kept)
        log_warnx("no CAP_SETPCAP: the capability bounding set is left as "
                  "it is (the others are empty and no-new-privileges is "
                  "set)");
    log_info("running as user %s (uid %u, gid %u), no supplementary groups, "
             "no capabilities, no-new-privileges, umask 0077",
             BOOTSTRAP_USER, (unsigned)pw->pw_uid, (unsigned)pw->pw_gid);
    return 0;
}

/*
 * Not root: only what needs no privilege. The directory is created when
 * missing and possible; its owner is not touched.
 */
static int stay_unprivileged(const struct start *s)
{
    const char *dir = s->dir;
    char err[BOOTSTRAP_ERR_LEN];
    unsigned created;
    int root;

    log_info("running as uid %u, not root: not changing the owner of %s "
             "nor switching users; Redis runs as uid %u",
             (unsigned)getuid(), dir, (unsigned)getuid());
    record_target(s);
    umask(0077);
    if (privdrop_harden(err, sizeof(err)) != 0)
        log_warnx("%s", err);
    if (access(dir, F_OK) != 0 && errno == ENOENT) {
        root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root < 0 || datadir_mkdirs(root, dir, 0700, (uid_t)-1, (gid_t)-1, 0,
                                       &created, err, sizeof(err)) != 0) {
            log_errorx("cannot create the data directory %s: %s; create it "
                       "first or mount one there",
                       dir, root < 0 ? strerror(errno) : err);
            if (root >= 0)
                close(root);
            return -1;
        }
        close(root);
        log_info("data directory %s created", dir);
    }
    return 0;
}

/* Bytes the write probe of check_space() writes. */
#define BOOTSTRAP_PROBE_SIZE 4096

/*
 * Writes a small file in dir, syncs it and removes it, as the user Redis
 * will run as: access() says nothing of a full file system or a quota,
 * and Redis would start anyway and fail at its first save (or, with
 * appendonly, exit with a message about its AOF). Returns 0, or -1 with
 * the reason logged.
 */
static int check_space(const char *dir)
{
    char path[PATH_MAX], zeros[BOOTSTRAP_PROBE_SIZE];
    struct statvfs vfs;
    unsigned long long avail = 0;
    int fd, saved = 0;
    ssize_t n;

    snprintf(path, sizeof(path), "%s/.redis-bootstrap-probe-%ld", dir,
             (long)getpid());
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        saved = errno;
    } else {
        memset(zeros, 0, sizeof(zeros));
        n = write(fd, zeros, sizeof(zeros));
        if (n >= 0 && n != (ssize_t)sizeof(zeros))
            saved = ENOSPC; /* a short write: the space ran out */
        else if (n < 0 || fsync(fd) != 0)
            saved = errno;
        close(fd);
        unlink(path);
    }
    if (saved == 0)
        return 0;
    if (saved == ENOSPC || saved == EDQUOT) {
        if (statvfs(dir, &vfs) == 0)
            avail = (unsigned long long)vfs.f_bavail * vfs.f_frsize;
        log_errorx("the data directory %s is full (%s, %llu KiB free): "
                   "Redis could not save its data there; free space on its "
                   "volume or give it a larger one",
                   dir, strerror(saved), avail / 1024);
        return -1;
    }
    errno = saved;
    log_error("cannot write in the data directory %s", dir);
    return -1;
}

/*
 * Checks, as the user Redis will run as, that it can write its files in
 * dir; says what to do otherwise.
 */
static int check_writable(const char *dir)
{
    struct stat st;

    char parent[PATH_MAX], *slash;

    if (access(dir, W_OK | X_OK) == 0)
        return check_space(dir);
    if (errno == EROFS) {
        log_errorx("the data directory %s is on a read-only file system: "
                   "Redis writes its snapshots and AOF there; mount it "
                   "read-write (no :ro on the volume, no read_only: true)",
                   dir);
        return -1;
    }
    if (stat(dir, &st) != 0 && errno == EACCES) {
        /* Find the parent that does not let this user through. */
        snprintf(parent, sizeof(parent), "%s", dir);
        while ((slash = strrchr(parent, '/')) != NULL && slash != parent) {
            *slash = '\0';
            if (access(parent, X_OK) != 0 && stat(parent, &st) == 0) {
                log_errorx("the data directory %s cannot be reached by uid "
                           "%u: its parent %s (owned by %u:%u, mode %04o) "
                           "does not let others through; `chmod o+x %s` or "
                           "choose another --dir",
                           dir, (unsigned)getuid(), parent, (unsigned)st.st_uid,
                           (unsigned)st.st_gid, (unsigned)(st.st_mode & 07777),
                           parent);
                return -1;
            }
        }
    }
    if (stat(dir, &st) != 0) {
        log_error("cannot use the data directory %s", dir);
        return -1;
    }
    log_errorx("the data directory %s is not writable by uid %u (it is "
               "owned by %u:%u, mode %04o): on the host, give the bind-mounted "
               "directory to uid %u (`chown %u:%u DIR`, or run "
               "`redis-bootstrap prepare -f docker-compose.yml` there), or "
               "start the container as root so this entrypoint can fix it",
               dir, (unsigned)getuid(), (unsigned)st.st_uid,
               (unsigned)st.st_gid, (unsigned)(st.st_mode & 07777),
               (unsigned)getuid(), (unsigned)getuid(), (unsigned)getgid());
    return -1;
}

/*
 * The configuration Redis reads from stdin, if any: the password, and
 * protected-mode off when there is none (as the official image builds
 * Redis), since clients of a container come from other containers.
 */
static void build_stdin_config(const struct bootstrap_config *cfg,
                               const struct redis_args *a,
                               const char *password,
                               struct buf *conf)
{
    if (password != NULL) {
        redis_args_config_requirepass(conf, password);
        log_info("password from %s: Redis requires it (AUTH)",
                 cfg->password_file);
        return;
    }
    if (redis_args_has_requirepass(a))
        return;
    log_warnx("no REDIS_PASSWORD_FILE: Redis answers every client that can "
              "reach it; do not publish its port, or set REDIS_PASSWORD_FILE "
              "to a Docker secret");
    if (!redis_args_has_protected_mode(a))
        buf_append_str(conf, "protected-mode no\n");
}

/*
 * Makes conf the process's stdin: a pipe holding it, closed for writing,
 * so redis-server reads it to the end with `-`. The text fits in the pipe's
 * buffer, so the write cannot block.
 */
static int stdin_from(const struct buf *conf)
{
    int fds[2];
    ssize_t n;

    if (pipe2(fds, O_CLOEXEC) != 0) {
        log_error("pipe");
        return -1;
    }
    n = write(fds[1], conf->data, conf->len);
    close(fds[1]);
    if (n != (ssize_t)conf->len || dup2(fds[0], STDIN_FILENO) < 0) {
        log_error("passing the configuration to redis-server on stdin");
        close(fds[0]);
        return -1;
    }
    close(fds[0]);
    return 0;
}

/*
 * The data directory: made usable as root (then root is dropped), or
 * what can be done without root; then checked writable as the user Redis
 * runs as.
 */
static int prepare_data_dir(struct start *s)
{
    if (redis_args_dir(&s->a)[0] == '\0') {
        log_errorx("redis-server's dir is empty: give --dir a directory "
                   "(default /data)");
        return -1;
    }
    s->dir = absolute(redis_args_dir(&s->a));
    if (geteuid() == 0) {
        if (become_redis(s) != 0)
            return -1;
    } else if (stay_unprivileged(s) != 0) {
        return -1;
    }
    return check_writable(s->dir);
}

/*
 * Starts Redis in the prepared directory: the configuration on stdin,
 * then exec. Returns only on failure, with the exit status.
 */
static int start_redis(struct start *s)
{
    struct buf conf = BUF_INIT;
    int rc = 1;

    /*
     * Redis' default dir is "./": with no --dir anywhere, start it in the
     * data directory, as the official image's WORKDIR /data does. A
     * relative config file name must then be made absolute first.
     */
    if (redis_args_dir_is_default(&s->a)) {
        if (s->conf_abs != NULL)
            redis_args_set_arg(&s->a, s->a.config_index, s->conf_abs);
        if (chdir(s->dir) != 0) {
            log_error("cannot enter the data directory %s", s->dir);
            return 1;
        }
    }
    if (!redis_args_appendonly(&s->a))
        log_warnx("appendonly is off: writes since the last snapshot are lost "
                  "when the container stops; the stack runs "
                  "`redis-server --appendonly yes`");
    build_stdin_config(s->cfg, &s->a, s->pw, &conf);
    if (conf.len > 0 && s->a.stdin_config) {
        log_warnx("configuration comes from stdin ('-'): not adding "
                  "protected-mode no");
    } else if (conf.len > 0) {
        if (stdin_from(&conf) != 0)
            goto done;
        redis_args_append(&s->a, "-");
    }
    explicit_bzero(s->password, sizeof(s->password));
    if (conf.data != NULL)
        explicit_bzero(conf.data, conf.cap);
    log_command(&s->a);
    rc = run(&s->a);
done:
    if (conf.data != NULL)
        explicit_bzero(conf.data, conf.cap);
    buf_free(&conf);
    return rc;
}

/* Frees what a start holds, wiping the password. */
static void start_free(struct start *s)
{
    explicit_bzero(s->password, sizeof(s->password));
    free(s->dir);
    free(s->conf_abs);
    redis_args_free(&s->a);
}

int bootstrap_run(const struct bootstrap_config *cfg,
                  int argc,
                  const char *const *argv)
{
    char err[BOOTSTRAP_ERR_LEN];
    struct start s;
    int rc = 1;

    memset(&s, 0, sizeof(s));
    s.cfg = cfg;

    /* What to run; anything but redis-server runs untouched. */
    if (redis_args_parse(&s.a, argc, argv, err, sizeof(err)) != 0) {
        log_errorx("%s", err);
        return 1;
    }
    if (!s.a.is_redis) {
        /* Another program (redis-cli, a shell...): run it as it is. */
        rc = run(&s.a);
        goto done;
    }
    if (s.a.prepended)
        log_info("arguments start with an option or a .conf file: running "
                 "redis-server with them");
    if (read_config(&s) != 0 || read_password(&s) != 0 ||
        prepare_data_dir(&s) != 0)
        goto done;
    rc = start_redis(&s);
done:
    start_free(&s);
    return rc;
}
