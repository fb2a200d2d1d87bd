/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_counter.c: the visit counter's promise to its caller: the callback
 * of counter_incr() never runs before counter_incr() returns, and the op
 * it returns is never one the counter has already freed (hello.c keeps
 * it, and cancels it when the request ends). The paths that fail at
 * once are forced: name resolution refused by libuv
 * (-Wl,--wrap=uv_getaddrinfo) and a command refused by hiredis
 * (-Wl,--wrap=redisAsyncCommand). counter.c is included to reach its
 * state. Under ASan a freed op handed back is a heap-use-after-free.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "counter.c"
#include "log.h"

/* uv_getaddrinfo() fails at once while this is set. */
static int gai_fails;
/* redisAsyncCommand() refuses every command while this is set. */
static int command_refused;

int __real_uv_getaddrinfo(uv_loop_t *loop,
                          uv_getaddrinfo_t *req,
                          uv_getaddrinfo_cb cb,
                          const char *node,
                          const char *service,
                          const struct addrinfo *hints);
int __wrap_uv_getaddrinfo(uv_loop_t *loop,
                          uv_getaddrinfo_t *req,
                          uv_getaddrinfo_cb cb,
                          const char *node,
                          const char *service,
                          const struct addrinfo *hints);
int __wrap_redisAsyncCommand(redisAsyncContext *ac,
                             redisCallbackFn *fn,
                             void *privdata,
                             const char *format,
                             ...);

int __wrap_uv_getaddrinfo(uv_loop_t *loop,
                          uv_getaddrinfo_t *req,
                          uv_getaddrinfo_cb cb,
                          const char *node,
                          const char *service,
                          const struct addrinfo *hints)
{
    if (gai_fails)
        return UV_EAI_MEMORY;
    return __real_uv_getaddrinfo(loop, req, cb, node, service, hints);
}

int __wrap_redisAsyncCommand(redisAsyncContext *ac,
                             redisCallbackFn *fn,
                             void *privdata,
                             const char *format,
                             ...)
{
    (void)ac;
    (void)fn;
    (void)privdata;
    (void)format;
    return command_refused ? REDIS_ERR : REDIS_OK;
}

struct fixture {
    uv_loop_t loop;
    struct counter *c;
    int calls; /* callbacks run */
};

static void on_count(void *arg, int ok, long long value)
{
    struct fixture *f = arg;

    (void)ok;
    (void)value;
    f->calls++;
}

/*
 * A counter whose first connection attempt failed at once (so it is
 * down, with a retry timer armed), then put in the state the issue
 * describes: Redis known up, no connection, nothing resolving. Today no
 * event sequence leads there; a refactor could.
 */
static int counter_up_unconnected(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct counter_config cfg = {
        .host = "127.0.0.1", .port = 1, .timeout_ms = 1000, .key = "counter"};

    log_set_level(LOG_LEVEL_ERROR);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    gai_fails = 1;
    command_refused = 0;
    f->c = counter_new(&f->loop, &cfg);
    assert_false(counter_up(f->c));
    assert_false(f->c->resolving);
    assert_null(f->c->ac);
    breaker_ok(&f->c->br, now_ms(), NULL);
    uv_timer_stop(&f->c->retry_timer);
    assert_true(counter_up(f->c));
    *state = f;
    return 0;
}

static int counter_gone(void **state)
{
    struct fixture *f = *state;

    counter_free(f->c);
    assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    gai_fails = 0;
    command_refused = 0;
    free(f);
    return 0;
}

typedef struct counter_op *ask_fn(struct counter *c, counter_cb *cb, void *arg);

/*
 * ask() has to connect, and name resolution fails at once: the request
 * gets "no count" from the return value, not from a callback that ran
 * inside ask() on an op that was then freed and returned. errors is what
 * the failure adds to the stats (a visit that got no count).
 */
static void
expect_no_count_no_callback(struct fixture *f, ask_fn *ask, uint64_t errors)
{
    struct counter_stats st;
    struct counter_op *op;

    op = ask(f->c, on_count, f);
    /* What hello.c does with an op when its request ends early. */
    if (op != NULL)
        counter_cancel(op);
    if (f->calls != 0)
        fail_msg("the callback ran inside the call (%d calls); the op "
                 "returned (%p) was freed by then",
                 f->calls, (void *)op);
    assert_null(op);
    assert_false(counter_up(f->c));
    counter_get_stats(f->c, &st);
    assert_int_equal(st.errors, errors);
    assert_int_equal(st.incr_ok, 0);
    assert_int_equal(st.outages, 2);
    assert_true(TAILQ_EMPTY(&f->c->ops));
}

static void test_counter_incr_resolution_fails_at_once(void **state)
{
    expect_no_count_no_callback(*state, counter_incr, 1);
}

/* The same for counter_next(), which HEAD uses: not a visit. */
static void test_counter_next_resolution_fails_at_once(void **state)
{
    expect_no_count_no_callback(*state, counter_next, 0);
}

/* What INCR would answer, from what GET answered. */
static void test_counter_next_value(void **state)
{
    static const struct {
        const char *str; /* NULL: no such key */
        int ok;
        long long next;
    } cases[] = {
        {NULL, 1, 1},
        {"12344", 1, 12345},
        {"0", 1, 1},
        {"-5", 1, -4},
        {"9223372036854775806", 1, LLONG_MAX},
        {"9223372036854775807", 0, 0},
        {"99999999999999999999", 0, 0},
        {"-9223372036854775808", 1, LLONG_MIN + 1},
        {"-0", 0, 0},
        {"012", 0, 0},
        {"+1", 0, 0},
        {" 1", 0, 0},
        {"1 ", 0, 0},
        {"1.5", 0, 0},
        {"abc", 0, 0},
        {"", 0, 0},
        {"-", 0, 0},
    };
    redisReply reply;
    long long next;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(&reply, 0, sizeof(reply));
        reply.type =
            cases[i].str == NULL ? REDIS_REPLY_NIL : REDIS_REPLY_STRING;
        reply.str = (char *)cases[i].str;
        reply.len = cases[i].str == NULL ? 0 : strlen(cases[i].str);
        next = 0;
        if (counter_next_value(&reply, &next) != cases[i].ok ||
            (cases[i].ok && next != cases[i].next))
            fail_msg("GET answered %s: want ok %d next %lld, got next %lld",
                     cases[i].str != NULL ? cases[i].str : "nil", cases[i].ok,
                     cases[i].next, next);
    }
    memset(&reply, 0, sizeof(reply));
    reply.type = REDIS_REPLY_INTEGER;
    assert_int_equal(counter_next_value(&reply, &next), 0);
}

/*
 * hiredis refuses the command: again "no count" from the return value,
 * no callback, nothing left queued.
 */
static void test_counter_incr_command_refused(void **state)
{
    struct fixture *f = *state;
    struct counter_stats st;
    struct counter_op *op;
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);
    int lfd;

    /* A connection to a listener of ours, never attached to the loop. */
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    assert_int_equal(listen(lfd, 1), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
    f->c->ac = redisAsyncConnect("127.0.0.1", ntohs(sin.sin_port));
    assert_non_null(f->c->ac);
    assert_int_equal(f->c->ac->err, 0);
    f->c->ac->data = f->c;
    command_refused = 1;

    op = counter_incr(f->c, on_count, f);
    assert_int_equal(f->calls, 0);
    assert_null(op);
    assert_null(f->c->ac);
    assert_true(TAILQ_EMPTY(&f->c->ops));
    counter_get_stats(f->c, &st);
    assert_int_equal(st.errors, 1);
    close(lfd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_counter_incr_resolution_fails_at_once, counter_up_unconnected,
            counter_gone),
        cmocka_unit_test_setup_teardown(test_counter_incr_command_refused,
                                        counter_up_unconnected, counter_gone),
        cmocka_unit_test_setup_teardown(
            test_counter_next_resolution_fails_at_once, counter_up_unconnected,
            counter_gone),
        cmocka_unit_test(test_counter_next_value),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
