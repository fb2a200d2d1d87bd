/* SPDX-License-Identifier: Apache-2.0 */
/*
 * compose.h: a reader for Docker compose (stack) files, on libyaml.
 *
 * The reader is pure: it takes the bytes of a file and returns a model of
 * what `redis-bootstrap prepare` needs to know about each service (image,
 * command, environment, volumes, ports, placement constraints, secrets),
 * with the line and column of every element, so that a finding can be
 * printed as `file:line:column: message`. It does no I/O, so it can be
 * unit-tested and fuzzed on buffers.
 *
 * It understands what `docker stack deploy` reads: short and long syntax of
 * volumes and ports, anchors and aliases, and merge keys (`<<: *x`, which
 * libyaml leaves to the application). A file that is not YAML, holds
 * duplicate keys, or has a value of the wrong type gets one error with its
 * position; the reader never crashes on any input (it is fuzzed).
 */
#ifndef PART5_COMPOSE_H
#define PART5_COMPOSE_H

#include <stddef.h>

/* A position in the file, 1-based; line 0 means "no position". */
struct compose_pos {
    unsigned line;
    unsigned column;
};

/* A string of the file and where it starts. */
struct compose_word {
    char *text;
    struct compose_pos pos;
};

enum compose_volume_type {
    COMPOSE_VOLUME_BIND,   /* a host path: "/srv/data:/data" */
    COMPOSE_VOLUME_VOLUME, /* a named or anonymous volume */
    COMPOSE_VOLUME_TMPFS,
    COMPOSE_VOLUME_OTHER, /* npipe, cluster, or an unknown type */
};

struct compose_volume {
    enum compose_volume_type type;
    char *source; /* host path or volume name; NULL when anonymous */
    char *target; /* path in the container */
    int read_only;
    int long_syntax; /* written as a mapping, not "src:dst" */
    struct compose_pos pos;
};

/* One published or exposed port, or a range of them. */
struct compose_port {
    unsigned target, target_end;       /* container ports, inclusive */
    unsigned published, published_end; /* host ports; 0: picked by Docker */
    int publishes;  /* 1: reachable from the host ("6379" included) */
    char *host_ip;  /* NULL: every interface */
    char *protocol; /* "tcp", "udp", "sctp" */
    char *mode;     /* "ingress" or "host" */
    int long_syntax;
    struct compose_pos pos;
};

struct compose_env {
    char *name;
    char *value; /* NULL when the variable is only named */
    struct compose_pos pos;
};

struct compose_secret {
    char *source; /* the secret's name */
    char *target; /* file name under /run/secrets, or NULL for source */
    struct compose_pos pos;
};

struct compose_service {
    char *name;
    struct compose_pos pos;
    char *image; /* NULL when absent */
    struct compose_pos image_pos;
    int has_command;
    struct compose_pos command_pos;
    struct compose_word *command; /* the words, split as a shell would */
    size_t ncommand;
    struct compose_env *environment;
    size_t nenvironment;
    struct compose_volume *volumes;
    size_t nvolumes;
    struct compose_port *ports;
    size_t nports;
    int has_deploy;
    struct compose_pos deploy_pos;
    struct compose_word *constraints; /* deploy.placement.constraints */
    size_t nconstraints;
    struct compose_secret *secrets;
    size_t nsecrets;
};

struct compose_file {
    char *version; /* NULL when absent */
    struct compose_service *services;
    size_t nservices;
};

/* Why the reader gave up, and where. */
enum compose_errcode {
    COMPOSE_OK = 0,
    COMPOSE_ERR_YAML,        /* not valid YAML (tabs, binary junk...) */
    COMPOSE_ERR_EMPTY,       /* no document, or an empty one */
    COMPOSE_ERR_NOT_COMPOSE, /* valid YAML, but no services mapping */
    COMPOSE_ERR_INVALID,     /* a compose file with a wrong type or value */
};

#define COMPOSE_ERR_LEN 256

struct compose_error {
    enum compose_errcode code;
    struct compose_pos pos; /* line 0 when the error has no position */
    char msg[COMPOSE_ERR_LEN];
};

/* Inputs larger than this are refused: no compose file is that big. */
#define COMPOSE_MAX_INPUT (4u * 1024 * 1024)

/*
 * Reads a compose file from data (len bytes, need not be NUL-terminated).
 * Returns the model, or NULL with err filled in (the message says what is
 * wrong and what to do; it does not repeat the position). The caller frees
 * the model with compose_free().
 */
struct compose_file *
compose_parse(const char *data, size_t len, struct compose_error *err);

/* Frees a model and every string in it. Accepts NULL. */
void compose_free(struct compose_file *cf);

/* The service of that name, or NULL. Borrowed from cf. */
const struct compose_service *
compose_find_service(const struct compose_file *cf, const char *name);

/*
 * Splits a command string into words as docker does (shell quoting with
 * '' and "", backslash escapes, no expansion). Returns the number of
 * words, or -1 when a quote is left open. *words is an array of strings
 * the caller frees with compose_words_free().
 */
int compose_split_words(const char *s, char ***words);
void compose_words_free(char **words, size_t n);

#endif
