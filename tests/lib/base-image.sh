#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# base-image.sh [TAG]: makes sure debian:bookworm-slim (or TAG) exists on the
# engine, made offline from Debian's mirror when absent (no registry on the
# test machines, see ../shared/TESTBED.md). The work is done by
# Dockerfiles/base-image.sh, which ./stack uses too.
exec "$(dirname "$0")/../../Dockerfiles/base-image.sh" "$@"
