/* SPDX-License-Identifier: Apache-2.0 */
/*
 * target.c: the record of the Redis the entrypoint started. See target.h.
 *
 * The record is "redis-bootstrap target 1\n" followed by each argument of
 * the command line, each ending with a NUL byte (as /proc/PID/cmdline):
 * an argument can hold any byte but NUL, newlines and spaces included.
 */
#include "target.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define TARGET_MAGIC "redis-bootstrap target 1\n"

/* Writes all of data to fd. Returns 0 or -1 with errno set. */
static int write_all(int fd, const char *data, size_t len)
{
    ssize_t n;

    while (len > 0) {
        n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

int target_write(const char *path,
                 const struct redis_args *a,
                 const char *conf_path,
                 char *err,
                 size_t errlen)
{
    struct buf rec = BUF_INIT, tmp = BUF_INIT;
    const char *arg;
    size_t i;
    int fd = -1, rc = -1;

    buf_append_str(&rec, TARGET_MAGIC);
    for (i = 0; i < a->argc; i++) {
        arg = i == a->config_index && i > 0 && conf_path != NULL ? conf_path
                                                                 : a->argv[i];
        buf_append(&rec, arg, strlen(arg) + 1);
    }
    buf_printf(&tmp, "%s.%ld.tmp", path, (long)getpid());
    unlink(tmp.data); /* left by a start that died here: ours to replace */
    fd = open(tmp.data, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
              0600);
    if (fd < 0 || write_all(fd, rec.data, rec.len) != 0 ||
        fchmod(fd, 0600) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", tmp.data, strerror(errno));
        goto done;
    }
    if (close(fd) != 0 || rename(tmp.data, path) != 0) {
        fd = -1;
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        goto done;
    }
    fd = -1;
    rc = 0;
done:
    if (fd >= 0)
        close(fd);
    if (rc != 0) {
        unlink(tmp.data);
        unlink(path); /* an older record would describe another start */
    }
    if (rec.data != NULL)
        explicit_bzero(rec.data, rec.len); /* may hold --requirepass */
    buf_free(&rec);
    buf_free(&tmp);
    return rc;
}

/*
 * Checks that the record open on fd can be trusted: a regular file owned
 * by root or this user that nobody else can write, not too large.
 * Returns 0, or -1 with a message in err.
 */
static int check_record(int fd, const char *path, char *err, size_t errlen)
{
    struct stat st;

    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "cannot stat %s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode) || (st.st_uid != 0 && st.st_uid != geteuid()) ||
        (st.st_mode & 022) != 0) {
        snprintf(err, errlen,
                 "%s is not a record the entrypoint wrote (owner %u, mode "
                 "%04o; it must be a file of root's that only root can "
                 "write): remove it, or set REDIS_BOOTSTRAP_TARGET to a file "
                 "in a directory of root's",
                 path, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
        return -1;
    }
    if (st.st_size > TARGET_MAX) {
        snprintf(err, errlen, "%s is larger than %d bytes: not a record", path,
                 TARGET_MAX);
        return -1;
    }
    return 0;
}

/*
 * Reads what is left of fd, at most max bytes, into b. Returns 0, or -1
 * with errno set (EFBIG when larger).
 */
static int read_rest(int fd, struct buf *b, size_t max)
{
    char chunk[4096];
    ssize_t n;

    for (;;) {
        n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            return 0;
        buf_append(b, chunk, (size_t)n);
        if (b->len > max) {
            errno = EFBIG;
            return -1;
        }
    }
}

/*
 * Splits the record's arguments (after the magic line) into a new
 * NULL-terminated array pointing into text. Returns it (the caller frees
 * the array only) with *argc set, or NULL when there is none.
 */
static const char **split_args(const char *text, size_t len, int *argc)
{
    const char **argv = NULL;
    const char *p = text, *end = text + len, *nul;
    int n = 0;

    while (p < end && (nul = memchr(p, '\0', (size_t)(end - p))) != NULL) {
        argv = xrealloc(argv, (size_t)(n + 2) * sizeof(*argv));
        argv[n++] = p;
        argv[n] = NULL;
        p = nul + 1;
    }
    *argc = n;
    return argv;
}

int target_read(const char *path,
                struct redis_args *a,
                char *err,
                size_t errlen)
{
    struct buf rec = BUF_INIT;
    const size_t magic = strlen(TARGET_MAGIC);
    const char **argv = NULL;
    int fd, argc = 0, rc = -1;

    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
    if (fd < 0 && errno == ENOENT)
        return 0;
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path,
                 errno == ELOOP ? "it is a symbolic link" : strerror(errno));
        return -1;
    }
    if (check_record(fd, path, err, errlen) != 0)
        goto done;
    if (read_rest(fd, &rec, TARGET_MAX) != 0) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        goto done;
    }
    if (rec.len > magic && memcmp(rec.data, TARGET_MAGIC, magic) == 0)
        argv = split_args(rec.data + magic, rec.len - magic, &argc);
    if (argv == NULL || redis_args_parse(a, argc, argv, err, errlen) != 0 ||
        !a->is_redis) {
        if (argv != NULL && argc > 0)
            redis_args_free(a);
        snprintf(err, errlen, "%s is not a record of redis-bootstrap's", path);
        goto done;
    }
    rc = 1;
done:
    close(fd);
    free(argv);
    if (rec.data != NULL)
        explicit_bzero(rec.data, rec.len);
    buf_free(&rec);
    return rc;
}

void target_connect_host(const char *bind, char *out, size_t n)
{
    char *copy, *word, *save = NULL;
    int v4 = 0, v6 = 0, other = 0;

    snprintf(out, n, "127.0.0.1");
    if (bind == NULL)
        return;
    copy = xstrdup(bind);
    for (word = strtok_r(copy, " \t", &save); word != NULL;
         word = strtok_r(NULL, " \t", &save)) {
        if (word[0] == '-') /* "-addr": optional, skipped when missing */
            word++;
        if (strcmp(word, "*") == 0 || strcmp(word, "0.0.0.0") == 0 ||
            strcmp(word, "127.0.0.1") == 0)
            v4 = 1;
        else if (strcmp(word, "::*") == 0 || strcmp(word, "::") == 0 ||
                 strcmp(word, "::1") == 0)
            v6 = 1;
        else if (!other && word[0] != '\0') {
            other = 1;
            snprintf(out, n, "%s", word);
        }
    }
    free(copy);
    if (v4)
        snprintf(out, n, "127.0.0.1");
    else if (v6)
        snprintf(out, n, "::1");
}
