/* SPDX-License-Identifier: Apache-2.0 */
/*
 * compose.c: the compose file reader. See compose.h.
 *
 * libyaml's document loader builds a graph of nodes (aliases point at the
 * anchored node, nothing is copied, so an "alias bomb" costs nothing).
 * Two passes follow. The first looks at every mapping of the document for
 * duplicate keys, as docker does. The second walks only the parts of the
 * compose schema the model holds, so its depth is fixed; merge keys are
 * resolved on the way with a depth limit and a work budget, because libyaml
 * lets an anchor refer to itself.
 */
#include "compose.h"

#include <stdarg.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "util.h"

/* Merge keys nested deeper than this are refused. */
#define COMPOSE_MERGE_DEPTH 8

/* Key comparisons allowed for merges in one file before it is refused. */
#define COMPOSE_WORK_BUDGET 4000000u

struct reader {
    yaml_document_t doc;
    struct compose_error *err;
    unsigned long work; /* comparisons spent resolving merge keys */
};

/* One key and its value in a mapping, after merge keys are resolved. */
struct pair {
    yaml_node_t *key;
    yaml_node_t *value;
};

struct pairs {
    struct pair *v;
    size_t n, cap;
};

/*
 * Grows an array to hold n + 1 elements of size bytes. Returns the
 * (possibly moved) array; *cap is updated.
 */
static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return p;
    *cap = *cap < 4 ? 4 : *cap * 2;
    return xrealloc(p, *cap * size);
}

/*
 * The 1-based position of a node (libyaml's marks are 0-based, and count
 * characters, not bytes, in a line). A NULL node has no position.
 */
static struct compose_pos pos_of(const yaml_node_t *node)
{
    struct compose_pos p = {0, 0};

    if (node != NULL) {
        p.line = (unsigned)node->start_mark.line + 1;
        p.column = (unsigned)node->start_mark.column + 1;
    }
    return p;
}

/*
 * Records an error at node's position (the first one wins) and returns -1,
 * so a caller can write `return fail(...)`.
 */
static int fail(struct reader *r,
                const yaml_node_t *node,
                enum compose_errcode code,
                const char *fmt,
                ...) __attribute__((format(printf, 4, 5)));

static int fail(struct reader *r,
                const yaml_node_t *node,
                enum compose_errcode code,
                const char *fmt,
                ...)
{
    va_list ap;

    if (r->err->code != COMPOSE_OK)
        return -1;
    r->err->code = code;
    r->err->pos = pos_of(node);
    va_start(ap, fmt);
    vsnprintf(r->err->msg, sizeof(r->err->msg), fmt, ap);
    va_end(ap);
    return -1;
}

/*
 * The node of the document at index, or NULL for an index libyaml left
 * empty (an empty value in a flow collection).
 */
static yaml_node_t *node_at(struct reader *r, int index)
{
    return yaml_document_get_node(&r->doc, index);
}

/* "a mapping", "a list" or "a string", for messages about wrong types. */
static const char *kind_of(const yaml_node_t *node)
{
    switch (node->type) {
    case YAML_MAPPING_NODE: return "a mapping";
    case YAML_SEQUENCE_NODE: return "a list";
    case YAML_SCALAR_NODE: return "a string";
    default: return "nothing";
    }
}

/* A plain scalar that YAML reads as null: empty, ~ or null. */
static int is_null(const yaml_node_t *node)
{
    const char *v;

    if (node == NULL)
        return 1;
    if (node->type != YAML_SCALAR_NODE ||
        node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    v = (const char *)node->data.scalar.value;
    return v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
           strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

/*
 * Whether node is a string, a number or a boolean: YAML scalars all.
 */
static int is_scalar(const yaml_node_t *node)
{
    return node != NULL && node->type == YAML_SCALAR_NODE;
}

/* The scalar's text, borrowed from the document. */
static const char *text_of(const yaml_node_t *node)
{
    return (const char *)node->data.scalar.value;
}

/*
 * Checks that node is a scalar without NUL bytes inside (a double-quoted
 * "\0" would cut the string short) and returns a copy of its text, or NULL
 * with an error naming what. The caller frees the copy.
 */
static char *
dup_scalar(struct reader *r, const yaml_node_t *node, const char *what)
{
    if (node == NULL || node->type != YAML_SCALAR_NODE) {
        fail(r, node, COMPOSE_ERR_INVALID, "%s must be a string, not %s", what,
             node != NULL ? kind_of(node) : "nothing");
        return NULL;
    }
    if (memchr(node->data.scalar.value, '\0', node->data.scalar.length) !=
        NULL) {
        fail(r, node, COMPOSE_ERR_INVALID,
             "%s holds a NUL character: remove the \\0 escape", what);
        return NULL;
    }
    return xstrdup(text_of(node));
}

/*
 * Parses a YAML boolean (YAML 1.1 spellings, as docker's loader reads
 * them). Returns 0 with *out set, or -1 with an error.
 */
static int
get_bool(struct reader *r, const yaml_node_t *node, const char *what, int *out)
{
    static const char *const yes[] = {"true", "yes", "on", "y"};
    static const char *const no[] = {"false", "no", "off", "n"};
    size_t i;

    if (is_scalar(node)) {
        for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
            if (strcasecmp(text_of(node), yes[i]) == 0) {
                *out = 1;
                return 0;
            }
            if (strcasecmp(text_of(node), no[i]) == 0) {
                *out = 0;
                return 0;
            }
        }
    }
    return fail(r, node, COMPOSE_ERR_INVALID,
                "%s must be true or false, not %s", what,
                is_scalar(node) ? "this string" : kind_of(node));
}

/*
 * Whether key is YAML 1.1's merge key: a plain `<<`. A quoted "<<" is an
 * ordinary key, as in every YAML library that knows merge keys.
 */
static int is_merge_key(const yaml_node_t *key)
{
    return is_scalar(key) &&
           key->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
           strcmp(text_of(key), "<<") == 0;
}

/* Finds key in the pairs collected so far; NULL when absent. */
static struct pair *
pairs_find(struct reader *r, const struct pairs *ps, const char *key)
{
    size_t i;

    for (i = 0; i < ps->n; i++) {
        r->work++;
        if (strcmp(text_of(ps->v[i].key), key) == 0)
            return &ps->v[i];
    }
    return NULL;
}

/*
 * Appends a key and its value; both stay owned by the document.
 */
static void pairs_add(struct pairs *ps, yaml_node_t *key, yaml_node_t *value)
{
    ps->v = grow(ps->v, &ps->cap, ps->n, sizeof(*ps->v));
    ps->v[ps->n].key = key;
    ps->v[ps->n].value = value;
    ps->n++;
}

/*
 * Collects the keys and values of a mapping into out, resolving merge keys
 * (`<<: *base` or `<<: [*a, *b]`): keys written in the mapping win over
 * merged ones, and earlier merged mappings win over later ones. Keys must be
 * strings. what names the mapping in errors. Returns 0 or -1 with an error.
 */
static int collect_map(struct reader *r,
                       yaml_node_t *map,
                       const char *what,
                       struct pairs *out,
                       int depth)
{
    yaml_node_pair_t *p;
    yaml_node_item_t *it;
    yaml_node_t *key, *value, *src;
    struct pairs merged = {NULL, 0, 0};
    size_t i;
    int rc = -1;

    r->work += 1 + map->data.mapping.pairs.top - map->data.mapping.pairs.start;
    if (r->work > COMPOSE_WORK_BUDGET) {
        fail(r, map, COMPOSE_ERR_INVALID,
             "merge keys (<<) in %s expand to too many keys: simplify the "
             "anchors",
             what);
        goto done;
    }
    if (depth > COMPOSE_MERGE_DEPTH) {
        fail(r, map, COMPOSE_ERR_INVALID,
             "merge keys (<<) nested more than %d deep in %s: flatten them",
             COMPOSE_MERGE_DEPTH, what);
        goto done;
    }
    for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        key = node_at(r, p->key);
        value = node_at(r, p->value);
        if (!is_scalar(key)) {
            fail(r, key, COMPOSE_ERR_INVALID,
                 "the keys of %s must be strings, not %s", what,
                 key != NULL ? kind_of(key) : "nothing");
            goto done;
        }
        if (!is_merge_key(key))
            pairs_add(out, key, value);
    }

    /* Then the merge keys, in order; each adds only the keys still absent. */
    for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        key = node_at(r, p->key);
        value = node_at(r, p->value);
        if (!is_merge_key(key))
            continue;
        if (value == NULL || (value->type != YAML_MAPPING_NODE &&
                              value->type != YAML_SEQUENCE_NODE)) {
            fail(r, value != NULL ? value : key, COMPOSE_ERR_INVALID,
                 "a merge key (<<) in %s takes a mapping or a list of "
                 "mappings (e.g. <<: *defaults), not %s",
                 what, value != NULL ? kind_of(value) : "nothing");
            goto done;
        }
        it = NULL;
        if (value->type == YAML_SEQUENCE_NODE)
            it = value->data.sequence.items.start;
        for (;;) {
            if (value->type == YAML_MAPPING_NODE) {
                src = value;
            } else {
                if (it >= value->data.sequence.items.top)
                    break;
                src = node_at(r, *it++);
            }
            if (src == NULL || src->type != YAML_MAPPING_NODE) {
                fail(r, src != NULL ? src : value, COMPOSE_ERR_INVALID,
                     "a merge key (<<) in %s lists %s: only mappings can be "
                     "merged",
                     what, src != NULL ? kind_of(src) : "nothing");
                goto done;
            }
            merged.n = 0;
            if (collect_map(r, src, what, &merged, depth + 1) != 0)
                goto done;
            for (i = 0; i < merged.n; i++) {
                if (pairs_find(r, out, text_of(merged.v[i].key)) == NULL)
                    pairs_add(out, merged.v[i].key, merged.v[i].value);
            }
            if (r->work > COMPOSE_WORK_BUDGET) {
                fail(r, key, COMPOSE_ERR_INVALID,
                     "merge keys (<<) in %s expand to too many keys: "
                     "simplify the anchors",
                     what);
                goto done;
            }
            if (value->type == YAML_MAPPING_NODE)
                break;
        }
    }
    rc = 0;
done:
    free(merged.v);
    return rc;
}

/* A mapping's pairs, or NULL with an error when node is not a mapping. */
static int get_map(struct reader *r,
                   yaml_node_t *node,
                   const char *what,
                   struct pairs *out)
{
    out->v = NULL;
    out->n = out->cap = 0;
    if (node == NULL || node->type != YAML_MAPPING_NODE)
        return fail(r, node, COMPOSE_ERR_INVALID,
                    "%s must be a mapping (key: value lines), not %s", what,
                    node != NULL ? kind_of(node) : "nothing");
    if (collect_map(r, node, what, out, 0) != 0) {
        free(out->v);
        out->v = NULL;
        return -1;
    }
    return 0;
}

/* The value of key in ps, or NULL (also when the value is null). */
static yaml_node_t *get(struct reader *r, struct pairs *ps, const char *key)
{
    struct pair *p = pairs_find(r, ps, key);

    if (p == NULL || is_null(p->value))
        return NULL;
    return p->value;
}

/*
 * Checks that node is a list; returns 0, or -1 with an error saying what
 * was expected.
 */
static int
want_list(struct reader *r, const yaml_node_t *node, const char *what)
{
    if (node->type == YAML_SEQUENCE_NODE)
        return 0;
    return fail(r, node, COMPOSE_ERR_INVALID,
                "%s must be a list (lines starting with '- '), not %s", what,
                kind_of(node));
}

/*
 * Parses a port number "1".."65535", or a range "8000-8010", into lo and
 * hi. Returns 0, or -1 when s is neither.
 */
static int parse_port_range(const char *s, unsigned *lo, unsigned *hi)
{
    unsigned long a, b;
    char *end;

    if (!isdigit((unsigned char)s[0]))
        return -1;
    a = strtoul(s, &end, 10);
    b = a;
    if (*end == '-') {
        if (!isdigit((unsigned char)end[1]))
            return -1;
        b = strtoul(end + 1, &end, 10);
    }
    if (*end != '\0' || a < 1 || a > 65535 || b < a || b > 65535)
        return -1;
    *lo = (unsigned)a;
    *hi = (unsigned)b;
    return 0;
}

/*
 * Parses the short port syntax of compose:
 *     [HOST_IP:][HOST_PORT[-END]:]CONTAINER_PORT[-END][/PROTOCOL]
 * with an IPv6 host address in brackets. Fills port, or returns -1 with
 * an error.
 */
static int parse_port_short(struct reader *r,
                            const yaml_node_t *node,
                            const char *svc,
                            struct compose_port *port)
{
    char *s = NULL, *slash, *colon, *host = NULL, *pub = NULL, *ctr;
    int rc = -1;

    s = dup_scalar(r, node, "a port");
    if (s == NULL)
        goto done;

    /* Cut the string in place from the right: protocol, container, host. */
    slash = strchr(s, '/');
    if (slash != NULL) {
        *slash = '\0';
        port->protocol = xstrdup(slash + 1);
    }
    ctr = s;
    if (s[0] == '[') {
        /* [IPv6]:HOST:CONTAINER */
        colon = strstr(s, "]:");
        if (colon == NULL)
            goto bad;
        *colon = '\0';
        port->host_ip = xstrdup(s + 1);
        pub = colon + 2;
        colon = strchr(pub, ':');
        if (colon == NULL)
            goto bad;
        *colon = '\0';
        ctr = colon + 1;
    } else if ((colon = strrchr(s, ':')) != NULL) {
        /* HOST:CONTAINER, or IP:HOST:CONTAINER (HOST may be empty). */
        *colon = '\0';
        ctr = colon + 1;
        pub = s;
        colon = strrchr(s, ':');
        if (colon != NULL) {
            *colon = '\0';
            host = s;
            pub = colon + 1;
            if (strchr(host, ':') != NULL)
                goto bad; /* IPv6 without brackets */
            port->host_ip = xstrdup(host);
        }
    }
    if (parse_port_range(ctr, &port->target, &port->target_end) != 0)
        goto bad;
    if (pub != NULL && pub[0] != '\0' &&
        parse_port_range(pub, &port->published, &port->published_end) != 0)
        goto bad;
    rc = 0;
    goto done;
bad:
    fail(r, node, COMPOSE_ERR_INVALID,
         "service %s: port \"%s\" is not [HOST_IP:][HOST_PORT:]CONTAINER_PORT"
         "[/PROTOCOL] (e.g. \"80:80\" or \"127.0.0.1:6379:6379\", ports "
         "1-65535, IPv6 addresses in [])",
         svc, text_of(node));
done:
    free(s);
    return rc;
}

/* Reads a port number given as an integer or a string. */
static int get_port_number(struct reader *r,
                           const yaml_node_t *node,
                           const char *what,
                           unsigned *lo,
                           unsigned *hi)
{
    if (!is_scalar(node) || parse_port_range(text_of(node), lo, hi) != 0)
        return fail(r, node, COMPOSE_ERR_INVALID,
                    "%s must be a port number 1-65535 (or a range a-b)", what);
    return 0;
}

/* The long port syntax: a mapping with target, published, host_ip... */
static int parse_port_long(struct reader *r,
                           yaml_node_t *node,
                           const char *svc,
                           struct compose_port *port)
{
    struct pairs m;
    yaml_node_t *v;
    char what[160];
    int rc = -1;

    snprintf(what, sizeof(what), "a port of service %s", svc);
    if (get_map(r, node, what, &m) != 0)
        return -1;
    port->long_syntax = 1;
    v = get(r, &m, "target");
    if (v == NULL) {
        fail(r, node, COMPOSE_ERR_INVALID,
             "service %s: a port written as a mapping needs 'target:' (the "
             "container's port)",
             svc);
        goto done;
    }
    snprintf(what, sizeof(what), "service %s: ports.target", svc);
    if (get_port_number(r, v, what, &port->target, &port->target_end) != 0)
        goto done;
    if ((v = get(r, &m, "published")) != NULL) {
        snprintf(what, sizeof(what), "service %s: ports.published", svc);
        if (get_port_number(r, v, what, &port->published,
                            &port->published_end) != 0)
            goto done;
    }
    if ((v = get(r, &m, "host_ip")) != NULL &&
        (port->host_ip = dup_scalar(r, v, "ports.host_ip")) == NULL)
        goto done;
    if ((v = get(r, &m, "protocol")) != NULL &&
        (port->protocol = dup_scalar(r, v, "ports.protocol")) == NULL)
        goto done;
    if ((v = get(r, &m, "mode")) != NULL &&
        (port->mode = dup_scalar(r, v, "ports.mode")) == NULL)
        goto done;
    rc = 0;
done:
    free(m.v);
    return rc;
}

/*
 * ports: a list of short strings ("80:80") or long mappings (target:...).
 * Each element keeps its own position; protocol and mode get compose's
 * defaults, so a reader of the model never sees NULL there.
 */
static int
parse_ports(struct reader *r, yaml_node_t *node, struct compose_service *s)
{
    yaml_node_item_t *it;
    yaml_node_t *item;
    struct compose_port *port;
    size_t cap = 0;
    char what[160];

    snprintf(what, sizeof(what), "service %s: ports", s->name);
    if (want_list(r, node, what) != 0)
        return -1;
    for (it = node->data.sequence.items.start;
         it < node->data.sequence.items.top; it++) {
        item = node_at(r, *it);
        s->ports = grow(s->ports, &cap, s->nports, sizeof(*s->ports));
        port = &s->ports[s->nports++];
        memset(port, 0, sizeof(*port));
        port->pos = pos_of(item);
        if (item != NULL && item->type == YAML_MAPPING_NODE) {
            if (parse_port_long(r, item, s->name, port) != 0)
                return -1;
        } else if (is_scalar(item) && !is_null(item)) {
            if (parse_port_short(r, item, s->name, port) != 0)
                return -1;
        } else {
            return fail(r, item, COMPOSE_ERR_INVALID,
                        "service %s: each port must be a string such as "
                        "\"80:80\" or a mapping with target:, not %s",
                        s->name,
                        item != NULL && !is_null(item) ? kind_of(item)
                                                       : "nothing");
        }
        if (port->protocol == NULL)
            port->protocol = xstrdup("tcp");
        if (port->mode == NULL)
            port->mode = xstrdup("ingress");
    }
    return 0;
}

/*
 * Whether a short-syntax volume source is a host path (a bind mount). A
 * source starting with a variable ("${HOME}/data") is taken as one: docker
 * substitutes variables before it looks.
 */
static int is_host_path(const char *src)
{
    return src[0] == '/' || src[0] == '.' || src[0] == '~' || src[0] == '$';
}

/* Access modes docker accepts after the second ':' of a volume. */
static int valid_volume_mode(const char *mode, int *read_only)
{
    static const char *const ok[] = {
        "ro",     "rw",        "z",          "Z",        "nocopy",
        "cached", "delegated", "consistent", "shared",   "rshared",
        "slave",  "rslave",    "private",    "rprivate",
    };
    const char *p = mode, *end;
    size_t i, n;

    *read_only = 0;
    while (*p != '\0') {
        end = strchr(p, ',');
        n = end != NULL ? (size_t)(end - p) : strlen(p);
        for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
            if (strlen(ok[i]) == n && strncmp(ok[i], p, n) == 0)
                break;
        }
        if (i == sizeof(ok) / sizeof(ok[0]))
            return 0;
        if (n == 2 && strncmp(p, "ro", 2) == 0)
            *read_only = 1;
        p += n;
        if (*p == ',')
            p++;
    }
    return 1;
}

/* The short volume syntax: "TARGET", "SOURCE:TARGET" or "SOURCE:TARGET:MODE".
 */
static int parse_volume_short(struct reader *r,
                              const yaml_node_t *node,
                              const char *svc,
                              struct compose_volume *vol)
{
    char *s, *parts[3] = {NULL, NULL, NULL}, *p;
    size_t n = 0;
    int rc = -1;

    s = dup_scalar(r, node, "a volume");
    if (s == NULL)
        return -1;

    /* Split on ':' into at most three parts; a fourth is an error. */
    p = s;
    for (;;) {
        if (n == 3)
            goto bad;
        parts[n++] = p;
        p = strchr(p, ':');
        if (p == NULL)
            break;
        *p++ = '\0';
    }
    if (n == 1) {
        vol->type = COMPOSE_VOLUME_VOLUME; /* anonymous */
        vol->target = xstrdup(parts[0]);
    } else {
        if (parts[0][0] == '\0')
            goto bad;
        vol->type = is_host_path(parts[0]) ? COMPOSE_VOLUME_BIND
                                           : COMPOSE_VOLUME_VOLUME;
        vol->source = xstrdup(parts[0]);
        vol->target = xstrdup(parts[1]);
        if (n == 3 && !valid_volume_mode(parts[2], &vol->read_only)) {
            fail(r, node, COMPOSE_ERR_INVALID,
                 "service %s: volume \"%s\" ends in an unknown mode '%s': use "
                 "ro or rw",
                 svc, text_of(node), parts[2]);
            goto done;
        }
    }
    if (vol->target[0] != '/') {
        fail(r, node, COMPOSE_ERR_INVALID,
             "service %s: volume \"%s\" must name an absolute path in the "
             "container (SOURCE:/path)",
             svc, text_of(node));
        goto done;
    }
    rc = 0;
    goto done;
bad:
    fail(r, node, COMPOSE_ERR_INVALID,
         "service %s: volume \"%s\" is not SOURCE:TARGET[:MODE] (e.g. "
         "\"/home/docker/data:/data\")",
         svc, text_of(node));
done:
    free(s);
    return rc;
}

/* The long volume syntax: a mapping with type, source, target, read_only. */
static int parse_volume_long(struct reader *r,
                             yaml_node_t *node,
                             const char *svc,
                             struct compose_volume *vol)
{
    struct pairs m;
    yaml_node_t *v;
    char what[160];
    const char *type;
    int rc = -1;

    snprintf(what, sizeof(what), "a volume of service %s", svc);
    if (get_map(r, node, what, &m) != 0)
        return -1;
    vol->long_syntax = 1;
    v = get(r, &m, "type");
    if (v == NULL || !is_scalar(v)) {
        fail(r, v != NULL ? v : node, COMPOSE_ERR_INVALID,
             "service %s: a volume written as a mapping needs 'type:' (bind, "
             "volume or tmpfs)",
             svc);
        goto done;
    }
    type = text_of(v);
    if (strcmp(type, "bind") == 0)
        vol->type = COMPOSE_VOLUME_BIND;
    else if (strcmp(type, "volume") == 0)
        vol->type = COMPOSE_VOLUME_VOLUME;
    else if (strcmp(type, "tmpfs") == 0)
        vol->type = COMPOSE_VOLUME_TMPFS;
    else if (strcmp(type, "npipe") == 0 || strcmp(type, "cluster") == 0)
        vol->type = COMPOSE_VOLUME_OTHER;
    else {
        fail(r, v, COMPOSE_ERR_INVALID,
             "service %s: unknown volume type '%s': use bind, volume or tmpfs",
             svc, type);
        goto done;
    }
    if ((v = get(r, &m, "source")) != NULL &&
        (vol->source = dup_scalar(r, v, "volumes.source")) == NULL)
        goto done;
    v = get(r, &m, "target");
    if (v == NULL) {
        fail(r, node, COMPOSE_ERR_INVALID,
             "service %s: a volume written as a mapping needs 'target:' (the "
             "path in the container)",
             svc);
        goto done;
    }
    if ((vol->target = dup_scalar(r, v, "volumes.target")) == NULL)
        goto done;
    if (vol->target[0] != '/') {
        fail(r, v, COMPOSE_ERR_INVALID,
             "service %s: volume target '%s' must be an absolute path", svc,
             vol->target);
        goto done;
    }
    if (vol->type == COMPOSE_VOLUME_BIND &&
        (vol->source == NULL || vol->source[0] == '\0')) {
        fail(r, node, COMPOSE_ERR_INVALID,
             "service %s: a bind volume needs 'source:' (the host path)", svc);
        goto done;
    }
    if ((v = get(r, &m, "read_only")) != NULL &&
        get_bool(r, v, "volumes.read_only", &vol->read_only) != 0)
        goto done;
    rc = 0;
done:
    free(m.v);
    return rc;
}

/*
 * volumes: a list of short strings ("/host:/container:ro") or long
 * mappings (type: bind...). A named volume, an anonymous one and a tmpfs
 * are kept too: the checks need to know what is mounted on /data.
 */
static int
parse_volumes(struct reader *r, yaml_node_t *node, struct compose_service *s)
{
    yaml_node_item_t *it;
    yaml_node_t *item;
    struct compose_volume *vol;
    size_t cap = 0;
    char what[160];

    snprintf(what, sizeof(what), "service %s: volumes", s->name);
    if (want_list(r, node, what) != 0)
        return -1;
    for (it = node->data.sequence.items.start;
         it < node->data.sequence.items.top; it++) {
        item = node_at(r, *it);
        s->volumes = grow(s->volumes, &cap, s->nvolumes, sizeof(*s->volumes));
        vol = &s->volumes[s->nvolumes++];
        memset(vol, 0, sizeof(*vol));
        vol->pos = pos_of(item);
        if (item != NULL && item->type == YAML_MAPPING_NODE) {
            if (parse_volume_long(r, item, s->name, vol) != 0)
                return -1;
        } else if (is_scalar(item) && !is_null(item)) {
            if (parse_volume_short(r, item, s->name, vol) != 0)
                return -1;
        } else {
            return fail(r, item, COMPOSE_ERR_INVALID,
                        "service %s: each volume must be a string such as "
                        "\"/home/docker/data:/data\" or a mapping with type:, "
                        "not %s",
                        s->name,
                        item != NULL && !is_null(item) ? kind_of(item)
                                                       : "nothing");
        }
    }
    return 0;
}

/*
 * command: a string (split into words as a shell would) or a list of
 * strings (numbers allowed).
 */
static int
parse_command(struct reader *r, yaml_node_t *node, struct compose_service *s)
{
    yaml_node_item_t *it;
    yaml_node_t *item;
    char **words = NULL, *text;
    int n, i;
    size_t cap = 0;

    s->has_command = 1;
    s->command_pos = pos_of(node);
    if (is_scalar(node)) {
        text = dup_scalar(r, node, "command");
        if (text == NULL)
            return -1;
        n = compose_split_words(text, &words);
        free(text);
        if (n < 0)
            return fail(r, node, COMPOSE_ERR_INVALID,
                        "service %s: command has an unclosed quote: close it "
                        "or write the command as a list",
                        s->name);
        s->command = xcalloc((size_t)n, sizeof(*s->command));
        for (i = 0; i < n; i++) {
            s->command[i].text = words[i];
            s->command[i].pos = s->command_pos;
        }
        s->ncommand = (size_t)n;
        free(words);
        return 0;
    }
    if (node->type != YAML_SEQUENCE_NODE)
        return fail(r, node, COMPOSE_ERR_INVALID,
                    "service %s: command must be a string or a list of "
                    "strings, not %s",
                    s->name, kind_of(node));
    for (it = node->data.sequence.items.start;
         it < node->data.sequence.items.top; it++) {
        item = node_at(r, *it);
        text = dup_scalar(r, item, "each word of command");
        if (text == NULL)
            return -1;
        s->command = grow(s->command, &cap, s->ncommand, sizeof(*s->command));
        s->command[s->ncommand].text = text;
        s->command[s->ncommand].pos = pos_of(item);
        s->ncommand++;
    }
    return 0;
}

/* environment: a mapping NAME: value, or a list of "NAME=value". */
static int parse_environment(struct reader *r,
                             yaml_node_t *node,
                             struct compose_service *s)
{
    yaml_node_item_t *it;
    yaml_node_t *item;
    struct compose_env *e;
    struct pairs m;
    size_t cap = 0, i;
    char *eq, what[160];

    snprintf(what, sizeof(what), "service %s: environment", s->name);
    if (node->type == YAML_MAPPING_NODE) {
        if (get_map(r, node, what, &m) != 0)
            return -1;
        for (i = 0; i < m.n; i++) {
            s->environment = grow(s->environment, &cap, s->nenvironment,
                                  sizeof(*s->environment));
            e = &s->environment[s->nenvironment++];
            memset(e, 0, sizeof(*e));
            e->pos = pos_of(m.v[i].key);
            e->name = dup_scalar(r, m.v[i].key, "a variable name");
            if (e->name != NULL)
                snprintf(what, sizeof(what), "service %s: environment %.60s",
                         s->name, e->name);
            if (e->name == NULL ||
                (!is_null(m.v[i].value) &&
                 (e->value = dup_scalar(r, m.v[i].value, what)) == NULL)) {
                free(m.v);
                return -1;
            }
        }
        free(m.v);
        return 0;
    }
    if (node->type != YAML_SEQUENCE_NODE)
        return fail(r, node, COMPOSE_ERR_INVALID,
                    "%s must be a mapping (NAME: value) or a list "
                    "(- NAME=value), not %s",
                    what, kind_of(node));
    for (it = node->data.sequence.items.start;
         it < node->data.sequence.items.top; it++) {
        item = node_at(r, *it);
        s->environment = grow(s->environment, &cap, s->nenvironment,
                              sizeof(*s->environment));
        e = &s->environment[s->nenvironment++];
        memset(e, 0, sizeof(*e));
        e->pos = pos_of(item);
        if ((e->name = dup_scalar(r, item, what)) == NULL)
            return -1;
        eq = strchr(e->name, '=');
        if (eq != NULL) {
            *eq = '\0';
            e->value = xstrdup(eq + 1);
        }
    }
    return 0;
}

/* secrets: a list of names, or of mappings with source and target. */
/*
 * secrets: a list of names, or of mappings with source (and target). The
 * checks compare them with REDIS_PASSWORD_FILE.
 */
static int
parse_secrets(struct reader *r, yaml_node_t *node, struct compose_service *s)
{
    yaml_node_item_t *it;
    yaml_node_t *item, *v;
    struct compose_secret *sec;
    struct pairs m;
    size_t cap = 0;
    char what[160];
    int rc;

    snprintf(what, sizeof(what), "service %s: secrets", s->name);
    if (want_list(r, node, what) != 0)
        return -1;
    for (it = node->data.sequence.items.start;
         it < node->data.sequence.items.top; it++) {
        item = node_at(r, *it);
        s->secrets = grow(s->secrets, &cap, s->nsecrets, sizeof(*s->secrets));
        sec = &s->secrets[s->nsecrets++];
        memset(sec, 0, sizeof(*sec));
        sec->pos = pos_of(item);
        if (item == NULL || item->type != YAML_MAPPING_NODE) {
            if ((sec->source = dup_scalar(r, item, what)) == NULL)
                return -1;
            continue;
        }
        if (get_map(r, item, what, &m) != 0)
            return -1;
        rc = -1;
        if ((v = get(r, &m, "source")) == NULL)
            fail(r, item, COMPOSE_ERR_INVALID,
                 "service %s: a secret written as a mapping needs 'source:' "
                 "(the secret's name)",
                 s->name);
        else if ((sec->source = dup_scalar(r, v, "secrets.source")) != NULL &&
                 ((v = get(r, &m, "target")) == NULL ||
                  (sec->target = dup_scalar(r, v, "secrets.target")) != NULL))
            rc = 0;
        free(m.v);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* deploy: only placement.constraints is kept. */
/*
 * deploy: only placement.constraints is kept (replicas, resources and
 * restart_policy do not concern prepare), but each level is type-checked
 * on the way down, so "placement: node.role==manager" is an error.
 */
static int
parse_deploy(struct reader *r, yaml_node_t *node, struct compose_service *s)
{
    struct pairs deploy = {NULL, 0, 0}, placement = {NULL, 0, 0};
    yaml_node_item_t *it;
    yaml_node_t *v, *item;
    size_t cap = 0;
    char what[160];
    int rc = -1;

    s->has_deploy = 1;
    s->deploy_pos = pos_of(node);
    snprintf(what, sizeof(what), "service %s: deploy", s->name);
    if (get_map(r, node, what, &deploy) != 0)
        goto done;
    if ((v = get(r, &deploy, "placement")) == NULL) {
        rc = 0;
        goto done;
    }
    snprintf(what, sizeof(what), "service %s: deploy.placement", s->name);
    if (get_map(r, v, what, &placement) != 0)
        goto done;
    if ((v = get(r, &placement, "constraints")) == NULL) {
        rc = 0;
        goto done;
    }
    snprintf(what, sizeof(what), "service %s: deploy.placement.constraints",
             s->name);
    if (want_list(r, v, what) != 0)
        goto done;
    for (it = v->data.sequence.items.start; it < v->data.sequence.items.top;
         it++) {
        item = node_at(r, *it);
        s->constraints = grow(s->constraints, &cap, s->nconstraints,
                              sizeof(*s->constraints));
        s->constraints[s->nconstraints].pos = pos_of(item);
        s->constraints[s->nconstraints].text =
            dup_scalar(r, item, "each placement constraint");
        if (s->constraints[s->nconstraints].text == NULL)
            goto done;
        s->nconstraints++;
    }
    rc = 0;
done:
    free(deploy.v);
    free(placement.v);
    return rc;
}

/*
 * One service: its name (the key), then the keys the model holds. Keys the
 * model does not hold are ignored, as compose's many other keys must be;
 * duplicates among them were already refused by check_duplicates().
 */
static int parse_service(struct reader *r,
                         yaml_node_t *key,
                         yaml_node_t *node,
                         struct compose_service *s)
{
    struct pairs m = {NULL, 0, 0};
    yaml_node_t *v;
    char what[160];
    int rc = -1;

    s->pos = pos_of(key);
    if ((s->name = dup_scalar(r, key, "a service name")) == NULL)
        goto done;
    if (is_null(node)) {
        rc = 0; /* "web:" alone: an empty service, checked later */
        goto done;
    }
    snprintf(what, sizeof(what), "service %s", s->name);
    if (get_map(r, node, what, &m) != 0)
        goto done;
    if ((v = get(r, &m, "image")) != NULL) {
        s->image_pos = pos_of(v);
        snprintf(what, sizeof(what), "service %s: image", s->name);
        if ((s->image = dup_scalar(r, v, what)) == NULL)
            goto done;
    }
    if ((v = get(r, &m, "command")) != NULL && parse_command(r, v, s) != 0)
        goto done;
    if ((v = get(r, &m, "environment")) != NULL &&
        parse_environment(r, v, s) != 0)
        goto done;
    if ((v = get(r, &m, "volumes")) != NULL && parse_volumes(r, v, s) != 0)
        goto done;
    if ((v = get(r, &m, "ports")) != NULL && parse_ports(r, v, s) != 0)
        goto done;
    if ((v = get(r, &m, "deploy")) != NULL && parse_deploy(r, v, s) != 0)
        goto done;
    if ((v = get(r, &m, "secrets")) != NULL && parse_secrets(r, v, s) != 0)
        goto done;
    rc = 0;
done:
    free(m.v);
    return rc;
}

/* One key of a mapping, for sorting when looking for duplicates. */
struct keyref {
    const yaml_node_t *node;
};

/*
 * Orders keys by their bytes, then by their place in the file, so that the
 * first of two equal keys sorts first.
 */
static int keyref_cmp(const void *a, const void *b)
{
    const yaml_node_t *x = ((const struct keyref *)a)->node;
    const yaml_node_t *y = ((const struct keyref *)b)->node;
    size_t n = x->data.scalar.length < y->data.scalar.length
                   ? x->data.scalar.length
                   : y->data.scalar.length;
    int c = memcmp(x->data.scalar.value, y->data.scalar.value, n);

    if (c != 0)
        return c;
    if (x->data.scalar.length != y->data.scalar.length)
        return x->data.scalar.length < y->data.scalar.length ? -1 : 1;
    if (x->start_mark.index != y->start_mark.index)
        return x->start_mark.index < y->start_mark.index ? -1 : 1;
    return 0;
}

/*
 * Looks at every mapping of the document for a key written twice (docker
 * refuses such files; YAML says keys are unique). Each mapping is sorted
 * once, so a mapping with many keys costs n log n. Reports the duplicate
 * that comes first in the file. Returns 0 or -1 with an error.
 */
static int check_duplicates(struct reader *r)
{
    yaml_node_t *node, *k;
    yaml_node_pair_t *p;
    struct keyref *keys = NULL;
    const yaml_node_t *dup = NULL, *first = NULL;
    size_t n, cap = 0, i;

    for (node = r->doc.nodes.start; node < r->doc.nodes.top; node++) {
        if (node->type != YAML_MAPPING_NODE)
            continue;
        n = 0;
        for (p = node->data.mapping.pairs.start;
             p < node->data.mapping.pairs.top; p++) {
            k = node_at(r, p->key);
            if (!is_scalar(k) || is_merge_key(k))
                continue;
            keys = grow(keys, &cap, n, sizeof(*keys));
            keys[n++].node = k;
        }
        if (n < 2)
            continue;
        qsort(keys, n, sizeof(*keys), keyref_cmp);
        for (i = 1; i < n; i++) {
            if (keys[i].node->data.scalar.length !=
                    keys[i - 1].node->data.scalar.length ||
                memcmp(keys[i].node->data.scalar.value,
                       keys[i - 1].node->data.scalar.value,
                       keys[i].node->data.scalar.length) != 0)
                continue;
            if (dup == NULL ||
                keys[i].node->start_mark.index < dup->start_mark.index) {
                dup = keys[i].node;
                first = keys[i - 1].node;
            }
        }
    }
    free(keys);
    if (dup == NULL)
        return 0;
    return fail(r, dup, COMPOSE_ERR_INVALID,
                "duplicate key '%.60s' (first at line %u, column %u): keep "
                "only one of them",
                text_of(dup), pos_of(first).line, pos_of(first).column);
}

/*
 * Computes the line and column of a byte offset of data, for libyaml's
 * reader errors, which carry only an offset.
 */
static struct compose_pos
pos_of_offset(const char *data, size_t len, size_t offset)
{
    struct compose_pos p = {1, 1};
    size_t i;

    for (i = 0; i < offset && i < len; i++) {
        if (data[i] == '\n') {
            p.line++;
            p.column = 1;
        } else if (((unsigned char)data[i] & 0xC0) != 0x80) {
            p.column++;
        }
    }
    return p;
}

/*
 * Finds the first tab on a line of data before column col (1-based, in
 * characters), or on the whole line when col is 0. Returns its column, or
 * 0 when there is none.
 */
static unsigned
tab_on_line(const char *data, size_t len, unsigned line, unsigned col)
{
    size_t i = 0;
    unsigned l = 1, c = 1;

    while (i < len && l < line) {
        if (data[i++] == '\n')
            l++;
    }
    for (; i < len && data[i] != '\n'; i++) {
        if (col != 0 && c > col)
            break;
        if (data[i] == '\t')
            return c;
        if (((unsigned char)data[i] & 0xC0) != 0x80)
            c++;
    }
    return 0;
}

/*
 * Turns libyaml's error into one message saying what to do. A tab gets its
 * own message (the most common mistake), bytes that are not UTF-8 text get
 * another.
 */
static void yaml_failure(const yaml_parser_t *parser,
                         const char *data,
                         size_t len,
                         struct compose_error *err)
{
    const char *problem = parser->problem != NULL ? parser->problem : "error";
    unsigned tab;

    err->code = COMPOSE_ERR_YAML;
    if (parser->error == YAML_READER_ERROR) {
        err->pos = pos_of_offset(data, len, parser->problem_offset);
        if (parser->problem_value != -1)
            snprintf(err->msg, sizeof(err->msg),
                     "not a text file (%s: byte 0x%02x): a compose file is "
                     "UTF-8 text; check that you gave the right file",
                     problem, (unsigned)parser->problem_value & 0xffu);
        else
            snprintf(err->msg, sizeof(err->msg),
                     "not a text file (%s): a compose file is UTF-8 text; "
                     "check that you gave the right file",
                     problem);
        return;
    }
    if (parser->error == YAML_MEMORY_ERROR) {
        snprintf(err->msg, sizeof(err->msg),
                 "out of memory reading the YAML: is the file really a "
                 "compose file?");
        return;
    }
    err->pos.line = (unsigned)parser->problem_mark.line + 1;
    err->pos.column = (unsigned)parser->problem_mark.column + 1;

    /*
     * libyaml reports a tab in the indentation in several ways ("found
     * character that cannot start any token", "found a tab character that
     * violates indentation"...), at or after the tab: look for it.
     */
    tab = tab_on_line(data, len, err->pos.line, err->pos.column);
    if (tab != 0) {
        err->pos.column = tab;
        snprintf(err->msg, sizeof(err->msg),
                 "a tab character: YAML indents with spaces only; replace "
                 "the tab with spaces");
        return;
    }
    if (parser->context != NULL)
        snprintf(err->msg, sizeof(err->msg),
                 "not valid YAML: %s (%s at line %u, column %u): check the "
                 "indentation and the quotes here",
                 problem, parser->context,
                 (unsigned)parser->context_mark.line + 1,
                 (unsigned)parser->context_mark.column + 1);
    else
        snprintf(err->msg, sizeof(err->msg),
                 "not valid YAML: %s: check the indentation and the quotes "
                 "here",
                 problem);
}

/*
 * Walks the top level: version (optional) and services (required, a
 * mapping of services).
 */
static struct compose_file *read_model(struct reader *r)
{
    struct compose_file *cf = NULL;
    struct pairs top = {NULL, 0, 0}, svcs = {NULL, 0, 0};
    yaml_node_t *root, *v;
    size_t i;

    /* No node at all (comments only) and a lone "~" are both empty. */
    root = yaml_document_get_root_node(&r->doc);
    if (root == NULL || is_null(root)) {
        fail(r, root, COMPOSE_ERR_EMPTY,
             "the file is empty: a compose file starts with 'version: \"3\"' "
             "and a 'services:' mapping");
        goto err;
    }
    if (root->type != YAML_MAPPING_NODE) {
        fail(r, root, COMPOSE_ERR_NOT_COMPOSE,
             "not a compose file: the top level is %s, expected a mapping "
             "with 'services:'",
             kind_of(root));
        goto err;
    }
    if (get_map(r, root, "the top level", &top) != 0)
        goto err;
    cf = xcalloc(1, sizeof(*cf));
    v = get(r, &top, "services");
    if (v == NULL || v->type != YAML_MAPPING_NODE) {
        fail(r, v != NULL ? v : root, COMPOSE_ERR_NOT_COMPOSE,
             "not a compose file: %s; a stack file has a 'services:' "
             "mapping with one entry per service",
             v == NULL ? "there is no 'services:' key at the top level"
                       : "'services:' is not a mapping");
        goto err;
    }
    if (get_map(r, v, "services", &svcs) != 0)
        goto err;
    if ((v = get(r, &top, "version")) != NULL &&
        (cf->version = dup_scalar(r, v, "version")) == NULL)
        goto err;
    cf->services = xcalloc(svcs.n, sizeof(*cf->services));
    for (i = 0; i < svcs.n; i++) {
        cf->nservices++;
        if (parse_service(r, svcs.v[i].key, svcs.v[i].value,
                          &cf->services[i]) != 0)
            goto err;
    }
    free(top.v);
    free(svcs.v);
    return cf;
err:
    free(top.v);
    free(svcs.v);
    compose_free(cf);
    return NULL;
}

struct compose_file *
compose_parse(const char *data, size_t len, struct compose_error *err)
{
    yaml_parser_t parser;
    yaml_document_t extra;
    struct reader r;
    struct compose_file *cf = NULL;
    int loaded = 0, parser_ready = 0;

    memset(err, 0, sizeof(*err));
    memset(&r, 0, sizeof(r));
    r.err = err;

    /* libyaml holds the whole document in memory: bound it first. */
    if (len > COMPOSE_MAX_INPUT) {
        err->code = COMPOSE_ERR_YAML;
        snprintf(err->msg, sizeof(err->msg),
                 "the file is larger than %u MiB: is it really a compose "
                 "file?",
                 COMPOSE_MAX_INPUT / (1024 * 1024));
        return NULL;
    }
    if (!yaml_parser_initialize(&parser)) {
        err->code = COMPOSE_ERR_YAML;
        snprintf(err->msg, sizeof(err->msg), "cannot start the YAML parser");
        return NULL;
    }
    parser_ready = 1;
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
    if (!yaml_parser_load(&parser, &r.doc)) {
        yaml_failure(&parser, data, len, err);
        goto done;
    }
    loaded = 1;
    if (check_duplicates(&r) != 0)
        goto done;

    /* A second document after "---" would be ignored by docker: refuse it. */
    if (yaml_document_get_root_node(&r.doc) != NULL) {
        if (!yaml_parser_load(&parser, &extra)) {
            yaml_failure(&parser, data, len, err);
            goto done;
        }
        if (yaml_document_get_root_node(&extra) != NULL) {
            err->code = COMPOSE_ERR_YAML;
            err->pos.line = (unsigned)extra.start_mark.line + 1;
            err->pos.column = (unsigned)extra.start_mark.column + 1;
            snprintf(err->msg, sizeof(err->msg),
                     "a second YAML document (after '---'): a compose file "
                     "holds one; remove it or split the file");
            yaml_document_delete(&extra);
            goto done;
        }
        yaml_document_delete(&extra);
    }
    cf = read_model(&r);
done:
    if (loaded)
        yaml_document_delete(&r.doc);
    if (parser_ready)
        yaml_parser_delete(&parser);
    return cf;
}

/*
 * Frees every string and array of a service (not the service itself,
 * which lives in the file's array).
 */
static void service_free(struct compose_service *s)
{
    size_t i;

    free(s->name);
    free(s->image);
    for (i = 0; i < s->ncommand; i++)
        free(s->command[i].text);
    free(s->command);
    for (i = 0; i < s->nenvironment; i++) {
        free(s->environment[i].name);
        free(s->environment[i].value);
    }
    free(s->environment);
    for (i = 0; i < s->nvolumes; i++) {
        free(s->volumes[i].source);
        free(s->volumes[i].target);
    }
    free(s->volumes);
    for (i = 0; i < s->nports; i++) {
        free(s->ports[i].host_ip);
        free(s->ports[i].protocol);
        free(s->ports[i].mode);
    }
    free(s->ports);
    for (i = 0; i < s->nconstraints; i++)
        free(s->constraints[i].text);
    free(s->constraints);
    for (i = 0; i < s->nsecrets; i++) {
        free(s->secrets[i].source);
        free(s->secrets[i].target);
    }
    free(s->secrets);
}

void compose_free(struct compose_file *cf)
{
    size_t i;

    if (cf == NULL)
        return;
    for (i = 0; i < cf->nservices; i++)
        service_free(&cf->services[i]);
    free(cf->services);
    free(cf->version);
    free(cf);
}

const struct compose_service *
compose_find_service(const struct compose_file *cf, const char *name)
{
    size_t i;

    for (i = 0; i < cf->nservices; i++) {
        if (cf->services[i].name != NULL &&
            strcmp(cf->services[i].name, name) == 0)
            return &cf->services[i];
    }
    return NULL;
}

int compose_split_words(const char *s, char ***words)
{
    struct buf w = BUF_INIT;
    char **out = NULL;
    size_t n = 0, cap = 0;
    int in_word = 0, quote = 0;

    /*
     * One pass over s: quote is the open quote character or 0, in_word
     * says whether a word has started (so that '' is an empty word).
     */
    for (;; s++) {
        if (quote == '\'') {
            if (*s == '\0')
                goto err;
            if (*s == '\'')
                quote = 0;
            else
                buf_append(&w, s, 1);
            continue;
        }
        if (quote == '"') {
            if (*s == '\0')
                goto err;
            if (*s == '"') {
                quote = 0;
            } else if (*s == '\\' && strchr("\"\\$`", s[1]) != NULL &&
                       s[1] != '\0') {
                buf_append(&w, ++s, 1);
            } else {
                buf_append(&w, s, 1);
            }
            continue;
        }
        if (*s == '\0' || *s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
            if (in_word) {
                out = grow(out, &cap, n, sizeof(*out));
                out[n++] = buf_steal(&w, NULL);
                in_word = 0;
            }
            if (*s == '\0')
                break;
            continue;
        }
        in_word = 1;
        if (*s == '\'' || *s == '"') {
            quote = *s;
            buf_reserve(&w, 0); /* "" is a word too */
        } else if (*s == '\\' && s[1] != '\0') {
            buf_append(&w, ++s, 1);
        } else {
            buf_append(&w, s, 1);
        }
    }
    *words = out;
    return (int)n;
err:
    buf_free(&w);
    compose_words_free(out, n);
    *words = NULL;
    return -1;
}

void compose_words_free(char **words, size_t n)
{
    size_t i;

    if (words == NULL)
        return;
    for (i = 0; i < n; i++)
        free(words[i]);
    free(words);
}
