/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_log.c: the log line format, levels, and the errno variants.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static char out_path[64], err_path[64];
static int saved_out, saved_err;

/* Sends stdout and stderr to temporary files for one test. */
static int capture(void **state)
{
    int fd;

    (void)state;
    strcpy(out_path, "/tmp/test_log_outXXXXXX");
    strcpy(err_path, "/tmp/test_log_errXXXXXX");
    fflush(stdout);
    fflush(stderr);
    saved_out = dup(1);
    saved_err = dup(2);
    fd = mkstemp(out_path);
    dup2(fd, 1);
    close(fd);
    fd = mkstemp(err_path);
    dup2(fd, 2);
    close(fd);
    log_init("test_log");
    log_set_level(LOG_LEVEL_INFO);
    return 0;
}

static int restore(void **state)
{
    (void)state;
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    close(saved_out);
    close(saved_err);
    unlink(out_path);
    unlink(err_path);
    return 0;
}

static char *slurp(const char *path)
{
    static char buf[4096];
    FILE *f;
    size_t n;

    fflush(stdout);
    fflush(stderr);
    f = fopen(path, "r");
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static void test_log_line_format(void **state)
{
    char *s;

    (void)state;
    log_info("listening on port %d", 80);
    s = slurp(out_path);
    /* 2026-11-27T11:03:46.123Z test_log info: listening on port 80 */
    assert_int_equal(strlen(s), 24 + strlen(" test_log info: listening on "
                                            "port 80\n"));
    assert_int_equal(s[4], '-');
    assert_int_equal(s[10], 'T');
    assert_int_equal(s[23], 'Z');
    assert_string_equal(s + 24, " test_log info: listening on port 80\n");
}

static void test_log_levels_filter_and_streams(void **state)
{
    (void)state;
    log_debug("hidden %d", 1);
    log_warnx("careful");
    log_errorx("broken");
    assert_string_equal(slurp(out_path), "");
    assert_non_null(strstr(slurp(err_path), " test_log warn: careful\n"));
    assert_non_null(strstr(slurp(err_path), " test_log error: broken\n"));
    log_set_level(LOG_LEVEL_DEBUG);
    log_debug("shown %d", 2);
    assert_non_null(strstr(slurp(out_path), " test_log debug: shown 2\n"));
}

static void test_log_errno_variant(void **state)
{
    (void)state;
    errno = ENOENT;
    log_warn("opening %s", "/x");
    assert_non_null(strstr(slurp(err_path),
                           "warn: opening /x: No such file or directory\n"));
    /* errno is preserved for the caller. */
    assert_int_equal(errno, ENOENT);
}

static void test_log_long_message_truncated_not_overflowed(void **state)
{
    char big[3000];
    char *s;

    (void)state;
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    log_info("%s", big);
    s = slurp(out_path);
    assert_true(strlen(s) < 1100);
    assert_int_equal(s[strlen(s) - 1], '\n');
}

/*
 * A message stays one line whatever it quotes: an engine's error message
 * with a newline must not forge a second log line.
 */
static void test_log_control_characters_escaped(void **state)
{
    char *s;

    (void)state;
    log_warnx("engine said: %s", "bad\n2026-11-27T00:00:00.000Z x error: "
                                 "forged\r\t\x1b[31mred\x7f");
    s = slurp(err_path);
    assert_non_null(strstr(s, "engine said: bad\\n2026-11-27T00:00:00.000Z x "
                              "error: forged\\r\\t\\x1b[31mred\\x7f\n"));
    assert_int_equal(strchr(s, '\n') - s, (long)strlen(s) - 1);
}

static void test_log_parse_level(void **state)
{
    enum log_level l;

    (void)state;
    assert_int_equal(log_parse_level("warn", &l), 0);
    assert_int_equal(l, LOG_LEVEL_WARN);
    assert_int_equal(log_parse_level("ERROR", &l), 0);
    assert_int_equal(l, LOG_LEVEL_ERROR);
    assert_int_equal(log_parse_level("trace", &l), -1);
    assert_int_equal(log_parse_level("", &l), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_log_line_format, capture, restore),
        cmocka_unit_test_setup_teardown(test_log_levels_filter_and_streams,
                                        capture, restore),
        cmocka_unit_test_setup_teardown(test_log_errno_variant, capture,
                                        restore),
        cmocka_unit_test_setup_teardown(
            test_log_long_message_truncated_not_overflowed, capture, restore),
        cmocka_unit_test_setup_teardown(test_log_control_characters_escaped,
                                        capture, restore),
        cmocka_unit_test(test_log_parse_level),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
