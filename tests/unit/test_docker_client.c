/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_docker_client.c: the engine client's reply parser
 * (visualizer/docker_reply.c, docker_reply_feed()): framing by
 * Content-Length, by chunked coding and by close, fed in every split, and
 * the replies it must refuse.
 */
/* cmocka.h needs these first; clang-format would sort it before them. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
/* clang-format on */

#include <string.h>

#include "docker_reply.h"
#include "util.h"

/* What the owner received. */
struct sink {
    struct buf body;
    int refuse_after; /* refuse the body after this many bytes, or -1 */
};

static int sink_data(void *arg, const char *data, size_t len)
{
    struct sink *s = arg;

    buf_append(&s->body, data, len);
    if (s->refuse_after >= 0 && s->body.len > (size_t)s->refuse_after)
        return -1;
    return 0;
}

/* A reply as docker_client_get() would set it up, without I/O. */
static void req_init(struct docker_reply *r, struct sink *s)
{
    memset(s, 0, sizeof(*s));
    s->refuse_after = -1;
    buf_init(&s->body);
    docker_reply_init(r, sink_data, s);
}

/*
 * Feeds reply in pieces of step bytes. Returns docker_reply_feed()'s last
 * result; the body lands in s.
 */
static int feed(const char *reply,
                size_t step,
                struct docker_reply *r,
                struct sink *s,
                const char **why)
{
    size_t len = strlen(reply), off, n;
    int rc = 0;

    req_init(r, s);
    *why = NULL;
    for (off = 0; off < len && rc == 0; off += n) {
        n = len - off < step ? len - off : step;
        rc = docker_reply_feed(r, reply + off, n, why);
    }
    return rc;
}

static void req_free(struct docker_reply *r, struct sink *s)
{
    docker_reply_free(r);
    buf_free(&s->body);
}

static void must_parse(const char *reply, long status, const char *body)
{
    struct docker_reply r;
    struct sink s;
    const char *why;
    size_t step;

    for (step = 1; step <= strlen(reply); step++) {
        int rc = feed(reply, step, &r, &s, &why);

        if (rc != 1)
            fail_msg("step %zu: docker_reply_feed returned %d (%s)", step, rc,
                     why ? why : "");
        assert_int_equal(r.status, status);
        if (status == 200) {
            assert_int_equal(s.body.len, strlen(body));
            assert_memory_equal(s.body.data, body, s.body.len);
        } else {
            assert_string_equal(r.errbody, body);
        }
        req_free(&r, &s);
    }
}

static void test_docker_client_length(void **state)
{
    (void)state;
    must_parse("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
               "Content-Length: 7\r\n\r\n[1,2,3]",
               200, "[1,2,3]");
    must_parse("HTTP/1.0 200 OK\r\ncontent-length:2\r\n\r\nOK", 200, "OK");
    must_parse("HTTP/1.1 204 No Content\r\n\r\n", 204, "");
}

static void test_docker_client_chunked(void **state)
{
    (void)state;
    /* As the engine sends JSON: chunks, a last chunk, no trailers. */
    must_parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
               "5\r\n[{\"a\"\r\n"
               "a\r\n:1},{\"b\":2\r\n"
               "2\r\n}]\r\n"
               "0\r\n\r\n",
               200, "[{\"a\":1},{\"b\":2}]");
    /* Extensions, upper-case hex, trailers. */
    must_parse("HTTP/1.1 200 OK\r\nTRANSFER-ENCODING: gzip, chunked\r\n\r\n"
               "1A;name=value\r\nabcdefghijklmnopqrstuvwxyz\r\n"
               "0\r\nX-Trailer: yes\r\n\r\n",
               200, "abcdefghijklmnopqrstuvwxyz");
    /* An error reply keeps its body for the message. */
    must_parse("HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: "
               "chunked\r\n\r\n1b\r\n{\"message\":\"not a manager\"}\r\n"
               "0\r\n\r\n",
               503, "{\"message\":\"not a manager\"}");
}

/* A body framed by the end of the connection reads on until EOF. */
static void test_docker_client_until_close(void **state)
{
    struct docker_reply r;
    struct sink s;
    const char *why;

    (void)state;
    assert_int_equal(
        feed("HTTP/1.1 200 OK\r\n\r\npart one, part two", 3, &r, &s, &why), 0);
    assert_int_equal(r.state, DOCKER_REPLY_BODY_CLOSE);
    assert_int_equal(s.body.len, strlen("part one, part two"));
    req_free(&r, &s);
    /* The event stream: chunks that never end. */
    assert_int_equal(feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                          "\r\n3\r\n{}\n\r\n3\r\n{}\n\r\n",
                          1, &r, &s, &why),
                     0);
    assert_string_equal(s.body.data, "{}\n{}\n");
    req_free(&r, &s);
}

static void must_refuse(const char *reply, const char *reason)
{
    struct docker_reply r;
    struct sink s;
    const char *why;

    assert_int_equal(feed(reply, 7, &r, &s, &why), -1);
    assert_non_null(why);
    if (strstr(why, reason) == NULL)
        fail_msg("\"%s\" refused for \"%s\", expected \"%s\"", reply, why,
                 reason);
    req_free(&r, &s);
}

static void test_docker_client_malformed(void **state)
{
    struct buf big = BUF_INIT;
    struct docker_reply r;
    struct sink s;
    const char *why;
    int i;

    (void)state;
    must_refuse("SSH-2.0-OpenSSH_9.2\r\n\r\n", "not HTTP");
    must_refuse("HTTP/1.1 2000 OK\r\n\r\n", "not HTTP");
    must_refuse("HTTP/1.1 100 Continue\r\n\r\n", "not HTTP");
    must_refuse("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", "not HTTP");
    must_refuse("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "not HTTP");
    must_refuse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                "zz\r\n",
                "chunked");
    must_refuse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                "fffffffffffffffffffffffff\r\n",
                "chunked");
    buf_append_str(&big, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                         "\r\n");
    for (i = 0; i < 300; i++)
        buf_append_str(&big, "1");
    must_refuse(big.data, "too long");
    buf_reset(&big);
    buf_append_str(&big, "HTTP/1.1 200 OK\r\n");
    for (i = 0; i < 2000; i++)
        buf_append_str(&big, "X-Filler: 0123456789\r\n");
    must_refuse(big.data, "too long");
    buf_free(&big);

    /* The owner refuses the body: no reason, the refusal is the owner's. */
    req_init(&r, &s);
    s.refuse_after = 3;
    assert_int_equal(
        docker_reply_feed(&r, "HTTP/1.1 200 OK\r\n\r\n0123456789", 29, &why),
        -1);
    assert_int_equal(r.aborted, 1);
    assert_null(why);
    req_free(&r, &s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_docker_client_length),
        cmocka_unit_test(test_docker_client_chunked),
        cmocka_unit_test(test_docker_client_until_close),
        cmocka_unit_test(test_docker_client_malformed),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
