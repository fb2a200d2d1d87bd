/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hostdirs.c: creates the host directories a stack file's bind mounts need,
 * under a host root. See hostdirs.h.
 *
 * Its lines quote paths and service names of the stack file: they are
 * printed with prepare_line(), escaped.
 */
#include "hostdirs.h"

#include <unistd.h>

#include "datadir.h"
#include "prepare.h"

size_t hostdirs_apply(struct preflight *p, const struct hostdirs_opts *o)
{
    const struct preflight_path *pp;
    char err[512];
    unsigned missing;
    unsigned mode;
    uid_t uid, show_uid;
    gid_t gid, show_gid;
    size_t i, failures = 0;
    int exists;
    const char *where = o->root_name != NULL ? o->root_name : "";

    for (i = 0; i < p->npaths; i++) {
        pp = &p->paths[i];

        /* Files and sockets: only whether they are there. */
        if (pp->action == PREFLIGHT_MUST_EXIST) {
            exists = datadir_exists(o->root_fd, pp->path, err, sizeof(err));
            if (exists > 0) {
                prepare_line(o->out, "ok: %s%s exists (service %s)", where,
                             pp->path, pp->service);
                continue;
            }
            if (exists < 0)
                preflight_add(p, PREFLIGHT_ERROR, pp->pos, "service %s: %s",
                              pp->service, err);
            else
                preflight_add(
                    p, PREFLIGHT_ERROR, pp->pos,
                    "service %s: bind source %s%s does not exist on this "
                    "node, and it looks like a file or socket, which "
                    "prepare does not create (is the program that provides "
                    "it, e.g. Docker, running here?)",
                    pp->service, where, pp->path);
            failures++;
            continue;
        }

        /* Directories: a dry run of the walk tells what is missing. */
        if (datadir_mkdirs(o->root_fd, pp->path, 0, (uid_t)-1, (gid_t)-1, 1,
                           &missing, err, sizeof(err)) != 0) {
            preflight_add(p, PREFLIGHT_ERROR, pp->pos,
                          "service %s: bind source %s%s: %s", pp->service,
                          where, pp->path, err);
            failures++;
            continue;
        }
        if (missing == 0) {
            prepare_line(o->out, "ok: %s%s exists (service %s)", where,
                         pp->path, pp->service);
            continue;
        }
        uid = pp->redis ? o->uid : (uid_t)-1;
        gid = pp->redis ? o->gid : (gid_t)-1;
        mode = pp->redis ? 0700 : 0755;
        if (!pp->redis) {
            /* Other services' directories belong to whoever runs prepare. */
            show_uid = geteuid();
            show_gid = getegid();
        } else {
            show_uid = uid;
            show_gid = gid;
        }
        if (o->dry_run) {
            prepare_line(o->out,
                         "would create: %s%s (owner %u:%u, mode %04o) for "
                         "service %s",
                         where, pp->path, (unsigned)show_uid,
                         (unsigned)show_gid, mode, pp->service);
            continue;
        }
        if (datadir_mkdirs(o->root_fd, pp->path, mode, uid, gid, 0, &missing,
                           err, sizeof(err)) != 0) {
            preflight_add(p, PREFLIGHT_ERROR, pp->pos,
                          "service %s: cannot create bind source %s%s: %s%s",
                          pp->service, where, pp->path, err,
                          geteuid() != 0 ? " (run prepare as root, e.g. with "
                                           "sudo)"
                                         : "");
            failures++;
            continue;
        }
        prepare_line(o->out,
                     "created: %s%s (owner %u:%u, mode %04o) for service %s",
                     where, pp->path, (unsigned)show_uid, (unsigned)show_gid,
                     mode, pp->service);
    }
    preflight_sort(p);
    return failures;
}
