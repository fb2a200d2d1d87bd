#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The page's JS and CSS as the server embeds them (cmake/embed.cmake)
are byte for byte what the mock server serves (mock_state_server.minify),
so the page the browser tests load from the mock is the page users get,
and its weight is the weight users download.

usage: test_minify.py PAGE_DIR EMBEDDED_MIN_DIR
"""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mock_state_server import minify  # noqa: E402


def main(page_dir, min_dir):
    bad = 0
    for name in ("app.js", "style.css"):
        with open(os.path.join(page_dir, name), encoding="utf-8") as f:
            src = f.read()
        with open(os.path.join(min_dir, name), encoding="utf-8") as f:
            embedded = f.read()
        ours = minify(src)
        same = ours == embedded
        print(f"{'ok' if same else 'FAIL'}: {name}: {len(src.encode())} "
              f"bytes in the source, {len(embedded.encode())} embedded, "
              f"mock {'the same' if same else 'differs'}")
        bad += not same
        if not same:
            for i, (a, b) in enumerate(zip(ours.split("\n"),
                                           embedded.split("\n"))):
                if a != b:
                    print(f"  line {i + 1}: mock {a!r}\n"
                          f"  line {i + 1}: embedded {b!r}")
                    break
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
