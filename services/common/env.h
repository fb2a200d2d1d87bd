/* SPDX-License-Identifier: Apache-2.0 */
/*
 * env.h: configuration from the environment, parsed once at start.
 *
 * A program describes its variables in one table (redis config.c
 * static_configs[]), with bounds; env_load() reads them all and a bad
 * value stops the program with a message naming the variable. Only env.c
 * calls getenv().
 */
#ifndef PART5_ENV_H
#define PART5_ENV_H

#include <stddef.h>

#include <stdio.h>

enum env_type {
    ENV_INT,      /* dest is int *; decimal within [min, max] */
    ENV_PORT,     /* dest is int *; TCP port within [min, max] */
    ENV_STRING,   /* dest is const char **; at most max bytes, no control
                     characters; borrows the environment's storage */
    ENV_HOST,     /* like ENV_STRING, and a host name or IP address */
    ENV_PATH,     /* like ENV_STRING, and an absolute path */
    ENV_LOGLEVEL, /* dest is enum log_level *; applied with log_set_level */
};

struct env_var {
    const char *name;
    enum env_type type;
    long min, max;    /* numbers: inclusive bounds; strings: max length */
    void *dest;       /* holds the default before env_load() */
    const char *help; /* one line for --help */
};

#define ENV_ERR_LEN 256

/*
 * Parses one value into v->dest. Returns 0, or -1 with a message naming
 * the variable in err (ENV_ERR_LEN bytes). On error *v->dest is unchanged.
 * String values are borrowed, not copied: value must outlive the program's
 * use of it (true of getenv()'s storage).
 */
int env_parse(const struct env_var *v,
              const char *value,
              char *err,
              size_t errlen);

/*
 * Reads every variable of the table from the environment; an unset
 * variable keeps its default. Returns 0, or -1 with the first error in err.
 */
int env_load(const struct env_var *vars, size_t n, char *err, size_t errlen);

/*
 * Prints one line per variable (name, help, default) for --help. Call it
 * before env_load(), while the destinations still hold the defaults.
 */
void env_usage(FILE *out, const struct env_var *vars, size_t n);

/*
 * Reads a secret (a Docker secret file such as /run/secrets/redis_password)
 * into buf, NUL-terminated, without one trailing newline. The secret must
 * be 1..size-1 bytes with no NUL, CR or LF inside. Returns 0, or -1 with a
 * message in err that names the file but never shows its contents.
 */
int env_read_secret(
    const char *path, char *buf, size_t size, char *err, size_t errlen);

#endif
