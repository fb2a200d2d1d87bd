/* SPDX-License-Identifier: Apache-2.0 */
/*
 * preflight.h: what `redis-bootstrap prepare` finds in a stack file, and
 * which host paths it must make sure exist on this node.
 *
 * preflight_check() is pure: from the compose model it derives findings
 * (the mistakes people make with the tutorial's Part 5 file) and a list of
 * host paths that bind mounts need on this node. It does no I/O: creating
 * those paths is redis-bootstrap's hostdirs.c.
 */
#ifndef PART5_PREFLIGHT_H
#define PART5_PREFLIGHT_H

#include <stddef.h>

#include <stdio.h>
#include <sys/types.h>

#include "compose.h"

/* The uid and gid the stack's Redis image runs Redis as. */
#define PREFLIGHT_REDIS_UID 999
#define PREFLIGHT_REDIS_GID 999

enum preflight_level {
    PREFLIGHT_WARNING,
    PREFLIGHT_ERROR,
};

struct preflight_finding {
    enum preflight_level level;
    struct compose_pos pos;
    char *msg; /* says what is wrong and what to do */
};

/* This node, as far as placement constraints go. */
struct preflight_node {
    const char *role;     /* "manager" or "worker" */
    const char *hostname; /* NULL when unknown */
};

enum preflight_action {
    PREFLIGHT_MKDIR,      /* a directory: create it when missing */
    PREFLIGHT_MUST_EXIST, /* a file or socket: report it when missing */
};

/* A host path a bind mount needs on this node. */
struct preflight_path {
    char *path;
    char *service;
    struct compose_pos pos;
    enum preflight_action action;
    int redis;  /* owned by the Redis image's user when created */
    int pinned; /* 1: constraints say this node; 0: unpinned or unknown */
};

struct preflight {
    struct preflight_finding *findings;
    size_t nfindings, cap_findings;
    struct preflight_path *paths;
    size_t npaths, cap_paths;
};

void preflight_init(struct preflight *p);

/* Frees the findings and paths. Accepts an initialised, empty p. */
void preflight_free(struct preflight *p);

/*
 * Checks the stack file for node and fills p with findings (sorted by
 * position) and the host paths needed on this node.
 */
void preflight_check(const struct compose_file *cf,
                     const struct preflight_node *node,
                     struct preflight *p);

/* Adds a finding (printf-style message). */
void preflight_add(struct preflight *p,
                   enum preflight_level level,
                   struct compose_pos pos,
                   const char *fmt,
                   ...) __attribute__((format(printf, 4, 5)));

/* Sorts the findings by position, errors first at equal positions. */
void preflight_sort(struct preflight *p);

/* How many findings are errors. */
size_t preflight_errors(const struct preflight *p);

/* Whether a service is the stack's Redis (by image or command). */
int preflight_is_redis(const struct compose_service *s);

/*
 * Evaluates one placement constraint for node: 1 when it holds, 0 when it
 * does not, -1 when it cannot be told here (node.labels, node.id...).
 */
int preflight_constraint(const char *expr, const struct preflight_node *node);

#endif
