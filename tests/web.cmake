# SPDX-License-Identifier: Apache-2.0
# Tests of hello, the web service (web).
part5_unit_test(breaker hello_core)
part5_unit_test(page hello_core)
part5_unit_test(hello_routes hello_core)
# The counter never calls back before counter_incr() returns (includes
# counter.c; the object in hello_core is not linked).
part5_unit_test(counter hello_core)
target_link_options(test_counter PRIVATE -Wl,--wrap=uv_getaddrinfo
    -Wl,--wrap=redisAsyncCommand)
part5_py_test(integration_hello integration/test_hello.py
    LABELS integration TIMEOUT 300)
