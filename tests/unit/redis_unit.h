/* SPDX-License-Identifier: Apache-2.0 */
/*
 * redis_unit.h: what the unit tests of redis-bootstrap (test_redis_*.c)
 * share: a temporary directory per test (cmocka setup and teardown; the
 * state is its path) and parsing a command line that must parse. Include
 * it after cmocka.h.
 */
#ifndef PART5_REDIS_UNIT_H
#define PART5_REDIS_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "redis_args.h"
#include "util.h"

/* Makes a directory under /tmp that others can traverse (0755). */
static inline int redis_unit_setup_tmp(void **state)
{
    char *dir = xstrdup("/tmp/test-redis-XXXXXX");

    if (mkdtemp(dir) == NULL || chmod(dir, 0755) != 0) {
        free(dir);
        return -1;
    }
    *state = dir;
    return 0;
}

/* Removes it, whatever the test left in it. */
static inline int redis_unit_teardown_tmp(void **state)
{
    char cmd[512];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", (char *)*state);
    if (system(cmd) != 0)
        return -1;
    free(*state);
    return 0;
}

/* Parses argv (NULL-terminated) and fails the test on error. */
static inline void must_parse(struct redis_args *a, const char *const *argv)
{
    char err[256];
    int argc = 0;

    while (argv[argc] != NULL)
        argc++;
    if (redis_args_parse(a, argc, argv, err, sizeof(err)) != 0)
        fail_msg("%s", err);
}

#endif
