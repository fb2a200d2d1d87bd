/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_traffic.c: requests per task (visualizer/traffic.c): which address
 * of a task is asked, the rates and shares, the traffic document.
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

#include "traffic.h"

/* A subnet from "a.b.c.d/len" or "x::/len". */
static struct traffic_net net(const char *cidr)
{
    struct traffic_net n;
    struct sockaddr_storage sa;
    socklen_t len;

    memset(&n, 0, sizeof(n));
    assert_int_equal(traffic_parse_addr(cidr, 1, &sa, &len), 0);
    n.family = sa.ss_family;
    if (n.family == AF_INET)
        memcpy(n.addr, &((struct sockaddr_in *)&sa)->sin_addr, 4);
    else
        memcpy(n.addr, &((struct sockaddr_in6 *)&sa)->sin6_addr, 16);
    n.prefix = (unsigned)atoi(strchr(cidr, '/') + 1);
    return n;
}

static int in(const char *addr, const char *cidr)
{
    struct sockaddr_storage sa;
    socklen_t len;
    struct traffic_net n = net(cidr);

    assert_int_equal(traffic_parse_addr(addr, 80, &sa, &len), 0);
    return traffic_in_net(&sa, &n);
}

static void test_traffic_addresses(void **state)
{
    struct sockaddr_storage sa;
    socklen_t len;
    char text[64];

    (void)state;
    assert_int_equal(traffic_parse_addr("10.0.1.5/24", 8080, &sa, &len), 0);
    assert_int_equal(sa.ss_family, AF_INET);
    assert_int_equal(len, sizeof(struct sockaddr_in));
    assert_int_equal(ntohs(((struct sockaddr_in *)&sa)->sin_port), 8080);
    inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, text,
              sizeof(text));
    assert_string_equal(text, "10.0.1.5");
    assert_int_equal(traffic_parse_addr("fd00::5/64", 80, &sa, &len), 0);
    assert_int_equal(sa.ss_family, AF_INET6);
    assert_int_equal(traffic_parse_addr("10.0.1.5", 80, &sa, &len), 0);
    assert_int_equal(traffic_parse_addr("", 80, &sa, &len), -1);
    assert_int_equal(traffic_parse_addr("/24", 80, &sa, &len), -1);
    assert_int_equal(traffic_parse_addr("web", 80, &sa, &len), -1);
    assert_int_equal(traffic_parse_addr("10.0.1.256/24", 80, &sa, &len), -1);
    assert_int_equal(traffic_parse_addr("10.0.1.5", 0, &sa, &len), -1);
    assert_int_equal(traffic_parse_addr("10.0.1.5", 65536, &sa, &len), -1);

    assert_true(in("10.0.1.5", "10.0.1.0/24"));
    assert_false(in("10.0.2.5", "10.0.1.0/24"));
    assert_true(in("10.0.2.5", "10.0.0.0/16"));
    assert_true(in("10.0.1.127", "10.0.1.0/25"));
    assert_false(in("10.0.1.128", "10.0.1.0/25"));
    assert_true(in("192.168.1.1", "0.0.0.0/0"));
    assert_true(in("127.0.3.7", "127.0.0.0/8"));
    assert_true(in("fd00::5", "fd00::/64"));
    assert_false(in("fd01::5", "fd00::/64"));
    assert_false(in("10.0.1.5", "fd00::/64"));
}

static void test_traffic_targets(void **state)
{
    static const char *const a1[] = {"10.0.0.7/24", "10.0.1.7/24"};
    static const char *const a2[] = {"172.18.0.9/16"};
    static const char *const bad[] = {"garbage", "10.0.1.8/24"};
    char longid[TRAFFIC_ID_MAX + 8];
    struct traffic_net nets[] = {net("10.0.1.0/24"), net("127.0.0.0/8")};
    struct traffic_target tg[] = {
        {"task-b", "svc-1", a1, 2, 80},
        {"task-a", "svc-1", a2, 1, 80},
        {"task-c", "svc-2", bad, 2, 9100},
        {"task-b", "svc-1", a1, 2, 80}, /* twice */
        {"task-d", "svc-1", a1, 2, 0},  /* no port */
        {longid, "svc-1", a1, 2, 80},   /* ID too long */
        {NULL, "svc-1", a1, 2, 80},
    };
    struct traffic t;
    struct traffic_task *k;
    char text[64];

    (void)state;
    memset(longid, 'x', sizeof(longid) - 1);
    longid[sizeof(longid) - 1] = '\0';
    traffic_init(&t);
    traffic_set_targets(&t, tg, sizeof(tg) / sizeof(tg[0]), nets, 2);
    assert_int_equal(t.n, 3);
    assert_string_equal(t.tasks[0]->id, "task-a");
    assert_string_equal(t.tasks[2]->id, "task-c");
    /* task-b: the second address is on a shared network, not the first. */
    k = traffic_find(&t, "task-b");
    assert_non_null(k);
    assert_true(k->reachable);
    inet_ntop(AF_INET, &k->addr.in.sin_addr, text, sizeof(text));
    assert_string_equal(text, "10.0.1.7");
    /* task-a: none of its addresses is: it will not be asked. */
    assert_false(traffic_find(&t, "task-a")->reachable);
    k = traffic_find(&t, "task-c");
    assert_true(k->reachable);
    assert_int_equal(ntohs(k->addr.in.sin_port), 9100);
    assert_null(traffic_find(&t, "task-d"));

    /* Answers survive a new target list; a task that left is gone. */
    traffic_answer(traffic_find(&t, "task-b"), 1, 1000, 5);
    traffic_set_targets(&t, tg, 1, nets, 2);
    assert_int_equal(t.n, 1);
    assert_int_equal(traffic_find(&t, "task-b")->ns, 1);
    assert_null(traffic_find(&t, "task-a"));
    traffic_set_targets(&t, NULL, 0, nets, 2);
    assert_int_equal(t.n, 0);
    traffic_free(&t);
}

static void test_traffic_rates(void **state)
{
    struct traffic_task k;
    double r = -1;
    int i;

    (void)state;
    memset(&k, 0, sizeof(k));
    assert_int_equal(traffic_rate(&k, 1000, &r), -1);
    traffic_answer(&k, 1, 1000, 100);
    assert_int_equal(traffic_rate(&k, 1000, &r), -1); /* one answer */
    traffic_answer(&k, 1, 2000, 110);
    assert_int_equal(traffic_rate(&k, 2000, &r), 0);
    assert_true(r > 9.999 && r < 10.001);
    /* Over the last 5 s only: 2 answers of 8 s ago fall out. */
    for (i = 3; i <= 9; i++)
        traffic_answer(&k, 1, (uint64_t)i * 1000, 110 + (i >= 6 ? 300 : 0));
    assert_int_equal(traffic_rate(&k, 9000, &r), 0);
    assert_true(r > 59.999 && r < 60.001); /* 300 in 5 s */
    /* A failure keeps the answers; data goes stale after 3.5 s. */
    traffic_answer(&k, 0, 10000, 0);
    assert_int_equal(k.failures, 1);
    assert_int_equal(traffic_rate(&k, 12500, &r), 0);
    assert_int_equal(traffic_rate(&k, 12501, &r), -1);
    /* A counter that goes down: a restarted process, a new window. */
    traffic_answer(&k, 1, 13000, 3);
    assert_int_equal(k.ns, 1);
    assert_int_equal(traffic_rate(&k, 13000, &r), -1);
    traffic_answer(&k, 1, 14000, 3);
    assert_int_equal(traffic_rate(&k, 14000, &r), 0);
    assert_true(r == 0);
}

static void test_traffic_document(void **state)
{
    static const char *const a[] = {"10.0.1.5/24"};
    static const char *const none[] = {"10.9.9.9/24"};
    struct traffic_net nets[] = {net("10.0.1.0/24")};
    struct traffic_target tg[] = {
        {"t1", "s1", a, 1, 80},
        {"t2", "s1", a, 1, 80},
        {"t3", "s1", none, 1, 80},
        {"t4", "s2", a, 1, 80},
    };
    struct traffic t;
    struct buf b = BUF_INIT;
    size_t off;

    (void)state;
    traffic_init(&t);
    traffic_set_targets(&t, tg, 4, nets, 1);
    traffic_answer(traffic_find(&t, "t1"), 1, 1000, 10);
    traffic_answer(traffic_find(&t, "t1"), 1, 2000, 13);
    traffic_answer(traffic_find(&t, "t2"), 1, 1000, 7);
    traffic_answer(traffic_find(&t, "t2"), 1, 2000, 8);
    traffic_answer(traffic_find(&t, "t4"), 1, 1000, 0);
    traffic_answer(traffic_find(&t, "t4"), 1, 2000, 0);
    assert_int_equal(traffic_json(&t, 2000, "T", &b, &off), 0);
    assert_string_equal(
        b.data, "{\"version\":1,\"at\":\"T\",\"window_s\":5,\"services\":{"
                "\"s1\":{\"rps\":4.00,\"tasks\":3,\"reporting\":2},"
                "\"s2\":{\"rps\":0.00,\"tasks\":1,\"reporting\":1}},\"tasks\":{"
                "\"t1\":{\"rps\":3.00,\"share\":0.750,\"new\":0},"
                "\"t2\":{\"rps\":1.00,\"share\":0.250,\"new\":0},"
                "\"t3\":null,"
                "\"t4\":{\"rps\":0.00,\"share\":null,\"new\":0}}}");
    assert_string_equal(b.data + off, ",\"window_s\":5,\"services\":{"
                                      "\"s1\":{\"rps\":4.00,\"tasks\":3,"
                                      "\"reporting\":2},"
                                      "\"s2\":{\"rps\":0.00,\"tasks\":1,"
                                      "\"reporting\":1}},\"tasks\":{"
                                      "\"t1\":{\"rps\":3.00,\"share\":0.750,"
                                      "\"new\":0},"
                                      "\"t2\":{\"rps\":1.00,\"share\":0.250,"
                                      "\"new\":0},"
                                      "\"t3\":null,"
                                      "\"t4\":{\"rps\":0.00,\"share\":null,"
                                      "\"new\":0}}}");
    /* The next document counts what came since this one. */
    traffic_answer(traffic_find(&t, "t1"), 1, 3000, 20);
    buf_reset(&b);
    assert_int_equal(traffic_json(&t, 3000, "T", &b, &off), 0);
    assert_non_null(
        strstr(b.data, "\"t1\":{\"rps\":5.00,\"share\":0.833,\"new\":7}"));
    /* No answer for 3.5 s: no data, and the service counts it so. */
    buf_reset(&b);
    assert_int_equal(traffic_json(&t, 7000, "T", &b, &off), 0);
    assert_non_null(strstr(b.data, "\"t1\":null"));
    assert_non_null(
        strstr(b.data, "\"s1\":{\"rps\":0.00,\"tasks\":3,\"reporting\":0}"));
    buf_free(&b);
    traffic_free(&t);
}

static void test_traffic_local_nets(void **state)
{
    struct traffic_net nets[TRAFFIC_MAX_NETS];
    struct sockaddr_storage sa;
    socklen_t len;
    int n, i, found = 0;

    (void)state;
    n = traffic_local_nets(nets, TRAFFIC_MAX_NETS);
    assert_true(n >= 1);
    assert_int_equal(traffic_parse_addr("127.0.0.1", 80, &sa, &len), 0);
    for (i = 0; i < n; i++)
        found |= traffic_in_net(&sa, &nets[i]);
    assert_true(found); /* the loopback interface is one of them */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_traffic_addresses),
        cmocka_unit_test(test_traffic_targets),
        cmocka_unit_test(test_traffic_rates),
        cmocka_unit_test(test_traffic_document),
        cmocka_unit_test(test_traffic_local_nets),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
