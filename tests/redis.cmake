# SPDX-License-Identifier: Apache-2.0
# Tests of redis-bootstrap (services/redis): the compose reader, the
# checks of `prepare` and what it prints, the entrypoint's argument rules,
# data directory handling and record for `check` (unit); the real program
# against a real redis-server (integration, as root); and the compose
# reader's fuzz target.

part5_unit_test(compose redis_bootstrap_core)
part5_unit_test(compose_checks redis_bootstrap_core)
part5_unit_test(prepare redis_bootstrap_core)
part5_unit_test(redis_args redis_bootstrap_core)
part5_unit_test(in_root redis_bootstrap_core)
part5_unit_test(redis_datadir redis_bootstrap_core)
# Its mkdirat() shim wins the chmod/chown race of issue 11 on demand.
target_link_options(test_redis_datadir PRIVATE -Wl,--wrap=mkdirat)
part5_unit_test(redis_target redis_bootstrap_core)

part5_py_test(integration_redis_bootstrap integration/test_redis_bootstrap.py
    LABELS integration TIMEOUT 300)

# The LD_PRELOAD shim that wins prepare's and the entrypoint's mkdirat race
# for the integration test (integration/race_mkdirat.c). Not sanitized:
# it is loaded into programs that may or may not be.
add_library(race_mkdirat MODULE integration/race_mkdirat.c)
set_target_properties(race_mkdirat PROPERTIES PREFIX "" LIBRARY_OUTPUT_DIRECTORY
    ${CMAKE_CURRENT_BINARY_DIR})
target_link_libraries(race_mkdirat PRIVATE ${CMAKE_DL_LIBS})
part5_warnings(race_mkdirat)

# The fuzz target. With -DPART5_FUZZ=ON (clang) it is a libFuzzer binary,
# run for a bounded time by fuzz/run.sh. In every other build the same
# entry point is linked with a small driver that replays the seed corpus,
# so each CI run (ASan+UBSan included) checks that no seed crashes.
if(PART5_FUZZ)
    part5_fuzz_target(fuzz_compose fuzz/fuzz_compose.c redis_bootstrap_core)
else()
    add_executable(replay_fuzz_compose fuzz/fuzz_compose.c fuzz/replay.c)
    target_link_libraries(replay_fuzz_compose PRIVATE redis_bootstrap_core)
    part5_target(replay_fuzz_compose)
    add_test(NAME unit_fuzz_compose_corpus
        COMMAND replay_fuzz_compose
            ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/fuzz_compose
            ${CMAKE_CURRENT_SOURCE_DIR}/fixtures/compose)
    set_tests_properties(unit_fuzz_compose_corpus PROPERTIES LABELS unit
        TIMEOUT 120)
endif()

# Not root: the integration test exits 77, reported by ctest as skipped.
set_tests_properties(integration_redis_bootstrap PROPERTIES
    SKIP_RETURN_CODE 77)

# The redis image itself on this machine's engine (fixture docker): built
# from Dockerfiles/redis.Dockerfile, healthy however Redis is started,
# its health check not root, redis-cli and the official image's
# conventions, data kept across docker stop/start. Its own waits (build
# 600 s, each container 60 s) end well before the TIMEOUT.
part5_py_test(redis_image_e2e e2e/test_redis_image.py
    LABELS e2e FIXTURES docker TIMEOUT 900)
