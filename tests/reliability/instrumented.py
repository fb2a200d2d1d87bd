# SPDX-License-Identifier: Apache-2.0
"""instrumented: whether the programs under test run under valgrind
(TEST_PREFIX) or were built with AddressSanitizer, where resident memory
says nothing about the program: valgrind's shadow memory and ASan's
quarantine of freed blocks (256 MiB by default) grow with every request.
The reliability tests then print RSS figures but do not assert them; the
plain build checks them, and valgrind and ASan check for leaks instead."""

import functools

from part5test import PREFIX, binary


@functools.lru_cache(maxsize=None)
def instrumented(program):
    """"valgrind", "asan" or None for a program of the build tree."""
    if any("valgrind" in p for p in PREFIX):
        return "valgrind"
    with open(binary(program), "rb") as f:
        if b"__asan_init" in f.read():
            return "asan"
    return None


def rss_checked(program):
    """True when RSS figures of program mean something; otherwise prints
    why they are not checked."""
    how = instrumented(program)
    if how is not None:
        print(f"    (RSS not checked: {program} runs under {how}, whose own "
              "memory grows with every request)", flush=True)
    return how is None
