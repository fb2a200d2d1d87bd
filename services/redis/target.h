/* SPDX-License-Identifier: Apache-2.0 */
/*
 * target.h: the Redis the entrypoint started, recorded for `check`.
 *
 * Docker runs the image's HEALTHCHECK (`redis-bootstrap check`) inside the
 * container with the container's environment, but not with the command
 * line the entrypoint was given. So the entrypoint, while it is still
 * root, records that command line (after the official image's
 * conventions, with the config file's path made absolute) in a file that
 * only root can write: /run/redis-bootstrap.target, or the path in
 * REDIS_BOOTSTRAP_TARGET. `check` reads it back and parses it with the
 * same code (redis_args.c), then reads the config file named there, so it
 * connects to the port and address, with the password, that the started
 * Redis reads.
 *
 * Why a record and not /proc/1/cmdline: Redis overwrites its own argv with
 * its process title ("redis-server *:6380"), so the options are gone from
 * /proc; PID 1 is not Redis under `docker run --init`; and any process can
 * rewrite its own command line, so a health check running as root that
 * trusted it would let the Redis it checks decide what root reads. The
 * record is written by root before Redis starts, in a directory that only
 * root can write, and read back only when it is a regular file owned by
 * root (or by the user running check) that nobody else can write.
 */
#ifndef PART5_TARGET_H
#define PART5_TARGET_H

#include <stddef.h>

#include "redis_args.h"

/* Where the record is kept unless REDIS_BOOTSTRAP_TARGET says otherwise. */
#define TARGET_DEFAULT_PATH "/run/redis-bootstrap.target"

/* Largest record read back (a command line is far smaller). */
#define TARGET_MAX (64 * 1024)

/*
 * Records a's command line at path: a new file in the same directory,
 * mode 0600, renamed over path, so a reader sees the old record or the
 * new one, never half of one. When conf_path is not NULL it replaces the
 * config file's argument (a->config_index). On failure the old record is
 * removed, so that check never reads one of an earlier start. Returns 0,
 * or -1 with a message in err.
 */
int target_write(const char *path,
                 const struct redis_args *a,
                 const char *conf_path,
                 char *err,
                 size_t errlen);

/*
 * Reads the record at path into a, parsed as the entrypoint parsed it
 * (redis_args_parse(); the config file is not read here). Returns 1 when
 * a holds it (free with redis_args_free()), 0 when there is no record,
 * -1 with a message in err when there is one that cannot be read or
 * trusted: not a regular file, owned by neither root nor this user,
 * writable by group or others, too large or not a record.
 */
int target_read(const char *path,
                struct redis_args *a,
                char *err,
                size_t errlen);

/*
 * The address to connect to for Redis' bind addresses (space-separated,
 * each may start with '-'; NULL or empty: every interface): 127.0.0.1
 * when Redis listens there or on every IPv4 address, ::1 likewise for
 * IPv6, else the first address. Written to out (n bytes).
 */
void target_connect_host(const char *bind, char *out, size_t n);

#endif
