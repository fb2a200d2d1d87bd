# SPDX-License-Identifier: Apache-2.0
# Tests of the whole stack: images, compose files, ./stack, end-to-end
# deployments on real swarms (issue 5). Included by tests/CMakeLists.txt.

# The compose files against the tutorial, the images and the IPVS-less
# variant the e2e tests deploy. No engine needed.
part5_py_test(stack_compose_files e2e/test_compose_files.py
    LABELS unit TIMEOUT 60)

# End to end on a real engine in swarm mode (fixture docker): the images
# are built from the Dockerfiles, the stack deployed and probed from
# inside its network. The two share the engine, so they never run at once.
part5_py_test(stack_e2e_one_node e2e/test_stack_one_node.py
    LABELS e2e FIXTURES docker TIMEOUT 1500)
# Two nodes made by ./stack nodes (myvm1, myvm2: engines in containers),
# the stack on them with ./stack up --nodes, node failure, nodes down. Its
# own deadline (1150 s) and clean-up (at most 300 s) fit in the TIMEOUT.
part5_py_test(stack_e2e_nodes e2e/test_stack_nodes.py
    LABELS e2e FIXTURES docker TIMEOUT 1500)
set_tests_properties(stack_e2e_one_node stack_e2e_nodes PROPERTIES
    RESOURCE_LOCK part5_stack_e2e)
part5_py_test(stack_e2e_fresh_debian e2e/test_stack_fresh_debian.py
    LABELS e2e FIXTURES docker TIMEOUT 1500)
set_tests_properties(stack_e2e_fresh_debian PROPERTIES
    RESOURCE_LOCK part5_stack_e2e)
# A test that passes its own deadline (PART5_DEADLINE, below ctest's
# TIMEOUT) still removes its swarm node, network, container and process.
part5_py_test(stack_e2e_deadline e2e/test_deadline_cleanup.py
    LABELS e2e FIXTURES docker TIMEOUT 300)
# compose/docker-compose.prod.yml deployed once, under keep-alive load: the
# secret, Redis only on the backend network, the counter exact under 64
# clients, rolling updates (service update --image, stack deploy) with no
# failed request and start-first, an unhealthy release rolled back.
part5_py_test(stack_e2e_prod e2e/test_stack_prod.py
    LABELS e2e FIXTURES docker TIMEOUT 900)
set_tests_properties(stack_e2e_prod PROPERTIES RESOURCE_LOCK part5_stack_e2e)

# The visualizer in Chromium on a real two-node swarm (engines in
# containers): one replica's requests, a rolling update, the Unassigned
# lane, a drain (issue 14). After the one-node test, whose image layers
# it finds in the build cache.
part5_py_test(stack_e2e_visualizer_live e2e/test_visualizer_live.py
    LABELS "e2e;browser" FIXTURES "docker;browser_deps" TIMEOUT 900)
set_tests_properties(stack_e2e_visualizer_live PROPERTIES
    RESOURCE_LOCK part5_stack_e2e)
