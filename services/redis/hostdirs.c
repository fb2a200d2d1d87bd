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

/*
 * A file or a socket: prepare does not create those, only says whether
 * it is there (a missing one is an error added to p). Returns 1 on a
 * failure, else 0.
 */
static size_t check_file(struct preflight *p,
                         const struct preflight_path *pp,
                         const struct hostdirs_opts *o,
                         const char *where)
{
    char err[512];
    int exists = datadir_exists(o->root_fd, pp->path, err, sizeof(err));

    if (exists > 0) {
        prepare_line(o->out, "ok: %s%s exists (service %s)", where, pp->path,
                     pp->service);
        return 0;
    }
    if (exists < 0)
        preflight_add(p, PREFLIGHT_ERROR, pp->pos, "service %s: %s",
                      pp->service, err);
    else
        preflight_add(p, PREFLIGHT_ERROR, pp->pos,
                      "service %s: bind source %s%s does not exist on this "
                      "node, and it looks like a file or socket, which "
                      "prepare does not create (is the program that provides "
                      "it, e.g. Docker, running here?)",
                      pp->service, where, pp->path);
    return 1;
}

/*
 * A directory: a dry run of the walk tells what is missing, then it is
 * created (Redis' for o's uid:gid, 0700; others for whoever runs prepare,
 * 0755), or with o->dry_run only said. Errors are added to p. Returns 1 on
 * a failure, else 0.
 */
static size_t make_dir(struct preflight *p,
                       const struct preflight_path *pp,
                       const struct hostdirs_opts *o,
                       const char *where)
{
    char err[512];
    unsigned missing, mode = pp->redis ? 0700 : 0755;
    uid_t uid = pp->redis ? o->uid : (uid_t)-1;
    gid_t gid = pp->redis ? o->gid : (gid_t)-1;
    uid_t show_uid = pp->redis ? uid : geteuid();
    gid_t show_gid = pp->redis ? gid : getegid();

    if (datadir_mkdirs(o->root_fd, pp->path, 0, (uid_t)-1, (gid_t)-1, 1,
                       &missing, err, sizeof(err)) != 0) {
        preflight_add(p, PREFLIGHT_ERROR, pp->pos,
                      "service %s: bind source %s%s: %s", pp->service, where,
                      pp->path, err);
        return 1;
    }
    if (missing == 0) {
        prepare_line(o->out, "ok: %s%s exists (service %s)", where, pp->path,
                     pp->service);
        return 0;
    }
    if (o->dry_run) {
        prepare_line(o->out,
                     "would create: %s%s (owner %u:%u, mode %04o) for "
                     "service %s",
                     where, pp->path, (unsigned)show_uid, (unsigned)show_gid,
                     mode, pp->service);
        return 0;
    }
    if (datadir_mkdirs(o->root_fd, pp->path, mode, uid, gid, 0, &missing, err,
                       sizeof(err)) != 0) {
        preflight_add(p, PREFLIGHT_ERROR, pp->pos,
                      "service %s: cannot create bind source %s%s: %s%s",
                      pp->service, where, pp->path, err,
                      geteuid() != 0 ? " (run prepare as root, e.g. with "
                                       "sudo)"
                                     : "");
        return 1;
    }
    prepare_line(
        o->out, "created: %s%s (owner %u:%u, mode %04o) for service %s", where,
        pp->path, (unsigned)show_uid, (unsigned)show_gid, mode, pp->service);
    return 0;
}

size_t hostdirs_apply(struct preflight *p, const struct hostdirs_opts *o)
{
    const char *where = o->root_name != NULL ? o->root_name : "";
    size_t i, failures = 0;

    for (i = 0; i < p->npaths; i++) {
        if (p->paths[i].action == PREFLIGHT_MUST_EXIST)
            failures += check_file(p, &p->paths[i], o, where);
        else
            failures += make_dir(p, &p->paths[i], o, where);
    }
    preflight_sort(p);
    return failures;
}
