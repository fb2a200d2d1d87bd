/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_probe.c: the --healthcheck client (services/common/probe.c) against
 * a server on a real socket that answers what each test tells it to: the
 * request it sends, the status lines it accepts and refuses, and its
 * errors. poll() is wrapped (-Wl,--wrap=poll) so a test can make it fail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http.h"

/*
 * When poll_fail_errno is set, the poll() after poll_fail_after more real
 * ones fails with it, once.
 */
static int poll_fail_errno, poll_fail_after;

int __real_poll(struct pollfd *fds, nfds_t nfds, int timeout);
int __wrap_poll(struct pollfd *fds, nfds_t nfds, int timeout);

int __wrap_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
    if (poll_fail_errno != 0 && poll_fail_after-- == 0) {
        errno = poll_fail_errno;
        poll_fail_errno = 0;
        return -1;
    }
    return __real_poll(fds, nfds, timeout);
}

/*
 * A one-connection server: accepts, reads the request up to its blank
 * line (at most 2 s), answers reply and closes.
 */
struct fake {
    int lfd, port;
    const char *reply;
    char request[4096];
    size_t request_len;
    pthread_t thread;
};

static void *fake_serve(void *arg)
{
    struct fake *f = arg;
    struct timeval tv = {.tv_sec = 2};
    ssize_t n;
    int fd;

    fd = accept(f->lfd, NULL, NULL);
    if (fd < 0)
        return NULL;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    while (f->request_len < sizeof(f->request) - 1) {
        n = read(fd, f->request + f->request_len,
                 sizeof(f->request) - 1 - f->request_len);
        if (n <= 0)
            break;
        f->request_len += (size_t)n;
        f->request[f->request_len] = '\0';
        if (strstr(f->request, "\r\n\r\n") != NULL)
            break;
    }
    /* The client may be gone already: no SIGPIPE, and no matter. */
    (void)send(fd, f->reply, strlen(f->reply), MSG_NOSIGNAL);
    close(fd);
    return NULL;
}

static void fake_start(struct fake *f, const char *reply)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);

    memset(f, 0, sizeof(*f));
    f->reply = reply;
    f->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(f->lfd >= 0);
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(f->lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    assert_int_equal(listen(f->lfd, 4), 0);
    assert_int_equal(getsockname(f->lfd, (struct sockaddr *)&sin, &len), 0);
    f->port = ntohs(sin.sin_port);
    assert_int_equal(pthread_create(&f->thread, NULL, fake_serve, f), 0);
}

/* Ends the server thread (waking its accept() if nobody came). */
static void fake_stop(struct fake *f)
{
    shutdown(f->lfd, SHUT_RDWR);
    pthread_join(f->thread, NULL);
    close(f->lfd);
}

/*
 * The longest request the programs can make: HOST at its limit of 253
 * bytes (a numeric address: 240 zeros and 0177.0.0.1 is 127.0.0.1 to
 * inet_aton) and a path of CTX_ROOT at its limit of 200 bytes plus
 * "healthz". The request is sent whole and intact.
 */
static void test_probe_longest_host_and_path(void **state)
{
    char host[254], path[256], want[1024], err[128];
    struct fake f;
    int status;

    (void)state;
    memset(host, '0', 243);
    strcpy(host + 243, "0177.0.0.1");
    assert_int_equal(strlen(host), 253);
    path[0] = '/';
    memset(path + 1, 'r', 199);
    strcpy(path + 200, "/healthz");
    fake_start(&f, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    status = http_probe(host, f.port, path, 1000, err, sizeof(err));
    fake_stop(&f);
    snprintf(want, sizeof(want),
             "GET %s HTTP/1.1\r\nHost: %s:%d\r\n"
             "User-Agent: healthcheck\r\nConnection: close\r\n\r\n",
             path, host, f.port);
    assert_int_equal(status, 200);
    assert_int_equal(f.request_len, strlen(want));
    assert_string_equal(f.request, want);
}

/* A request that does not fit is refused before anything is sent. */
static void test_probe_request_too_long(void **state)
{
    char path[2048], err[128];

    (void)state;
    path[0] = '/';
    memset(path + 1, 'p', sizeof(path) - 2);
    path[sizeof(path) - 1] = '\0';
    memset(err, 'X', sizeof(err));
    assert_int_equal(http_probe("127.0.0.1", 1, path, 1000, err, sizeof(err)),
                     -1);
    assert_non_null(memchr(err, '\0', sizeof(err)));
    assert_non_null(strstr(err, "too long"));
}

/* An IPv6 address is written in brackets in the Host header. */
static void test_probe_ipv6_host_header(void **state)
{
    char err[128];
    struct fake f;
    struct sockaddr_in6 sin6;
    socklen_t len = sizeof(sin6);

    (void)state;
    memset(&f, 0, sizeof(f));
    f.reply = "HTTP/1.1 200 OK\r\n\r\n";
    f.lfd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    memset(&sin6, 0, sizeof(sin6));
    sin6.sin6_family = AF_INET6;
    sin6.sin6_addr = in6addr_loopback;
    if (f.lfd < 0 || bind(f.lfd, (struct sockaddr *)&sin6, sizeof(sin6)) != 0) {
        fprintf(stderr, "no IPv6 loopback (::1) on this machine: %s\n",
                strerror(errno));
        if (getenv("PART5_REQUIRE_ALL") != NULL &&
            strcmp(getenv("PART5_REQUIRE_ALL"), "1") == 0)
            fail_msg("PART5_REQUIRE_ALL=1 and no IPv6 loopback");
        if (f.lfd >= 0)
            close(f.lfd);
        skip();
    }
    assert_int_equal(listen(f.lfd, 4), 0);
    getsockname(f.lfd, (struct sockaddr *)&sin6, &len);
    f.port = ntohs(sin6.sin6_port);
    assert_int_equal(pthread_create(&f.thread, NULL, fake_serve, &f), 0);
    assert_int_equal(
        http_probe("::1", f.port, "/healthz", 1000, err, sizeof(err)), 200);
    fake_stop(&f);
    assert_non_null(strstr(f.request, "\r\nHost: [::1]:"));
}

/*
 * Only a status line "HTTP/1.x NNN" with three digits, 100 to 599, is a
 * status; anything else is -1 with a message, never a negative status
 * without one.
 */
static void test_probe_status_lines(void **state)
{
    static const struct {
        const char *reply;
        int status;
    } cases[] = {
        {"HTTP/1.1 200 OK\r\n\r\n", 200},
        {"HTTP/1.0 404 Not Found\r\n\r\n", 404},
        {"HTTP/1.1 503\r\n\r\n", 503},
        {"HTTP/1.1 -1 Broken\r\n\r\n", -1},
        {"HTTP/1.1 -12 Broken\r\n\r\n", -1},
        {"HTTP/1.1 +20 Broken\r\n\r\n", -1},
        {"HTTP/1.1 2000 OK\r\n\r\n", -1},
        {"HTTP/1.1 20 OK\r\n\r\n", -1},
        {"HTTP/1.1 099 Low\r\n\r\n", -1},
        {"HTTP/1.1 600 High\r\n\r\n", -1},
        {"HTTP/1.1 2x0 OK\r\n\r\n", -1},
        {"HTTP/1.1  200 OK\r\n\r\n", -1},
        {"SSH-2.0-OpenSSH_9.2\r\n", -1},
        {"", -1},
    };
    char err[128];
    struct fake f;
    size_t i;
    int status;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fake_start(&f, cases[i].reply);
        memset(err, 'X', sizeof(err));
        status =
            http_probe("127.0.0.1", f.port, "/healthz", 1000, err, sizeof(err));
        fake_stop(&f);
        if (status != cases[i].status)
            fail_msg("reply %d %.20s: status %d, want %d", (int)i,
                     cases[i].reply, status, cases[i].status);
        if (status < 0) {
            /* The caller prints err: it must be a message. */
            assert_non_null(memchr(err, '\0', sizeof(err)));
            assert_non_null(strstr(err, "did not answer HTTP"));
        }
    }
}

/*
 * poll() failing at each of its waits, in turn: the connection, the send
 * and the answer. The message carries poll's error, never an
 * uninitialised socket error.
 */
static void test_probe_poll_fails(void **state)
{
    static const int errs[] = {ENOMEM, EINVAL, EFAULT};
    char err[128];
    struct fake f;
    int i;

    (void)state;
    for (i = 0; i < 3; i++) {
        fake_start(&f, "HTTP/1.1 200 OK\r\n\r\n");
        memset(err, 'X', sizeof(err));
        poll_fail_errno = errs[i];
        poll_fail_after = i;
        assert_int_equal(
            http_probe("127.0.0.1", f.port, "/healthz", 1000, err, sizeof(err)),
            -1);
        poll_fail_errno = 0;
        fake_stop(&f);
        assert_non_null(memchr(err, '\0', sizeof(err)));
        if (strstr(err, strerror(errs[i])) == NULL)
            fail_msg("wait %d: want poll's error (%s) in \"%s\"", i,
                     strerror(errs[i]), err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe_longest_host_and_path),
        cmocka_unit_test(test_probe_request_too_long),
        cmocka_unit_test(test_probe_ipv6_host_header),
        cmocka_unit_test(test_probe_status_lines),
        cmocka_unit_test(test_probe_poll_fails),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
