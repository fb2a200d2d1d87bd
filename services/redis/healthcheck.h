/* SPDX-License-Identifier: Apache-2.0 */
/*
 * healthcheck.h: `redis-bootstrap check`, the image's HEALTHCHECK.
 *
 * It asks the Redis that the entrypoint started (check.h says what "up"
 * means), found from the entrypoint's record (target.h): its port, its
 * bind address, its password from REDIS_PASSWORD_FILE, --requirepass or
 * the config file. Options given to check win over the record.
 *
 * Docker runs the health check as the container's user, root in this
 * image, while Redis may be published without a password. So check reads
 * what only root may read (the record, the secret) and then drops to the
 * redis user for good, as the entrypoint does (no groups, no capabilities,
 * no-new-privileges: services/common/privdrop.c), before it reads the
 * config file and before it connects: a hostile reply reaches no root
 * process.
 */
#ifndef PART5_HEALTHCHECK_H
#define PART5_HEALTHCHECK_H

#include "util.h"

/* What the command line asked for; the strings are borrowed from argv. */
struct healthcheck_opts {
    const char *host;          /* --host, NULL: from the record */
    int port;                  /* --port, 0: from the record */
    const char *password_file; /* --password-file, NULL: see below */
    long timeout_ms;           /* --timeout: bound of each step */
    long wait_s;               /* --wait: retry for this long */
    int quiet;                 /* -q: print nothing */
};

/* The environment check reads (main.c's table). */
struct healthcheck_env {
    const char *password_file; /* REDIS_PASSWORD_FILE, or NULL */
    const char *target_path;   /* REDIS_BOOTSTRAP_TARGET */
};

enum healthcheck_args {
    HEALTHCHECK_ARGS_OK,
    HEALTHCHECK_ARGS_HELP, /* --help: print the usage, exit 0 */
    HEALTHCHECK_ARGS_BAD,  /* a usage error, explained in why */
};

/*
 * Reads check's options (argv[0] is "check") into o, starting from the
 * defaults. On HEALTHCHECK_ARGS_BAD, why holds the message (without the
 * program's name); the caller frees it with buf_free().
 */
enum healthcheck_args healthcheck_parse_args(int argc,
                                             char **argv,
                                             struct healthcheck_opts *o,
                                             struct buf *why);

/*
 * Runs check: one line on stdout (up) or stderr (not up, or an error)
 * unless quiet. Returns the exit status: 0 up, 1 otherwise.
 */
int healthcheck_run(const struct healthcheck_opts *o,
                    const struct healthcheck_env *env);

#endif
