/* SPDX-License-Identifier: Apache-2.0 */
/*
 * datadir.c: the data directory, made usable safely. See datadir.h.
 *
 * The rule a reader needs: root changes a mode or an owner only through a
 * descriptor, and only through one that a walk from the root obtained one
 * component at a time, each opened relative to its parent with O_NOFOLLOW.
 * No path is resolved twice and no symbolic link is ever followed, so
 * nothing that happens between two system calls can send a change
 * elsewhere. A directory counts as "made here" only when mkdirat()
 * returned 0 for it, and it gets its mode and owner only when the
 * descriptor opened right after shows a directory owned by this process:
 * a user who can write in the parent could have swapped anything else in
 * (issue 11, item 1). Lexical normalisation ("..", ".") is therefore the
 * path the walk opens, which is what the system-directory guards match.
 */
#include "datadir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "in_root.h"
#include "util.h"

/*
 * Trees that belong to the system: the directory and everything under it
 * are refused as a data directory (and for a directory prepare creates
 * for Redis). /var/run is the Docker socket's directory; every top-level
 * directory whose name starts with "lib" (/lib, /lib64, /libx32...) counts
 * as well, see system_tree().
 */
static const char *const datadir_trees[] = {
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/proc",
    "/run",
    "/sbin",
    "/sys",
    "/usr",
    "/var/lib/docker",
    "/var/lib/containerd",
    "/var/run",
};

/*
 * Directories shared by what lives under them: their own owner never
 * changes, but a directory of one's own below them (/home/docker/data,
 * /srv/redis, /tmp/x) is fine.
 */
static const char *const datadir_shared[] = {
    "/",        "/home",     "/media",   "/mnt",       "/opt",     "/root",
    "/srv",     "/tmp",      "/var",     "/var/cache", "/var/lib", "/var/local",
    "/var/log", "/var/mail", "/var/opt", "/var/spool", "/var/tmp",
};

#define DATADIR_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Normalises the absolute path into out (n bytes) without looking at the
 * file system: no empty or "." component, ".." removes the one before it
 * (never above "/"), no trailing slash. Returns 0, or -1 when path is
 * relative or too long.
 */
static int normalize(const char *path, char *out, size_t n)
{
    size_t len = 0, k;
    const char *p = path, *end;

    if (path[0] != '/' || n < 2)
        return -1;
    out[0] = '\0';
    while (*p != '\0') {
        while (*p == '/')
            p++;
        end = p + strcspn(p, "/");
        k = (size_t)(end - p);
        if (k == 2 && p[0] == '.' && p[1] == '.') {
            while (len > 0 && out[len - 1] != '/')
                len--;
            if (len > 0)
                len--; /* and its slash */
            out[len] = '\0';
        } else if (k > 0 && !(k == 1 && p[0] == '.')) {
            if (len + 1 + k + 1 > n)
                return -1;
            out[len++] = '/';
            memcpy(out + len, p, k);
            len += k;
            out[len] = '\0';
        }
        p = end;
    }
    if (len == 0)
        strcpy(out, "/");
    return 0;
}

/* Whether norm is dir or below it ("/etc" and "/etc/ssl", not "/etcx"). */
static int is_under(const char *norm, const char *dir)
{
    size_t n = strlen(dir);

    return strncmp(norm, dir, n) == 0 && (norm[n] == '\0' || norm[n] == '/');
}

/*
 * The system tree norm (normalised) lies in, for messages: "/etc", or
 * "/lib*" for the library directories. NULL when it lies in none.
 */
static const char *system_tree(const char *norm)
{
    size_t i;

    if (strncmp(norm, "/lib", 4) == 0)
        return "/lib*";
    for (i = 0; i < DATADIR_COUNT(datadir_trees); i++) {
        if (is_under(norm, datadir_trees[i]))
            return datadir_trees[i];
    }
    return NULL;
}

enum datadir_system datadir_is_system_path(const char *path)
{
    char norm[PATH_MAX];
    size_t i;

    if (normalize(path, norm, sizeof(norm)) != 0)
        return DATADIR_SYSTEM; /* relative or too long: never a data dir */
    if (system_tree(norm) != NULL)
        return DATADIR_SYSTEM;
    for (i = 0; i < DATADIR_COUNT(datadir_shared); i++) {
        if (strcmp(norm, datadir_shared[i]) == 0)
            return DATADIR_SHARED;
    }
    return DATADIR_ORDINARY;
}

/*
 * Says in what (n bytes) what name in the directory parent is when it
 * could not be opened as a directory (errno): "a symbolic link (to T)",
 * "not a directory", or the error. Returns 1 for a symbolic link. errno
 * is kept.
 */
static int what_is(int parent, const char *name, char *what, size_t n)
{
    char target[256];
    struct stat st;
    ssize_t len;
    int saved = errno, link = 0;

    if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISLNK(st.st_mode)) {
        len = readlinkat(parent, name, target, sizeof(target) - 1);
        target[len > 0 ? len : 0] = '\0';
        snprintf(what, n, "a symbolic link (to %s)", target);
        link = 1;
    } else if (saved == ENOTDIR) {
        snprintf(what, n, "not a directory");
    } else {
        snprintf(what, n, "unreadable (%s)", strerror(saved));
    }
    errno = saved;
    return link;
}

/*
 * Says in err why name (shown as shown) in the directory parent could not
 * be opened as a directory, after openat() failed. errno is kept.
 */
static void describe_open_error(
    int parent, const char *name, const char *shown, char *err, size_t errlen)
{
    char what[300];
    int saved = errno;

    if (what_is(parent, name, what, sizeof(what)))
        snprintf(err, errlen,
                 "%s is %s, and symbolic links are not followed here: give "
                 "the real path",
                 shown, what);
    else if (saved == ENOTDIR)
        snprintf(err, errlen,
                 "%s exists and is not a directory: move it away or choose "
                 "another path",
                 shown);
    else
        snprintf(err, errlen, "cannot open %s: %s", shown, strerror(saved));
    errno = saved;
}

/*
 * Opens the directory name of parent as O_PATH, never following a symbolic
 * link. Returns the descriptor, or -1 with errno set (ENOENT: it is
 * missing) and, unless it is missing, the reason in err.
 */
static int open_component(
    int parent, const char *name, const char *shown, char *err, size_t errlen)
{
    int fd =
        openat(parent, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0 && errno != ENOENT)
        describe_open_error(parent, name, shown, err, errlen);
    return fd;
}

/*
 * Creates the directory name in parent and, when this call made it, gives
 * it mode and (uid not -1) uid:gid through a descriptor checked first to
 * be that new directory. *made counts it. When someone else created the
 * name meanwhile, it is opened as found and left as it is. Returns a
 * descriptor of the directory, or -1 with a message in err.
 */
static int create_component(int parent,
                            const char *name,
                            const char *shown,
                            unsigned mode,
                            uid_t uid,
                            gid_t gid,
                            unsigned *made,
                            char *err,
                            size_t errlen)
{
    char what[300];
    struct stat st;
    int fd;

    if (mkdirat(parent, name, 0700) != 0) {
        if (errno != EEXIST) {
            snprintf(err, errlen, "cannot create %s: %s", shown,
                     strerror(errno));
            return -1;
        }
        /* Someone else made it meanwhile: used as found, not changed. */
        fd = open_component(parent, name, shown, err, errlen);
        if (fd < 0 && errno == ENOENT)
            snprintf(err, errlen,
                     "%s appeared and vanished while it was being created: "
                     "someone else writes in its parent directory",
                     shown);
        return fd;
    }
    fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        what_is(parent, name, what, sizeof(what));
        snprintf(err, errlen,
                 "%s was replaced right after it was created, by %s: someone "
                 "else writes in its parent directory; nothing was changed",
                 shown, what);
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid()) {
        snprintf(err, errlen,
                 "%s is not the directory just created (owner %u, expected "
                 "%u): someone else writes in its parent; nothing was changed",
                 shown, (unsigned)st.st_uid, (unsigned)geteuid());
        close(fd);
        return -1;
    }
    if (fchmod(fd, mode) != 0 ||
        (uid != (uid_t)-1 && fchown(fd, uid, gid) != 0)) {
        snprintf(err, errlen, "cannot set the mode/owner of %s: %s", shown,
                 strerror(errno));
        close(fd);
        return -1;
    }
    (*made)++;
    return fd;
}

/* What walk() does with each component. */
struct walk {
    int root_fd;
    unsigned mode; /* of the last component, when created */
    uid_t uid;     /* its owner, when created; -1 for this process's */
    gid_t gid;
    int dry_run;      /* create nothing, count what is missing */
    unsigned created; /* directories made (or that would be) */
};

/*
 * Walks the absolute path from w->root_fd, creating what is missing
 * (parents 0755 and this process's, the last one w->mode and w->uid).
 * Returns a descriptor of the last directory (O_PATH or O_RDONLY), -2 in
 * a dry run when a component is missing (w->created says how many), or -1
 * with a message in err.
 */
static int walk(struct walk *w, const char *path, char *err, size_t errlen)
{
    struct buf shown = BUF_INIT;
    char *copy = xstrdup(path), *name, *save = NULL;
    int parent = -1, fd = -1, last, missing = 0;

    parent = dup(w->root_fd);
    if (parent < 0) {
        snprintf(err, errlen, "dup: %s", strerror(errno));
        goto done;
    }
    for (name = strtok_r(copy, "/", &save); name != NULL;
         name = strtok_r(NULL, "/", &save)) {
        last = save == NULL || strspn(save, "/") == strlen(save);
        if (strcmp(name, ".") == 0)
            continue;
        buf_printf(&shown, "/%s", name);
        if (missing) {
            w->created++;
            continue;
        }
        fd = open_component(parent, name, shown.data, err, errlen);
        if (fd < 0 && errno == ENOENT && w->dry_run) {
            missing = 1;
            w->created++;
            continue;
        }
        if (fd < 0 && errno == ENOENT)
            fd = create_component(
                parent, name, shown.data, last ? w->mode : 0755,
                last ? w->uid : (uid_t)-1, last ? w->gid : (gid_t)-1,
                &w->created, err, errlen);
        if (fd < 0)
            goto done;
        close(parent);
        parent = fd;
        fd = -1;
    }
    fd = missing ? -2 : parent;
    if (!missing)
        parent = -1;
done:
    if (parent >= 0)
        close(parent);
    free(copy);
    buf_free(&shown);
    return fd;
}

int datadir_mkdirs(int root_fd,
                   const char *path,
                   unsigned mode,
                   uid_t uid,
                   gid_t gid,
                   int dry_run,
                   unsigned *created,
                   char *err,
                   size_t errlen)
{
    struct walk w = {root_fd, mode, uid, gid, dry_run, 0};
    char norm[PATH_MAX];
    const char *tree;
    int fd;

    *created = 0;
    if (path[0] != '/') {
        snprintf(err, errlen, "%s is not an absolute path", path);
        return -1;
    }
    if (strstr(path, "/../") != NULL ||
        (strlen(path) >= 3 && strcmp(path + strlen(path) - 3, "/..") == 0)) {
        snprintf(err, errlen, "%s contains '..': give a plain path", path);
        return -1;
    }
    if (normalize(path, norm, sizeof(norm)) != 0) {
        snprintf(err, errlen, "%s is longer than %d bytes", path, PATH_MAX - 1);
        return -1;
    }
    tree = system_tree(norm);
    if (uid != (uid_t)-1 && tree != NULL) {
        snprintf(err, errlen,
                 "%s is in %s, a system directory: refusing to make a "
                 "directory there for uid %u; choose another path",
                 path, tree, (unsigned)uid);
        return -1;
    }
    fd = walk(&w, path, err, errlen);
    *created = w.created;
    if (fd == -1)
        return -1;
    if (fd >= 0)
        close(fd);
    return 0;
}

int datadir_exists(int root_fd, const char *path, char *err, size_t errlen)
{
    const char *rel = path;
    int fd;

    while (*rel == '/')
        rel++;
    if (*rel == '\0')
        return 1; /* the root itself */
    fd = in_root_open(root_fd, rel, O_PATH | O_CLOEXEC);
    if (fd >= 0) {
        close(fd);
        return 1;
    }
    if (errno == ENOENT || errno == ENOTDIR)
        return 0;
    snprintf(err, errlen, "cannot look at %s: %s", path, strerror(errno));
    return -1;
}

/*
 * Notes one entry left alone, keeping the first as the log's example.
 */
static void skip(struct datadir_report *rep, const char *name, const char *why)
{
    rep->skipped++;
    if (rep->skipped_example[0] == '\0')
        snprintf(rep->skipped_example, sizeof(rep->skipped_example),
                 "%.80s (%s)", name, why);
}

/*
 * Gives one entry of dir_fd to uid:gid when it is a regular file with a
 * single link (Redis' own file); anything else is counted as skipped.
 */
static void fix_file(int dir_fd,
                     const char *name,
                     uid_t uid,
                     gid_t gid,
                     struct datadir_report *rep)
{
    struct stat st;
    int fd;

    fd = openat(dir_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return; /* absent: nothing to do */
    if (fstat(fd, &st) != 0)
        goto done;
    if (!S_ISREG(st.st_mode) || st.st_nlink != 1) {
        skip(rep, name,
             S_ISLNK(st.st_mode)   ? "a symbolic link"
             : S_ISREG(st.st_mode) ? "a file with several hard links"
                                   : "not a regular file");
        goto done;
    }
    if (st.st_uid == uid && st.st_gid == gid)
        goto done;
    if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH) == 0)
        rep->files_chowned++;
done:
    close(fd);
}

/*
 * Whether s starts with prefix.
 */
static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * Redis 7 keeps its AOF in a directory (appendonlydir) of files named
 * after appendfilename (appendonly.aof.1.base.rdb, ...incr.aof, .manifest):
 * give the directory and those files to the user.
 */
static void fix_aof_dir(int dir_fd,
                        const char *name,
                        uid_t uid,
                        gid_t gid,
                        const struct datadir_names *names,
                        struct datadir_report *rep)
{
    struct dirent *de;
    struct stat st;
    DIR *d;
    int fd;

    fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT)
            skip(rep, name, "not a plain directory");
        return;
    }
    if (fstat(fd, &st) == 0 && (st.st_uid != uid || st.st_gid != gid) &&
        fchown(fd, uid, gid) == 0)
        rep->files_chowned++;
    d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return;
    }
    while ((de = readdir(d)) != NULL) {
        if (starts_with(de->d_name, names->appendfilename) ||
            starts_with(de->d_name, "temp-"))
            fix_file(dirfd(d), de->d_name, uid, gid, rep);
    }
    closedir(d);
}

/*
 * Gives Redis' own files in the directory open on fd to uid:gid: the
 * snapshot, the AOF (a file, or Redis 7's directory) and temp-* files.
 * Returns 0, or -1 with a message in err when it cannot be listed.
 */
static int fix_files(int fd,
                     const char *path,
                     uid_t uid,
                     gid_t gid,
                     const struct datadir_names *names,
                     struct datadir_report *rep,
                     char *err,
                     size_t errlen)
{
    struct dirent *de;
    DIR *d;
    int scan_fd;

    scan_fd = dup(fd);
    if (scan_fd < 0 || (d = fdopendir(scan_fd)) == NULL) {
        if (scan_fd >= 0)
            close(scan_fd);
        snprintf(err, errlen, "cannot list %s: %s", path, strerror(errno));
        return -1;
    }
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, names->appenddirname) == 0)
            fix_aof_dir(fd, de->d_name, uid, gid, names, rep);
        else if (strcmp(de->d_name, names->dbfilename) == 0 ||
                 strcmp(de->d_name, names->appendfilename) == 0 ||
                 starts_with(de->d_name, "temp-"))
            fix_file(fd, de->d_name, uid, gid, rep);
    }
    closedir(d);
    return 0;
}

/*
 * The kind of the directory open on fd, by its name in /proc (what the
 * kernel says, whatever path led there). Ordinary when /proc is not
 * mounted: then the path given decides.
 */
static enum datadir_system system_kind_fd(int fd)
{
    char link[64], target[PATH_MAX];
    ssize_t n;

    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    n = readlink(link, target, sizeof(target) - 1);
    if (n <= 0 || target[0] != '/')
        return DATADIR_ORDINARY;
    target[n] = '\0';
    return datadir_is_system_path(target);
}

/*
 * Opens the data directory norm (normalised, not in a system tree) for
 * reading, creating it (and its parents) when missing. Returns the
 * descriptor, or -1 with a message in err.
 */
static int open_data_dir(const char *norm,
                         uid_t uid,
                         gid_t gid,
                         struct datadir_report *rep,
                         char *err,
                         size_t errlen)
{
    struct walk w = {-1, 0700, uid, gid, 0, 0};
    char why[384];
    int fd, dfd;

    w.root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (w.root_fd < 0) {
        snprintf(err, errlen, "cannot open /: %s", strerror(errno));
        return -1;
    }
    fd = walk(&w, norm, why, sizeof(why));
    close(w.root_fd);
    if (fd < 0) {
        snprintf(err, errlen, "the data directory %s: %s", norm, why);
        return -1;
    }
    rep->created = w.created > 0;
    dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        snprintf(err, errlen, "cannot open the data directory %s: %s", norm,
                 strerror(errno));
    close(fd);
    return dfd;
}

int datadir_prepare(const char *path,
                    uid_t uid,
                    gid_t gid,
                    const struct datadir_names *names,
                    struct datadir_report *rep,
                    char *err,
                    size_t errlen)
{
    char norm[PATH_MAX];
    const char *tree;
    struct stat st;
    int fd = -1, rc = -1;

    memset(rep, 0, sizeof(*rep));
    if (normalize(path, norm, sizeof(norm)) != 0) {
        snprintf(err, errlen,
                 "the data directory %s is not an absolute path of at most "
                 "%d bytes",
                 path, PATH_MAX - 1);
        return -1;
    }
    tree = system_tree(norm);
    if (tree != NULL) {
        snprintf(err, errlen,
                 "the data directory %s is in %s, a system directory: Redis "
                 "must not write there, nor be given it; give redis-server a "
                 "directory of its own with --dir (e.g. /data)",
                 norm, tree);
        return -1;
    }
    fd = open_data_dir(norm, uid, gid, rep, err, errlen);
    if (fd < 0)
        goto done;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "cannot stat %s: %s", norm, strerror(errno));
        goto done;
    }
    if (datadir_is_system_path(norm) != DATADIR_ORDINARY ||
        system_kind_fd(fd) != DATADIR_ORDINARY) {
        rep->refused = 1;
        rc = 0;
        goto done;
    }

    /*
     * The directory itself. A failed chown (a rootless engine, NFS with
     * root squashing) is not fatal here: the caller checks, as the redis
     * user, whether the directory is writable, and says what to do.
     */
    if ((st.st_uid != uid || st.st_gid != gid) && fchown(fd, uid, gid) == 0)
        rep->chowned_dir = 1;
    if ((st.st_mode & 0700) != 0700 &&
        fchmod(fd, (st.st_mode & 07777) | 0700) == 0)
        rep->chmodded = 1;
    rc = fix_files(fd, norm, uid, gid, names, rep, err, errlen);
done:
    if (fd >= 0)
        close(fd);
    return rc;
}
