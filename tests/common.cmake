# SPDX-License-Identifier: Apache-2.0
# Tests of the shared library (services/common).
part5_unit_test(log part5_common)
part5_unit_test(env part5_common)
part5_unit_test(util part5_common)
part5_unit_test(http part5_common Threads::Threads)
part5_unit_test(privdrop part5_common)
part5_unit_test(probe part5_common Threads::Threads)
target_link_options(test_probe PRIVATE -Wl,--wrap=poll)
