# SPDX-License-Identifier: Apache-2.0
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

# Fuzz targets (tests/fuzz/fuzz_<name>.c) for every parser of untrusted
# input that had none. With -DPART5_FUZZ=ON (clang; tests/fuzz/run.sh)
# each is a libFuzzer binary. In every other build the same entry point is
# linked with tests/fuzz/replay.c and replays its seed corpus
# (tests/fuzz/corpus/<name>/, crashes found kept there as regression
# seeds) as the unit test unit_<name>_corpus, under ASan+UBSan in CI.
#
# part5_fuzz_replay(name SOURCES extra.c... LIBS libs...)
function(part5_fuzz_replay name)
    cmake_parse_arguments(F "" "" "SOURCES;LIBS" ${ARGN})
    if(PART5_FUZZ)
        part5_fuzz_target(${name} fuzz/${name}.c ${F_LIBS})
        set(tgt ${name})
    else()
        set(tgt replay_${name})
        add_executable(${tgt} fuzz/${name}.c fuzz/replay.c)
        target_link_libraries(${tgt} PRIVATE ${F_LIBS})
        part5_target(${tgt})
        add_test(NAME unit_${name}_corpus COMMAND ${tgt}
            ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/${name})
        set_tests_properties(unit_${name}_corpus PROPERTIES
            LABELS "unit;fuzz" TIMEOUT 120)
    endif()
    if(F_SOURCES)
        target_sources(${tgt} PRIVATE ${F_SOURCES})
    endif()
endfunction()

# Routing of both servers and CTX_ROOT.
part5_fuzz_replay(fuzz_route LIBS hello_core visualizer_core)
# The environment configuration, every type, and secret files.
part5_fuzz_replay(fuzz_env LIBS part5_common)
# The visualizer's credentials file and password check.
part5_fuzz_replay(fuzz_auth LIBS visualizer_core)
# The engine client's HTTP reply parser (docker_reply.c) and the engine's
# error messages.
part5_fuzz_replay(fuzz_docker_client LIBS visualizer_model PkgConfig::YAJL)
# hello's page: NAME and the host name escaped for HTML and JSON.
part5_fuzz_replay(fuzz_page LIBS hello_core)
# A task's GET /metrics answer, read by the visualizer's traffic scraper.
part5_fuzz_replay(fuzz_metrics_parse LIBS visualizer_model part5_common)
# A whole request through libmicrohttpd and http.c (included) into both
# programs' routing and the visualizer's basic auth.
part5_fuzz_replay(fuzz_http_request LIBS hello_core visualizer_core)

# The engine JSON fuzzer (tests/visualizer.cmake) had no replay in normal
# builds: its seeds run here too.
if(NOT PART5_FUZZ)
    add_executable(replay_fuzz_docker_model fuzz/fuzz_docker_model.c
        fuzz/replay.c)
    target_link_libraries(replay_fuzz_docker_model PRIVATE visualizer_model
        PkgConfig::YAJL)
    part5_target(replay_fuzz_docker_model)
    add_test(NAME unit_fuzz_docker_model_corpus
        COMMAND replay_fuzz_docker_model
            ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/fuzz_docker_model)
    set_tests_properties(unit_fuzz_docker_model_corpus PROPERTIES
        LABELS "unit;fuzz" TIMEOUT 120)
endif()

# SECURITY.md's claims no other test checked: the CSP on every HTML
# response of both programs (error pages included), nosniff, the fixed
# answers of libmicrohttpd, nothing off the whitelist in any response, and
# only the fixed GET requests to the engine (a test double; no engine).
part5_py_test(reliability_security_headers
    reliability/test_security_headers.py
    LABELS "integration;reliability" TIMEOUT 120)

# The visualizer's fixes of issue 11 (items 6, 7, 9): never group 0, the
# refused event streams rate-limited in the log, password hashes made by
# htpasswd -B and mkpasswd. A test double or no engine; needs root.
part5_py_test(reliability_visualizer_hardening
    reliability/test_visualizer_hardening.py
    LABELS "integration;reliability" TIMEOUT 180)
set_tests_properties(reliability_visualizer_hardening PROPERTIES
    SKIP_RETURN_CODE 77)
# In CI (PART5_REQUIRE_ALL=1) every skip is a failure: proved here by
# making each kind of skip happen for real (as user nobody, without a
# docker CLI, a program that ignores SIGTERM). Needs root, as CI has.
part5_py_test(reliability_no_silent_skip reliability/test_no_silent_skip.py
    LABELS reliability TIMEOUT 120)

# The visualizer while the dockerd of a swarm manager restarts (an engine
# in a container of the test's own): the outage on the page within 1 s,
# live again within 5 s of the engine's return, with the engine's tasks.
part5_py_test(reliability_visualizer_swarm_restart
    reliability/test_visualizer_swarm_restart.py
    LABELS "integration;reliability;docker" FIXTURES docker TIMEOUT 300)

# bench/hello's own measuring functions against failing servers (Redis
# down, the wrong key, 500s, pages without a number): none can score.
part5_py_test(reliability_bench_honest reliability/test_bench_honest.py
    LABELS reliability TIMEOUT 120)
