/* SPDX-License-Identifier: Apache-2.0 */
/*
 * in_root.h: opening a path as if root_fd were "/", for looking only.
 *
 * prepare checks a stack file's bind sources under a host root (the
 * host's / mounted in a container): a symbolic link there, such as
 * Debian's /var/run -> /run, means the host's /run, which is root_fd's
 * "run", never this container's /run. openat2(RESOLVE_IN_ROOT) does that
 * in the kernel (Linux 5.6 and later); where it is missing (an older
 * kernel, or valgrind, which does not know the system call) the same
 * resolution is done one component at a time.
 */
#ifndef PART5_IN_ROOT_H
#define PART5_IN_ROOT_H

/*
 * Opens path (relative to root_fd; leading slashes are ignored) with
 * flags, every symbolic link resolved inside root_fd's tree: an absolute
 * link starts again at root_fd, ".." never climbs above it. Returns a
 * descriptor, or -1 with errno (ENOENT, ENOTDIR, ELOOP, ...).
 */
int in_root_open(int root_fd, const char *path, int flags);

/*
 * The same resolution done in user space, one component at a time with
 * fstatat(AT_SYMLINK_NOFOLLOW) and readlinkat(): what in_root_open() does
 * when openat2() is missing. It is meant for looking (a race with someone
 * renaming a component can make it look at the wrong thing, never change
 * anything). Exported for the unit test, which compares it with openat2.
 */
int in_root_open_walk(int root_fd, const char *path, int flags);

#endif
