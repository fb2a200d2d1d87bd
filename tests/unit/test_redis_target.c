/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_redis_target.c: the entrypoint's record for `check`
 * (services/redis/target.c): written and read back as the same command
 * line, refused when someone else could have written it, and the address
 * check connects to for Redis' bind addresses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "redis_unit.h"
#include "target.h"
#include "util.h"

/* Writes text (len bytes) to path with mode. */
static void
must_write(const char *path, const char *text, size_t len, mode_t mode)
{
    FILE *f = fopen(path, "w");

    if (f == NULL || fwrite(text, 1, len, f) != len || fclose(f) != 0 ||
        chmod(path, mode) != 0)
        fail_msg("cannot write %s", path);
}

static void test_redis_target_round_trip(void **state)
{
    const char *const argv[] = {"redis.conf",    "--port", "6380",
                                "--requirepass", "a b\nc", NULL};
    char path[1024], err[512];
    struct redis_args a, back;
    struct stat st;

    snprintf(path, sizeof(path), "%s/target", (const char *)*state);
    must_parse(&a, argv);
    assert_int_equal(
        target_write(path, &a, "/abs/redis.conf", err, sizeof(err)), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);

    assert_int_equal(target_read(path, &back, err, sizeof(err)), 1);
    assert_true(back.is_redis);
    assert_int_equal(back.argc, a.argc);
    assert_string_equal(back.argv[0], "redis-server");
    assert_int_equal(back.config_index, 1);
    assert_string_equal(back.argv[1], "/abs/redis.conf");
    assert_string_equal(redis_args_port(&back), "6380");
    assert_string_equal(redis_args_requirepass(&back), "a b\nc");
    redis_args_free(&back);

    /* A second start replaces the record whole. */
    redis_args_free(&a);
    must_parse(&a, (const char *const[]){"redis-server", NULL});
    assert_int_equal(target_write(path, &a, NULL, err, sizeof(err)), 0);
    assert_int_equal(target_read(path, &back, err, sizeof(err)), 1);
    assert_int_equal(back.argc, 1);
    assert_string_equal(redis_args_port(&back), "6379");
    redis_args_free(&back);
    redis_args_free(&a);
}

static void test_redis_target_missing_and_untrusted(void **state)
{
    const char *tmp = *state;
    static const char good[] = "redis-bootstrap target 1\nredis-server\0";
    char path[1024], other[1100], err[512];
    struct redis_args a;

    snprintf(path, sizeof(path), "%s/target", tmp);
    assert_int_equal(target_read(path, &a, err, sizeof(err)), 0);

    /* Writable by others: anyone could have chosen what check reads. */
    must_write(path, good, sizeof(good) - 1, 0622);
    assert_int_equal(target_read(path, &a, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not a record the entrypoint wrote"));
    assert_non_null(strstr(err, path));

    /* A symbolic link to a good record. */
    assert_int_equal(chmod(path, 0600), 0);
    snprintf(other, sizeof(other), "%s/link", tmp);
    assert_int_equal(symlink(path, other), 0);
    assert_int_equal(target_read(other, &a, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "symbolic link"));

    /* Someone else's file (only root can give a file away). */
    if (geteuid() == 0) {
        assert_int_equal(chown(path, 54321, 54321), 0);
        assert_int_equal(target_read(path, &a, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "owner 54321"));
        assert_int_equal(chown(path, 0, 0), 0);
    }
    assert_int_equal(target_read(path, &a, err, sizeof(err)), 1);
    redis_args_free(&a);

    /* Not a record: no magic line, no argument, another command. */
    must_write(path, "redis-server\0", 13, 0600);
    assert_int_equal(target_read(path, &a, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not a record"));
    must_write(path, "redis-bootstrap target 1\n", 25, 0600);
    assert_int_equal(target_read(path, &a, err, sizeof(err)), -1);
    must_write(path, "redis-bootstrap target 1\nsh\0-c\0", 31, 0600);
    assert_int_equal(target_read(path, &a, err, sizeof(err)), -1);
}

/*
 * A record that cannot be written leaves none behind: check must not
 * read one of an earlier start.
 */
static void test_redis_target_write_failure(void **state)
{
    char path[1024], blocker[1100], err[512];
    struct redis_args a;
    struct stat st;

    snprintf(path, sizeof(path), "%s/target", (const char *)*state);
    must_parse(&a, (const char *const[]){"redis-server", NULL});
    assert_int_equal(target_write(path, &a, NULL, err, sizeof(err)), 0);
    snprintf(blocker, sizeof(blocker), "%s.%ld.tmp", path, (long)getpid());
    assert_int_equal(mkdir(blocker, 0700), 0);
    assert_int_equal(target_write(path, &a, NULL, err, sizeof(err)), -1);
    assert_non_null(strstr(err, blocker));
    assert_int_equal(stat(path, &st), -1);
    redis_args_free(&a);

    snprintf(path, sizeof(path), "%s/missing/target", (const char *)*state);
    must_parse(&a, (const char *const[]){"redis-server", NULL});
    assert_int_equal(target_write(path, &a, NULL, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "/missing/target"));
    redis_args_free(&a);
}

static void test_redis_target_connect_host(void **state)
{
    static const char *const cases[][2] = {
        {NULL, "127.0.0.1"},
        {"", "127.0.0.1"},
        {"* -::*", "127.0.0.1"},
        {"0.0.0.0", "127.0.0.1"},
        {"10.0.0.5 127.0.0.1", "127.0.0.1"},
        {"-127.0.0.1 ::1", "127.0.0.1"},
        {"::1", "::1"},
        {"10.0.0.5 ::", "::1"},
        {"10.0.0.5", "10.0.0.5"},
        {"10.0.0.5 192.168.1.2", "10.0.0.5"},
        {"-fe80::1", "fe80::1"},
    };
    char host[64];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        target_connect_host(cases[i][0], host, sizeof(host));
        if (strcmp(host, cases[i][1]) != 0)
            fail_msg("bind %s: %s, want %s", cases[i][0], host, cases[i][1]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_redis_target_round_trip,
                                        redis_unit_setup_tmp,
                                        redis_unit_teardown_tmp),
        cmocka_unit_test_setup_teardown(test_redis_target_missing_and_untrusted,
                                        redis_unit_setup_tmp,
                                        redis_unit_teardown_tmp),
        cmocka_unit_test_setup_teardown(test_redis_target_write_failure,
                                        redis_unit_setup_tmp,
                                        redis_unit_teardown_tmp),
        cmocka_unit_test(test_redis_target_connect_host),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
