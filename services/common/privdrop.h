/* SPDX-License-Identifier: Apache-2.0 */
/*
 * privdrop.h: giving up root for good: redis-bootstrap before it execs
 * Redis, the visualizer once it knows the Docker socket's group.
 *
 * Done with raw prctl(2), setgroups(2), setresgid(2), setresuid(2) and
 * capset(2) rather than libcap: a few system calls (one prctl per
 * capability to empty the bounding set), and the image stays free of one
 * more shared library.
 */
#ifndef PART5_PRIVDROP_H
#define PART5_PRIVDROP_H

#include <stddef.h>

#include <sys/types.h>

/* What privdrop_to() could not do without failing, for the log. */
struct privdrop_report {
    int bounding_kept; /* no CAP_SETPCAP: the bounding set was left as is */
};

/*
 * Switches the process to uid:gid for good: no-new-privileges set, the
 * capability bounding set emptied (when CAP_SETPCAP allows), supplementary
 * groups cleared, real/effective/saved IDs set, then every capability set
 * (permitted, effective, inheritable, ambient) emptied. Verifies the result,
 * including that root cannot be regained. Returns 0, or -1 with a message
 * in err; the process must not go on to run Redis after a failure.
 */
int privdrop_to(uid_t uid,
                gid_t gid,
                struct privdrop_report *rep,
                char *err,
                size_t errlen);

/*
 * Looks name up in the passwd file at path (normally "/etc/passwd") with
 * fgetpwent(3), not getpwnam(3): no NSS module is loaded, so a long-running
 * server does not keep libnss_systemd and its libraries mapped for its
 * whole life (about 0.8 MiB of RSS on a Debian host; an image has only the
 * file anyway). Returns 0 with *uid and *gid, or -1 when there is no such
 * user or the file cannot be read.
 */
int privdrop_passwd_user(const char *path,
                         const char *name,
                         uid_t *uid,
                         gid_t *gid);

/*
 * The part that needs no privilege, for a start as non-root: sets
 * no-new-privileges and clears the ambient capabilities. Returns 0 or -1
 * with a message in err.
 */
int privdrop_harden(char *err, size_t errlen);

#endif
