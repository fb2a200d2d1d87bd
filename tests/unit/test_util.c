/*
 * test_util.c: the growable buffer and HTML escaping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "util.h"

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
