# SPDX-License-Identifier: Apache-2.0
# The visualizer page in headless Chromium (tests/browser/README.md).
# playwright-core drives the system's /usr/bin/chromium; run.sh installs the
# locked playwright-core with `npm ci` when tests/browser/node_modules is
# missing (once, in the browser_deps fixture, so parallel tests never race).

set(PART5_BROWSER_DIR ${CMAKE_CURRENT_SOURCE_DIR}/browser)

add_test(NAME browser_deps COMMAND sh ${PART5_BROWSER_DIR}/run.sh --deps)
set_tests_properties(browser_deps PROPERTIES LABELS browser TIMEOUT 300
    FIXTURES_SETUP browser_deps)

# The page as embedded in the binary (comment lines and indentation
# removed by cmake/embed.cmake) is byte for byte what the mock serves.
if(TARGET visualizer)
    add_test(NAME unit_page_minify COMMAND ${Python3_EXECUTABLE}
        ${PART5_BROWSER_DIR}/test_minify.py
        ${PROJECT_SOURCE_DIR}/visualizer/page
        ${PROJECT_BINARY_DIR}/visualizer/min)
    set_tests_properties(unit_page_minify PROPERTIES LABELS unit TIMEOUT 30
        ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
endif()

# Against the mock server (tests/browser/mock_state_server.py): every
# scenario, with canned models (2 and 50 nodes, 50 x 100 tasks, drained
# node, failed tasks, not a swarm, hostile strings, engine and stream lost).
add_test(NAME browser_visualizer_page_mock
    COMMAND sh ${PART5_BROWSER_DIR}/run.sh visualizer_page_test.js)
set_tests_properties(browser_visualizer_page_mock PROPERTIES LABELS browser
    TIMEOUT 300 FIXTURES_REQUIRED browser_deps
    ENVIRONMENT "PYTHON=${Python3_EXECUTABLE};PYTHONDONTWRITEBYTECODE=1")

# The harness itself: a server under test that exits non-zero, is killed
# or prints a sanitizer report fails the page test (stand-in programs).
add_test(NAME browser_harness_selftest
    COMMAND sh ${PART5_BROWSER_DIR}/run.sh harness_selftest.js)
set_tests_properties(browser_harness_selftest PROPERTIES LABELS browser
    TIMEOUT 120 FIXTURES_REQUIRED browser_deps)

# Against the real server, once it is built: the page matches its
# api/state on the shared Docker engine, with its CSP and page weight, and
# the indicator follows a restart of the server.
if(TARGET visualizer)
    add_test(NAME browser_visualizer_page_real
        COMMAND sh ${PART5_BROWSER_DIR}/run.sh visualizer_page_test.js)
    set_tests_properties(browser_visualizer_page_real PROPERTIES
        LABELS "browser;docker" TIMEOUT 300
        FIXTURES_REQUIRED "browser_deps;docker"
        ENVIRONMENT "VISUALIZER_BIN=$<TARGET_FILE:visualizer>")
endif()
