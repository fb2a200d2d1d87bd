/* SPDX-License-Identifier: Apache-2.0 */
/*
 * traffic.c: requests per task. See traffic.h.
 *
 * Who owns what: the table owns its entries (one allocation each, sorted
 * by task ID in t->tasks); traffic_set_targets() keeps the entries of
 * tasks that stay and frees the others, so a pointer to an entry is only
 * good until the next call: the scraper looks tasks up by ID when an
 * answer arrives, it never keeps a pointer across requests.
 */
#include "traffic.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

void traffic_init(struct traffic *t)
{
    memset(t, 0, sizeof(*t));
}

void traffic_free(struct traffic *t)
{
    size_t i;

    if (t == NULL)
        return;
    for (i = 0; i < t->n; i++)
        free(t->tasks[i]);
    free(t->tasks);
    memset(t, 0, sizeof(*t));
}

static int traffic_cmp_id(const void *a, const void *b)
{
    return strcmp((*(struct traffic_task *const *)a)->id,
                  (*(struct traffic_task *const *)b)->id);
}

struct traffic_task *traffic_find(const struct traffic *t, const char *id)
{
    struct traffic_task key, *kp = &key, **found;

    if (id == NULL || strlen(id) >= sizeof(key.id) || t->n == 0)
        return NULL;
    snprintf(key.id, sizeof(key.id), "%s", id);
    found = bsearch(&kp, t->tasks, t->n, sizeof(*t->tasks), traffic_cmp_id);
    return found != NULL ? *found : NULL;
}

int traffic_parse_addr(const char *s,
                       int port,
                       struct sockaddr_storage *sa,
                       socklen_t *len)
{
    char tmp[INET6_ADDRSTRLEN + 1];
    size_t n = strcspn(s, "/");

    if (n == 0 || n >= sizeof(tmp) || port < 1 || port > 65535)
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    memset(sa, 0, sizeof(*sa));
    if (inet_pton(AF_INET, tmp, &((struct sockaddr_in *)sa)->sin_addr) == 1) {
        struct sockaddr_in *in = (struct sockaddr_in *)sa;

        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)port);
        *len = sizeof(*in);
        return 0;
    }
    if (inet_pton(AF_INET6, tmp, &((struct sockaddr_in6 *)sa)->sin6_addr) ==
        1) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;

        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        *len = sizeof(*in6);
        return 0;
    }
    return -1;
}

int traffic_in_net(const struct sockaddr_storage *sa,
                   const struct traffic_net *net)
{
    const uint8_t *a;
    unsigned bits = net->prefix, full, rest;

    if (sa->ss_family != net->family)
        return 0;
    a = sa->ss_family == AF_INET
            ? (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr
            : (const uint8_t *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
    if (bits > (net->family == AF_INET ? 32u : 128u))
        return 0;
    full = bits / 8;
    rest = bits % 8;
    if (memcmp(a, net->addr, full) != 0)
        return 0;
    return rest == 0 ||
           ((a[full] ^ net->addr[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

/* The first of a target's addresses on one of nets; 1 when found. */
static int traffic_pick(struct traffic_task *k,
                        const struct traffic_target *tg,
                        const struct traffic_net *nets,
                        size_t nnets)
{
    struct sockaddr_storage sa;
    socklen_t len;
    size_t i, j;

    memset(&k->addr, 0, sizeof(k->addr));
    for (i = 0; i < tg->naddrs && i < TRAFFIC_MAX_ADDRS; i++) {
        if (tg->addrs[i] == NULL ||
            traffic_parse_addr(tg->addrs[i], tg->port, &sa, &len) != 0 ||
            len > sizeof(k->addr))
            continue;
        for (j = 0; j < nnets; j++) {
            if (traffic_in_net(&sa, &nets[j])) {
                memcpy(&k->addr, &sa, len);
                return 1;
            }
        }
    }
    return 0;
}

void traffic_set_targets(struct traffic *t,
                         const struct traffic_target *tg,
                         size_t n,
                         const struct traffic_net *nets,
                         size_t nnets)
{
    struct traffic_task **tasks = xcalloc(n + 1, sizeof(*tasks)), *k;
    uint8_t *kept = xcalloc(t->n + 1, 1);
    size_t i, m = 0, w;

    for (i = 0; i < n && m < TRAFFIC_MAX_TARGETS; i++) {
        const struct traffic_target *g = &tg[i];

        if (g->task_id == NULL || g->service_id == NULL ||
            g->task_id[0] == '\0' || strlen(g->task_id) >= TRAFFIC_ID_MAX ||
            strlen(g->service_id) >= TRAFFIC_ID_MAX || g->port < 1 ||
            g->port > 65535)
            continue;
        k = traffic_find(t, g->task_id);
        if (k != NULL) {
            struct traffic_task **pos =
                bsearch(&k, t->tasks, t->n, sizeof(*t->tasks), traffic_cmp_id);

            if (kept[pos - t->tasks])
                continue; /* the same task twice */
            kept[pos - t->tasks] = 1;
        } else {
            k = xcalloc(1, sizeof(*k));
            snprintf(k->id, sizeof(k->id), "%s", g->task_id);
        }
        snprintf(k->service_id, sizeof(k->service_id), "%s", g->service_id);
        k->reachable = traffic_pick(k, g, nets, nnets);
        tasks[m++] = k;
    }
    for (i = 0; i < t->n; i++)
        if (!kept[i])
            free(t->tasks[i]);
    qsort(tasks, m, sizeof(*tasks), traffic_cmp_id);
    /* A new task listed twice: keep the first. */
    for (i = w = 0; i < m; i++) {
        if (w > 0 && strcmp(tasks[w - 1]->id, tasks[i]->id) == 0) {
            free(tasks[i]);
            continue;
        }
        tasks[w++] = tasks[i];
    }
    free(kept);
    free(t->tasks);
    t->tasks = tasks;
    t->n = w;
    t->generation++;
}

void traffic_answer(struct traffic_task *k,
                    int ok,
                    uint64_t now_ms,
                    uint64_t count)
{
    if (!ok) {
        k->failures++;
        return;
    }
    k->answers++;
    if (k->ns > 0 && count < k->s[k->ns - 1].count) {
        k->ns = 0; /* a new process: a new window */
        k->have_reported = 0;
    }
    if (k->ns == TRAFFIC_SAMPLES) {
        memmove(k->s, k->s + 1, sizeof(k->s[0]) * (TRAFFIC_SAMPLES - 1));
        k->ns--;
    }
    k->s[k->ns].t_ms = now_ms;
    k->s[k->ns].count = count;
    k->ns++;
}

int traffic_rate(const struct traffic_task *k, uint64_t now_ms, double *rps)
{
    const struct traffic_sample *last, *first;
    unsigned i;

    if (k->ns < 2)
        return -1;
    last = &k->s[k->ns - 1];
    if (now_ms > last->t_ms && now_ms - last->t_ms > TRAFFIC_STALE_MS)
        return -1;
    /* The oldest answer still in the window (at least the one before). */
    first = &k->s[k->ns - 2];
    for (i = 0; i + 1 < k->ns; i++) {
        if (last->t_ms - k->s[i].t_ms <= TRAFFIC_WINDOW_MS) {
            first = &k->s[i];
            break;
        }
    }
    if (last->t_ms <= first->t_ms)
        return -1;
    *rps = (double)(last->count - first->count) * 1000.0 /
           (double)(last->t_ms - first->t_ms);
    return 0;
}

int traffic_local_nets(struct traffic_net *nets, size_t max)
{
    struct ifaddrs *ifs, *i;
    size_t n = 0;

    if (getifaddrs(&ifs) != 0)
        return -1;
    for (i = ifs; i != NULL && n < max; i = i->ifa_next) {
        struct traffic_net *net = &nets[n];
        const uint8_t *a, *m;
        size_t len, b;

        if (i->ifa_addr == NULL || i->ifa_netmask == NULL ||
            !(i->ifa_flags & IFF_UP))
            continue;
        /* getifaddrs() gives each address in storage of its family (the
         * casts go through void *: struct sockaddr alone is less aligned). */
        if (i->ifa_addr->sa_family == AF_INET) {
            const struct sockaddr_in *sa = (const void *)i->ifa_addr;
            const struct sockaddr_in *sm = (const void *)i->ifa_netmask;

            a = (const uint8_t *)&sa->sin_addr;
            m = (const uint8_t *)&sm->sin_addr;
            len = 4;
        } else if (i->ifa_addr->sa_family == AF_INET6) {
            const struct sockaddr_in6 *sa = (const void *)i->ifa_addr;
            const struct sockaddr_in6 *sm = (const void *)i->ifa_netmask;

            a = (const uint8_t *)&sa->sin6_addr;
            m = (const uint8_t *)&sm->sin6_addr;
            len = 16;
        } else {
            continue;
        }
        memset(net, 0, sizeof(*net));
        net->family = i->ifa_addr->sa_family;
        for (b = 0; b < len; b++) {
            net->addr[b] = a[b] & m[b];
            net->prefix += (unsigned)__builtin_popcount(m[b]);
        }
        n++;
    }
    freeifaddrs(ifs);
    return (int)n;
}

/* ------------------------------------------------------------------ */
/* The document                                                        */
/* ------------------------------------------------------------------ */

static int traffic_cmp_service(const void *a, const void *b)
{
    const struct traffic_task *x = *(struct traffic_task *const *)a;
    const struct traffic_task *y = *(struct traffic_task *const *)b;
    int c = strcmp(x->service_id, y->service_id);

    return c != 0 ? c : strcmp(x->id, y->id);
}

static void traffic_gen_print(void *ctx, const char *s, size_t len)
{
    buf_append(ctx, s, len);
}

static void gen_key(yajl_gen g, const char *k)
{
    yajl_gen_string(g, (const unsigned char *)k, strlen(k));
}

/* A number printed with a fixed number of decimals. */
static void gen_fixed(yajl_gen g, double v, int decimals)
{
    char num[48];
    int n = snprintf(num, sizeof(num), "%.*f", decimals, v);

    yajl_gen_number(g, num, (size_t)n);
}

int traffic_json(struct traffic *t,
                 uint64_t now_ms,
                 const char *at,
                 struct buf *out,
                 size_t *body_off)
{
    struct traffic_task **by = xcalloc(t->n + 1, sizeof(*by));
    double *rps = xcalloc(t->n + 1, sizeof(*rps));
    double *share = xcalloc(t->n + 1, sizeof(*share));
    uint8_t *ok = xcalloc(t->n + 1, 1);
    yajl_gen g = yajl_gen_alloc(NULL);
    size_t i, j, end;
    int rc = 0;

    if (g == NULL)
        abort();
    yajl_gen_config(g, yajl_gen_print_callback, traffic_gen_print, out);
    memcpy(by, t->tasks, t->n * sizeof(*by));
    qsort(by, t->n, sizeof(*by), traffic_cmp_service);
    for (i = 0; i < t->n; i++)
        ok[i] = by[i]->reachable && traffic_rate(by[i], now_ms, &rps[i]) == 0;

    yajl_gen_map_open(g);
    gen_key(g, "version");
    yajl_gen_integer(g, 1);
    gen_key(g, "at");
    yajl_gen_string(g, (const unsigned char *)at, strlen(at));
    *body_off = out->len;
    gen_key(g, "window_s");
    yajl_gen_integer(g, TRAFFIC_WINDOW_MS / 1000);
    gen_key(g, "services");
    yajl_gen_map_open(g);
    for (i = 0; i < t->n; i = end) {
        double sum = 0;
        size_t reporting = 0;

        for (end = i;
             end < t->n && strcmp(by[end]->service_id, by[i]->service_id) == 0;
             end++) {
            if (ok[end]) {
                sum += rps[end];
                reporting++;
            }
        }
        gen_key(g, by[i]->service_id);
        yajl_gen_map_open(g);
        gen_key(g, "rps");
        gen_fixed(g, sum, 2);
        gen_key(g, "tasks");
        yajl_gen_integer(g, (long long)(end - i));
        gen_key(g, "reporting");
        yajl_gen_integer(g, (long long)reporting);
        yajl_gen_map_close(g);
        /* Each task's part of that total (-1: none while it is 0). */
        for (j = i; j < end; j++)
            share[j] = sum > 0 ? rps[j] / sum : -1;
    }
    yajl_gen_map_close(g);
    gen_key(g, "tasks");
    yajl_gen_map_open(g);
    for (i = 0; i < t->n; i++) {
        struct traffic_task *k = by[i];

        gen_key(g, k->id);
        if (!ok[i]) {
            yajl_gen_null(g);
            continue;
        }
        yajl_gen_map_open(g);
        gen_key(g, "rps");
        gen_fixed(g, rps[i], 2);
        gen_key(g, "share");
        if (share[i] < 0)
            yajl_gen_null(g);
        else
            gen_fixed(g, share[i], 3);
        gen_key(g, "new");
        yajl_gen_integer(
            g, k->have_reported && k->s[k->ns - 1].count >= k->reported
                   ? (long long)(k->s[k->ns - 1].count - k->reported)
                   : 0);
        yajl_gen_map_close(g);
    }
    yajl_gen_map_close(g);
    if (yajl_gen_map_close(g) != yajl_gen_status_ok)
        rc = -1;
    yajl_gen_free(g);
    for (i = 0; i < t->n; i++) {
        if (t->tasks[i]->ns > 0) {
            t->tasks[i]->reported = t->tasks[i]->s[t->tasks[i]->ns - 1].count;
            t->tasks[i]->have_reported = 1;
        }
    }
    buf_reserve(out, 0);
    out->data[out->len] = '\0';
    free(by);
    free(rps);
    free(share);
    free(ok);
    return rc;
}
