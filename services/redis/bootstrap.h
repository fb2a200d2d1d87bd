/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bootstrap.h: the image's entrypoint.
 *
 * Started as root, it makes the data directory usable by the redis user,
 * sets umask 0077, drops to that user for good and execs redis-server, so
 * Redis becomes the container's main process and gets its signals. The
 * password of REDIS_PASSWORD_FILE (a Docker secret) reaches Redis through a
 * configuration read from stdin (`redis-server ... -`), never through the
 * command line, which any user of the host can read in /proc.
 */
#ifndef PART5_BOOTSTRAP_H
#define PART5_BOOTSTRAP_H

/* The user Redis runs as, looked up by name in /etc/passwd. */
#define BOOTSTRAP_USER "redis"

/* Longest Redis password read from the secret (hello reads the same). */
#define BOOTSTRAP_SECRET_MAX 512

/* Largest Redis configuration file read to find the data directory. */
#define BOOTSTRAP_CONFIG_MAX (1024 * 1024)

struct bootstrap_config {
    const char *password_file; /* REDIS_PASSWORD_FILE, or NULL */
    const char *target_path;   /* REDIS_BOOTSTRAP_TARGET: where the command
                                  line is recorded for check (target.h);
                                  NULL or "": not recorded */
};

/*
 * Runs the entrypoint on argv (the arguments after the program's name,
 * argc >= 1). Does not return when the command starts; otherwise logs why
 * and returns the exit status (1, or 127 when the command is not found).
 */
int bootstrap_run(const struct bootstrap_config *cfg,
                  int argc,
                  const char *const *argv);

#endif
