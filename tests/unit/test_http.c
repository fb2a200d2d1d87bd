/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_http.c: routing, and the shared server on a real socket: answers
 * on the second call keep the connection alive, other methods get 405
 * and close, error pages, suspend/resume, and the drain.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http.h"
#include "log.h"

static const struct http_route routes[] = {
    {"/", HTTP_GET | HTTP_HEAD, 1},
    {"/only-get", HTTP_GET, 2},
    {"/slow", HTTP_GET, 3},
};

static void test_http_route_match(void **state)
{
    int id = -1;

    (void)state;
    assert_int_equal(http_route_match(routes, 3, "GET", "/", &id), 200);
    assert_int_equal(id, 1);
    assert_int_equal(http_route_match(routes, 3, "HEAD", "/", &id), 200);
    assert_int_equal(http_route_match(routes, 3, "HEAD", "/only-get", &id),
                     405);
    assert_int_equal(http_route_match(routes, 3, "POST", "/", &id), 405);
    assert_int_equal(http_route_match(routes, 3, "GET", "/nope", &id), 404);
    assert_int_equal(http_route_match(routes, 3, "GET", "", &id), 404);
    assert_int_equal(http_route_match(routes, 0, "GET", "/", &id), 404);
}

static void test_http_method_bit_and_reason(void **state)
{
    (void)state;
    assert_int_equal(http_method_bit("GET"), HTTP_GET);
    assert_int_equal(http_method_bit("HEAD"), HTTP_HEAD);
    assert_int_equal(http_method_bit("get"), HTTP_OTHER);
    assert_int_equal(http_method_bit("PROPFIND"), HTTP_OTHER);
    assert_string_equal(http_reason(404), "Not Found");
    assert_string_equal(http_reason(599), "Unknown");
}

/* A server on its own loop thread, for the socket tests below. */
struct fixture {
    uv_loop_t loop;
    uv_async_t stop, drain;
    uv_timer_t later;
    struct http_server *srv;
    pthread_t thread;
    struct http_req *parked; /* a suspended /slow request */
    int drained;
};

static void on_later(uv_timer_t *t)
{
    struct fixture *f = t->data;
    struct http_req *req = f->parked;

    f->parked = NULL;
    http_send(req, 200, "text/plain", "late\n", 5, MHD_RESPMEM_PERSISTENT);
    http_resume(req);
}

static enum MHD_Result handler(void *cls, struct http_req *req)
{
    struct fixture *f = cls;
    unsigned status;
    int id = 0;

    status = http_route_match(routes, 3, req->method, req->url, &id);
    if (status != 200)
        return http_send_error(req, status);
    if (id == 3) {
        /* Answer 100 ms later, as hello does when Redis answers. */
        f->parked = req;
        http_suspend(req);
        uv_timer_start(&f->later, on_later, 100, 0);
        return MHD_YES;
    }
    return http_send(req, 200, "text/html; charset=utf-8", "<p>hi</p>", 9,
                     MHD_RESPMEM_PERSISTENT);
}

static void on_drained(void *arg)
{
    struct fixture *f = arg;

    f->drained = 1;
}

static void on_drain(uv_async_t *a)
{
    struct fixture *f = a->data;

    http_server_drain(f->srv, 5000, on_drained, f);
}

static void on_stop(uv_async_t *a)
{
    struct fixture *f = a->data;

    http_server_free(f->srv);
    uv_close((uv_handle_t *)&f->stop, NULL);
    uv_close((uv_handle_t *)&f->drain, NULL);
    uv_close((uv_handle_t *)&f->later, NULL);
}

static void *loop_thread(void *arg)
{
    struct fixture *f = arg;

    uv_run(&f->loop, UV_RUN_DEFAULT);
    return NULL;
}

/* Starts the server on host (NULL: the default, all addresses). */
static int server_up_on(void **state, const char *host)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct http_server_config cfg;
    char err[128];

    log_set_level(LOG_LEVEL_WARN);
    uv_loop_init(&f->loop);
    memset(&cfg, 0, sizeof(cfg));
    cfg.host = host;
    cfg.port = 0;
    cfg.csp = "default-src 'none'";
    cfg.handler = handler;
    cfg.cls = f;
    f->srv = http_server_new(&f->loop, &cfg, err, sizeof(err));
    assert_non_null(f->srv);
    uv_async_init(&f->loop, &f->stop, on_stop);
    uv_async_init(&f->loop, &f->drain, on_drain);
    uv_timer_init(&f->loop, &f->later);
    f->stop.data = f->drain.data = f->later.data = f;
    pthread_create(&f->thread, NULL, loop_thread, f);
    *state = f;
    return 0;
}

static int server_up(void **state)
{
    return server_up_on(state, "127.0.0.1");
}

static int server_up_any(void **state)
{
    return server_up_on(state, NULL);
}

static int server_down(void **state)
{
    struct fixture *f = *state;

    uv_async_send(&f->stop);
    pthread_join(f->thread, NULL);
    uv_loop_close(&f->loop);
    free(f);
    return 0;
}

/*
 * Returns 1 when this machine has the IPv6 loopback (::1). When it has
 * not, says so; under PART5_REQUIRE_ALL=1 that fails the test.
 */
static int have_ipv6_loopback(void)
{
    struct sockaddr_in6 sin6;
    const char *all = getenv("PART5_REQUIRE_ALL");
    int fd = socket(AF_INET6, SOCK_STREAM, 0), ok;

    memset(&sin6, 0, sizeof(sin6));
    sin6.sin6_family = AF_INET6;
    sin6.sin6_addr = in6addr_loopback;
    ok = fd >= 0 && bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == 0;
    if (fd >= 0)
        close(fd);
    if (ok)
        return 1;
    fprintf(stderr, "NOT TESTED: this machine has no IPv6 loopback (::1)\n");
    if (all != NULL && strcmp(all, "1") == 0)
        fail_msg("PART5_REQUIRE_ALL=1: the IPv6 test must run");
    return 0;
}

/* A connection to port on the loopback address of family. */
static int connect_loopback(int family, int port)
{
    struct sockaddr_storage ss;
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    socklen_t len = sizeof(*sin);
    int fd = socket(family, SOCK_STREAM, 0);
    struct timeval tv = {.tv_sec = 5};

    memset(&ss, 0, sizeof(ss));
    if (family == AF_INET6) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        sin6->sin6_addr = in6addr_loopback;
        len = sizeof(*sin6);
    } else {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    }
    assert_int_equal(connect(fd, (struct sockaddr *)&ss, len), 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

static int connect_to(int port)
{
    return connect_loopback(AF_INET, port);
}

/* Sends req on fd and reads one response (headers + Content-Length). */
static void exchange(int fd, const char *req, char *out, size_t cap)
{
    size_t got = 0;
    ssize_t n;
    char *hdr_end, *cl;
    size_t want = (size_t)-1;

    assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
    while (got < cap - 1) {
        n = read(fd, out + got, cap - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
        out[got] = '\0';
        hdr_end = strstr(out, "\r\n\r\n");
        if (hdr_end != NULL && want == (size_t)-1) {
            cl = strcasestr(out, "Content-Length: ");
            want = (size_t)(hdr_end + 4 - out);
            /* A HEAD response has Content-Length but no body. */
            if (cl != NULL && strncmp(req, "HEAD ", 5) != 0)
                want += strtoul(cl + 16, NULL, 10);
        }
        if (got >= want)
            break;
    }
    out[got] = '\0';
}

static void test_http_keep_alive_and_headers(void **state)
{
    struct fixture *f = *state;
    char resp[2048];
    int fd = connect_to(http_port(f->srv));

    exchange(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", resp, sizeof(resp));
    assert_non_null(strstr(resp, "HTTP/1.1 200 OK\r\n"));
    assert_non_null(strstr(resp, "\r\n\r\n<p>hi</p>"));
    assert_non_null(strstr(resp, "Content-Security-Policy: default-src "
                                 "'none'\r\n"));
    assert_non_null(strstr(resp, "X-Content-Type-Options: nosniff\r\n"));
    /* Answered on the second call: the connection stays open. */
    assert_null(strcasestr(resp, "Connection: close"));
    exchange(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", resp, sizeof(resp));
    assert_non_null(strstr(resp, "HTTP/1.1 200 OK\r\n"));
    close(fd);
}

static void test_http_errors(void **state)
{
    struct fixture *f = *state;
    char resp[2048];
    int fd;

    fd = connect_to(http_port(f->srv));
    exchange(fd, "GET /missing HTTP/1.1\r\nHost: x\r\n\r\n", resp,
             sizeof(resp));
    assert_non_null(strstr(resp, "HTTP/1.1 404 Not Found\r\n"));
    assert_non_null(strstr(resp, "\r\n\r\n404 Not Found\n"));
    exchange(fd, "HEAD /only-get HTTP/1.1\r\nHost: x\r\n\r\n", resp,
             sizeof(resp));
    assert_non_null(strstr(resp, "HTTP/1.1 405 Method Not Allowed\r\n"));
    assert_non_null(strstr(resp, "Allow: GET, HEAD\r\n"));
    close(fd);

    /* Other methods are refused before their body is read. */
    fd = connect_to(http_port(f->srv));
    exchange(fd, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
             resp, sizeof(resp));
    assert_non_null(strstr(resp, "HTTP/1.1 405 Method Not Allowed\r\n"));
    assert_non_null(strcasestr(resp, "Connection: close"));
    close(fd);

    /* A request line that is not HTTP. */
    fd = connect_to(http_port(f->srv));
    exchange(fd, "\x01\x02 garbage\r\n\r\n", resp, sizeof(resp));
    assert_non_null(strstr(resp, "HTTP/1.1 400"));
    close(fd);
}

/*
 * An escaped NUL in the path must not cut it: "/%00.html" is not "/"
 * (the NUL would end the C string the handler sees).
 */
static void test_http_nul_in_path(void **state)
{
    struct fixture *f = *state;
    char resp[2048];
    int fd = connect_to(http_port(f->srv));

    exchange(fd, "GET /%00.html HTTP/1.1\r\nHost: x\r\n\r\n", resp,
             sizeof(resp));
    assert_non_null(strstr(resp, "HTTP/1.1 404 Not Found\r\n"));
    exchange(fd, "GET /%00 HTTP/1.1\r\nHost: x\r\n\r\n", resp, sizeof(resp));
    assert_non_null(strstr(resp, "HTTP/1.1 404 Not Found\r\n"));
    /* Other escapes are decoded as before: %2D is "-", %67 "g". */
    exchange(fd, "GET /only%2D%67et HTTP/1.1\r\nHost: x\r\n\r\n", resp,
             sizeof(resp));
    assert_non_null(strstr(resp, "HTTP/1.1 200 OK\r\n"));
    /* Broken escapes stay as they are. */
    exchange(fd, "GET /%zz%4 HTTP/1.1\r\nHost: x\r\n\r\n", resp, sizeof(resp));
    assert_non_null(strstr(resp, "HTTP/1.1 404 Not Found\r\n"));
    close(fd);
}

static void test_http_suspend_resume(void **state)
{
    struct fixture *f = *state;
    char resp[2048];
    int fd = connect_to(http_port(f->srv));

    exchange(fd, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n", resp, sizeof(resp));
    assert_non_null(strstr(resp, "HTTP/1.1 200 OK\r\n"));
    assert_non_null(strstr(resp, "\r\n\r\nlate\n"));
    assert_null(strcasestr(resp, "Connection: close"));
    close(fd);
}

static void test_http_drain_finishes_in_flight(void **state)
{
    struct fixture *f = *state;
    char resp[2048];
    const char *req = "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n";
    int fd = connect_to(http_port(f->srv)), fd2, i;

    /* A request in flight when the drain starts still gets its answer. */
    assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
    usleep(30000);
    uv_async_send(&f->drain);
    exchange(fd, "", resp, sizeof(resp));
    assert_non_null(strstr(resp, "\r\n\r\nlate\n"));
    assert_non_null(strcasestr(resp, "Connection: close"));
    close(fd);
    for (i = 0; i < 100 && !f->drained; i++)
        usleep(10000);
    assert_true(f->drained);

    /* No new connections after the drain. */
    fd2 = socket(AF_INET, SOCK_STREAM, 0);
    {
        struct sockaddr_in sin;

        memset(&sin, 0, sizeof(sin));
        sin.sin_family = AF_INET;
        sin.sin_port = htons((uint16_t)http_port(f->srv));
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_int_not_equal(connect(fd2, (struct sockaddr *)&sin, sizeof(sin)),
                             0);
    }
    close(fd2);
}

/*
 * With no host, the server listens on every address, IPv6 and IPv4: one
 * socket on :: with IPV6_V6ONLY off (IPv4 alone on a host without IPv6).
 */
static void test_http_default_host_is_dual_stack(void **state)
{
    struct fixture *f = *state;
    char resp[2048];
    int fd;

    fd = connect_to(http_port(f->srv));
    exchange(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", resp, sizeof(resp));
    assert_non_null(strstr(resp, "HTTP/1.1 200 OK\r\n"));
    close(fd);
    if (!have_ipv6_loopback())
        skip();
    fd = connect_loopback(AF_INET6, http_port(f->srv));
    exchange(fd, "GET / HTTP/1.1\r\nHost: [::1]\r\n\r\n", resp, sizeof(resp));
    assert_non_null(strstr(resp, "HTTP/1.1 200 OK\r\n"));
    close(fd);
}

/* HOST=:: given by hand is every address too, not IPv6 alone. */
static void test_http_host_v6_any_is_dual_stack(void **state)
{
    void *st = NULL;

    (void)state;
    if (!have_ipv6_loopback())
        skip();
    server_up_on(&st, "::");
    test_http_default_host_is_dual_stack(&st);
    server_down(&st);
}

static void test_http_probe(void **state)
{
    struct fixture *f = *state;
    char err[128];

    assert_int_equal(
        http_probe("127.0.0.1", http_port(f->srv), "/", 2000, err, sizeof(err)),
        200);
    assert_int_equal(http_probe("127.0.0.1", http_port(f->srv), "/x", 2000, err,
                                sizeof(err)),
                     404);
}

static void test_http_probe_nobody_listening(void **state)
{
    char err[128];
    int fd = socket(AF_INET, SOCK_STREAM, 0), port;
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);

    (void)state;
    /* A port that was free a moment ago. */
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&sin, sizeof(sin));
    getsockname(fd, (struct sockaddr *)&sin, &len);
    port = ntohs(sin.sin_port);
    close(fd);
    assert_int_equal(http_probe("127.0.0.1", port, "/", 1000, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "Connection refused"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_route_match),
        cmocka_unit_test(test_http_method_bit_and_reason),
        cmocka_unit_test_setup_teardown(test_http_keep_alive_and_headers,
                                        server_up, server_down),
        cmocka_unit_test_setup_teardown(test_http_errors, server_up,
                                        server_down),
        cmocka_unit_test_setup_teardown(test_http_nul_in_path, server_up,
                                        server_down),
        cmocka_unit_test_setup_teardown(test_http_suspend_resume, server_up,
                                        server_down),
        cmocka_unit_test_setup_teardown(test_http_drain_finishes_in_flight,
                                        server_up, server_down),
        cmocka_unit_test_setup_teardown(test_http_default_host_is_dual_stack,
                                        server_up_any, server_down),
        cmocka_unit_test(test_http_host_v6_any_is_dual_stack),
        cmocka_unit_test_setup_teardown(test_http_probe, server_up,
                                        server_down),
        cmocka_unit_test(test_http_probe_nobody_listening),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
