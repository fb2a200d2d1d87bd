# SPDX-License-Identifier: Apache-2.0
# Tests of the visualizer server (visualizer). The page's own
# browser test lives with the page (tests/browser/).

# Engine JSON -> model -> JSON, with replies recorded from a real engine.
part5_unit_test(docker_model visualizer_core PkgConfig::YAJL)
# The engine client's reply parser (docker_reply.c, no I/O).
part5_unit_test(docker_client visualizer_model)
# Routes, CTX_ROOT, DOCKER_HOST, credentials, frames.
part5_unit_test(visualizer_route visualizer_core)
# A task's GET /metrics answer: hello's own (web/page.c) and hostile ones.
part5_unit_test(metrics_parse visualizer_model hello_core)
# Requests per task: addresses on shared networks, rates, the document.
part5_unit_test(traffic visualizer_model)
# The scraper against servers on 127.0.0.1 that answer as hello does, or
# as a hostile task would; every request they get is recorded.
part5_unit_test(scrape visualizer_core)

# The fuzzer of the engine JSON parsers (clang, -DPART5_FUZZ=ON). The
# parsers' sources are compiled into the target, not linked from
# visualizer_model: libFuzzer only sees coverage in code built with
# -fsanitize=fuzzer, which part5_fuzz_target() gives the target's sources.
part5_fuzz_target(fuzz_docker_model fuzz/fuzz_docker_model.c part5_common
    PkgConfig::YAJL)
if(TARGET fuzz_docker_model)
    target_sources(fuzz_docker_model PRIVATE
        ${PROJECT_SOURCE_DIR}/visualizer/jscan.c
        ${PROJECT_SOURCE_DIR}/visualizer/docker_arena.c
        ${PROJECT_SOURCE_DIR}/visualizer/docker_fields.c
        ${PROJECT_SOURCE_DIR}/visualizer/docker_errmsg.c
        ${PROJECT_SOURCE_DIR}/visualizer/docker_json.c)
    target_include_directories(fuzz_docker_model PRIVATE
        ${PROJECT_SOURCE_DIR}/visualizer)
    target_compile_definitions(fuzz_docker_model PRIVATE _GNU_SOURCE)
endif()

# Against the real engine in swarm mode, through a recording proxy.
part5_py_test(integration_visualizer integration/test_visualizer.py
    LABELS integration docker FIXTURES docker TIMEOUT 600)
# Against an engine (in a container of its own) that is not in a swarm.
part5_py_test(integration_visualizer_nonswarm
    integration/test_visualizer_nonswarm.py
    LABELS integration docker FIXTURES docker TIMEOUT 900)
