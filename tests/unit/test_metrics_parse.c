/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_metrics_parse.c: the visualizer's reader of a task's GET /metrics
 * (visualizer/metrics_parse.c), against what hello really writes
 * (web/page.c, linked) and against answers a hostile task could send.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics_parse.h"
#include "page.h"
#include "util.h"

/* Parses s for the page-request counter; returns the status. */
static int parse(const char *s, uint64_t *v)
{
    const char *why = NULL;
    int rc = metrics_parse(s, strlen(s), METRICS_PAGE_REQUESTS, v, &why);

    /* A refusal always says why; a success never does. */
    assert_true(rc == 0 ? why == NULL : why != NULL);
    return rc;
}

static void must_read(const char *s, uint64_t want)
{
    uint64_t v = 12345;

    if (parse(s, &v) != 0)
        fail_msg("refused: %s", s);
    assert_int_equal(v, want);
}

static void must_refuse(const char *s)
{
    uint64_t v = 777;

    if (parse(s, &v) == 0)
        fail_msg("accepted: %s", s);
    assert_int_equal(v, 777); /* untouched */
}

/* The body hello serves, rendered by hello's own code. */
static void test_metrics_parse_hello_answer(void **state)
{
    static const unsigned codes[] = {200, 404};
    static const uint64_t counts[] = {1500, 3};
    struct page_metrics m;
    struct buf b = BUF_INIT;
    uint64_t v = 0;
    const char *why = NULL;

    (void)state;
    memset(&m, 0, sizeof(m));
    m.codes = codes;
    m.counts = counts;
    m.ncodes = 2;
    m.visits_counted = 1400;
    m.page_requests = 1480;
    m.redis_up = 1;
    m.connections = 7;
    m.start_time = 1700000000.25;
    page_render_metrics(&b, &m);
    assert_int_equal(
        metrics_parse(b.data, b.len, METRICS_PAGE_REQUESTS, &v, &why), 0);
    assert_int_equal(v, 1480);
    /* The other counters of the same answer can be read the same way. */
    assert_int_equal(
        metrics_parse(b.data, b.len, "hello_visits_total", &v, &why), 0);
    assert_int_equal(v, 1400);
    /* A labelled counter is refused: the reader wants exactly one value. */
    assert_int_equal(
        metrics_parse(b.data, b.len, "hello_requests_total", &v, &why), -1);
    buf_free(&b);
}

static void test_metrics_parse_minimal_forms(void **state)
{
    (void)state;
    must_read("hello_page_requests_total 5\n", 5);
    must_read("hello_page_requests_total 0\n", 0);
    must_read("hello_page_requests_total{} 7\n", 7);
    must_read("hello_page_requests_total 7 1700000000000\n", 7);
    must_read("hello_page_requests_total 7 -5\n", 7);
    must_read("  hello_page_requests_total\t 8  \n", 8);
    must_read("\n\n# a comment\n#comment\n# HELPER text\n"
              "hello_page_requests_total 9\n\n",
              9);
    must_read("hello_page_requests_total 9007199254740992\n",
              9007199254740992ULL);
}

static void test_metrics_parse_other_lines(void **state)
{
    (void)state;
    must_read("# HELP x_total Text with \\\\ and \\n escapes, \"quotes\".\n"
              "# TYPE x_total counter\n"
              "x_total{a=\"b\\\"c\\\\d\\ne\",z=\"\"} 1.5e3\n"
              "x_total{ a = \"1\" , } -0.25\n"
              "y:z NaN\ny +Inf\ny -Inf\ny .5\ny 5.\ny 1E-3\n"
              "# TYPE hello_page_requests_total counter\n"
              "hello_page_requests_total 3\n"
              "h_bucket{le=\"+Inf\"} 2 123\n"
              "# HELP u \xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3\n",
              3);
}

static void test_metrics_parse_counter_refused(void **state)
{
    (void)state;
    must_refuse("");
    must_refuse("\n");
    must_refuse("other_total 5\n");
    must_refuse("hello_page_requests_total 5"); /* no final newline */
    must_refuse("hello_page_requests_total 5\r\n");
    must_refuse("hello_page_requests_total 5\nhello_page_requests_total 6\n");
    must_refuse("hello_page_requests_total{code=\"200\"} 5\n");
    must_refuse("hello_page_requests_total 5.0\n");
    must_refuse("hello_page_requests_total 1e3\n");
    must_refuse("hello_page_requests_total -1\n");
    must_refuse("hello_page_requests_total +1\n");
    must_refuse("hello_page_requests_total NaN\n");
    must_refuse("hello_page_requests_total +Inf\n");
    must_refuse("hello_page_requests_total 9007199254740993\n");
    must_refuse("hello_page_requests_total 00000000000000001\n");
    must_refuse("hello_page_requests_total 0x10\n");
    must_refuse("hello_page_requests_total5\n");
    must_refuse("hello_page_requests_total 5 x\n");
    must_refuse("hello_page_requests_total 5 1.5\n");
    must_refuse("# TYPE hello_page_requests_total gauge\n"
                "hello_page_requests_total 5\n");
}

static void test_metrics_parse_malformed_answers(void **state)
{
    char big[METRICS_MAX_BODY + 64];
    size_t n;

    (void)state;
    /* A redirect's or an error page's body. */
    must_refuse("<html><body>Moved</body></html>\n"
                "hello_page_requests_total 5\n");
    must_refuse("hello_page_requests_total 5\n{\"json\": true}\n");
    must_refuse("hello_page_requests_total 5\nx{a=\"1\" 2\n");
    must_refuse("hello_page_requests_total 5\nx{a=\"1\"} \n");
    must_refuse("hello_page_requests_total 5\nx{a=\"1\\t\"} 2\n");
    must_refuse("hello_page_requests_total 5\nx{a=1} 2\n");
    must_refuse("hello_page_requests_total 5\nx{1a=\"1\"} 2\n");
    must_refuse("hello_page_requests_total 5\nx{a=\"1\"b=\"2\"} 2\n");
    must_refuse("hello_page_requests_total 5\nx 1.2.3\n");
    must_refuse("hello_page_requests_total 5\nx e5\n");
    must_refuse("hello_page_requests_total 5\nx Infinity\n");
    must_refuse("hello_page_requests_total 5\n1x 2\n");
    must_refuse("hello_page_requests_total 5\n# TYPE x\n");
    must_refuse("hello_page_requests_total 5\n# TYPE x countr\n");
    must_refuse("hello_page_requests_total 5\n# TYPE x counter y\n");
    must_refuse("hello_page_requests_total 5\n# HELP\n");
    must_refuse("hello_page_requests_total 5\n# HELP 1x text\n");
    must_refuse("hello_page_requests_total 5\n# HELP x bad \\t escape\n");
    /* Not text: a NUL, a control character, invalid or overlong UTF-8. */
    {
        static const char nul[] = "hello_page_requests_total 5\nx\0 1\n";
        uint64_t v;
        const char *why;

        assert_int_equal(metrics_parse(nul, sizeof(nul) - 1,
                                       METRICS_PAGE_REQUESTS, &v, &why),
                         -1);
    }
    must_refuse("hello_page_requests_total 5\n# \x1b[31m\n");
    must_refuse("hello_page_requests_total 5\n# \x7f\n");
    must_refuse("hello_page_requests_total 5\n# \xc2\x85\n"); /* C1 */
    must_refuse("hello_page_requests_total 5\n# \xff\n");
    must_refuse("hello_page_requests_total 5\n# \xc0\xaf\n");
    must_refuse("hello_page_requests_total 5\n# \xed\xa0\x80\n");
    must_refuse("hello_page_requests_total 5\n# \xf4\x90\x80\x80\n");
    must_refuse("hello_page_requests_total 5\n# \xe2\x82\n");
    /* Larger than the cap, though well-formed. */
    memset(big, '#', sizeof(big));
    n = (size_t)snprintf(big, 40, "hello_page_requests_total 5\n");
    big[n] = '#';
    big[sizeof(big) - 1] = '\0';
    big[sizeof(big) - 2] = '\n';
    must_refuse(big);
    /* Exactly at the cap, it is read. */
    big[METRICS_MAX_BODY - 1] = '\n';
    big[METRICS_MAX_BODY] = '\0';
    must_read(big, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics_parse_hello_answer),
        cmocka_unit_test(test_metrics_parse_minimal_forms),
        cmocka_unit_test(test_metrics_parse_other_lines),
        cmocka_unit_test(test_metrics_parse_counter_refused),
        cmocka_unit_test(test_metrics_parse_malformed_answers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
