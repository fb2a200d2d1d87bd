# Tests of the whole stack: images, compose files, ./stack, end-to-end
# deployments on real swarms (issue 5). Included by tests/CMakeLists.txt.

# The compose files against the tutorial, the images and the IPVS-less
# variant the e2e tests deploy. No engine needed.
part5_py_test(stack_compose_files e2e/test_compose_files.py
    LABELS unit TIMEOUT 60)
