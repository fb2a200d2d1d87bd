/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hostdirs.h: the I/O half of `redis-bootstrap prepare`: makes sure the
 * host paths a stack file's bind mounts need (found by preflight_check()
 * of services/stackfile) exist on this node.
 */
#ifndef PART5_HOSTDIRS_H
#define PART5_HOSTDIRS_H

#include <stdio.h>
#include <sys/types.h>

#include "preflight.h"

struct hostdirs_opts {
    int root_fd;           /* the host's "/" (--host-root), O_PATH */
    const char *root_name; /* shown in messages, NULL for "/" */
    uid_t uid;             /* owner of the Redis data directories */
    gid_t gid;
    int dry_run;
    FILE *out; /* one line per path */
};

/*
 * Makes sure each path exists under the host root: creates missing
 * directories (Redis' with uid:gid and mode 0700, others root's 0755),
 * reports missing files and sockets as errors (added to p). Returns the
 * number of failures.
 */
size_t hostdirs_apply(struct preflight *p, const struct hostdirs_opts *o);

#endif
