/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_hello_routes.c: which request reaches which part of hello.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "hello.h"

static void test_hello_routes_known_paths(void **state)
{
    enum hello_route r;

    (void)state;
    assert_int_equal(hello_route("GET", "/", &r), 200);
    assert_int_equal(r, HELLO_ROUTE_PAGE);
    assert_int_equal(hello_route("GET", "/api", &r), 200);
    assert_int_equal(r, HELLO_ROUTE_API);
    assert_int_equal(hello_route("GET", "/healthz", &r), 200);
    assert_int_equal(r, HELLO_ROUTE_HEALTHZ);
    assert_int_equal(hello_route("GET", "/metrics", &r), 200);
    assert_int_equal(r, HELLO_ROUTE_METRICS);
    assert_int_equal(hello_route("HEAD", "/", &r), 200);
    assert_int_equal(r, HELLO_ROUTE_PAGE);
}

static void test_hello_routes_other_methods_405(void **state)
{
    enum hello_route r;

    (void)state;
    assert_int_equal(hello_route("POST", "/", &r), 405);
    assert_int_equal(hello_route("PUT", "/api", &r), 405);
    assert_int_equal(hello_route("DELETE", "/healthz", &r), 405);
    assert_int_equal(hello_route("OPTIONS", "/metrics", &r), 405);
    assert_int_equal(hello_route("get", "/", &r), 405);
    assert_int_equal(hello_route("BREW", "/", &r), 405);
}

static void test_hello_routes_unknown_paths_404(void **state)
{
    enum hello_route r;
    const char *paths[] = {
        "",          "//",           "/index.html",    "/api/",
        "/API",      "/healthz/",    "/../etc/passwd", "/%2e%2e/",
        "/metrics?", "/favicon.ico", "/api/../",       "\xff\xfe",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        assert_int_equal(hello_route("GET", paths[i], &r), 404);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hello_routes_known_paths),
        cmocka_unit_test(test_hello_routes_other_methods_405),
        cmocka_unit_test(test_hello_routes_unknown_paths_404),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
