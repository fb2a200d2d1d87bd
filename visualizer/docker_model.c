/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker_model.c: the engine's replies into the model, and the model into
 * JSON. See docker_model.h.
 *
 * Each reply kind has a whitelist of jscan fields and a function that
 * turns one record into one item. The whitelists are the only place that
 * decides what leaves the engine: a field that is not listed here is never
 * copied, so it cannot reach a page.
 */
#include "docker_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yajl/yajl_gen.h>

#include "jscan.h"
#include "log.h"

/* ------------------------------------------------------------------ */
/* Arena and lists                                                     */
/* ------------------------------------------------------------------ */

struct docker_arena_block {
    struct docker_arena_block *next;
    size_t used, size;
    char data[];
};

#define DOCKER_ARENA_FIRST 4096
#define DOCKER_ARENA_MAX (256 * 1024)

/*
 * Returns size bytes from the arena, aligned for any object. Blocks grow
 * from 4 KiB to 256 KiB, so small lists stay small and big ones are a few
 * blocks (which malloc serves with mmap and gives back whole when freed).
 */
static void *docker_arena_alloc(struct docker_arena *a, size_t size)
{
    struct docker_arena_block *b = a->head;
    size_t align = sizeof(void *), pad;
    void *p;

    pad = b != NULL ? (align - b->used % align) % align : 0;
    if (b == NULL || b->size - b->used < size + pad) {
        size_t bsize = b == NULL ? DOCKER_ARENA_FIRST : b->size * 2;

        if (bsize > DOCKER_ARENA_MAX)
            bsize = DOCKER_ARENA_MAX;
        if (bsize < size)
            bsize = size;
        b = xmalloc(sizeof(*b) + bsize);
        b->size = bsize;
        b->used = 0;
        b->next = a->head;
        a->head = b;
        pad = 0;
    }
    p = b->data + b->used + pad;
    b->used += pad + size;
    a->used += pad + size;
    return p;
}

/* Copies len bytes of s, plus a NUL, into the arena. */
static const char *
docker_arena_copy(struct docker_arena *a, const char *s, size_t len)
{
    char *p = docker_arena_alloc(a, len + 1);

    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

/* Copies a NUL-terminated string, or returns NULL for NULL. */
static const char *docker_arena_str(struct docker_arena *a, const char *s)
{
    return s == NULL ? NULL : docker_arena_copy(a, s, strlen(s));
}

static void docker_arena_free(struct docker_arena *a)
{
    struct docker_arena_block *b = a->head, *next;

    for (; b != NULL; b = next) {
        next = b->next;
        free(b);
    }
    a->head = NULL;
    a->used = 0;
}

/*
 * Strings that repeat across a list's records (a task's service and node
 * IDs, image, states, stack) are stored once: with 5,000 tasks on 100
 * nodes and 250 services that saves about a third of the list. An
 * open-addressing set of arena strings; past DOCKER_INTERN_MAX distinct
 * values (a hostile engine) strings are simply copied.
 */
struct docker_intern {
    const char **slots;
    size_t cap, n;
};

#define DOCKER_INTERN_MAX 65536

static uint64_t docker_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;

    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* Puts p into a table of cap slots (a power of two). */
static void docker_intern_put(const char **slots, size_t cap, const char *p)
{
    size_t i = (size_t)docker_hash(p) & (cap - 1);

    while (slots[i] != NULL)
        i = (i + 1) & (cap - 1);
    slots[i] = p;
}

/* Returns the list's copy of s (made on first sight), or NULL for NULL. */
static const char *docker_intern(struct docker_list *l, const char *s)
{
    struct docker_intern *t = l->intern;
    const char *p;
    size_t i;

    if (s == NULL)
        return NULL;
    if (t == NULL)
        t = l->intern = xcalloc(1, sizeof(*t));
    if (t->n >= DOCKER_INTERN_MAX)
        return docker_arena_str(&l->arena, s);
    if (2 * (t->n + 1) > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        const char **slots = xcalloc(cap, sizeof(*slots));

        for (i = 0; i < t->cap; i++)
            if (t->slots[i] != NULL)
                docker_intern_put(slots, cap, t->slots[i]);
        free(t->slots);
        t->slots = slots;
        t->cap = cap;
    }
    for (i = (size_t)docker_hash(s) & (t->cap - 1); t->slots[i] != NULL;
         i = (i + 1) & (t->cap - 1))
        if (strcmp(t->slots[i], s) == 0)
            return t->slots[i];
    p = docker_arena_str(&l->arena, s);
    t->slots[i] = p;
    t->n++;
    return p;
}

void docker_list_init(struct docker_list *l, size_t item_size)
{
    memset(l, 0, sizeof(*l));
    l->size = item_size;
}

void docker_list_free(struct docker_list *l)
{
    if (l == NULL)
        return;
    free(l->items);
    docker_arena_free(&l->arena);
    if (l->intern != NULL)
        free(l->intern->slots);
    free(l->intern);
    l->intern = NULL;
    l->items = NULL;
    l->n = l->cap = 0;
    l->skipped = l->truncated = 0;
}

void docker_list_move(struct docker_list *dst, struct docker_list *src)
{
    size_t size = src->size;

    docker_list_free(dst);
    *dst = *src;
    docker_list_init(src, size);
}

/* A new zeroed item at the end of the list, or NULL past max items. */
static void *docker_list_push(struct docker_list *l, size_t max)
{
    void *item;

    if (l->n >= max) {
        l->truncated++;
        return NULL;
    }
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->items = xrealloc(l->items, l->cap * l->size);
    }
    item = (char *)l->items + l->n * l->size;
    memset(item, 0, l->size);
    l->n++;
    return item;
}

const char *docker_strip_digest(struct docker_arena *a, const char *image)
{
    const char *at;

    if (image == NULL)
        return NULL;
    at = strchr(image, '@');
    return docker_arena_copy(a, image,
                             at ? (size_t)(at - image) : strlen(image));
}

/*
 * Copies an engine time ("2026-11-27T11:27:51.897176741Z") without its
 * fraction of a second; other forms are copied as they are.
 */
static const char *docker_arena_time(struct docker_arena *a, const char *t)
{
    const char *dot;
    char tmp[40];
    size_t n;

    if (t == NULL)
        return NULL;
    dot = strchr(t, '.');
    n = dot != NULL ? (size_t)(dot - t) : 0;
    if (dot == NULL || n != 19 || t[strlen(t) - 1] != 'Z')
        return docker_arena_str(a, t);
    memcpy(tmp, t, n);
    tmp[n] = 'Z';
    return docker_arena_copy(a, tmp, n + 1);
}

void docker_iso_time(long long t, char *out, size_t size)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (gmtime_r(&tt, &tm) == NULL ||
        strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, size, "1970-01-01T00:00:00Z");
}

/* Copies a string field into a fixed buffer (cut to fit, UTF-8 safe). */
static void docker_copy_fixed(char *dst,
                              size_t size,
                              const struct jscan_record *rec,
                              int id)
{
    const char *v = jscan_str(rec, id);
    size_t n;

    if (v == NULL)
        return;
    n = jscan_utf8_cut(v, jscan_len(rec, id), size - 1);
    memcpy(dst, v, n);
    dst[n] = '\0';
}

/* ------------------------------------------------------------------ */
/* Whitelists and record mappers                                       */
/* ------------------------------------------------------------------ */

#define P(...)                                                                 \
    {                                                                          \
        __VA_ARGS__, NULL                                                      \
    }

enum {
    N_ID,
    N_ROLE,
    N_AVAIL,
    N_LABELS,
    N_HOSTNAME,
    N_CPUS,
    N_MEMORY,
    N_ENGINE,
    N_STATE,
    N_ADDR,
    N_LEADER,
    N_MGR_ADDR,
};

static const struct jscan_field node_fields[] = {
    [N_ID] = {P("ID"), JSCAN_STRING},
    [N_ROLE] = {P("Spec", "Role"), JSCAN_STRING},
    [N_AVAIL] = {P("Spec", "Availability"), JSCAN_STRING},
    [N_LABELS] = {P("Spec", "Labels"), JSCAN_MAP},
    [N_HOSTNAME] = {P("Description", "Hostname"), JSCAN_STRING},
    [N_CPUS] = {P("Description", "Resources", "NanoCPUs"), JSCAN_NUMBER},
    [N_MEMORY] = {P("Description", "Resources", "MemoryBytes"), JSCAN_NUMBER},
    [N_ENGINE] = {P("Description", "Engine", "EngineVersion"), JSCAN_STRING},
    [N_STATE] = {P("Status", "State"), JSCAN_STRING},
    [N_ADDR] = {P("Status", "Addr"), JSCAN_STRING},
    [N_LEADER] = {P("ManagerStatus", "Leader"), JSCAN_BOOL},
    [N_MGR_ADDR] = {P("ManagerStatus", "Addr"), JSCAN_STRING},
};

/*
 * The node's address: Status.Addr, except that managers sometimes report
 * 0.0.0.0 there; then the host part of ManagerStatus.Addr ("ip:2377").
 */
static const char *docker_node_addr(struct docker_arena *a,
                                    const struct jscan_record *rec)
{
    const char *addr = jscan_str(rec, N_ADDR);
    const char *mgr = jscan_str(rec, N_MGR_ADDR);
    const char *colon;

    if ((addr == NULL || strcmp(addr, "0.0.0.0") == 0) && mgr != NULL) {
        colon = strrchr(mgr, ':');
        if (colon != NULL && strchr(mgr, ':') == colon)
            return docker_arena_copy(a, mgr, (size_t)(colon - mgr));
        return docker_arena_str(a, mgr);
    }
    return docker_arena_str(a, addr);
}

static int docker_node_record(struct docker_list *l,
                              const struct jscan_record *rec)
{
    struct docker_arena *a = &l->arena;
    struct docker_node *n;
    const char *id = jscan_str(rec, N_ID), *k, *v;
    long long nano, mem;
    size_t it = 0, count = 0;

    if (id == NULL || id[0] == '\0') {
        l->skipped++;
        return 0;
    }
    n = docker_list_push(l, DOCKER_MAX_NODES);
    if (n == NULL)
        return 0;
    n->id = docker_arena_str(a, id);
    n->hostname = docker_arena_str(a, jscan_str(rec, N_HOSTNAME));
    n->role = docker_arena_str(a, jscan_str(rec, N_ROLE));
    n->status = docker_arena_str(a, jscan_str(rec, N_STATE));
    n->availability = docker_arena_str(a, jscan_str(rec, N_AVAIL));
    n->engine_version = docker_arena_str(a, jscan_str(rec, N_ENGINE));
    n->addr = docker_node_addr(a, rec);
    n->leader = jscan_bool(rec, N_LEADER, 0);
    n->cpus = jscan_int(rec, N_CPUS, &nano) == 0 && nano >= 0
                  ? (double)nano / 1e9
                  : -1;
    n->memory = jscan_int(rec, N_MEMORY, &mem) == 0 && mem >= 0 ? mem : -1;
    while (jscan_map_next(rec, N_LABELS, &it, &k, &v))
        count++;
    if (count > DOCKER_MAX_LABELS) {
        count = DOCKER_MAX_LABELS;
        l->truncated++;
    }
    if (count > 0) {
        struct docker_label *labels;
        size_t i = 0;

        /* The label array lives in the arena too. */
        labels = docker_arena_alloc(a, count * sizeof(*labels));
        it = 0;
        while (i < count && jscan_map_next(rec, N_LABELS, &it, &k, &v)) {
            labels[i].key = docker_arena_str(a, k);
            labels[i].value = docker_arena_str(a, v);
            i++;
        }
        n->labels = labels;
        n->nlabels = count;
    }
    return 0;
}

enum {
    S_ID,
    S_NAME,
    S_STACK,
    S_IMAGE,
    S_REPLICAS,
    S_REPLICATED,
    S_GLOBAL,
    S_REPLICATED_JOB,
    S_GLOBAL_JOB,
};

static const struct jscan_field service_fields[] = {
    [S_ID] = {P("ID"), JSCAN_STRING},
    [S_NAME] = {P("Spec", "Name"), JSCAN_STRING},
    [S_STACK] = {P("Spec", "Labels", "com.docker.stack.namespace"),
                 JSCAN_STRING},
    [S_IMAGE] = {P("Spec", "TaskTemplate", "ContainerSpec", "Image"),
                 JSCAN_STRING},
    [S_REPLICAS] = {P("Spec", "Mode", "Replicated", "Replicas"), JSCAN_NUMBER},
    [S_REPLICATED] = {P("Spec", "Mode", "Replicated"), JSCAN_PRESENT},
    [S_GLOBAL] = {P("Spec", "Mode", "Global"), JSCAN_PRESENT},
    [S_REPLICATED_JOB] = {P("Spec", "Mode", "ReplicatedJob"), JSCAN_PRESENT},
    [S_GLOBAL_JOB] = {P("Spec", "Mode", "GlobalJob"), JSCAN_PRESENT},
};

static int docker_service_record(struct docker_list *l,
                                 const struct jscan_record *rec)
{
    struct docker_arena *a = &l->arena;
    struct docker_service *s;
    const char *id = jscan_str(rec, S_ID), *name;
    long long replicas;

    if (id == NULL || id[0] == '\0') {
        l->skipped++;
        return 0;
    }
    s = docker_list_push(l, DOCKER_MAX_SERVICES);
    if (s == NULL)
        return 0;
    s->id = docker_arena_str(a, id);
    name = jscan_str(rec, S_NAME);
    s->name =
        name != NULL && name[0] != '\0' ? docker_arena_str(a, name) : s->id;
    s->stack = docker_arena_str(a, jscan_str(rec, S_STACK));
    s->image = docker_strip_digest(a, jscan_str(rec, S_IMAGE));
    s->replicas = -1;
    if (jscan_has(rec, S_REPLICATED)) {
        s->mode = "replicated";
        if (jscan_int(rec, S_REPLICAS, &replicas) == 0 && replicas >= 0)
            s->replicas = replicas;
    } else if (jscan_has(rec, S_GLOBAL)) {
        s->mode = "global";
    } else if (jscan_has(rec, S_REPLICATED_JOB)) {
        s->mode = "replicated-job";
    } else if (jscan_has(rec, S_GLOBAL_JOB)) {
        s->mode = "global-job";
    } else {
        s->mode = NULL;
    }
    return 0;
}

enum {
    T_ID,
    T_SERVICE,
    T_NODE,
    T_SLOT,
    T_IMAGE,
    T_STACK,
    T_STATE,
    T_TIMESTAMP,
    T_MESSAGE,
    T_ERR,
    T_DESIRED,
};

static const struct jscan_field task_fields[] = {
    [T_ID] = {P("ID"), JSCAN_STRING},
    [T_SERVICE] = {P("ServiceID"), JSCAN_STRING},
    [T_NODE] = {P("NodeID"), JSCAN_STRING},
    [T_SLOT] = {P("Slot"), JSCAN_NUMBER},
    [T_IMAGE] = {P("Spec", "ContainerSpec", "Image"), JSCAN_STRING},
    [T_STACK] =
        {P("Spec", "ContainerSpec", "Labels", "com.docker.stack.namespace"),
         JSCAN_STRING},
    [T_STATE] = {P("Status", "State"), JSCAN_STRING},
    [T_TIMESTAMP] = {P("Status", "Timestamp"), JSCAN_STRING},
    [T_MESSAGE] = {P("Status", "Message"), JSCAN_STRING},
    [T_ERR] = {P("Status", "Err"), JSCAN_STRING},
    [T_DESIRED] = {P("DesiredState"), JSCAN_STRING},
};

/* An image without its digest, stored once per list. */
static const char *docker_intern_image(struct docker_list *l, const char *image)
{
    char tmp[JSCAN_MAX_VALUE + 1];
    const char *at;

    if (image == NULL)
        return NULL;
    at = strchr(image, '@');
    if (at == NULL)
        return docker_intern(l, image);
    snprintf(tmp, sizeof(tmp), "%.*s", (int)(at - image), image);
    return docker_intern(l, tmp);
}

/* Returns s unless it is NULL or empty. */
static const char *docker_nonempty(const char *s)
{
    return s != NULL && s[0] != '\0' ? s : NULL;
}

static int docker_task_record(struct docker_list *l,
                              const struct jscan_record *rec)
{
    struct docker_arena *a = &l->arena;
    struct docker_task *t;
    const char *id = jscan_str(rec, T_ID);
    const char *service = jscan_str(rec, T_SERVICE);
    long long slot;

    if (id == NULL || id[0] == '\0' || service == NULL || service[0] == '\0') {
        l->skipped++;
        return 0;
    }
    t = docker_list_push(l, DOCKER_MAX_TASKS);
    if (t == NULL)
        return 0;
    t->id = docker_arena_str(a, id);
    t->service_id = docker_intern(l, service);
    t->node_id = docker_intern(l, docker_nonempty(jscan_str(rec, T_NODE)));
    t->image = docker_intern_image(l, jscan_str(rec, T_IMAGE));
    t->stack = docker_intern(l, jscan_str(rec, T_STACK));
    t->state = docker_intern(l, jscan_str(rec, T_STATE));
    t->desired_state = docker_intern(l, jscan_str(rec, T_DESIRED));
    t->since = docker_arena_time(a, jscan_str(rec, T_TIMESTAMP));
    t->message = docker_intern(l, docker_nonempty(jscan_str(rec, T_MESSAGE)));
    t->error = docker_intern(l, docker_nonempty(jscan_str(rec, T_ERR)));
    t->slot = jscan_int(rec, T_SLOT, &slot) == 0 && slot > 0 ? slot : -1;
    return 0;
}

enum {
    C_ID,
    C_NAME,
    C_IMAGE,
    C_STATE,
    C_STATUS,
    C_CREATED,
    C_PROJECT,
    C_SERVICE,
};

static const struct jscan_field container_fields[] = {
    [C_ID] = {P("Id"), JSCAN_STRING},
    [C_NAME] = {P("Names", JSCAN_ITEM), JSCAN_FIRST},
    [C_IMAGE] = {P("Image"), JSCAN_STRING},
    [C_STATE] = {P("State"), JSCAN_STRING},
    [C_STATUS] = {P("Status"), JSCAN_STRING},
    [C_CREATED] = {P("Created"), JSCAN_NUMBER},
    [C_PROJECT] = {P("Labels", "com.docker.compose.project"), JSCAN_STRING},
    [C_SERVICE] = {P("Labels", "com.docker.compose.service"), JSCAN_STRING},
};

static int docker_container_record(struct docker_list *l,
                                   const struct jscan_record *rec)
{
    struct docker_arena *a = &l->arena;
    struct docker_container *c;
    const char *id = jscan_str(rec, C_ID), *name;
    long long created;
    size_t idlen;

    if (id == NULL || id[0] == '\0') {
        l->skipped++;
        return 0;
    }
    c = docker_list_push(l, DOCKER_MAX_CONTAINERS);
    if (c == NULL)
        return 0;
    idlen = strlen(id);
    c->id = docker_arena_copy(a, id, idlen > 12 ? 12 : idlen);
    name = jscan_str(rec, C_NAME);
    if (name != NULL && name[0] == '/')
        name++;
    c->name = docker_arena_str(a, name);
    c->image = docker_strip_digest(a, jscan_str(rec, C_IMAGE));
    c->state = docker_arena_str(a, jscan_str(rec, C_STATE));
    c->status = docker_arena_str(a, jscan_str(rec, C_STATUS));
    c->project =
        docker_arena_str(a, docker_nonempty(jscan_str(rec, C_PROJECT)));
    c->service =
        docker_arena_str(a, docker_nonempty(jscan_str(rec, C_SERVICE)));
    c->created = jscan_int(rec, C_CREATED, &created) == 0 ? created : -1;
    return 0;
}

enum { V_VERSION, V_API };

static const struct jscan_field version_fields[] = {
    [V_VERSION] = {P("Version"), JSCAN_STRING},
    [V_API] = {P("ApiVersion"), JSCAN_STRING},
};

enum { I_STATE, I_CONTROL, I_ERROR, I_VERSION };

static const struct jscan_field info_fields[] = {
    [I_STATE] = {P("Swarm", "LocalNodeState"), JSCAN_STRING},
    [I_CONTROL] = {P("Swarm", "ControlAvailable"), JSCAN_BOOL},
    [I_ERROR] = {P("Swarm", "Error"), JSCAN_STRING},
    [I_VERSION] = {P("ServerVersion"), JSCAN_STRING},
};

enum { E_TYPE, E_ACTION, E_NAME, E_TASK };

static const struct jscan_field event_fields[] = {
    [E_TYPE] = {P("Type"), JSCAN_STRING},
    [E_ACTION] = {P("Action"), JSCAN_STRING},
    [E_NAME] = {P("Actor", "Attributes", "name"), JSCAN_STRING},
    [E_TASK] = {P("Actor", "Attributes", "com.docker.swarm.task.id"),
                JSCAN_PRESENT},
};

#undef P

/* ------------------------------------------------------------------ */
/* Parsers                                                             */
/* ------------------------------------------------------------------ */

struct docker_parse {
    enum docker_kind kind;
    void *out;
    struct jscan *scan;
};

static const char *const docker_kind_names[] = {
    "version", "info", "nodes", "services", "tasks", "containers", "event",
};

const char *docker_kind_name(enum docker_kind kind)
{
    if ((size_t)kind >= sizeof(docker_kind_names) / sizeof(*docker_kind_names))
        return "unknown";
    return docker_kind_names[kind];
}

/* The record callback: hands the record to the kind's mapper. */
static int docker_parse_record(void *arg, const struct jscan_record *rec)
{
    struct docker_parse *p = arg;

    switch (p->kind) {
    case DOCKER_KIND_VERSION: {
        struct docker_version *v = p->out;

        docker_copy_fixed(v->version, sizeof(v->version), rec, V_VERSION);
        docker_copy_fixed(v->api_version, sizeof(v->api_version), rec, V_API);
        return 0;
    }
    case DOCKER_KIND_INFO: {
        struct docker_info *i = p->out;

        docker_copy_fixed(i->local_state, sizeof(i->local_state), rec, I_STATE);
        i->control_available = jscan_bool(rec, I_CONTROL, 0);
        docker_copy_fixed(i->swarm_error, sizeof(i->swarm_error), rec, I_ERROR);
        docker_copy_fixed(i->server_version, sizeof(i->server_version), rec,
                          I_VERSION);
        return 0;
    }
    case DOCKER_KIND_EVENT: {
        struct docker_event *e = p->out;

        docker_copy_fixed(e->type, sizeof(e->type), rec, E_TYPE);
        docker_copy_fixed(e->action, sizeof(e->action), rec, E_ACTION);
        docker_copy_fixed(e->name, sizeof(e->name), rec, E_NAME);
        e->swarm_task = jscan_has(rec, E_TASK);
        return 0;
    }
    case DOCKER_KIND_NODES: return docker_node_record(p->out, rec);
    case DOCKER_KIND_SERVICES: return docker_service_record(p->out, rec);
    case DOCKER_KIND_TASKS: return docker_task_record(p->out, rec);
    case DOCKER_KIND_CONTAINERS: return docker_container_record(p->out, rec);
    }
    return -1;
}

struct docker_parse *docker_parse_new(enum docker_kind kind, void *out)
{
    struct docker_parse *p = xcalloc(1, sizeof(*p));
    const struct jscan_field *fields = NULL;
    size_t n = 0;
    int in_array = 1;

#define FIELDS(f)                                                              \
    do {                                                                       \
        fields = (f);                                                          \
        n = sizeof(f) / sizeof((f)[0]);                                        \
    } while (0)
    switch (kind) {
    case DOCKER_KIND_VERSION:
        FIELDS(version_fields);
        in_array = 0;
        memset(out, 0, sizeof(struct docker_version));
        break;
    case DOCKER_KIND_INFO:
        FIELDS(info_fields);
        in_array = 0;
        memset(out, 0, sizeof(struct docker_info));
        break;
    case DOCKER_KIND_EVENT:
        FIELDS(event_fields);
        in_array = 0;
        memset(out, 0, sizeof(struct docker_event));
        break;
    case DOCKER_KIND_NODES: FIELDS(node_fields); break;
    case DOCKER_KIND_SERVICES: FIELDS(service_fields); break;
    case DOCKER_KIND_TASKS: FIELDS(task_fields); break;
    case DOCKER_KIND_CONTAINERS: FIELDS(container_fields); break;
    }
#undef FIELDS
    p->kind = kind;
    p->out = out;
    p->scan = jscan_new(fields, n, in_array, docker_parse_record, p);
    return p;
}

void docker_parse_free(struct docker_parse *p)
{
    if (p == NULL)
        return;
    jscan_free(p->scan);
    free(p);
}

int docker_parse_feed(struct docker_parse *p, const void *data, size_t len)
{
    return jscan_feed(p->scan, data, len);
}

int docker_parse_finish(struct docker_parse *p)
{
    if (jscan_finish(p->scan) != 0)
        return -1;
    if (jscan_skipped(p->scan) > 0 && p->kind >= DOCKER_KIND_NODES &&
        p->kind <= DOCKER_KIND_CONTAINERS)
        ((struct docker_list *)p->out)->skipped += jscan_skipped(p->scan);
    return 0;
}

const char *docker_parse_error(const struct docker_parse *p)
{
    return jscan_error(p->scan);
}

int docker_parse_all(enum docker_kind kind,
                     void *out,
                     const void *data,
                     size_t len,
                     char *err,
                     size_t errlen)
{
    struct docker_parse *p = docker_parse_new(kind, out);
    int rc = -1;

    if (docker_parse_feed(p, data, len) != 0 || docker_parse_finish(p) != 0) {
        snprintf(err, errlen, "%s: %s", docker_kind_name(kind),
                 docker_parse_error(p));
        goto done;
    }
    rc = 0;
done:
    docker_parse_free(p);
    return rc;
}

static const struct jscan_field error_fields[] = {
    {{"message", NULL}, JSCAN_STRING},
};

struct docker_errmsg {
    char *out;
    size_t size;
};

static int docker_error_record(void *arg, const struct jscan_record *rec)
{
    struct docker_errmsg *e = arg;

    docker_copy_fixed(e->out, e->size, rec, 0);
    return 0;
}

void docker_error_message(const char *body, size_t len, char *out, size_t size)
{
    struct docker_errmsg e = {out, size};
    struct jscan *s;

    if (size == 0)
        return;
    out[0] = '\0';
    s = jscan_new(error_fields, 1, 0, docker_error_record, &e);
    if (jscan_feed(s, body, len) != 0 || jscan_finish(s) != 0)
        out[0] = '\0';
    jscan_free(s);
}

/* ------------------------------------------------------------------ */
/* The model as JSON                                                   */
/* ------------------------------------------------------------------ */

/* Compares two possibly NULL strings; NULL sorts last. */
static int docker_strcmp_null(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return a == NULL ? (b == NULL ? 0 : 1) : -1;
    return strcmp(a, b);
}

/* Services sorted by ID, for lookups from tasks. */
static int docker_cmp_service_id(const void *a, const void *b)
{
    const struct docker_service *x = *(const struct docker_service *const *)a;
    const struct docker_service *y = *(const struct docker_service *const *)b;

    return strcmp(x->id, y->id);
}

static int docker_cmp_service_name(const void *a, const void *b)
{
    const struct docker_service *x = *(const struct docker_service *const *)a;
    const struct docker_service *y = *(const struct docker_service *const *)b;
    int c = strcmp(x->name, y->name);

    return c != 0 ? c : strcmp(x->id, y->id);
}

/* Managers first, the leader first among them, then by hostname. */
static int docker_cmp_node(const void *a, const void *b)
{
    const struct docker_node *x = *(const struct docker_node *const *)a;
    const struct docker_node *y = *(const struct docker_node *const *)b;
    int xm = x->role != NULL && strcmp(x->role, "manager") == 0;
    int ym = y->role != NULL && strcmp(y->role, "manager") == 0;
    int c;

    if (xm != ym)
        return ym - xm;
    if (x->leader != y->leader)
        return y->leader - x->leader;
    c = docker_strcmp_null(x->hostname, y->hostname);
    return c != 0 ? c : strcmp(x->id, y->id);
}

/* A node's position in the sorted node list, found by ID. */
struct docker_node_ref {
    const char *id;
    long pos;
};

static int docker_cmp_node_ref(const void *a, const void *b)
{
    return strcmp(((const struct docker_node_ref *)a)->id,
                  ((const struct docker_node_ref *)b)->id);
}

/* A task with what sorting and rendering it need. */
struct docker_task_ref {
    const struct docker_task *t;
    const struct docker_service *s; /* NULL when the service is unknown */
    long sidx;                      /* its index in the ID-sorted services */
    long node; /* position of its node; past the last node: unassigned */
};

static const char *docker_task_service_name(const struct docker_task_ref *r)
{
    return r->s != NULL ? r->s->name : r->t->service_id;
}

/* By node, then service name, then slot, then task ID. */
static int docker_cmp_task(const void *a, const void *b)
{
    const struct docker_task_ref *x = a, *y = b;
    int c;

    if (x->node != y->node)
        return x->node < y->node ? -1 : 1;
    c = strcmp(docker_task_service_name(x), docker_task_service_name(y));
    if (c != 0)
        return c;
    if (x->t->slot != y->t->slot)
        return x->t->slot < y->t->slot ? -1 : 1;
    return strcmp(x->t->id, y->t->id);
}

static int docker_cmp_container(const void *a, const void *b)
{
    const struct docker_container *x =
        *(const struct docker_container *const *)a;
    const struct docker_container *y =
        *(const struct docker_container *const *)b;
    int c = docker_strcmp_null(x->project, y->project);

    if (c == 0)
        c = docker_strcmp_null(x->service, y->service);
    if (c == 0)
        c = docker_strcmp_null(x->name, y->name);
    return c != 0 ? c : strcmp(x->id, y->id);
}

/*
 * yajl_gen writes straight into the caller's buffer, a token at a time:
 * the common case (room left) is a bare copy; the NUL is written once at
 * the end by docker_model_json().
 */
static void docker_gen_print(void *ctx, const char *s, size_t len)
{
    struct buf *b = ctx;

    if (b->cap - b->len <= len)
        buf_reserve(b, len);
    memcpy(b->data + b->len, s, len);
    b->len += len;
}

/*
 * A string value, or null. The parsers only produce valid UTF-8, but if
 * one ever did not, yajl_gen refuses the string and writes nothing; a
 * replacement character keeps the document well-formed.
 */
static void gen_str(yajl_gen g, const char *s)
{
    if (s == NULL)
        yajl_gen_null(g);
    else if (yajl_gen_string(g, (const unsigned char *)s, strlen(s)) ==
             yajl_gen_invalid_string)
        yajl_gen_string(g, (const unsigned char *)"\xef\xbf\xbd", 3);
}

static void gen_key(yajl_gen g, const char *k)
{
    gen_str(g, k);
}

static void gen_kv(yajl_gen g, const char *k, const char *v)
{
    gen_key(g, k);
    gen_str(g, v);
}

static void gen_ki(yajl_gen g, const char *k, long long v)
{
    gen_key(g, k);
    if (v < 0)
        yajl_gen_null(g);
    else
        yajl_gen_integer(g, v);
}

static void gen_task(yajl_gen g, const struct docker_task_ref *r)
{
    const struct docker_task *t = r->t;
    const char *stack =
        r->s != NULL && r->s->stack != NULL ? r->s->stack : t->stack;

    yajl_gen_map_open(g);
    gen_kv(g, "id", t->id);
    gen_kv(g, "service", docker_task_service_name(r));
    gen_kv(g, "service_id", t->service_id);
    gen_kv(g, "stack", stack);
    gen_kv(g, "image", t->image);
    gen_ki(g, "slot", t->slot);
    gen_kv(g, "state", t->state);
    gen_kv(g, "desired_state", t->desired_state);
    gen_kv(g, "since", t->since);
    gen_kv(g, "message", t->message);
    gen_kv(g, "error", t->error);
    yajl_gen_map_close(g);
}

static void gen_node_open(yajl_gen g, const struct docker_node *n)
{
    char num[32];
    size_t i;

    yajl_gen_map_open(g);
    gen_kv(g, "id", n->id);
    gen_kv(g, "hostname", n->hostname);
    gen_kv(g, "role", n->role);
    gen_key(g, "leader");
    yajl_gen_bool(g, n->leader);
    gen_kv(g, "status", n->status);
    gen_kv(g, "availability", n->availability);
    gen_kv(g, "engine_version", n->engine_version);
    gen_key(g, "cpus");
    if (n->cpus < 0) {
        yajl_gen_null(g);
    } else {
        snprintf(num, sizeof(num), "%.3g", n->cpus);
        yajl_gen_number(g, num, strlen(num));
    }
    gen_ki(g, "memory_bytes", n->memory);
    gen_kv(g, "addr", n->addr);
    gen_key(g, "labels");
    yajl_gen_map_open(g);
    for (i = 0; i < n->nlabels; i++)
        gen_kv(g, n->labels[i].key, n->labels[i].value);
    yajl_gen_map_close(g);
    gen_key(g, "tasks");
    yajl_gen_array_open(g);
}

static void gen_container(yajl_gen g, const struct docker_container *c)
{
    char created[32];

    yajl_gen_map_open(g);
    gen_kv(g, "id", c->id);
    gen_kv(g, "name", c->name);
    gen_kv(g, "image", c->image);
    gen_kv(g, "state", c->state);
    gen_kv(g, "status", c->status);
    gen_kv(g, "project", c->project);
    gen_kv(g, "service", c->service);
    gen_key(g, "created");
    if (c->created < 0) {
        yajl_gen_null(g);
    } else {
        docker_iso_time(c->created, created, sizeof(created));
        gen_str(g, created);
    }
    yajl_gen_map_close(g);
}

/* Index of the service with that ID in the ID-sorted array, or -1. */
static long docker_find_service(const struct docker_service **by_id,
                                size_t n,
                                const char *id)
{
    struct docker_service key = {.id = id};
    const struct docker_service *kp = &key, **found;

    found = bsearch(&kp, by_id, n, sizeof(*by_id), docker_cmp_service_id);
    return found != NULL ? (long)(found - by_id) : -1;
}

/*
 * The swarm part: nodes with their tasks, unassigned tasks, services.
 * Sorting works on arrays of pointers, so the lists stay as parsed.
 */
static void docker_gen_swarm(yajl_gen g, const struct docker_model *m)
{
    const struct docker_list *nl = m->nodes, *sl = m->services, *tl = m->tasks;
    size_t nn = nl ? nl->n : 0, ns = sl ? sl->n : 0, nt = tl ? tl->n : 0;
    const struct docker_node **nodes = xcalloc(nn + 1, sizeof(*nodes));
    const struct docker_service **by_id = xcalloc(ns + 1, sizeof(*by_id));
    const struct docker_service **by_name = xcalloc(ns + 1, sizeof(*by_name));
    struct docker_node_ref *refs = xcalloc(nn + 1, sizeof(*refs));
    struct docker_task_ref *tasks = xcalloc(nt + 1, sizeof(*tasks));
    long long *running = xcalloc(ns + 1, sizeof(*running));
    long long *wanted = xcalloc(ns + 1, sizeof(*wanted));
    size_t i, t = 0;
    long k;

    for (i = 0; i < nn; i++)
        nodes[i] = DOCKER_LIST_AT(nl, struct docker_node, i);
    qsort(nodes, nn, sizeof(*nodes), docker_cmp_node);
    for (i = 0; i < nn; i++) {
        refs[i].id = nodes[i]->id;
        refs[i].pos = (long)i;
    }
    qsort(refs, nn, sizeof(*refs), docker_cmp_node_ref);
    for (i = 0; i < ns; i++)
        by_id[i] = by_name[i] = DOCKER_LIST_AT(sl, struct docker_service, i);
    qsort(by_id, ns, sizeof(*by_id), docker_cmp_service_id);
    qsort(by_name, ns, sizeof(*by_name), docker_cmp_service_name);
    for (i = 0; i < nt; i++) {
        const struct docker_task *task =
            DOCKER_LIST_AT(tl, struct docker_task, i);
        struct docker_node_ref key = {.id = task->node_id}, *found = NULL;

        tasks[i].t = task;
        k = docker_find_service(by_id, ns, task->service_id);
        tasks[i].s = k >= 0 ? by_id[k] : NULL;
        tasks[i].sidx = k;
        if (task->node_id != NULL)
            found = bsearch(&key, refs, nn, sizeof(*refs), docker_cmp_node_ref);
        /* Tasks not yet placed, or on a node that left, are unassigned. */
        tasks[i].node = found != NULL ? found->pos : (long)nn;
    }
    qsort(tasks, nt, sizeof(*tasks), docker_cmp_task);

    gen_key(g, "nodes");
    yajl_gen_array_open(g);
    for (i = 0; i < nn; i++) {
        gen_node_open(g, nodes[i]);
        for (; t < nt && tasks[t].node == (long)i; t++)
            gen_task(g, &tasks[t]);
        yajl_gen_array_close(g);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    gen_key(g, "unassigned");
    yajl_gen_array_open(g);
    for (; t < nt; t++)
        gen_task(g, &tasks[t]);
    yajl_gen_array_close(g);

    /* Tasks per service: running ones, and those the swarm wants. */
    for (i = 0; i < nt; i++) {
        const struct docker_task *task = tasks[i].t;

        if (tasks[i].s == NULL || task->desired_state == NULL ||
            strcmp(task->desired_state, "running") != 0)
            continue;
        wanted[tasks[i].sidx]++;
        if (task->state != NULL && strcmp(task->state, "running") == 0)
            running[tasks[i].sidx]++;
    }
    gen_key(g, "services");
    yajl_gen_array_open(g);
    for (i = 0; i < ns; i++) {
        const struct docker_service *s = by_name[i];
        long idx = docker_find_service(by_id, ns, s->id);

        yajl_gen_map_open(g);
        gen_kv(g, "id", s->id);
        gen_kv(g, "name", s->name);
        gen_kv(g, "stack", s->stack);
        gen_kv(g, "image", s->image);
        gen_kv(g, "mode", s->mode);
        /* Global services want one task per eligible node. */
        gen_ki(g, "replicas",
               s->mode != NULL && strcmp(s->mode, "global") == 0
                   ? (idx >= 0 ? wanted[idx] : 0)
                   : s->replicas);
        gen_ki(g, "running", idx >= 0 ? running[idx] : 0);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);

    free(nodes);
    free(by_id);
    free(by_name);
    free(refs);
    free(tasks);
    free(running);
    free(wanted);
}

int docker_model_json(const struct docker_model *m,
                      const char *generated_at,
                      struct buf *out,
                      size_t *body_off)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    size_t i;
    int rc = 0;

    if (g == NULL)
        abort();
    yajl_gen_config(g, yajl_gen_print_callback, docker_gen_print, out);
    yajl_gen_config(g, yajl_gen_validate_utf8, 1);
    yajl_gen_map_open(g);
    gen_key(g, "version");
    yajl_gen_integer(g, 1);
    gen_kv(g, "generated_at", generated_at);
    *body_off = out->len;

    gen_key(g, "engine");
    yajl_gen_map_open(g);
    gen_key(g, "connected");
    yajl_gen_bool(g, m->connected);
    gen_kv(g, "error", m->connected ? NULL : m->error);
    gen_kv(g, "version", m->version);
    gen_kv(g, "api_version", m->api_version);
    gen_kv(g, "since", m->since);
    yajl_gen_map_close(g);

    gen_key(g, "swarm");
    yajl_gen_bool(g, m->swarm);
    gen_kv(g, "swarm_note", m->swarm ? NULL : m->swarm_note);
    if (m->swarm) {
        docker_gen_swarm(g, m);
    } else {
        gen_key(g, "nodes");
        yajl_gen_array_open(g);
        yajl_gen_array_close(g);
        gen_key(g, "unassigned");
        yajl_gen_array_open(g);
        yajl_gen_array_close(g);
        gen_key(g, "services");
        yajl_gen_array_open(g);
        yajl_gen_array_close(g);
    }

    gen_key(g, "containers");
    yajl_gen_array_open(g);
    if (!m->swarm && m->containers != NULL && m->containers->n > 0) {
        const struct docker_list *cl = m->containers;
        const struct docker_container **cs = xcalloc(cl->n, sizeof(*cs));

        for (i = 0; i < cl->n; i++)
            cs[i] = DOCKER_LIST_AT(cl, struct docker_container, i);
        qsort(cs, cl->n, sizeof(*cs), docker_cmp_container);
        for (i = 0; i < cl->n; i++)
            gen_container(g, cs[i]);
        free(cs);
    }
    yajl_gen_array_close(g);
    if (yajl_gen_map_close(g) != yajl_gen_status_ok)
        rc = -1;
    yajl_gen_free(g);
    buf_reserve(out, 0);
    out->data[out->len] = '\0';
    return rc;
}
