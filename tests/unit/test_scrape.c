/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_scrape.c: the traffic scraper (visualizer/scrape.c) against tasks
 * played by servers on 127.0.0.1 in this process, on the same libuv loop:
 * hello's answer (with a length, chunked, until close), and hostile ones
 * (a redirect, a huge body, huge headers, garbage, a wrong body, silence,
 * a closed port). Each server records every request it gets: the only
 * one ever sent is the fixed GET, and a redirect is never followed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "scrape.h"

enum mode {
    M_LENGTH,   /* hello's answer, Content-Length */
    M_CHUNKED,  /* the same, chunked */
    M_CLOSE,    /* the same, until the connection closes */
    M_REDIRECT, /* 301 to the M_TARGET server */
    M_TARGET,   /* where the redirect points: must see nothing */
    M_HUGE,     /* 200 with a 200 KB body */
    M_HEADERS,  /* 20 KB of headers */
    M_GARBAGE,  /* not HTTP */
    M_HTML,     /* 200 with a page instead of metrics */
    M_SILENT,   /* reads the request, never answers */
    M_MODES
};

static const char *const names[M_MODES] = {
    "t-length", "t-chunked", "t-close",   "t-redirect", "t-target",
    "t-huge",   "t-headers", "t-garbage", "t-html",     "t-silent",
};

/* A test server: one per mode. */
struct server {
    enum mode mode;
    uv_tcp_t tcp;
    int port;
    unsigned requests, open, max_open;
    char last[2048]; /* the last request, whole */
    int bad;         /* a request that was not the fixed GET */
};

struct conn {
    struct server *srv;
    uv_tcp_t tcp;
    char buf[2048];
    size_t len;
    int answered;
};

static struct server servers[M_MODES];
static uv_loop_t loop;
static unsigned rounds, want_rounds;
static unsigned all_open, all_max_open; /* connections, all servers */
static struct scrape *scraper;

static void on_conn_closed(uv_handle_t *h)
{
    struct conn *c = h->data;

    c->srv->open--;
    all_open--;
    free(c);
}

static void on_written(uv_write_t *w, int status)
{
    struct conn *c = w->data;

    (void)status;
    free(w);
    if (c->srv->mode != M_SILENT && !uv_is_closing((uv_handle_t *)&c->tcp))
        uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
}

static void send_text(struct conn *c, const char *text, size_t len)
{
    uv_write_t *w = calloc(1, sizeof(*w) + len);
    uv_buf_t b;

    assert_non_null(w);
    memcpy(w + 1, text, len);
    b = uv_buf_init((char *)(w + 1), (unsigned)len);
    w->data = c;
    assert_int_equal(uv_write(w, (uv_stream_t *)&c->tcp, &b, 1, on_written), 0);
}

/* hello's body, with a counter that goes up by 10 per request. */
static int body(struct server *s, char *out, size_t size)
{
    return snprintf(out, size,
                    "# HELP hello_page_requests_total Page requests.\n"
                    "# TYPE hello_page_requests_total counter\n"
                    "hello_page_requests_total %u\n"
                    "hello_redis_up 1\n",
                    s->requests * 10);
}

static void answer(struct conn *c)
{
    struct server *s = c->srv;
    char b[512], out[24 * 1024];
    int n = body(s, b, sizeof(b)), m = 0;

    switch (s->mode) {
    case M_LENGTH:
        m = snprintf(out, sizeof(out),
                     "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                     "Content-Length: %d\r\n\r\n%s",
                     n, b);
        break;
    case M_CHUNKED:
        m = snprintf(out, sizeof(out),
                     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "%x\r\n%.*s\r\n%x\r\n%s\r\n0\r\n\r\n",
                     10, 10, b, n - 10, b + 10);
        break;
    case M_CLOSE:
        m = snprintf(out, sizeof(out), "HTTP/1.0 200 OK\r\n\r\n%s", b);
        break;
    case M_REDIRECT:
        m = snprintf(out, sizeof(out),
                     "HTTP/1.1 301 Moved Permanently\r\nLocation: "
                     "http://127.0.0.1:%d/metrics\r\nContent-Length: 0\r\n\r\n",
                     servers[M_TARGET].port);
        break;
    case M_HUGE:
        m = snprintf(out, sizeof(out),
                     "HTTP/1.1 200 OK\r\nContent-Length: 204800\r\n\r\n");
        memset(out + m, '#', sizeof(out) - (size_t)m);
        m = (int)sizeof(out);
        break;
    case M_HEADERS:
        m = snprintf(out, sizeof(out), "HTTP/1.1 200 OK\r\n");
        while (m < 20 * 1024)
            m += snprintf(out + m, sizeof(out) - (size_t)m,
                          "X-Filler: %064d\r\n", m);
        m += snprintf(out + m, sizeof(out) - (size_t)m,
                      "Content-Length: %d\r\n\r\n%s", n, b);
        break;
    case M_GARBAGE:
        m = snprintf(out, sizeof(out), "SSH-2.0-OpenSSH_9.2\r\n");
        break;
    case M_HTML:
        m = snprintf(out, sizeof(out),
                     "HTTP/1.1 200 OK\r\nContent-Length: 27\r\n\r\n"
                     "<html><b>hello</b></html>\n\n");
        break;
    default: return; /* M_TARGET, M_SILENT: nothing */
    }
    send_text(c, out, (size_t)m);
}

static void on_alloc(uv_handle_t *h, size_t size, uv_buf_t *b)
{
    struct conn *c = h->data;

    (void)size;
    b->base = c->buf + c->len;
    b->len = sizeof(c->buf) - 1 - c->len;
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
    struct conn *c = st->data;
    char want[256];
    struct sockaddr_in sa;

    (void)b;
    if (n < 0) {
        if (!uv_is_closing((uv_handle_t *)&c->tcp))
            uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
        return;
    }
    c->len += (size_t)n;
    c->buf[c->len] = '\0';
    if (c->answered || strstr(c->buf, "\r\n\r\n") == NULL)
        return;
    c->answered = 1;
    c->srv->requests++;
    snprintf(c->srv->last, sizeof(c->srv->last), "%s", c->buf);
    uv_ip4_addr("127.0.0.1", c->srv->port, &sa);
    scrape_request_text((struct sockaddr *)&sa, want, sizeof(want));
    if (strcmp(c->buf, want) != 0)
        c->srv->bad++;
    answer(c);
}

static void on_connection(uv_stream_t *l, int status)
{
    struct server *s = l->data;
    struct conn *c = calloc(1, sizeof(*c));

    assert_int_equal(status, 0);
    assert_non_null(c);
    c->srv = s;
    uv_tcp_init(&loop, &c->tcp);
    c->tcp.data = c;
    assert_int_equal(uv_accept(l, (uv_stream_t *)&c->tcp), 0);
    if (++s->open > s->max_open)
        s->max_open = s->open;
    if (++all_open > all_max_open)
        all_max_open = all_open;
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

static void start_server(struct server *s, enum mode m)
{
    struct sockaddr_in sa;
    struct sockaddr_storage got;
    int len = sizeof(got);

    memset(s, 0, sizeof(*s));
    s->mode = m;
    uv_tcp_init(&loop, &s->tcp);
    s->tcp.data = s;
    uv_ip4_addr("127.0.0.1", 0, &sa);
    assert_int_equal(uv_tcp_bind(&s->tcp, (struct sockaddr *)&sa, 0), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&s->tcp, 64, on_connection), 0);
    uv_tcp_getsockname(&s->tcp, (struct sockaddr *)&got, &len);
    s->port = ntohs(((struct sockaddr_in *)&got)->sin_port);
}

/* A port where nothing listens: bound, then closed. */
static int closed_port(void)
{
    struct server s;

    start_server(&s, M_TARGET);
    uv_close((uv_handle_t *)&s.tcp, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
    return s.port;
}

static void on_round(void *arg)
{
    (void)arg;
    if (++rounds >= want_rounds)
        uv_stop(&loop);
}

static void on_guard(uv_timer_t *t)
{
    (void)t;
    fail_msg("the rounds did not end within 20 s");
}

/* Runs the loop until n more rounds ended (20 s at most). */
static void run_rounds(unsigned n)
{
    uv_timer_t guard;

    want_rounds = rounds + n;
    uv_timer_init(&loop, &guard);
    uv_timer_start(&guard, on_guard, 20000, 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_close((uv_handle_t *)&guard, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
}

/* What is left open at the end are the servers' connections. */
static void close_walk(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, on_conn_closed);
}

static void test_scrape_answers_and_hostile_tasks(void **state)
{
    static const char *const a[] = {"127.0.0.1/8"};
    struct traffic_target tg[M_MODES + 1];
    struct traffic_net lo = {AF_INET, {127, 0, 0, 0}, 8};
    struct scrape_config cfg = {100, 300, 16};
    struct scrape_stats st;
    struct traffic t;
    double r;
    int m;

    (void)state;
    assert_int_equal(uv_loop_init(&loop), 0);
    for (m = 0; m < M_MODES; m++) {
        start_server(&servers[m], (enum mode)m);
        tg[m] = (struct traffic_target){names[m], "svc", a, 1, servers[m].port};
    }
    tg[M_TARGET].service_id = "other"; /* listed, so only a redirect */
    tg[M_TARGET].port = 0;             /* would reach it: bad port */
    tg[M_MODES] =
        (struct traffic_target){"t-refused", "svc", a, 1, closed_port()};
    traffic_init(&t);
    traffic_set_targets(&t, tg, M_MODES + 1, &lo, 1);
    assert_int_equal(t.n, M_MODES); /* t-target has no port */
    rounds = 0;
    scraper = scrape_new(&loop, &t, &cfg, on_round, NULL);
    scrape_start(scraper);
    run_rounds(4);

    scrape_get_stats(scraper, &st);
    print_message(
        "stats: %llu rounds, %llu requests, %llu answers, %llu "
        "refused, %llu timeouts, %llu unreachable\n",
        (unsigned long long)st.rounds, (unsigned long long)st.requests,
        (unsigned long long)st.answers, (unsigned long long)st.refused,
        (unsigned long long)st.timeouts, (unsigned long long)st.unreachable);
    /* hello's three framings are read; the rate is 10 per round. */
    for (m = M_LENGTH; m <= M_CLOSE; m++) {
        struct traffic_task *k = traffic_find(&t, names[m]);

        assert_true(k->answers >= 3);
        assert_int_equal(k->failures, 0);
        assert_int_equal(traffic_rate(k, uv_now(&loop), &r), 0);
        assert_true(r > 5); /* +10 per round, rounds under 2 s apart */
    }
    /* Every hostile answer is "no data", and costs no more than a try. */
    for (m = M_REDIRECT; m < M_MODES; m++) {
        struct traffic_task *k = traffic_find(&t, names[m]);

        if (m == M_TARGET)
            continue;
        assert_int_equal(k->answers, 0);
        assert_true(k->failures >= 3);
        assert_int_equal(traffic_rate(k, uv_now(&loop), &r), -1);
    }
    assert_int_equal(traffic_find(&t, "t-refused")->answers, 0);
    assert_true(st.timeouts >= 3 && st.unreachable >= 3 && st.refused >= 15);
    /* The only request any task got is the fixed GET; no redirect is
     * followed; each task got one request per round at most. */
    for (m = 0; m < M_MODES; m++) {
        assert_int_equal(servers[m].bad, 0);
        assert_true(servers[m].requests <= st.rounds + 1);
        assert_true(servers[m].max_open <= 1);
    }
    assert_int_equal(servers[M_TARGET].requests, 0);
    assert_non_null(strstr(servers[M_LENGTH].last,
                           "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:"));

    /* Freed with a silent task's request still open: nothing leaks. */
    scrape_free(scraper);
    for (m = 0; m < M_MODES; m++)
        uv_close((uv_handle_t *)&servers[m].tcp, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_walk(&loop, close_walk, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    traffic_free(&t);
}

/* Six silent tasks, two connections at most: never more are open. */
static void test_scrape_concurrency_cap(void **state)
{
    static const char *const a[] = {"127.0.0.1/8"};
    static const char *const ids[] = {"s1", "s2", "s3", "s4", "s5", "s6"};
    struct traffic_target tg[6];
    struct traffic_net lo = {AF_INET, {127, 0, 0, 0}, 8};
    struct scrape_config cfg = {50, 100, 2};
    struct scrape_stats st;
    struct traffic t;
    unsigned i, open_max = 0, total = 0;

    (void)state;
    assert_int_equal(uv_loop_init(&loop), 0);
    for (i = 0; i < 6; i++) {
        start_server(&servers[i], M_SILENT);
        tg[i] = (struct traffic_target){ids[i], "svc", a, 1, servers[i].port};
    }
    traffic_init(&t);
    traffic_set_targets(&t, tg, 6, &lo, 1);
    all_max_open = 0;
    rounds = 0;
    scraper = scrape_new(&loop, &t, &cfg, on_round, NULL);
    scrape_start(scraper);
    run_rounds(2);
    scrape_get_stats(scraper, &st);
    for (i = 0; i < 6; i++) {
        total += servers[i].requests;
        if (servers[i].max_open > open_max)
            open_max = servers[i].max_open;
    }
    /* A round of 6 silent tasks, 2 at a time, takes 3 timeouts (300 ms):
     * the ticks in between are skipped, not piled up. */
    assert_int_equal(st.requests, 12);
    assert_int_equal(st.timeouts, 12);
    assert_true(st.skipped_ticks >= 4);
    assert_int_equal(total, 12);
    assert_true(open_max <= 1);
    assert_int_equal(all_max_open, 2);
    scrape_free(scraper);
    for (i = 0; i < 6; i++)
        uv_close((uv_handle_t *)&servers[i].tcp, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_walk(&loop, close_walk, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    traffic_free(&t);
}

static void test_scrape_request_text(void **state)
{
    struct sockaddr_storage sa;
    socklen_t len;
    char out[256];

    (void)state;
    assert_int_equal(traffic_parse_addr("10.0.1.5/24", 80, &sa, &len), 0);
    assert_true(scrape_request_text((struct sockaddr *)&sa, out, sizeof(out)) >
                0);
    assert_string_equal(out, "GET /metrics HTTP/1.1\r\nHost: 10.0.1.5:80\r\n"
                             "User-Agent: part5-visualizer\r\n"
                             "Accept: text/plain\r\nConnection: close\r\n\r\n");
    assert_int_equal(traffic_parse_addr("fd00::5/64", 9100, &sa, &len), 0);
    assert_true(scrape_request_text((struct sockaddr *)&sa, out, sizeof(out)) >
                0);
    assert_non_null(strstr(out, "\r\nHost: [fd00::5]:9100\r\n"));
    assert_int_equal(scrape_request_text((struct sockaddr *)&sa, out, 20), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scrape_request_text),
        cmocka_unit_test(test_scrape_answers_and_hostile_tasks),
        cmocka_unit_test(test_scrape_concurrency_cap),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
