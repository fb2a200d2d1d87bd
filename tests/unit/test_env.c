/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_env.c: configuration from the environment, good and bad values,
 * and Docker secret files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "env.h"
#include "log.h"
#include "server_env.h"

static int port, timeout_ms;
static const char *name, *host, *path;
static enum log_level level;

static const struct env_var vars[] = {
    {"T_PORT", ENV_PORT, 1, 65535, &port, "port"},
    {"T_TIMEOUT_MS", ENV_INT, 1, 60000, &timeout_ms, "timeout"},
    {"T_NAME", ENV_STRING, 0, 10, &name, "name"},
    {"T_HOST", ENV_HOST, 0, 253, &host, "host"},
    {"T_PATH", ENV_PATH, 0, 4096, &path, "path"},
    {"T_LOG", ENV_LOGLEVEL, 0, 0, &level, "level"},
};

static int reset(void **state)
{
    (void)state;
    port = 80;
    timeout_ms = 2000;
    name = "World";
    host = "redis";
    path = NULL;
    level = LOG_LEVEL_INFO;
    unsetenv("T_PORT");
    unsetenv("T_TIMEOUT_MS");
    unsetenv("T_NAME");
    unsetenv("T_HOST");
    unsetenv("T_PATH");
    unsetenv("T_LOG");
    log_set_level(LOG_LEVEL_INFO);
    return 0;
}

static void test_env_defaults_when_unset(void **state)
{
    char err[ENV_ERR_LEN];

    (void)state;
    assert_int_equal(env_load(vars, 6, err, sizeof(err)), 0);
    assert_int_equal(port, 80);
    assert_int_equal(timeout_ms, 2000);
    assert_string_equal(name, "World");
    assert_string_equal(host, "redis");
    assert_null(path);
}

static void test_env_good_values(void **state)
{
    char err[ENV_ERR_LEN];

    (void)state;
    setenv("T_PORT", "8080", 1);
    setenv("T_TIMEOUT_MS", "250", 1);
    setenv("T_NAME", "Class 5B", 1);
    setenv("T_HOST", "10.0.0.7", 1);
    setenv("T_PATH", "/run/secrets/redis_password", 1);
    setenv("T_LOG", "DEBUG", 1);
    assert_int_equal(env_load(vars, 6, err, sizeof(err)), 0);
    assert_int_equal(port, 8080);
    assert_int_equal(timeout_ms, 250);
    assert_string_equal(name, "Class 5B");
    assert_string_equal(host, "10.0.0.7");
    assert_string_equal(path, "/run/secrets/redis_password");
    assert_int_equal(level, LOG_LEVEL_DEBUG);
    assert_int_equal(log_min_level, LOG_LEVEL_DEBUG);
}

/* Each bad value stops with a message naming the variable. */
static void expect_bad(const char *var, const char *value, const char *msg)
{
    char err[ENV_ERR_LEN];

    reset(NULL);
    setenv(var, value, 1);
    assert_int_equal(env_load(vars, 6, err, sizeof(err)), -1);
    assert_non_null(strstr(err, var));
    if (strstr(err, msg) == NULL)
        fail_msg("%s=\"%s\": got \"%s\", want \"%s\"", var, value, err, msg);
    unsetenv(var);
}

static void test_env_bad_numbers(void **state)
{
    (void)state;
    expect_bad("T_PORT", "", "expected a port number 1-65535");
    expect_bad("T_PORT", "http", "expected a port number 1-65535");
    expect_bad("T_PORT", "0", "expected a port number 1-65535");
    expect_bad("T_PORT", "65536", "expected a port number 1-65535");
    expect_bad("T_PORT", "80 ", "expected a port number");
    expect_bad("T_PORT", "-1", "expected a port number");
    expect_bad("T_PORT", "99999999999999999999", "expected a port number");
    expect_bad("T_TIMEOUT_MS", "2s", "expected a whole number 1-60000");
    expect_bad("T_TIMEOUT_MS", "0", "expected a whole number 1-60000");
    expect_bad("T_TIMEOUT_MS", "1e3", "expected a whole number");
}

static void test_env_bad_strings(void **state)
{
    (void)state;
    expect_bad("T_NAME", "12345678901", "longer than 10 bytes");
    expect_bad("T_NAME", "a\nb", "control characters");
    expect_bad("T_NAME", "a\x1b[31m", "control characters");
    expect_bad("T_HOST", "", "expected a host name");
    expect_bad("T_HOST", "redis; rm -rf /", "expected a host name");
    expect_bad("T_HOST", "red is", "expected a host name");
    expect_bad("T_PATH", "secrets/pw", "expected an absolute path");
    expect_bad("T_LOG", "verbose", "expected debug, info, warn or error");
}

static void test_env_bad_value_keeps_default(void **state)
{
    char err[ENV_ERR_LEN];

    (void)state;
    setenv("T_PORT", "nope", 1);
    assert_int_equal(env_load(vars, 6, err, sizeof(err)), -1);
    assert_int_equal(port, 80);
}

static void test_env_usage_lists_defaults(void **state)
{
    char buf[4096];
    FILE *f = fmemopen(buf, sizeof(buf), "w");

    (void)state;
    env_usage(f, vars, 6);
    fclose(f);
    assert_non_null(strstr(buf, "T_PORT"));
    assert_non_null(strstr(buf, "(default 80)"));
    assert_non_null(strstr(buf, "(default World)"));
}

/* Writes data to a new temporary file; returns its path (static). */
static const char *write_tmp(const char *data, size_t len)
{
    static char tmpl[64];
    int fd;

    strcpy(tmpl, "/tmp/test_env_secretXXXXXX");
    fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
    return tmpl;
}

static void test_env_secret_good(void **state)
{
    char buf[64], err[ENV_ERR_LEN];
    const char *p;

    (void)state;
    p = write_tmp("s3cret\n", 7);
    assert_int_equal(env_read_secret(p, buf, sizeof(buf), err, sizeof(err)), 0);
    assert_string_equal(buf, "s3cret");
    unlink(p);
    p = write_tmp("s3cret\r\n", 8);
    assert_int_equal(env_read_secret(p, buf, sizeof(buf), err, sizeof(err)), 0);
    assert_string_equal(buf, "s3cret");
    unlink(p);
    p = write_tmp("no-newline", 10);
    assert_int_equal(env_read_secret(p, buf, sizeof(buf), err, sizeof(err)), 0);
    assert_string_equal(buf, "no-newline");
    unlink(p);
}

static void expect_bad_secret(const char *data, size_t len, const char *msg)
{
    char buf[16], err[ENV_ERR_LEN];
    const char *p = write_tmp(data, len);

    assert_int_equal(env_read_secret(p, buf, sizeof(buf), err, sizeof(err)),
                     -1);
    if (strstr(err, msg) == NULL)
        fail_msg("got \"%s\", want \"%s\"", err, msg);
    /* The message never shows the secret, and the buffer is wiped. */
    if (len > 3)
        assert_null(strstr(err, "hunter"));
    assert_int_equal(buf[0], '\0');
    unlink(p);
}

static void test_env_secret_bad(void **state)
{
    char buf[16], err[ENV_ERR_LEN];

    (void)state;
    expect_bad_secret("", 0, "is empty");
    expect_bad_secret("\n", 1, "is empty");
    expect_bad_secret("hunter2hunter2hunter2", 21, "larger than 15 bytes");
    expect_bad_secret("hunter\nhunter\n", 14, "must hold one line");
    expect_bad_secret("hunt\0er", 7, "must hold one line");
    assert_int_equal(env_read_secret("/nonexistent/secret", buf, sizeof(buf),
                                     err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "cannot open secret file /nonexistent/secret"));
}

/* The settings both servers share, declared with server_env.h. */
static struct {
    const char *host;
    int port, max_connections, idle_timeout_s, log_level;
} srv_cfg = {.port = 8080, SERVER_ENV_DEFAULTS};

static const struct env_var srv_vars[] = {
    SERVER_ENV_PORT(srv_cfg),
    SERVER_ENV_HOST(srv_cfg),
    SERVER_ENV_LIMITS(srv_cfg),
};

static void test_env_server_settings(void **state)
{
    char err[ENV_ERR_LEN];
    size_t i;

    (void)state;
    assert_int_equal(sizeof(srv_vars) / sizeof(srv_vars[0]), 5);
    assert_int_equal(srv_cfg.max_connections, HTTP_DEFAULT_CONN_LIMIT);
    assert_int_equal(srv_cfg.idle_timeout_s, HTTP_DEFAULT_IDLE_TIMEOUT_S);
    assert_int_equal(srv_cfg.log_level, LOG_LEVEL_INFO);
    setenv("PORT", "8081", 1);
    setenv("HOST", "::1", 1);
    setenv("MAX_CONNECTIONS", "64", 1);
    setenv("IDLE_TIMEOUT", "5", 1);
    setenv("LOG_LEVEL", "warn", 1);
    assert_int_equal(env_load(srv_vars, 5, err, sizeof(err)), 0);
    assert_int_equal(srv_cfg.port, 8081);
    assert_string_equal(srv_cfg.host, "::1");
    assert_int_equal(srv_cfg.max_connections, 64);
    assert_int_equal(srv_cfg.idle_timeout_s, 5);
    assert_int_equal(srv_cfg.log_level, LOG_LEVEL_WARN);
    setenv("MAX_CONNECTIONS", "15", 1);
    assert_int_equal(env_load(srv_vars, 5, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "MAX_CONNECTIONS"));
    for (i = 0; i < 5; i++)
        unsetenv(srv_vars[i].name);
    log_set_level(LOG_LEVEL_INFO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_env_defaults_when_unset, reset),
        cmocka_unit_test_setup(test_env_good_values, reset),
        cmocka_unit_test_setup(test_env_bad_numbers, reset),
        cmocka_unit_test_setup(test_env_bad_strings, reset),
        cmocka_unit_test_setup(test_env_bad_value_keeps_default, reset),
        cmocka_unit_test_setup(test_env_usage_lists_defaults, reset),
        cmocka_unit_test(test_env_secret_good),
        cmocka_unit_test(test_env_secret_bad),
        cmocka_unit_test(test_env_server_settings),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
