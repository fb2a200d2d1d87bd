/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_privdrop.c: looking a user up in a passwd file without NSS. (The
 * drop itself needs root and is tested on the running programs, in /proc,
 * by the integration tests.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "privdrop.h"

/* Writes text to a new temporary file; returns its path (static). */
static const char *passwd_file(const char *text)
{
    static char path[] = "/tmp/test_privdrop_XXXXXX";
    FILE *f;
    int fd;

    snprintf(path, sizeof(path), "/tmp/test_privdrop_XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void test_privdrop_finds_user(void **state)
{
    const char *p = passwd_file(
        "root:x:0:0:root:/root:/bin/sh\n"
        "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
        "visualizer:x:10002:10002::/nonexistent:/sbin/nologin\n");
    uid_t uid = 1;
    gid_t gid = 1;

    (void)state;
    assert_int_equal(privdrop_passwd_user(p, "visualizer", &uid, &gid), 0);
    assert_int_equal(uid, 10002);
    assert_int_equal(gid, 10002);
    assert_int_equal(privdrop_passwd_user(p, "root", &uid, &gid), 0);
    assert_int_equal(uid, 0);
    unlink(p);
}

static void test_privdrop_no_such_user(void **state)
{
    const char *p = passwd_file("root:x:0:0:root:/root:/bin/sh\n"
                                "visualizers:x:1:1::/:/bin/sh\n"
                                "visual:x:2:2::/:/bin/sh\n");
    uid_t uid = 7;
    gid_t gid = 7;

    (void)state;
    assert_int_equal(privdrop_passwd_user(p, "visualizer", &uid, &gid), -1);
    assert_int_equal(uid, 7); /* untouched */
    assert_int_equal(gid, 7);
    unlink(p);
}

static void test_privdrop_odd_files(void **state)
{
    const char *p = passwd_file("");
    uid_t uid = 7;
    gid_t gid = 7;

    (void)state;
    assert_int_equal(privdrop_passwd_user(p, "visualizer", &uid, &gid), -1);
    unlink(p);
    /* A line with too few fields is skipped, the next one still found. */
    p = passwd_file("visualizer:x\n"
                    "garbage without colons\n"
                    "visualizer:x:10002:10003::/:/bin/false\n");
    assert_int_equal(privdrop_passwd_user(p, "visualizer", &uid, &gid), 0);
    assert_int_equal(uid, 10002);
    assert_int_equal(gid, 10003);
    unlink(p);
    assert_int_equal(
        privdrop_passwd_user("/nonexistent/passwd", "root", &uid, &gid), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_privdrop_finds_user),
        cmocka_unit_test(test_privdrop_no_such_user),
        cmocka_unit_test(test_privdrop_odd_files),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
