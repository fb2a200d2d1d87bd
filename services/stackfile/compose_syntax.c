/* SPDX-License-Identifier: Apache-2.0 */
/*
 * compose_syntax.c: the short and long syntaxes of a service's ports and
 * volumes, as compose writes them: "127.0.0.1:6379:6379/tcp" or a mapping
 * with target:, published:...; "/home/docker/data:/data:ro" or a mapping
 * with type:, source:, target:. See compose_reader.h.
 *
 * Both lists are read by one walk, parse_list(); each syntax is a function
 * that fills one element of the model.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose_reader.h"
#include "util.h"

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
static int parse_port_short(struct compose_reader *r,
                            const yaml_node_t *node,
                            const char *svc,
                            void *elem)
{
    struct compose_port *port = elem;
    char *s = NULL, *slash, *colon, *host = NULL, *pub = NULL, *ctr;
    int rc = -1;

    s = compose_dup_scalar(r, node, "a port");
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
    compose_fail(
        r, node, COMPOSE_ERR_INVALID,
        "service %s: port \"%s\" is not [HOST_IP:][HOST_PORT:]CONTAINER_PORT"
        "[/PROTOCOL] (e.g. \"80:80\" or \"127.0.0.1:6379:6379\", ports "
        "1-65535, IPv6 addresses in [])",
        svc, compose_text_of(node));
done:
    free(s);
    return rc;
}

/* Reads a port number given as an integer or a string. */
static int get_port_number(struct compose_reader *r,
                           const yaml_node_t *node,
                           const char *what,
                           unsigned *lo,
                           unsigned *hi)
{
    if (!compose_is_scalar(node) ||
        parse_port_range(compose_text_of(node), lo, hi) != 0)
        return compose_fail(r, node, COMPOSE_ERR_INVALID,
                            "%s must be a port number 1-65535 (or a range a-b)",
                            what);
    return 0;
}

/* The long port syntax: a mapping with target, published, host_ip... */
static int parse_port_long(struct compose_reader *r,
                           yaml_node_t *node,
                           const char *svc,
                           void *elem)
{
    struct compose_port *port = elem;
    struct compose_pairs m;
    yaml_node_t *v;
    char what[160];
    int rc = -1;

    snprintf(what, sizeof(what), "a port of service %s", svc);
    if (compose_get_map(r, node, what, &m) != 0)
        return -1;
    port->long_syntax = 1;
    v = compose_get(r, &m, "target");
    if (v == NULL) {
        compose_fail(
            r, node, COMPOSE_ERR_INVALID,
            "service %s: a port written as a mapping needs 'target:' (the "
            "container's port)",
            svc);
        goto done;
    }
    snprintf(what, sizeof(what), "service %s: ports.target", svc);
    if (get_port_number(r, v, what, &port->target, &port->target_end) != 0)
        goto done;
    if ((v = compose_get(r, &m, "published")) != NULL) {
        snprintf(what, sizeof(what), "service %s: ports.published", svc);
        if (get_port_number(r, v, what, &port->published,
                            &port->published_end) != 0)
            goto done;
    }
    if ((v = compose_get(r, &m, "host_ip")) != NULL &&
        (port->host_ip = compose_dup_scalar(r, v, "ports.host_ip")) == NULL)
        goto done;
    if ((v = compose_get(r, &m, "protocol")) != NULL &&
        (port->protocol = compose_dup_scalar(r, v, "ports.protocol")) == NULL)
        goto done;
    if ((v = compose_get(r, &m, "mode")) != NULL &&
        (port->mode = compose_dup_scalar(r, v, "ports.mode")) == NULL)
        goto done;
    rc = 0;
done:
    free(m.v);
    return rc;
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

/*
 * The short volume syntax: "TARGET", "SOURCE:TARGET" or
 * "SOURCE:TARGET:MODE".
 */
static int parse_volume_short(struct compose_reader *r,
                              const yaml_node_t *node,
                              const char *svc,
                              void *elem)
{
    struct compose_volume *vol = elem;
    char *s, *parts[3] = {NULL, NULL, NULL}, *p;
    size_t n = 0;
    int rc = -1;

    s = compose_dup_scalar(r, node, "a volume");
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
            compose_fail(
                r, node, COMPOSE_ERR_INVALID,
                "service %s: volume \"%s\" ends in an unknown mode '%s': use "
                "ro or rw",
                svc, compose_text_of(node), parts[2]);
            goto done;
        }
    }
    if (vol->target[0] != '/') {
        compose_fail(
            r, node, COMPOSE_ERR_INVALID,
            "service %s: volume \"%s\" must name an absolute path in the "
            "container (SOURCE:/path)",
            svc, compose_text_of(node));
        goto done;
    }
    rc = 0;
    goto done;
bad:
    compose_fail(r, node, COMPOSE_ERR_INVALID,
                 "service %s: volume \"%s\" is not SOURCE:TARGET[:MODE] (e.g. "
                 "\"/home/docker/data:/data\")",
                 svc, compose_text_of(node));
done:
    free(s);
    return rc;
}

/* The long volume syntax: a mapping with type, source, target, read_only. */
static int parse_volume_long(struct compose_reader *r,
                             yaml_node_t *node,
                             const char *svc,
                             void *elem)
{
    struct compose_volume *vol = elem;
    struct compose_pairs m;
    yaml_node_t *v;
    char what[160];
    const char *type;
    int rc = -1;

    snprintf(what, sizeof(what), "a volume of service %s", svc);
    if (compose_get_map(r, node, what, &m) != 0)
        return -1;
    vol->long_syntax = 1;
    v = compose_get(r, &m, "type");
    if (v == NULL || !compose_is_scalar(v)) {
        compose_fail(
            r, v != NULL ? v : node, COMPOSE_ERR_INVALID,
            "service %s: a volume written as a mapping needs 'type:' (bind, "
            "volume or tmpfs)",
            svc);
        goto done;
    }
    type = compose_text_of(v);
    if (strcmp(type, "bind") == 0)
        vol->type = COMPOSE_VOLUME_BIND;
    else if (strcmp(type, "volume") == 0)
        vol->type = COMPOSE_VOLUME_VOLUME;
    else if (strcmp(type, "tmpfs") == 0)
        vol->type = COMPOSE_VOLUME_TMPFS;
    else if (strcmp(type, "npipe") == 0 || strcmp(type, "cluster") == 0)
        vol->type = COMPOSE_VOLUME_OTHER;
    else {
        compose_fail(
            r, v, COMPOSE_ERR_INVALID,
            "service %s: unknown volume type '%s': use bind, volume or tmpfs",
            svc, type);
        goto done;
    }
    if ((v = compose_get(r, &m, "source")) != NULL &&
        (vol->source = compose_dup_scalar(r, v, "volumes.source")) == NULL)
        goto done;
    v = compose_get(r, &m, "target");
    if (v == NULL) {
        compose_fail(
            r, node, COMPOSE_ERR_INVALID,
            "service %s: a volume written as a mapping needs 'target:' (the "
            "path in the container)",
            svc);
        goto done;
    }
    if ((vol->target = compose_dup_scalar(r, v, "volumes.target")) == NULL)
        goto done;
    if (vol->target[0] != '/') {
        compose_fail(r, v, COMPOSE_ERR_INVALID,
                     "service %s: volume target '%s' must be an absolute path",
                     svc, vol->target);
        goto done;
    }
    if (vol->type == COMPOSE_VOLUME_BIND &&
        (vol->source == NULL || vol->source[0] == '\0')) {
        compose_fail(
            r, node, COMPOSE_ERR_INVALID,
            "service %s: a bind volume needs 'source:' (the host path)", svc);
        goto done;
    }
    if ((v = compose_get(r, &m, "read_only")) != NULL &&
        compose_get_bool(r, v, "volumes.read_only", &vol->read_only) != 0)
        goto done;
    rc = 0;
done:
    free(m.v);
    return rc;
}

/*
 * What differs between the two lists of a service whose elements are
 * either a short string or a long mapping (ports:, volumes:); the walk
 * over them, parse_list(), is one.
 */
struct list_syntax {
    const char *key;      /* "ports", in messages */
    const char *noun;     /* "port" */
    const char *expected; /* what an element must be, for the error */
    size_t size;          /* of one element of the model */
    size_t pos_offset;    /* offsetof(element, pos) */
    int (*parse_short)(struct compose_reader *r,
                       const yaml_node_t *node,
                       const char *svc,
                       void *elem);
    int (*parse_long)(struct compose_reader *r,
                      yaml_node_t *node,
                      const char *svc,
                      void *elem);
};

static const struct list_syntax port_syntax = {
    "ports",
    "port",
    "a string such as \"80:80\" or a mapping with target:",
    sizeof(struct compose_port),
    offsetof(struct compose_port, pos),
    parse_port_short,
    parse_port_long,
};

static const struct list_syntax volume_syntax = {
    "volumes",
    "volume",
    "a string such as \"/home/docker/data:/data\" or a mapping with type:",
    sizeof(struct compose_volume),
    offsetof(struct compose_volume, pos),
    parse_volume_short,
    parse_volume_long,
};

/*
 * Reads the list node of service svc into *items (*n elements, each
 * zeroed, then given its own position and parsed by the syntax it is
 * written in). The array grows as it goes: on an error it holds the
 * elements read so far, for the caller's model to free. Returns 0 or -1
 * with an error.
 */
static int parse_list(struct compose_reader *r,
                      yaml_node_t *node,
                      const char *svc,
                      const struct list_syntax *ls,
                      void **items,
                      size_t *n)
{
    yaml_node_item_t *it;
    yaml_node_t *item;
    struct compose_pos pos;
    size_t cap = 0;
    char what[160], *elem;

    snprintf(what, sizeof(what), "service %s: %s", svc, ls->key);
    if (compose_want_list(r, node, what) != 0)
        return -1;
    for (it = node->data.sequence.items.start;
         it < node->data.sequence.items.top; it++) {
        item = compose_node_at(r, *it);
        *items = compose_grow(*items, &cap, *n, ls->size);
        elem = (char *)*items + *n * ls->size;
        (*n)++;
        memset(elem, 0, ls->size);
        pos = compose_pos_of(item);
        memcpy(elem + ls->pos_offset, &pos, sizeof(pos));
        if (item != NULL && item->type == YAML_MAPPING_NODE) {
            if (ls->parse_long(r, item, svc, elem) != 0)
                return -1;
        } else if (compose_is_scalar(item) && !compose_is_null(item)) {
            if (ls->parse_short(r, item, svc, elem) != 0)
                return -1;
        } else {
            return compose_fail(r, item, COMPOSE_ERR_INVALID,
                                "service %s: each %s must be %s, not %s", svc,
                                ls->noun, ls->expected,
                                item != NULL && !compose_is_null(item)
                                    ? compose_kind_of(item)
                                    : "nothing");
        }
    }
    return 0;
}

/*
 * ports: a list of short strings ("80:80") or long mappings (target:...).
 * protocol and mode get compose's defaults, so a reader of the model never
 * sees NULL there.
 */
int compose_parse_ports(struct compose_reader *r,
                        yaml_node_t *node,
                        struct compose_service *s)
{
    void *items = s->ports;
    size_t i;
    int rc = parse_list(r, node, s->name, &port_syntax, &items, &s->nports);

    s->ports = items;
    if (rc != 0)
        return -1;
    for (i = 0; i < s->nports; i++) {
        if (s->ports[i].protocol == NULL)
            s->ports[i].protocol = xstrdup("tcp");
        if (s->ports[i].mode == NULL)
            s->ports[i].mode = xstrdup("ingress");
    }
    return 0;
}

/*
 * volumes: a list of short strings ("/host:/container:ro") or long
 * mappings (type: bind...). A named volume, an anonymous one and a tmpfs
 * are kept too: the checks need to know what is mounted on /data.
 */
int compose_parse_volumes(struct compose_reader *r,
                          yaml_node_t *node,
                          struct compose_service *s)
{
    void *items = s->volumes;
    int rc = parse_list(r, node, s->name, &volume_syntax, &items, &s->nvolumes);

    s->volumes = items;
    return rc;
}
