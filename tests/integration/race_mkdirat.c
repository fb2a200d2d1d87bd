/* SPDX-License-Identifier: Apache-2.0 */
/*
 * race_mkdirat.c: an LD_PRELOAD shim that wins, on demand, the race a user
 * who can write in a parent directory would try against redis-bootstrap
 * (issue 11, item 1), so that the real program can be tested end to end.
 *
 * With PART5_RACE_NAME=NAME and PART5_RACE_VICTIM=PATH in the environment,
 * the first mkdirat() of a component called NAME is passed to the real
 * one and then, at once, the fresh directory is renamed to NAME.moved and
 * a symbolic link NAME -> PATH is planted in its place. Every other call
 * is passed through untouched. Used by tests/integration/
 * test_redis_bootstrap.py; the cmocka test of datadir.c does the same with
 * -Wl,--wrap=mkdirat.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int mkdirat(int dirfd, const char *name, mode_t mode);

int mkdirat(int dirfd, const char *name, mode_t mode)
{
    static int (*real)(int, const char *, mode_t);
    static int done;
    const char *want = getenv("PART5_RACE_NAME");
    const char *victim = getenv("PART5_RACE_VICTIM");
    char moved[256];
    int rc;

    if (real == NULL)
        *(void **)&real = dlsym(RTLD_NEXT, "mkdirat");
    if (real == NULL)
        abort();
    rc = real(dirfd, name, mode);
    if (rc == 0 && !done && want != NULL && victim != NULL &&
        strcmp(name, want) == 0) {
        done = 1;
        snprintf(moved, sizeof(moved), "%s.moved", name);
        if (renameat(dirfd, name, dirfd, moved) != 0 ||
            symlinkat(victim, dirfd, name) != 0) {
            fprintf(stderr, "race_mkdirat: cannot swap %s\n", name);
            abort();
        }
    }
    return rc;
}
