/* SPDX-License-Identifier: Apache-2.0 */
/*
 * redis_args.h: the command line the entrypoint runs, and what it tells about
 * Redis' files.
 *
 * The conventions are the official Redis image's: `redis-bootstrap
 * redis-server --appendonly yes` starts Redis; when the first argument
 * starts with '-' or ends in ".conf", "redis-server" is put in front; any
 * other command is run as it is. From redis-server's arguments (and its
 * configuration file, when one is given) the entrypoint learns the data
 * directory and the names of Redis' own files, which are the only files
 * whose owner it changes.
 *
 * Everything here is pure (no I/O), so it is unit-tested on strings.
 */
#ifndef PART5_REDIS_ARGS_H
#define PART5_REDIS_ARGS_H

#include <stddef.h>

/* The data directory when neither --dir nor the config file names one. */
#define REDIS_ARGS_DEFAULT_DIR "/data"

/* Settings read from the command line or the configuration file. */
struct redis_args_settings {
    char *dir;            /* NULL when not set */
    char *dbfilename;     /* dump.rdb */
    char *appendfilename; /* appendonly.aof */
    char *appenddirname;  /* appendonlydir (Redis 7) */
    char *appendonly;     /* "yes" or "no" */
    char *port;
    char *bind;             /* every address, separated by spaces */
    char *requirepass;      /* the password, "" for none */
    int has_requirepass;    /* requirepass is set (and not empty) */
    int has_protected_mode; /* protected-mode is set */
    int has_include;        /* the file includes others, not read */
};

/* The command to run and what it says about Redis. */
struct redis_args {
    /* What to exec, NULL-terminated; owned, see redis_args_free(). */
    char **argv;
    size_t argc;
    int is_redis;        /* argv[0] is redis-server */
    int prepended;       /* "redis-server" was put in front */
    size_t config_index; /* index in argv of the config file, or 0 */
    int stdin_config;    /* the user passed "-": config from stdin */
    struct redis_args_settings args; /* from the command line */
    struct redis_args_settings file; /* from the config file, once
                                        redis_args_read_config() read it */
};

/*
 * Builds the command to run from the entrypoint's arguments (argv[0] is
 * the first argument after the program's name; argc >= 1), applying the
 * official image's conventions and reading redis-server's options. The
 * strings of argv are copied. Returns 0, or -1 with a message in err.
 * Free with redis_args_free().
 */
int redis_args_parse(struct redis_args *a,
                     int argc,
                     const char *const *argv,
                     char *err,
                     size_t errlen);

/* Frees what redis_args_parse() and redis_args_read_config() allocated. */
void redis_args_free(struct redis_args *a);

/*
 * Reads the settings that matter here from the text of a Redis
 * configuration file (len bytes): dir, dbfilename, appendfilename,
 * appenddirname, appendonly, port, bind, requirepass, protected-mode,
 * include. The last occurrence wins, as in Redis.
 */
void redis_args_read_config(struct redis_args *a, const char *text, size_t len);

/*
 * The effective value of a setting: the command line wins over the file,
 * the file over Redis' default. Borrowed from a.
 */
const char *redis_args_dir(const struct redis_args *a);
const char *redis_args_dbfilename(const struct redis_args *a);
const char *redis_args_appendfilename(const struct redis_args *a);
const char *redis_args_appenddirname(const struct redis_args *a);
int redis_args_appendonly(const struct redis_args *a);
int redis_args_has_requirepass(const struct redis_args *a);
int redis_args_has_protected_mode(const struct redis_args *a);

/*
 * Where Redis listens and the password it requires, as it will read them:
 * the port ("6379" unless set), the bind addresses (NULL unless set:
 * Redis' default, every interface) and requirepass (NULL when none).
 */
const char *redis_args_port(const struct redis_args *a);
const char *redis_args_bind(const struct redis_args *a);
const char *redis_args_requirepass(const struct redis_args *a);

/* Whether the data directory is the default one (not set anywhere). */
int redis_args_dir_is_default(const struct redis_args *a);

/*
 * Replaces argv[i] with a copy of value (e.g. the config file's absolute
 * path), and appends an argument. Both copy their input.
 */
void redis_args_set_arg(struct redis_args *a, size_t i, const char *value);
void redis_args_append(struct redis_args *a, const char *value);

/*
 * Appends `requirepass "<password>"` to b as a line of a Redis config file,
 * quoted and escaped so that any byte survives (Redis' sdssplitargs rules:
 * \" \\ and \xHH inside double quotes).
 */
struct buf;
void redis_args_config_requirepass(struct buf *b, const char *password);

#endif
