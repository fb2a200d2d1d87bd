# SPDX-License-Identifier: Apache-2.0
# Tests of hello, the web service (web).
part5_unit_test(breaker hello_core)
part5_unit_test(page hello_core)
part5_unit_test(hello_routes hello_core)
part5_py_test(integration_hello integration/test_hello.py
    LABELS integration TIMEOUT 300)
