/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_redis_args.c: the entrypoint's command line
 * (services/redis/redis_args.c): the official image's conventions,
 * redis-server's options and config file, and the quoting of the password for
 * Redis' config parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "redis_args.h"
#include "redis_unit.h"
#include "util.h"

static void test_redis_args_tutorial_command(void **state)
{
    const char *const argv[] = {"redis-server", "--appendonly", "yes", NULL};
    struct redis_args a;

    (void)state;
    must_parse(&a, argv);
    assert_true(a.is_redis);
    assert_false(a.prepended);
    assert_int_equal(a.argc, 3);
    assert_string_equal(a.argv[0], "redis-server");
    assert_null(a.argv[3]);
    assert_int_equal(a.config_index, 0);
    assert_true(redis_args_appendonly(&a));
    assert_string_equal(redis_args_dir(&a), "/data");
    assert_true(redis_args_dir_is_default(&a));
    assert_string_equal(redis_args_dbfilename(&a), "dump.rdb");
    assert_string_equal(redis_args_appendfilename(&a), "appendonly.aof");
    assert_string_equal(redis_args_appenddirname(&a), "appendonlydir");
    assert_false(redis_args_has_requirepass(&a));
    redis_args_free(&a);
}

static void test_redis_args_conventions(void **state)
{
    const char *const opts[] = {"--port", "7000", "--DIR", "/srv/redis", NULL};
    const char *const conf[] = {"/usr/local/etc/redis/redis.conf", "--save",
                                "60", "1", NULL};
    const char *const path[] = {"/usr/bin/redis-server", NULL};
    const char *const other[] = {"redis-cli", "-h", "redis", NULL};
    const char *const shell[] = {"sh", "-c", "redis-server --appendonly yes",
                                 NULL};
    struct redis_args a;

    (void)state;

    /* First argument an option: redis-server goes in front. */
    must_parse(&a, opts);
    assert_true(a.is_redis);
    assert_true(a.prepended);
    assert_int_equal(a.argc, 5);
    assert_string_equal(a.argv[0], "redis-server");
    assert_string_equal(a.argv[1], "--port");
    assert_string_equal(redis_args_dir(&a), "/srv/redis");
    assert_false(redis_args_dir_is_default(&a));
    assert_false(redis_args_appendonly(&a));
    redis_args_free(&a);

    /* A .conf file first: the same, and it is the config file. */
    must_parse(&a, conf);
    assert_true(a.prepended);
    assert_int_equal(a.config_index, 1);
    assert_string_equal(a.argv[1], "/usr/local/etc/redis/redis.conf");
    redis_args_free(&a);

    must_parse(&a, path);
    assert_true(a.is_redis);
    assert_false(a.prepended);
    redis_args_free(&a);

    /* Other commands run as they are, unprepared. */
    must_parse(&a, other);
    assert_false(a.is_redis);
    assert_int_equal(a.argc, 3);
    redis_args_free(&a);
    must_parse(&a, shell);
    assert_false(a.is_redis);
    redis_args_free(&a);
}

static void test_redis_args_options(void **state)
{
    const char *const argv[] = {"redis-server",
                                "--requirepass",
                                "x",
                                "--protected-mode",
                                "no",
                                "--save",
                                "",
                                "--appendonly",
                                "no",
                                "--appendonly",
                                "yes",
                                "--dbfilename",
                                "d.rdb",
                                "-",
                                NULL};
    const char *const first[] = {"redis-server", "-", "--port", "1", NULL};
    const char *const middle[] = {"redis-server", "--port", "-",
                                  "--dir",        "/x",     NULL};
    const char *const noval[] = {"redis-server", "--dir", "--port", "1", NULL};
    struct redis_args a;
    char err[128];

    (void)state;
    must_parse(&a, argv);
    assert_true(redis_args_has_requirepass(&a));
    assert_true(redis_args_has_protected_mode(&a));
    assert_true(redis_args_appendonly(&a)); /* the last one wins */
    assert_string_equal(redis_args_dbfilename(&a), "d.rdb");
    assert_true(a.stdin_config);
    redis_args_free(&a);

    must_parse(&a, first);
    assert_true(a.stdin_config);
    assert_int_equal(a.config_index, 0);
    redis_args_free(&a);

    /* "-" in the middle is a value, not stdin (as in Redis). */
    must_parse(&a, middle);
    assert_false(a.stdin_config);
    redis_args_free(&a);

    /* An option without value. */
    must_parse(&a, noval);
    assert_string_equal(redis_args_dir(&a), "");
    redis_args_free(&a);

    assert_int_equal(redis_args_parse(&a, 0, argv, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "no command given"));
}

static void test_redis_args_config_file(void **state)
{
    const char *const argv[] = {"redis.conf", "--dbfilename", "cli.rdb", NULL};
    const char *conf = "# Redis configuration\n"
                       "  dir \"/var/lib/redis data\"\n"
                       "dbfilename file.rdb\n"
                       "APPENDONLY yes\n"
                       "appendfilename 'my.aof'\n"
                       "appenddirname \"aof\\x2ddir\"\n"
                       "requirepass \"\"\n"
                       "protected-mode yes\n"
                       "include /etc/redis/other.conf\n"
                       "broken \"unclosed\n"
                       "port 7000";
    struct redis_args a;

    (void)state;
    must_parse(&a, argv);
    redis_args_read_config(&a, conf, strlen(conf));
    assert_string_equal(redis_args_dir(&a), "/var/lib/redis data");
    assert_false(redis_args_dir_is_default(&a));
    assert_string_equal(redis_args_dbfilename(&a), "cli.rdb"); /* args win */
    assert_string_equal(redis_args_appendfilename(&a), "my.aof");
    assert_string_equal(redis_args_appenddirname(&a), "aof-dir");
    assert_true(redis_args_appendonly(&a));
    assert_false(redis_args_has_requirepass(&a)); /* an empty one is none */
    assert_true(redis_args_has_protected_mode(&a));
    assert_true(a.file.has_include);
    assert_string_equal(a.file.port, "7000");

    redis_args_set_arg(&a, 1, "/abs/redis.conf");
    assert_string_equal(a.argv[1], "/abs/redis.conf");
    redis_args_append(&a, "-");
    assert_int_equal(a.argc, 5);
    assert_string_equal(a.argv[4], "-");
    assert_null(a.argv[5]);
    redis_args_free(&a);
}

/*
 * Where Redis listens and its password, from the command line and the
 * config file, as `check` needs them to reach the Redis that was started
 * (issue 11, item 3): the command line wins, bind keeps every address.
 */
static void test_redis_args_listen(void **state)
{
    const char *const plain[] = {"redis-server", NULL};
    const char *const cli[] = {
        "redis-server", "--port",        "6380",   "--bind", "10.0.0.5",
        "::1",          "--requirepass", "s3cret", "-",      NULL};
    const char *const one_arg[] = {"redis-server", "--bind", "-127.0.0.1 ::1",
                                   "--appendonly", "yes",    NULL};
    const char *const conf_first[] = {"/etc/r.conf", "--requirepass", "", NULL};
    const char *conf = "port 7000\n"
                       "bind 192.168.1.2   -::1 127.0.0.1\n"
                       "requirepass \"pa ss\"\n";
    struct redis_args a;

    (void)state;
    must_parse(&a, plain);
    assert_string_equal(redis_args_port(&a), "6379");
    assert_null(redis_args_bind(&a));
    assert_null(redis_args_requirepass(&a));
    redis_args_free(&a);

    must_parse(&a, cli);
    assert_string_equal(redis_args_port(&a), "6380");
    assert_string_equal(redis_args_bind(&a), "10.0.0.5 ::1");
    assert_string_equal(redis_args_requirepass(&a), "s3cret");
    assert_true(a.stdin_config); /* the final "-" is no bind address */
    redis_args_read_config(&a, conf, strlen(conf));
    assert_string_equal(redis_args_port(&a), "6380");
    assert_string_equal(redis_args_bind(&a), "10.0.0.5 ::1");
    assert_string_equal(redis_args_requirepass(&a), "s3cret");
    redis_args_free(&a);

    must_parse(&a, one_arg);
    assert_string_equal(redis_args_bind(&a), "-127.0.0.1 ::1");
    redis_args_free(&a);

    /* From the file; an empty --requirepass on the command line wins. */
    must_parse(&a, conf_first);
    redis_args_read_config(&a, conf, strlen(conf));
    assert_string_equal(redis_args_port(&a), "7000");
    assert_string_equal(redis_args_bind(&a), "192.168.1.2 -::1 127.0.0.1");
    assert_null(redis_args_requirepass(&a));
    assert_string_equal(a.file.requirepass, "pa ss");
    redis_args_free(&a);
}

/*
 * The password line survives Redis' config parser: what we write, read
 * back with the same rules as Redis (redis_args_read_config uses them), gives
 * the password byte for byte.
 */
static void test_redis_args_requirepass_quoting(void **state)
{
    struct buf b = BUF_INIT;
    struct redis_args a;
    char conf[256];

    (void)state;
    redis_args_config_requirepass(&b, "pa\"ss w\\rd\t\xc3\xa9");
    assert_string_equal(b.data,
                        "requirepass \"pa\\\"ss w\\\\rd\\x09\\xc3\\xa9\"\n");

    /* Read back through the config reader, as "dir" so the value shows. */
    memset(&a, 0, sizeof(a));
    snprintf(conf, sizeof(conf), "dir%s", b.data + strlen("requirepass"));
    redis_args_read_config(&a, conf, strlen(conf));
    assert_string_equal(a.file.dir, "pa\"ss w\\rd\t\xc3\xa9");
    redis_args_free(&a);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redis_args_tutorial_command),
        cmocka_unit_test(test_redis_args_conventions),
        cmocka_unit_test(test_redis_args_options),
        cmocka_unit_test(test_redis_args_config_file),
        cmocka_unit_test(test_redis_args_listen),
        cmocka_unit_test(test_redis_args_requirepass_quoting),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
