/* SPDX-License-Identifier: Apache-2.0 */
/*
 * prepare.h: `redis-bootstrap prepare`, run on a swarm node before `docker
 * stack deploy`. It reads the stack file, prints its findings (the
 * checks of services/stackfile) as file:line:column: level: message, and
 * creates the missing host directories of bind mounts (hostdirs.c).
 *
 * The options are read apart from the run, so main.c keeps the program's
 * one usage text and a test can run prepare on streams of its own.
 *
 * Every line prepare prints goes through prepare_line(), which escapes
 * control characters: the strings of a stack file (service keys, images,
 * paths) are the input of whoever wrote the file, and YAML's escapes put
 * any character in them, "\n" and "\e" included.
 */
#ifndef PART5_PREPARE_H
#define PART5_PREPARE_H

#include <stddef.h>

#include <stdio.h>
#include <sys/types.h>

#include "util.h"

/* Exit statuses of prepare (2 also for usage errors). */
#define PREPARE_EXIT_FINDINGS 1
#define PREPARE_EXIT_UNREADABLE 2

/* What the command line asked for; the strings are borrowed from argv. */
struct prepare_opts {
    const char *file;      /* the stack file (default docker-compose.yml) */
    const char *host_root; /* host paths are under it; NULL for "/" */
    const char *role;      /* "manager" or "worker" */
    const char *hostname;  /* NULL: the host root's /etc/hostname */
    uid_t uid;             /* owner of Redis' data directories */
    gid_t gid;
    int dry_run; /* change nothing, say what would be done */
};

enum prepare_args {
    PREPARE_ARGS_OK,
    PREPARE_ARGS_HELP, /* --help: print the usage, exit 0 */
    PREPARE_ARGS_BAD,  /* a usage error, explained in why */
};

/*
 * Reads prepare's options (argv[0] is "prepare") into o, starting from the
 * defaults. On PREPARE_ARGS_BAD, why holds the message (without the
 * program's name); the caller frees it with buf_free().
 */
enum prepare_args prepare_parse_args(int argc,
                                     char **argv,
                                     struct prepare_opts *o,
                                     struct buf *why);

/*
 * Runs prepare: findings and what was done with each host path go to out,
 * a file that cannot be read or checked to errout. Returns the exit status:
 * 0 fine or warnings only, 1 errors, 2 not a compose file.
 */
int prepare_run(const struct prepare_opts *o, FILE *out, FILE *errout);

/*
 * prepare_run() on the bytes of a stack file already read (len bytes, need
 * not be NUL-terminated; o->file names it in messages). The fuzz target
 * drives this with a dry run.
 */
int prepare_stack(const struct prepare_opts *o,
                  const char *data,
                  size_t len,
                  FILE *out,
                  FILE *errout);

/*
 * Prints one line to out: the formatted text with every control character
 * escaped as log lines are (log_escape(): \n, \x1b...), then a newline. So
 * a string of the file cannot end the line (and forge a finding) or send
 * an escape sequence to the terminal.
 */
void prepare_line(FILE *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
