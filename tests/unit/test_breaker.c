/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_breaker.c: the Redis-failure logic of hello, with a fake clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "breaker.h"

static void test_breaker_starts_allowing(void **state)
{
    struct breaker b;

    (void)state;
    breaker_init(&b);
    assert_int_equal(b.state, BREAKER_STARTING);
    assert_true(breaker_allows(&b));
}

static void test_breaker_first_failure_turns_down_once(void **state)
{
    struct breaker b;

    (void)state;
    breaker_init(&b);
    assert_int_equal(breaker_fail(&b, 1000), 1);
    assert_false(breaker_allows(&b));
    /* Further failures during the outage are not news: no new log line. */
    assert_int_equal(breaker_fail(&b, 1100), 0);
    assert_int_equal(breaker_fail(&b, 1200), 0);
    assert_int_equal(b.failures, 3);
    assert_false(breaker_allows(&b));
}

static void test_breaker_recovery_reported_once_with_duration(void **state)
{
    struct breaker b;
    uint64_t down_ms = 0;

    (void)state;
    breaker_init(&b);
    breaker_fail(&b, 5000);
    assert_int_equal(breaker_ok(&b, 7500, &down_ms), 1);
    assert_int_equal(down_ms, 2500);
    assert_true(breaker_allows(&b));
    /* Successes while up are not news either. */
    assert_int_equal(breaker_ok(&b, 7600, &down_ms), 0);
}

static void test_breaker_first_success_is_not_a_recovery(void **state)
{
    struct breaker b;

    (void)state;
    breaker_init(&b);
    assert_int_equal(breaker_ok(&b, 10, NULL), 0);
    assert_int_equal(b.state, BREAKER_UP);
}

static void test_breaker_retry_backoff_is_bounded(void **state)
{
    struct breaker b;

    (void)state;
    breaker_init(&b);
    breaker_fail(&b, 0);
    assert_int_equal(breaker_next_retry(&b), 100);
    assert_int_equal(breaker_next_retry(&b), 200);
    assert_int_equal(breaker_next_retry(&b), 400);
    /* Capped, so the counter is back within about half a second. */
    assert_int_equal(breaker_next_retry(&b), 500);
    assert_int_equal(breaker_next_retry(&b), 500);
}

static void test_breaker_new_outage_restarts_backoff(void **state)
{
    struct breaker b;

    (void)state;
    breaker_init(&b);
    breaker_fail(&b, 0);
    breaker_next_retry(&b);
    breaker_next_retry(&b);
    breaker_next_retry(&b);
    breaker_ok(&b, 1000, NULL);
    breaker_fail(&b, 2000);
    assert_int_equal(breaker_next_retry(&b), BREAKER_RETRY_MIN_MS);
}

static void test_breaker_clock_going_backwards(void **state)
{
    struct breaker b;
    uint64_t down_ms = 99;

    (void)state;
    breaker_init(&b);
    breaker_fail(&b, 5000);
    assert_int_equal(breaker_ok(&b, 4000, &down_ms), 1);
    assert_int_equal(down_ms, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_breaker_starts_allowing),
        cmocka_unit_test(test_breaker_first_failure_turns_down_once),
        cmocka_unit_test(test_breaker_recovery_reported_once_with_duration),
        cmocka_unit_test(test_breaker_first_success_is_not_a_recovery),
        cmocka_unit_test(test_breaker_retry_backoff_is_bounded),
        cmocka_unit_test(test_breaker_new_outage_restarts_backoff),
        cmocka_unit_test(test_breaker_clock_going_backwards),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
