# Reliability: faults, slow clients and hostile input (issue 6).
part5_py_test(reliability_hello reliability/test_hello_faults.py
    LABELS "integration;reliability" TIMEOUT 300)
# The visualizer: 1,000 idle connections, the connection limit, a burst of
# event streams, hostile requests, a test-double engine that misbehaves
# (slow, truncated, 500, non-JSON, cut, endless) and a real dockerd (in a
# container of the test's own) stopped for 10 s.
part5_py_test(reliability_visualizer reliability/test_visualizer_faults.py
    LABELS "integration;reliability;docker" FIXTURES docker TIMEOUT 600)
# redis-bootstrap (as root, skipped otherwise): a full, a read-only, a
# file as data directory, no redis user; never a redis-server as root.
part5_py_test(reliability_redis_bootstrap
    reliability/test_redis_bootstrap_faults.py
    LABELS "integration;reliability" TIMEOUT 120)
set_tests_properties(reliability_redis_bootstrap PROPERTIES
    SKIP_RETURN_CODE 77)
# hello after three slow-client attacks: memory and descriptors back.
part5_py_test(reliability_hello_idle_memory
    reliability/test_hello_idle_memory.py
    LABELS "integration;reliability" TIMEOUT 120)
