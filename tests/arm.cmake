# SPDX-License-Identifier: Apache-2.0
# The arm images and the registry route (issue 12). Included by
# tests/CMakeLists.txt.

# Dockerfiles/rootfs.sh reads a program's libraries from its ELF headers
# (so it lays out cross-compiled programs): on this machine's programs, the
# same files as ldd. No engine needed.
part5_py_test(stack_rootfs_closure e2e/test_rootfs.py
    LABELS unit TIMEOUT 120)

# scripts/stack/image-platform.py on archives in each engine's docker save
# layout. No engine needed.
part5_py_test(stack_image_platform e2e/test_image_platform.py
    LABELS unit TIMEOUT 120)

# ./stack build on an arm engine (aarch64, armv7l, armv6l in docker info)
# builds natively with no option: the build ./stack asks for, recorded by
# a docker of the test's first in PATH. No engine needed.
part5_py_test(stack_engine_platform e2e/test_engine_platform.py
    LABELS unit TIMEOUT 120)

# ./stack build --platform linux/arm64,linux/arm/v7 on this engine
# (cross-compiled), the images' metadata, programs and sizes, and the
# images run under qemu (binfmt_misc). Shares the engine's part5/* tags
# with the other ./stack tests, so never at the same time as them.
part5_py_test(stack_e2e_images_arm e2e/test_images_arm.py
    LABELS e2e FIXTURES docker TIMEOUT 1500)
set_tests_properties(stack_e2e_images_arm PROPERTIES
    RESOURCE_LOCK part5_stack_e2e)

# The registry route: the registry image, pushes refused (login, plain
# HTTP), ./stack registry on the manager of a two-node swarm (./stack
# nodes), ./stack up --on myvm1 --registry with manifest lists of
# linux/amd64 and linux/arm64, myvm2 pulling every image, a node that
# cannot pull. Needs the shared engine's part5/* tags, like the others.
part5_py_test(stack_e2e_registry e2e/test_registry.py
    LABELS e2e FIXTURES docker TIMEOUT 1500)
set_tests_properties(stack_e2e_registry PROPERTIES
    RESOURCE_LOCK part5_stack_e2e)
