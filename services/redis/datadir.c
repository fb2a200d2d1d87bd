/* SPDX-License-Identifier: Apache-2.0 */
/*
 * datadir.c: the data directory, made usable safely. See datadir.h.
 */
#include "datadir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

/* Directories whose owner must never change, whatever --dir says. */
static const char *const datadir_system[] = {
    "/",          "/bin",     "/boot",        "/dev",     "/etc",
    "/home",      "/lib",     "/lib32",       "/lib64",   "/libx32",
    "/media",     "/mnt",     "/opt",         "/proc",    "/root",
    "/run",       "/sbin",    "/srv",         "/sys",     "/tmp",
    "/usr",       "/var",     "/var/lib",     "/var/run", "/var/tmp",
    "/usr/local", "/var/log", "/run/secrets",
};

int datadir_is_system_path(const char *path)
{
    char norm[4096];
    size_t i, n;

    /* Compare without trailing slashes, "/" itself aside. */
    n = strlen(path);
    if (n == 0 || n >= sizeof(norm))
        return 1;
    memcpy(norm, path, n + 1);
    while (n > 1 && norm[n - 1] == '/')
        norm[--n] = '\0';
    for (i = 0; i < sizeof(datadir_system) / sizeof(datadir_system[0]); i++) {
        if (strcmp(norm, datadir_system[i]) == 0)
            return 1;
    }
    return 0;
}

/* openat2(2), which glibc 2.36 does not wrap. */
static int open_in_root(int root_fd, const char *path, int flags)
{
    struct open_how how;

    memset(&how, 0, sizeof(how));
    how.flags = (unsigned long long)flags;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    return (int)syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
}

/*
 * Opens the directory prefix (relative, e.g. "home/docker") under root_fd
 * as O_PATH. With openat2 symbolic links resolve inside root_fd's tree;
 * on kernels without it (before 5.6) a symbolic link is refused (ELOOP).
 * parent_fd and name are the previous component, for that fallback.
 */
static int
open_prefix(int root_fd, const char *prefix, int parent_fd, const char *name)
{
    int fd = open_in_root(root_fd, prefix, O_PATH | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0 && errno == ENOSYS)
        fd = openat(parent_fd, name,
                    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
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
    struct buf prefix = BUF_INIT;
    char *copy = NULL, *name, *save = NULL;
    int parent = -1, fd = -1, rc = -1, last, missing = 0, made;

    *created = 0;
    if (path[0] != '/') {
        snprintf(err, errlen, "%s is not an absolute path", path);
        goto done;
    }
    parent = dup(root_fd);
    if (parent < 0) {
        snprintf(err, errlen, "dup: %s", strerror(errno));
        goto done;
    }
    /*
     * Walk the components. prefix is the path so far, relative to the
     * root; parent is the directory that holds the current component.
     * Once one is missing (in a dry run), the rest are only counted.
     */
    copy = xstrdup(path);
    for (name = strtok_r(copy, "/", &save); name != NULL;
         name = strtok_r(NULL, "/", &save)) {
        last = save == NULL || strspn(save, "/") == strlen(save);
        if (strcmp(name, ".") == 0)
            continue;
        if (strcmp(name, "..") == 0) {
            snprintf(err, errlen, "%s contains '..': give a plain path", path);
            goto done;
        }
        if (prefix.len > 0)
            buf_append_str(&prefix, "/");
        buf_append_str(&prefix, name);
        if (missing) {
            (*created)++;
            continue;
        }
        fd = open_prefix(root_fd, prefix.data, parent, name);
        made = 0;
        if (fd < 0 && errno == ENOENT) {
            if (dry_run) {
                missing = 1;
                (*created)++;
                continue;
            }
            if (mkdirat(parent, name, 0700) != 0 && errno != EEXIST) {
                snprintf(err, errlen, "cannot create /%s: %s", prefix.data,
                         strerror(errno));
                goto done;
            }
            made = errno != EEXIST;
            fd = open_prefix(root_fd, prefix.data, parent, name);
        }
        if (fd < 0) {
            if (errno == ENOENT)
                snprintf(err, errlen,
                         "/%s is a symbolic link to a missing directory: "
                         "create its target first",
                         prefix.data);
            else if (errno == ENOTDIR)
                snprintf(err, errlen,
                         "/%s exists and is not a directory: move it away "
                         "or choose another path",
                         prefix.data);
            else if (errno == ELOOP)
                snprintf(err, errlen,
                         "/%s is a symbolic link and this kernel cannot "
                         "resolve it safely: create the directory by hand",
                         prefix.data);
            else
                snprintf(err, errlen, "cannot open /%s: %s", prefix.data,
                         strerror(errno));
            goto done;
        }
        if (made) {
            int dfd;

            /* A new directory: set its mode (mkdir's is masked by umask). */
            (*created)++;
            dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (dfd < 0 || fchmod(dfd, last ? mode : 0755) != 0 ||
                (last && uid != (uid_t)-1 && fchown(dfd, uid, gid) != 0)) {
                snprintf(err, errlen, "cannot set the mode/owner of /%s: %s",
                         prefix.data, strerror(errno));
                if (dfd >= 0)
                    close(dfd);
                goto done;
            }
            close(dfd);
        }
        close(parent);
        parent = fd;
        fd = -1;
    }
    rc = 0;
done:
    if (fd >= 0)
        close(fd);
    if (parent >= 0)
        close(parent);
    free(copy);
    buf_free(&prefix);
    return rc;
}

int datadir_exists(int root_fd, const char *path, char *err, size_t errlen)
{
    const char *rel = path;
    int fd;

    while (*rel == '/')
        rel++;
    if (*rel == '\0')
        return 1; /* the root itself */
    fd = open_in_root(root_fd, rel, O_PATH | O_CLOEXEC);
    if (fd < 0 && errno == ENOSYS)
        fd = openat(root_fd, rel, O_PATH | O_CLOEXEC);
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
        rep->skipped++;
        if (rep->skipped_example[0] == '\0')
            snprintf(rep->skipped_example, sizeof(rep->skipped_example),
                     "%.80s (%s)", name,
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
        if (errno != ENOENT) {
            rep->skipped++;
            if (rep->skipped_example[0] == '\0')
                snprintf(rep->skipped_example, sizeof(rep->skipped_example),
                         "%.80s (not a plain directory)", name);
        }
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
 * Whether the directory open on fd is a system directory, by its canonical
 * name (so that "/etc/../etc" or a bind mount's path is seen for what it
 * is). Unknown when /proc is not mounted: then the path given decides.
 */
static int is_system_fd(int fd)
{
    char link[64], target[4096];
    ssize_t n;

    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    n = readlink(link, target, sizeof(target) - 1);
    if (n <= 0)
        return 0;
    target[n] = '\0';
    return datadir_is_system_path(target);
}

int datadir_prepare(const char *path,
                    uid_t uid,
                    gid_t gid,
                    const struct datadir_names *names,
                    struct datadir_report *rep,
                    char *err,
                    size_t errlen)
{
    struct dirent *de;
    struct stat st;
    DIR *d = NULL;
    unsigned created;
    int fd = -1, root = -1, rc = -1, scan_fd;

    memset(rep, 0, sizeof(*rep));
    fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root < 0 || datadir_mkdirs(root, path, 0700, uid, gid, 0, &created,
                                       err, errlen) != 0) {
            if (root < 0)
                snprintf(err, errlen, "cannot open /: %s", strerror(errno));
            goto done;
        }
        rep->created = created > 0;
        fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) {
        /* O_NOFOLLOW with O_DIRECTORY says ENOTDIR for a symbolic link. */
        if ((errno == ELOOP || errno == ENOTDIR) && lstat(path, &st) == 0 &&
            S_ISLNK(st.st_mode))
            snprintf(err, errlen,
                     "the data directory %s is a symbolic link: give "
                     "redis-server the real directory with --dir",
                     path);
        else if (errno == ENOTDIR)
            snprintf(err, errlen,
                     "the data directory %s is not a directory: mount a "
                     "directory there, or give another one with --dir",
                     path);
        else
            snprintf(err, errlen, "cannot open the data directory %s: %s", path,
                     strerror(errno));
        goto done;
    }
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "cannot stat %s: %s", path, strerror(errno));
        goto done;
    }
    if (datadir_is_system_path(path) || is_system_fd(fd)) {
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

    /* Redis' own files in it. */
    scan_fd = dup(fd);
    if (scan_fd < 0 || (d = fdopendir(scan_fd)) == NULL) {
        if (scan_fd >= 0)
            close(scan_fd);
        snprintf(err, errlen, "cannot list %s: %s", path, strerror(errno));
        goto done;
    }
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, names->appenddirname) == 0)
            fix_aof_dir(fd, de->d_name, uid, gid, names, rep);
        else if (strcmp(de->d_name, names->dbfilename) == 0 ||
                 strcmp(de->d_name, names->appendfilename) == 0 ||
                 starts_with(de->d_name, "temp-"))
            fix_file(fd, de->d_name, uid, gid, rep);
    }
    rc = 0;
done:
    if (d != NULL)
        closedir(d);
    if (fd >= 0)
        close(fd);
    if (root >= 0)
        close(root);
    return rc;
}
