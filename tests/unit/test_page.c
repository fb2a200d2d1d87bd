/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_page.c: hello's page, /api JSON and /metrics, byte for byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <string.h>

#include "page.h"

static void test_page_html_with_count(void **state)
{
    struct page p;
    char out[1024];
    size_t len;

    (void)state;
    page_init(&p, "World", "4a3c1e9f0b2d");
    len = page_render_html(&p, 1, 42, out, sizeof(out));
    assert_string_equal(out, "<h3>Hello World!</h3><b>Hostname:</b> "
                             "4a3c1e9f0b2d<br/><b>Visits:</b> 42");
    assert_int_equal(len, strlen(out));
    page_free(&p);
}

static void test_page_html_redis_down(void **state)
{
    struct page p;
    char out[1024];

    (void)state;
    page_init(&p, "World", "web1");
    assert_true(page_render_html(&p, 0, 0, out, sizeof(out)) > 0);
    assert_string_equal(out, "<h3>Hello World!</h3><b>Hostname:</b> web1"
                             "<br/><b>Visits:</b> <i>cannot connect to "
                             "Redis, counter disabled</i>");
    page_free(&p);
}

static void test_page_html_escapes_name_and_host(void **state)
{
    struct page p;
    char out[1024];

    (void)state;
    page_init(&p, "<script>alert('x')</script> & \"friends\"", "h<b>");
    page_render_html(&p, 1, 1, out, sizeof(out));
    assert_string_equal(out,
                        "<h3>Hello &lt;script&gt;alert(&#39;x&#39;)&lt;/"
                        "script&gt; &amp; &quot;friends&quot;!</h3>"
                        "<b>Hostname:</b> h&lt;b&gt;<br/><b>Visits:</b> 1");
    assert_null(strstr(out, "<script"));
    page_free(&p);
}

static void test_page_html_too_small_buffer(void **state)
{
    struct page p;
    char out[16];

    (void)state;
    page_init(&p, "World", "web1");
    assert_int_equal(page_render_html(&p, 1, 1, out, sizeof(out)), 0);
    page_free(&p);
}

static void test_page_html_large_count(void **state)
{
    struct page p;
    char out[256];

    (void)state;
    page_init(&p, "World", "h");
    page_render_html(&p, 1, 9223372036854775807LL, out, sizeof(out));
    assert_non_null(strstr(out, "<b>Visits:</b> 9223372036854775807"));
    page_free(&p);
}

static void test_page_json_up(void **state)
{
    struct page p;
    char out[512];

    (void)state;
    page_init(&p, "World", "web1");
    page_render_json(&p, 1, 7, out, sizeof(out));
    assert_string_equal(out, "{\"name\":\"World\",\"hostname\":\"web1\","
                             "\"visits\":7,\"redis\":\"up\"}\n");
    page_free(&p);
}

static void test_page_json_down_and_escaping(void **state)
{
    struct page p;
    char out[512];

    (void)state;
    page_init(&p, "a\"b\\c\td</script>", "web1");
    page_render_json(&p, 0, 0, out, sizeof(out));
    /* yajl escapes quotes, backslashes, control characters and "/". */
    assert_string_equal(out, "{\"name\":\"a\\\"b\\\\c\\td<\\/script>\","
                             "\"hostname\":\"web1\",\"visits\":null,"
                             "\"redis\":\"down\"}\n");
    page_free(&p);
}

static void test_page_json_invalid_utf8_name(void **state)
{
    struct page p;
    char out[512];

    (void)state;
    page_init(&p, "bad\xff\xfe", "web1");
    page_render_json(&p, 1, 1, out, sizeof(out));
    /* Never invalid JSON: a name that is not UTF-8 becomes "". */
    assert_non_null(strstr(out, "\"name\":\"\""));
    page_free(&p);
}

static void test_page_metrics(void **state)
{
    static const unsigned codes[] = {200, 404};
    static const uint64_t counts[] = {10, 2};
    struct page_metrics m;
    struct buf b = BUF_INIT;

    (void)state;
    memset(&m, 0, sizeof(m));
    m.codes = codes;
    m.counts = counts;
    m.ncodes = 2;
    m.redis_errors = 3;
    m.redis_outages = 1;
    m.visits_counted = 9;
    m.page_requests = 12;
    m.redis_up = 0;
    m.connections = 4;
    m.start_time = 1700000000.5;
    page_render_metrics(&b, &m);
    assert_non_null(strstr(b.data, "hello_requests_total{code=\"200\"} 10\n"));
    assert_non_null(strstr(b.data, "hello_requests_total{code=\"404\"} 2\n"));
    assert_non_null(strstr(b.data, "\nhello_redis_up 0\n"));
    assert_non_null(strstr(b.data, "\nhello_redis_errors_total 3\n"));
    assert_non_null(strstr(b.data, "\nhello_redis_outages_total 1\n"));
    assert_non_null(strstr(b.data, "\nhello_visits_total 9\n"));
    assert_non_null(strstr(b.data, "\nhello_page_requests_total 12\n"));
    assert_non_null(strstr(b.data, "# TYPE hello_requests_total counter\n"));
    assert_non_null(
        strstr(b.data, "process_start_time_seconds 1700000000.500\n"));
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_page_html_with_count),
        cmocka_unit_test(test_page_html_redis_down),
        cmocka_unit_test(test_page_html_escapes_name_and_host),
        cmocka_unit_test(test_page_html_too_small_buffer),
        cmocka_unit_test(test_page_html_large_count),
        cmocka_unit_test(test_page_json_up),
        cmocka_unit_test(test_page_json_down_and_escaping),
        cmocka_unit_test(test_page_json_invalid_utf8_name),
        cmocka_unit_test(test_page_metrics),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
