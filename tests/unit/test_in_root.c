/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_in_root.c: resolving a path inside a host root
 * (services/redis/in_root.c). The walk in user space, which is what runs
 * where openat2() is missing (valgrind, kernels before 5.6), must land on
 * the same file as the kernel's RESOLVE_IN_ROOT, and never outside the
 * root: an absolute link, or "..", stays inside it.
 *
 * The tree, in a fresh directory R:
 *   R/run/docker.sock   a file (the socket's stand-in)
 *   R/var/run -> /run   absolute, as on Debian
 *   R/var/rel -> ../run relative
 *   R/up -> ../../../.. climbs above the root
 *   R/loop -> loop      a loop
 *   R/file              a file, used as a directory below
 *   R/dangling -> /nowhere
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "in_root.h"

struct tree {
    char dir[64];
    int fd;
};

static void make_file(int dirfd, const char *name)
{
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL, 0644);

    assert_true(fd >= 0);
    close(fd);
}

static int setup(void **state)
{
    static struct tree t;

    strcpy(t.dir, "/tmp/test-in-root-XXXXXX");
    assert_non_null(mkdtemp(t.dir));
    t.fd = open(t.dir, O_PATH | O_DIRECTORY);
    assert_true(t.fd >= 0);
    assert_int_equal(mkdirat(t.fd, "run", 0755), 0);
    assert_int_equal(mkdirat(t.fd, "var", 0755), 0);
    make_file(t.fd, "run/docker.sock");
    make_file(t.fd, "file");
    assert_int_equal(symlinkat("/run", t.fd, "var/run"), 0);
    assert_int_equal(symlinkat("../run", t.fd, "var/rel"), 0);
    assert_int_equal(symlinkat("../../../..", t.fd, "up"), 0);
    assert_int_equal(symlinkat("loop", t.fd, "loop"), 0);
    assert_int_equal(symlinkat("/nowhere", t.fd, "dangling"), 0);
    *state = &t;
    return 0;
}

static int teardown(void **state)
{
    struct tree *t = *state;
    char cmd[128];

    close(t->fd);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

/* The inode fd refers to (closing fd); the tree is on one file system. */
static long long identity(int fd)
{
    struct stat st;

    assert_int_equal(fstat(fd, &st), 0);
    close(fd);
    return (long long)st.st_ino;
}

/* path in the tree resolves, with both methods, to the same file as want. */
static void same_as(struct tree *t, const char *path, const char *want)
{
    int w = openat(t->fd, want, O_PATH | O_NOFOLLOW);
    int a = in_root_open_walk(t->fd, path, O_PATH);
    int b = in_root_open(t->fd, path, O_PATH);

    assert_true(w >= 0);
    if (a < 0 || b < 0)
        fail_msg("%s: walk %d, openat2 %d (%s)", path, a, b, strerror(errno));
    long long iw = identity(w);
    assert_true(identity(a) == iw);
    assert_true(identity(b) == iw);
}

/* path fails with both methods, with errno e. */
static void fails(struct tree *t, const char *path, int e)
{
    errno = 0;
    assert_int_equal(in_root_open_walk(t->fd, path, O_PATH), -1);
    assert_int_equal(errno, e);
    errno = 0;
    assert_int_equal(in_root_open(t->fd, path, O_PATH), -1);
    assert_int_equal(errno, e);
}

static void test_in_root_links(void **state)
{
    struct tree *t = *state;

    same_as(t, "run/docker.sock", "run/docker.sock");
    same_as(t, "/var/run/docker.sock", "run/docker.sock");
    same_as(t, "var/rel/docker.sock", "run/docker.sock");
    same_as(t, "var/./run/../run/docker.sock", "run/docker.sock");
    same_as(t, "/", ".");
    same_as(t, "", ".");
    same_as(t, "var/run", "run");
}

static void test_in_root_never_leaves(void **state)
{
    struct tree *t = *state;

    /* Both climb above the root and land on it. */
    same_as(t, "up", ".");
    same_as(t, "../../../../run/docker.sock", "run/docker.sock");
    same_as(t, "up/var/run/docker.sock", "run/docker.sock");
    /* The real / has an /etc; the root has none. */
    fails(t, "/etc", ENOENT);
    fails(t, "up/etc", ENOENT);
    fails(t, "dangling", ENOENT);
}

static void test_in_root_errors(void **state)
{
    struct tree *t = *state;
    char longname[400];

    fails(t, "loop", ELOOP);
    fails(t, "file/x", ENOTDIR);
    fails(t, "run/missing", ENOENT);
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    errno = 0;
    assert_int_equal(in_root_open_walk(t->fd, longname, O_PATH), -1);
    assert_int_equal(errno, ENAMETOOLONG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_root_links),
        cmocka_unit_test(test_in_root_never_leaves),
        cmocka_unit_test(test_in_root_errors),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
