/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker_fields.c: the engine's replies into the model. See
 * docker_model.h.
 *
 * The rule: each reply kind has a whitelist of jscan fields here, and a
 * function that turns one record into one item. These whitelists are the
 * only place that decides what leaves the engine: a field that is not
 * listed here is never copied, so it cannot reach a page. Adding a field
 * to the model means adding it to a whitelist, to its mapper, to the
 * renderer (docker_json.c) and to docs/visualizer-api.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "docker_arena.h"
#include "docker_model.h"
#include "jscan.h"
#include "util.h"

/* ------------------------------------------------------------------ */
/* Whitelists and record mappers                                       */
/* ------------------------------------------------------------------ */

/* Returns s unless it is NULL or empty. */
static const char *docker_nonempty(const char *s)
{
    return s != NULL && s[0] != '\0' ? s : NULL;
}

/*
 * An engine time ("2026-11-27T11:27:51.897176741Z", UTC) in ms since the
 * epoch, or -1 when it is not one.
 */
static long long docker_time_ms(const char *t)
{
    struct tm tm;
    int y, mo, d, h, mi, sec, n = 0;
    long long ms = 0, scale = 100;
    time_t secs;

    if (t == NULL ||
        sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec,
               &n) != 6 ||
        n != 19)
        return -1;
    t += n;
    if (*t == '.')
        for (t++; *t >= '0' && *t <= '9'; t++, scale /= 10)
            ms += (*t - '0') * scale;
    if (strcmp(t, "Z") != 0)
        return -1;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    secs = timegm(&tm);
    return secs == (time_t)-1 ? -1 : (long long)secs * 1000 + ms;
}

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
    S_UP_STATE,
    S_UP_MESSAGE,
    S_UP_STARTED,
    S_UP_COMPLETED,
    S_CONSTRAINTS,
    S_MAX_REPLICAS,
    S_LIMIT_CPUS,
    S_LIMIT_MEM,
    S_RESERVE_CPUS,
    S_RESERVE_MEM,
    S_SCRAPE,
    S_SCRAPE_PORT,
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
    [S_UP_STATE] = {P("UpdateStatus", "State"), JSCAN_STRING},
    [S_UP_MESSAGE] = {P("UpdateStatus", "Message"), JSCAN_STRING},
    [S_UP_STARTED] = {P("UpdateStatus", "StartedAt"), JSCAN_STRING},
    [S_UP_COMPLETED] = {P("UpdateStatus", "CompletedAt"), JSCAN_STRING},
    [S_CONSTRAINTS] =
        {P("Spec", "TaskTemplate", "Placement", "Constraints", JSCAN_ITEM),
         JSCAN_LIST},
    [S_MAX_REPLICAS] = {P("Spec", "TaskTemplate", "Placement", "MaxReplicas"),
                        JSCAN_NUMBER},
    [S_LIMIT_CPUS] =
        {P("Spec", "TaskTemplate", "Resources", "Limits", "NanoCPUs"),
         JSCAN_NUMBER},
    [S_LIMIT_MEM] =
        {P("Spec", "TaskTemplate", "Resources", "Limits", "MemoryBytes"),
         JSCAN_NUMBER},
    [S_RESERVE_CPUS] =
        {P("Spec", "TaskTemplate", "Resources", "Reservations", "NanoCPUs"),
         JSCAN_NUMBER},
    [S_RESERVE_MEM] =
        {P("Spec", "TaskTemplate", "Resources", "Reservations", "MemoryBytes"),
         JSCAN_NUMBER},
    [S_SCRAPE] = {P("Spec", "Labels", DOCKER_SCRAPE_LABEL), JSCAN_STRING},
    [S_SCRAPE_PORT] = {P("Spec", "Labels", DOCKER_SCRAPE_PORT_LABEL),
                       JSCAN_STRING},
};

/* A positive number field, or -1. */
static long long docker_positive(const struct jscan_record *rec, int id)
{
    long long v;

    return jscan_int(rec, id, &v) == 0 && v > 0 ? v : -1;
}

/*
 * The port a service's labels ask the scraper to use: 0 unless the opt-in
 * label is exactly "true"; then the port label (digits, 1-65535), 80
 * without one, and 0 (not asked) when it is not a port.
 */
static int docker_scrape_port(const struct jscan_record *rec)
{
    const char *on = jscan_str(rec, S_SCRAPE);
    const char *port = jscan_str(rec, S_SCRAPE_PORT);
    long v = 0;
    size_t i;

    if (on == NULL || strcmp(on, "true") != 0)
        return 0;
    if (port == NULL)
        return 80;
    for (i = 0; port[i] != '\0'; i++) {
        if (port[i] < '0' || port[i] > '9' || i >= 5)
            return 0;
        v = v * 10 + (port[i] - '0');
    }
    return v >= 1 && v <= 65535 ? (int)v : 0;
}

/* The placement constraints, as an array in the arena. */
static void docker_service_constraints(struct docker_list *l,
                                       struct docker_service *s,
                                       const struct jscan_record *rec)
{
    const char *v;
    size_t it = 0, n = 0;

    while (jscan_list_next(rec, S_CONSTRAINTS, &it, &v))
        n++;
    if (n > DOCKER_MAX_CONSTRAINTS) {
        n = DOCKER_MAX_CONSTRAINTS;
        l->truncated++;
    }
    if (n == 0)
        return;
    s->constraints = docker_arena_alloc(&l->arena, n * sizeof(char *));
    for (it = 0;
         s->nconstraints < n && jscan_list_next(rec, S_CONSTRAINTS, &it, &v);)
        s->constraints[s->nconstraints++] = docker_intern(l, v);
}

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
    s->update_state = docker_arena_str(a, jscan_str(rec, S_UP_STATE));
    if (s->update_state != NULL) {
        const char *started = jscan_str(rec, S_UP_STARTED);

        s->update_message =
            docker_arena_str(a, docker_nonempty(jscan_str(rec, S_UP_MESSAGE)));
        s->update_started = docker_arena_time(a, started);
        s->update_completed =
            docker_arena_time(a, jscan_str(rec, S_UP_COMPLETED));
    }
    s->update_started_ms = s->update_state != NULL
                               ? docker_time_ms(jscan_str(rec, S_UP_STARTED))
                               : -1;
    docker_service_constraints(l, s, rec);
    s->max_per_node = docker_positive(rec, S_MAX_REPLICAS);
    s->limit_cpus = docker_positive(rec, S_LIMIT_CPUS);
    s->limit_cpus = s->limit_cpus > 0 ? s->limit_cpus / 1e9 : -1;
    s->reserve_cpus = docker_positive(rec, S_RESERVE_CPUS);
    s->reserve_cpus = s->reserve_cpus > 0 ? s->reserve_cpus / 1e9 : -1;
    s->limit_mem = docker_positive(rec, S_LIMIT_MEM);
    s->reserve_mem = docker_positive(rec, S_RESERVE_MEM);
    s->scrape_port = docker_scrape_port(rec);
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
    T_CREATED,
    T_ADDRS,
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
    [T_CREATED] = {P("CreatedAt"), JSCAN_STRING},
    [T_ADDRS] = {P("NetworksAttachments", JSCAN_ITEM, "Addresses", JSCAN_ITEM),
                 JSCAN_LIST},
};

/*
 * A running task's addresses ("10.0.1.5/24 10.0.2.9/24"): only address
 * characters, at most DOCKER_MAX_ADDRS, into the arena; NULL when none.
 */
static const char *docker_task_addrs(struct docker_arena *a,
                                     const struct jscan_record *rec)
{
    char out[DOCKER_MAX_ADDRS * 64];
    const char *v;
    size_t it = 0, n = 0, k = 0, len;

    while (k < DOCKER_MAX_ADDRS && jscan_list_next(rec, T_ADDRS, &it, &v)) {
        len = strlen(v);
        if (len == 0 || len >= 64 ||
            strspn(v, "0123456789abcdefABCDEF:./") != len)
            continue;
        if (n > 0)
            out[n++] = ' ';
        memcpy(out + n, v, len);
        n += len;
        k++;
    }
    return n > 0 ? docker_arena_copy(a, out, n) : NULL;
}

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
    t->created_ms = docker_time_ms(jscan_str(rec, T_CREATED));
    if (t->state != NULL && t->desired_state != NULL &&
        strcmp(t->state, "running") == 0 &&
        strcmp(t->desired_state, "running") == 0)
        t->addrs = docker_task_addrs(a, rec);
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

        jscan_copy(rec, V_VERSION, v->version, sizeof(v->version));
        jscan_copy(rec, V_API, v->api_version, sizeof(v->api_version));
        return 0;
    }
    case DOCKER_KIND_INFO: {
        struct docker_info *i = p->out;

        jscan_copy(rec, I_STATE, i->local_state, sizeof(i->local_state));
        i->control_available = jscan_bool(rec, I_CONTROL, 0);
        jscan_copy(rec, I_ERROR, i->swarm_error, sizeof(i->swarm_error));
        jscan_copy(rec, I_VERSION, i->server_version,
                   sizeof(i->server_version));
        return 0;
    }
    case DOCKER_KIND_EVENT: {
        struct docker_event *e = p->out;

        jscan_copy(rec, E_TYPE, e->type, sizeof(e->type));
        jscan_copy(rec, E_ACTION, e->action, sizeof(e->action));
        jscan_copy(rec, E_NAME, e->name, sizeof(e->name));
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
