/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_util.c: the whole-file reader, base_name(), the growable buffer and
 * HTML escaping.
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

#include "util.h"

/* A temporary file holding len bytes of data; returns its path (static). */
static const char *temp_file(const char *data, size_t len)
{
    static char path[64];
    int fd;

    snprintf(path, sizeof(path), "/tmp/part5-test-util-XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
    return path;
}

static void test_util_read_file_into_fits(void **state)
{
    char dst[8];
    const char *p = temp_file("abc\0d", 5);

    (void)state;
    assert_int_equal(read_file_into(p, dst, sizeof(dst)), 5);
    assert_memory_equal(dst, "abc\0d\0", 6);
    /* Seven bytes and the NUL fill eight: still fits. */
    unlink(p);
    p = temp_file("1234567", 7);
    assert_int_equal(read_file_into(p, dst, sizeof(dst)), 7);
    assert_string_equal(dst, "1234567");
    unlink(p);
}

static void test_util_read_file_into_too_big(void **state)
{
    char dst[8];
    const char *p = temp_file("12345678", 8);

    (void)state;
    errno = 0;
    assert_int_equal(read_file_into(p, dst, sizeof(dst)), -1);
    assert_int_equal(errno, EFBIG);
    unlink(p);
}

static void test_util_read_file_errors(void **state)
{
    char dst[8];
    size_t len = 99;

    (void)state;
    assert_int_equal(read_file_into("/nonexistent/x", dst, sizeof(dst)), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(read_file_into("/tmp", dst, sizeof(dst)), -1);
    assert_int_equal(errno, EISDIR);
    assert_null(read_file("/tmp", 100, &len));
    assert_int_equal(errno, EISDIR);
    assert_int_equal(len, 99);
}

static void test_util_read_file_allocates(void **state)
{
    const char *p = temp_file("hello\n", 6);
    size_t len = 0;
    char *s;

    (void)state;
    s = read_file(p, 6, &len);
    assert_non_null(s);
    assert_int_equal(len, 6);
    assert_string_equal(s, "hello\n");
    free(s);
    assert_null(read_file(p, 5, &len));
    assert_int_equal(errno, EFBIG);
    s = read_file(p, 100, NULL);
    assert_non_null(s);
    free(s);
    unlink(p);
}

static void test_util_base_name(void **state)
{
    (void)state;
    assert_string_equal(base_name("/usr/bin/redis-server"), "redis-server");
    assert_string_equal(base_name("redis:7"), "redis:7");
    assert_string_equal(base_name("library/redis"), "redis");
    assert_string_equal(base_name("dir/"), "");
}

static void test_util_buf_appends_and_grows(void **state)
{
    struct buf b = BUF_INIT;
    size_t i, len;
    char *p;

    (void)state;
    for (i = 0; i < 1000; i++)
        buf_append_str(&b, "0123456789");
    assert_int_equal(b.len, 10000);
    assert_int_equal(b.data[b.len], '\0');
    buf_printf(&b, "%d-%s", 42, "x");
    assert_string_equal(b.data + 10000, "42-x");
    p = buf_steal(&b, &len);
    assert_int_equal(len, 10004);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    free(p);
    buf_free(&b);
}

static void test_util_buf_steal_empty(void **state)
{
    struct buf b = BUF_INIT;
    char *p;

    (void)state;
    p = buf_steal(&b, NULL);
    assert_string_equal(p, "");
    free(p);
}

static void expect_html(const char *in, size_t len, const char *want)
{
    struct buf b = BUF_INIT;

    buf_append_html(&b, in, len);
    assert_string_equal(b.data != NULL ? b.data : "", want);
    buf_free(&b);
}

static void test_util_html_escapes_markup(void **state)
{
    (void)state;
    expect_html("<img src=x onerror=alert(1)>", 28,
                "&lt;img src=x onerror=alert(1)&gt;");
    expect_html("a&b\"c'd", 7, "a&amp;b&quot;c&#39;d");
    expect_html("plain", 5, "plain");
    expect_html("", 0, "");
}

static void test_util_html_keeps_valid_utf8(void **state)
{
    (void)state;
    expect_html("Grüße 世界 🐳", strlen("Grüße 世界 🐳"), "Grüße 世界 🐳");
}

static void test_util_html_replaces_invalid_utf8(void **state)
{
    (void)state;
    /* Lone continuation byte, truncated sequence, overlong '<', surrogate. */
    expect_html("a\x80z", 3, "a\xef\xbf\xbdz");
    expect_html("a\xe4\xb8", 3, "a\xef\xbf\xbd\xef\xbf\xbd");
    expect_html("\xc0\xbc", 2, "\xef\xbf\xbd\xef\xbf\xbd");
    expect_html("\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    expect_html("\xf5\x80\x80\x80", 4,
                "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}

static void test_util_html_drops_control_characters(void **state)
{
    (void)state;
    expect_html("a\x01\x1b[31mb\x7f\tc\n", 12, "a[31mb\tc\n");
    expect_html("nul\0byte", 8, "nulbyte");
}

static void test_util_html_escape_string(void **state)
{
    char *s;

    (void)state;
    s = html_escape("<b>");
    assert_string_equal(s, "&lt;b&gt;");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_util_read_file_into_fits),
        cmocka_unit_test(test_util_read_file_into_too_big),
        cmocka_unit_test(test_util_read_file_errors),
        cmocka_unit_test(test_util_read_file_allocates),
        cmocka_unit_test(test_util_base_name),
        cmocka_unit_test(test_util_buf_appends_and_grows),
        cmocka_unit_test(test_util_buf_steal_empty),
        cmocka_unit_test(test_util_html_escapes_markup),
        cmocka_unit_test(test_util_html_keeps_valid_utf8),
        cmocka_unit_test(test_util_html_replaces_invalid_utf8),
        cmocka_unit_test(test_util_html_drops_control_characters),
        cmocka_unit_test(test_util_html_escape_string),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
