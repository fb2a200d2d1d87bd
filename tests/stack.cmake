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
part5_py_test(stack_e2e_two_nodes e2e/test_stack_two_nodes.py
    LABELS e2e FIXTURES docker TIMEOUT 1500)
set_tests_properties(stack_e2e_one_node stack_e2e_two_nodes PROPERTIES
    RESOURCE_LOCK part5_stack_e2e)
part5_py_test(stack_e2e_fresh_debian e2e/test_stack_fresh_debian.py
    LABELS e2e FIXTURES docker TIMEOUT 1500)
set_tests_properties(stack_e2e_fresh_debian PROPERTIES
    RESOURCE_LOCK part5_stack_e2e)
