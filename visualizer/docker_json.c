/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker_json.c: the model as JSON (docs/visualizer-api.md). See
 * docker_model_json() in docker_model.h.
 *
 * The rule: every string goes out through yajl_gen, so escaping is right
 * by construction whatever the engine's strings hold; the model is
 * borrowed and never changed (sorting works on arrays of pointers into
 * the lists); the output is one line, so an event stream can carry it as
 * one "data:" field.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yajl/yajl_gen.h>

#include "docker_model.h"
#include "util.h"

void docker_iso_time(long long t, char *out, size_t size)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (gmtime_r(&tt, &tm) == NULL ||
        strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, size, "1970-01-01T00:00:00Z");
}

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
 * The swarm's lists sorted for rendering. Sorting works on arrays of
 * pointers, so the lists stay as parsed.
 */
struct docker_swarm_view {
    const struct docker_node **nodes; /* in the page's column order */
    size_t nn;
    const struct docker_service **by_id, **by_name;
    size_t ns;
    struct docker_task_ref *tasks; /* by node, service name, slot */
    size_t nt;
    long long *running, *wanted; /* per service, in by_id order */
    long long *updated;          /* running since the service's update began */
};

/* Places each task: its service, and its node's column (or unassigned). */
static void docker_view_place_tasks(struct docker_swarm_view *v,
                                    const struct docker_list *tl)
{
    struct docker_node_ref *refs = xcalloc(v->nn + 1, sizeof(*refs));
    size_t i;
    long k;

    for (i = 0; i < v->nn; i++) {
        refs[i].id = v->nodes[i]->id;
        refs[i].pos = (long)i;
    }
    qsort(refs, v->nn, sizeof(*refs), docker_cmp_node_ref);
    for (i = 0; i < v->nt; i++) {
        const struct docker_task *task =
            DOCKER_LIST_AT(tl, struct docker_task, i);
        struct docker_node_ref key = {.id = task->node_id}, *found = NULL;

        v->tasks[i].t = task;
        k = docker_find_service(v->by_id, v->ns, task->service_id);
        v->tasks[i].s = k >= 0 ? v->by_id[k] : NULL;
        v->tasks[i].sidx = k;
        if (task->node_id != NULL)
            found =
                bsearch(&key, refs, v->nn, sizeof(*refs), docker_cmp_node_ref);
        /* Tasks not yet placed, or on a node that left, are unassigned. */
        v->tasks[i].node = found != NULL ? found->pos : (long)v->nn;
    }
    free(refs);
    qsort(v->tasks, v->nt, sizeof(*v->tasks), docker_cmp_task);
}

/* Tasks per service: running ones, and those the swarm wants. */
static void docker_view_count_tasks(struct docker_swarm_view *v)
{
    size_t i;

    for (i = 0; i < v->nt; i++) {
        const struct docker_task *task = v->tasks[i].t;

        if (v->tasks[i].s == NULL || task->desired_state == NULL ||
            strcmp(task->desired_state, "running") != 0)
            continue;
        v->wanted[v->tasks[i].sidx]++;
        if (task->state == NULL || strcmp(task->state, "running") != 0)
            continue;
        v->running[v->tasks[i].sidx]++;
        if (v->tasks[i].s->update_started_ms >= 0 &&
            task->created_ms >= v->tasks[i].s->update_started_ms)
            v->updated[v->tasks[i].sidx]++;
    }
}

/* Sorts the model's swarm lists into v; free with docker_view_free(). */
static void docker_view_init(struct docker_swarm_view *v,
                             const struct docker_model *m)
{
    const struct docker_list *nl = m->nodes, *sl = m->services;
    size_t i;

    v->nn = nl ? nl->n : 0;
    v->ns = sl ? sl->n : 0;
    v->nt = m->tasks ? m->tasks->n : 0;
    v->nodes = xcalloc(v->nn + 1, sizeof(*v->nodes));
    v->by_id = xcalloc(v->ns + 1, sizeof(*v->by_id));
    v->by_name = xcalloc(v->ns + 1, sizeof(*v->by_name));
    v->tasks = xcalloc(v->nt + 1, sizeof(*v->tasks));
    v->running = xcalloc(v->ns + 1, sizeof(*v->running));
    v->wanted = xcalloc(v->ns + 1, sizeof(*v->wanted));
    v->updated = xcalloc(v->ns + 1, sizeof(*v->updated));
    for (i = 0; i < v->nn; i++)
        v->nodes[i] = DOCKER_LIST_AT(nl, struct docker_node, i);
    qsort(v->nodes, v->nn, sizeof(*v->nodes), docker_cmp_node);
    for (i = 0; i < v->ns; i++)
        v->by_id[i] = v->by_name[i] =
            DOCKER_LIST_AT(sl, struct docker_service, i);
    qsort(v->by_id, v->ns, sizeof(*v->by_id), docker_cmp_service_id);
    qsort(v->by_name, v->ns, sizeof(*v->by_name), docker_cmp_service_name);
    docker_view_place_tasks(v, m->tasks);
    docker_view_count_tasks(v);
}

static void docker_view_free(struct docker_swarm_view *v)
{
    free(v->nodes);
    free(v->by_id);
    free(v->by_name);
    free(v->tasks);
    free(v->running);
    free(v->wanted);
    free(v->updated);
}

/* "nodes", each with its tasks, then "unassigned": the other tasks. */
static void docker_gen_nodes(yajl_gen g, const struct docker_swarm_view *v)
{
    size_t i, t = 0;

    gen_key(g, "nodes");
    yajl_gen_array_open(g);
    for (i = 0; i < v->nn; i++) {
        gen_node_open(g, v->nodes[i]);
        for (; t < v->nt && v->tasks[t].node == (long)i; t++)
            gen_task(g, &v->tasks[t]);
        yajl_gen_array_close(g);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    gen_key(g, "unassigned");
    yajl_gen_array_open(g);
    for (; t < v->nt; t++)
        gen_task(g, &v->tasks[t]);
    yajl_gen_array_close(g);
}

/* A CPU count (fractional), or null when not set. */
static void gen_cpus(yajl_gen g, const char *k, double cpus)
{
    char num[32];

    gen_key(g, k);
    if (cpus < 0) {
        yajl_gen_null(g);
        return;
    }
    snprintf(num, sizeof(num), "%.3g", cpus);
    yajl_gen_number(g, num, strlen(num));
}

/* "limits" or "reservations": {"cpus", "memory_bytes"}. */
static void gen_resources(yajl_gen g, const char *k, double cpus, long long mem)
{
    gen_key(g, k);
    yajl_gen_map_open(g);
    gen_cpus(g, "cpus", cpus);
    gen_ki(g, "memory_bytes", mem);
    yajl_gen_map_close(g);
}

/* A service's update (its UpdateStatus and progress), or null. */
static void gen_update(yajl_gen g,
                       const struct docker_service *s,
                       long long updated,
                       long long total)
{
    gen_key(g, "update");
    if (s->update_state == NULL) {
        yajl_gen_null(g);
        return;
    }
    yajl_gen_map_open(g);
    gen_kv(g, "state", s->update_state);
    gen_kv(g, "message", s->update_message);
    gen_kv(g, "started_at", s->update_started);
    gen_kv(g, "completed_at", s->update_completed);
    gen_ki(g, "updated", updated);
    gen_ki(g, "total", total);
    yajl_gen_map_close(g);
}

/* "services", by name, with their wanted and running tasks. */
static void docker_gen_services(yajl_gen g, const struct docker_swarm_view *v)
{
    size_t i, c;
    long long total;

    gen_key(g, "services");
    yajl_gen_array_open(g);
    for (i = 0; i < v->ns; i++) {
        const struct docker_service *s = v->by_name[i];
        long idx = docker_find_service(v->by_id, v->ns, s->id);

        yajl_gen_map_open(g);
        gen_kv(g, "id", s->id);
        gen_kv(g, "name", s->name);
        gen_kv(g, "stack", s->stack);
        gen_kv(g, "image", s->image);
        gen_kv(g, "mode", s->mode);
        /* Global services want one task per eligible node. */
        total = s->mode != NULL && strcmp(s->mode, "global") == 0
                    ? (idx >= 0 ? v->wanted[idx] : 0)
                    : s->replicas;
        gen_ki(g, "replicas", total);
        gen_ki(g, "running", idx >= 0 ? v->running[idx] : 0);
        gen_update(g, s, idx >= 0 ? v->updated[idx] : 0, total);
        gen_key(g, "constraints");
        yajl_gen_array_open(g);
        for (c = 0; c < s->nconstraints; c++)
            gen_str(g, s->constraints[c]);
        yajl_gen_array_close(g);
        gen_ki(g, "max_per_node", s->max_per_node);
        gen_resources(g, "limits", s->limit_cpus, s->limit_mem);
        gen_resources(g, "reservations", s->reserve_cpus, s->reserve_mem);
        gen_key(g, "metrics");
        yajl_gen_bool(g, s->scrape_port > 0);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
}

/* The swarm part: nodes with their tasks, unassigned tasks, services. */
static void docker_gen_swarm(yajl_gen g, const struct docker_model *m)
{
    struct docker_swarm_view v;

    memset(&v, 0, sizeof(v));
    docker_view_init(&v, m);
    docker_gen_nodes(g, &v);
    docker_gen_services(g, &v);
    docker_view_free(&v);
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
