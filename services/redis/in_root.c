/* SPDX-License-Identifier: Apache-2.0 */
/*
 * in_root.c: opening a path as if root_fd were "/". See in_root.h.
 *
 * The walk keeps two strings: done, the components already resolved
 * (relative to root_fd, no symbolic link in it), and todo, what is left
 * to resolve. A symbolic link's target is put in front of todo; an
 * absolute one also empties done. At most IN_ROOT_MAX_LINKS links are
 * followed (the kernel's own limit), so a loop ends with ELOOP.
 */
#include "in_root.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define IN_ROOT_MAX_LINKS 40

int in_root_open(int root_fd, const char *path, int flags)
{
    struct open_how how;
    int fd;

    while (*path == '/')
        path++;
    memset(&how, 0, sizeof(how));
    how.flags = (unsigned long long)flags;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    /* glibc 2.36 has no wrapper for openat2(2). */
    fd = (int)syscall(SYS_openat2, root_fd, *path ? path : ".", &how,
                      sizeof(how));
    if (fd < 0 && errno == ENOSYS)
        fd = in_root_open_walk(root_fd, path, flags);
    return fd;
}

/* Removes done's last component ("a/b" -> "a", "a" -> ""). */
static void drop_last(char *done)
{
    char *slash = strrchr(done, '/');

    if (slash != NULL)
        *slash = '\0';
    else
        done[0] = '\0';
}

/*
 * Puts target in front of the rest of todo (rest points into todo):
 * todo becomes "target/rest". Returns 0, or -1 with ENAMETOOLONG.
 */
static int prepend(char *todo, const char *rest, const char *target)
{
    char joined[PATH_MAX];
    int n = snprintf(joined, sizeof(joined), "%s/%s", target, rest);

    if (n < 0 || (size_t)n >= sizeof(joined)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(todo, joined, (size_t)n + 1);
    return 0;
}

int in_root_open_walk(int root_fd, const char *path, int flags)
{
    char done[PATH_MAX] = "", todo[PATH_MAX], name[NAME_MAX + 1];
    char target[PATH_MAX], candidate[PATH_MAX];
    const char *p, *end;
    struct stat st;
    ssize_t len;
    size_t n;
    int links = 0;

    if (strlen(path) >= sizeof(todo)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(todo, path);
    p = todo;
    for (;;) {
        while (*p == '/')
            p++;
        if (*p == '\0')
            break;
        end = strchr(p, '/');
        n = end != NULL ? (size_t)(end - p) : strlen(p);
        if (n > NAME_MAX) {
            errno = ENAMETOOLONG;
            return -1;
        }
        memcpy(name, p, n);
        name[n] = '\0';
        p += n;
        if (strcmp(name, ".") == 0)
            continue;
        if (strcmp(name, "..") == 0) {
            drop_last(done);
            continue;
        }
        if (snprintf(candidate, sizeof(candidate), "%s%s%s", done,
                     done[0] ? "/" : "", name) >= (int)sizeof(candidate)) {
            errno = ENAMETOOLONG;
            return -1;
        }
        if (fstatat(root_fd, candidate, &st, AT_SYMLINK_NOFOLLOW) != 0)
            return -1;
        if (S_ISLNK(st.st_mode)) {
            if (++links > IN_ROOT_MAX_LINKS) {
                errno = ELOOP;
                return -1;
            }
            len = readlinkat(root_fd, candidate, target, sizeof(target) - 1);
            if (len < 0)
                return -1;
            target[len] = '\0';
            if (target[0] == '/')
                done[0] = '\0';
            if (prepend(todo, p, target) != 0)
                return -1;
            p = todo;
            continue;
        }
        if (!S_ISDIR(st.st_mode) && strspn(p, "/") != strlen(p)) {
            errno = ENOTDIR;
            return -1;
        }
        strcpy(done, candidate);
    }
    return openat(root_fd, done[0] ? done : ".", flags | O_NOFOLLOW);
}
