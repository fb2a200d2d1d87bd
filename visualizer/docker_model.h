/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker_model.h: what the visualizer knows about the engine, turned from
 * the engine's JSON replies into the model of docs/visualizer-api.md.
 *
 * Each reply kind has a parser fed chunk by chunk (docker_parse_*); it
 * copies only the fields the model needs (a whitelist: no Env, Args,
 * secrets, configs or join tokens can reach the model, because nothing
 * copies them). A record that lacks what it must have (a task without an
 * ID, ...) is skipped and counted; malformed JSON fails the whole reply,
 * and the caller keeps its previous picture.
 *
 * Lists own their strings in an arena freed with the list: a 5,000-task
 * list is a few large blocks, not tens of thousands of small ones.
 *
 * docker_model_json() renders the model with yajl_gen, so escaping is
 * right by construction, whatever the engine's strings contain.
 *
 * One file a concern: docker_arena.c (lists, the arena, interning),
 * docker_fields.c (the whitelists, the records into items, the parsers),
 * docker_errmsg.c (an engine error's message), docker_json.c (the
 * renderer).
 */
#ifndef PART5_DOCKER_MODEL_H
#define PART5_DOCKER_MODEL_H

#include <stddef.h>

#include <stdint.h>

#include "util.h"

/* Bounds on what one reply may put in the model; beyond them it is cut. */
#define DOCKER_MAX_NODES 5000
#define DOCKER_MAX_SERVICES 20000
#define DOCKER_MAX_TASKS 100000
#define DOCKER_MAX_CONTAINERS 20000
#define DOCKER_MAX_LABELS 64 /* per node */

/* Strings live in blocks of an arena, freed all at once. */
struct docker_arena {
    struct docker_arena_block *head;
    size_t used; /* bytes handed out, for statistics */
};

struct docker_label {
    const char *key, *value;
};

struct docker_node {
    const char *id, *hostname, *role, *status, *availability;
    const char *engine_version, *addr;
    int leader;
    double cpus;      /* NanoCPUs / 1e9; -1 when unknown */
    long long memory; /* bytes; -1 when unknown */
    struct docker_label *labels;
    size_t nlabels;
};

#define DOCKER_MAX_CONSTRAINTS 32 /* per service */
#define DOCKER_MAX_ADDRS 8        /* per task */

/* The service label that opts in to traffic (docs/visualizer-api.md). */
#define DOCKER_SCRAPE_LABEL "part5.visualizer.scrape"
#define DOCKER_SCRAPE_PORT_LABEL "part5.visualizer.scrape.port"

struct docker_service {
    const char *id, *name, *stack, *image, *mode;
    long long replicas; /* replicated: Spec's count; -1 otherwise */
    /* UpdateStatus, or all NULL: state, message, start and end (ISO). */
    const char *update_state, *update_message;
    const char *update_started, *update_completed;
    long long update_started_ms; /* -1 when unknown */
    const char **constraints;    /* Placement.Constraints, in the arena */
    size_t nconstraints;
    long long max_per_node;           /* Placement.MaxReplicas; -1: none */
    double limit_cpus, reserve_cpus;  /* NanoCPUs / 1e9; -1: not set */
    long long limit_mem, reserve_mem; /* bytes; -1: not set */
    int scrape_port; /* the label's port when the service opts in, else 0 */
};

struct docker_task {
    const char *id, *service_id, *node_id, *image, *stack;
    const char *state, *desired_state, *since, *message, *error;
    long long slot;       /* -1 for global services' tasks */
    long long created_ms; /* CreatedAt; -1 when unknown */
    /* A running task's addresses ("10.0.1.5/24"), space-separated, or
     * NULL: where the scraper may reach it. Not in the rendered model. */
    const char *addrs;
};

struct docker_container {
    const char *id, *name, *image, *state, *status, *project, *service;
    long long created; /* seconds since the epoch; -1 when unknown */
};

/* One list type for the four kinds: items of the same size in one array. */
struct docker_list {
    void *items;
    size_t n, cap, size; /* size: bytes of one item */
    struct docker_arena arena;
    struct docker_intern *intern; /* strings that repeat, stored once */
    size_t skipped;               /* records dropped as unusable */
    size_t truncated;             /* records dropped or cut by the bounds */
};

#define DOCKER_LIST_AT(l, type, i) (&((type *)(l)->items)[i])

void docker_list_init(struct docker_list *l, size_t item_size);
void docker_list_free(struct docker_list *l);

/* Moves src into dst (freeing what dst held); src is left empty. */
void docker_list_move(struct docker_list *dst, struct docker_list *src);

/* GET /version. */
struct docker_version {
    char version[64];
    char api_version[16];
};

/* GET /info: the parts that decide the visualizer's mode. */
struct docker_info {
    char local_state[16];  /* "", inactive, pending, active, error, locked */
    int control_available; /* a manager: /nodes, /tasks answer */
    char swarm_error[256];
    char server_version[64];
};

/* One line of GET /events. */
struct docker_event {
    char type[16];   /* service, node, container ... */
    char action[32]; /* create, update, remove, start, die ... */
    char name[128];  /* Actor.Attributes.name, for the debug log */
    int swarm_task;  /* a container event about a swarm task */
};

enum docker_kind {
    DOCKER_KIND_VERSION,
    DOCKER_KIND_INFO,
    DOCKER_KIND_NODES,
    DOCKER_KIND_SERVICES,
    DOCKER_KIND_TASKS,
    DOCKER_KIND_CONTAINERS,
    DOCKER_KIND_EVENT,
};

/* Name of a kind, for messages ("tasks"). */
const char *docker_kind_name(enum docker_kind kind);

/*
 * A parser for one reply. out must match the kind: struct docker_version,
 * docker_info or docker_event, or a struct docker_list initialised with
 * docker_list_init() for the lists. out is filled as records complete; on
 * failure its contents are incomplete and the caller drops them. Free the
 * parser with docker_parse_free(); out stays the caller's.
 */
struct docker_parse;

struct docker_parse *docker_parse_new(enum docker_kind kind, void *out);
void docker_parse_free(struct docker_parse *p);

/* Feeds bytes; returns 0, or -1 with the reason in docker_parse_error(). */
int docker_parse_feed(struct docker_parse *p, const void *data, size_t len);

/* The reply is complete: returns 0, or -1 (malformed or incomplete). */
int docker_parse_finish(struct docker_parse *p);

const char *docker_parse_error(const struct docker_parse *p);

/*
 * Parses a whole reply held in memory (tests, the fuzzer). Returns 0, or
 * -1 with a message in err.
 */
int docker_parse_all(enum docker_kind kind,
                     void *out,
                     const void *data,
                     size_t len,
                     char *err,
                     size_t errlen);

/*
 * The "message" of an engine error reply ({"message":"..."}) into out,
 * cut to fit; out is left empty when body is not such a reply.
 */
void docker_error_message(const char *body, size_t len, char *out, size_t size);

/* Copies image without an "@sha256:..." digest into the arena. */
const char *docker_strip_digest(struct docker_arena *a, const char *image);

/* The engine as the model presents it. */
struct docker_model {
    int connected;
    const char *error;       /* borrowed; NULL when connected */
    const char *version;     /* engine version, or NULL */
    const char *api_version; /* or NULL */
    const char *since;       /* ISO 8601: when connected last changed */
    int swarm;
    const char *swarm_note; /* NULL in swarm mode */
    /* Borrowed lists; the ones of the other mode are rendered empty. */
    const struct docker_list *nodes, *services, *tasks, *containers;
};

/*
 * Renders the model as one line of JSON (no newline inside) appended to
 * out. generated_at is an ISO 8601 time. *body_off receives the offset in
 * out where the part after "generated_at" begins, so two renderings can
 * be compared without it. Returns 0, or -1 if yajl_gen fails (never with
 * strings the parsers produced, which are valid UTF-8).
 */
int docker_model_json(const struct docker_model *m,
                      const char *generated_at,
                      struct buf *out,
                      size_t *body_off);

/* Formats t (seconds since the epoch, UTC) as 2026-11-27T11:00:00Z. */
void docker_iso_time(long long t, char *out, size_t size);

#endif
