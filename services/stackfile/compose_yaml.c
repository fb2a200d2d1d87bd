/* SPDX-License-Identifier: Apache-2.0 */
/*
 * compose_yaml.c: libyaml's document as typed values for the compose
 * reader. See compose_reader.h.
 *
 * libyaml's loader builds a graph of nodes: an alias points at the
 * anchored node and nothing is copied, so an "alias bomb" costs nothing to
 * load. Merge keys (`<<: *x`) are left to the application; they are
 * resolved here, when a mapping is read, with a depth limit and a work
 * budget, because libyaml lets an anchor refer to itself and merges can
 * multiply.
 */
#include <stdarg.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "compose_reader.h"
#include "util.h"

/* Merge keys nested deeper than this are refused. */
#define COMPOSE_MERGE_DEPTH 8

/* Key comparisons allowed for merges in one file before it is refused. */
#define COMPOSE_WORK_BUDGET 4000000u

void *compose_grow(void *p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return p;
    *cap = *cap < 4 ? 4 : *cap * 2;
    return xrealloc(p, *cap * size);
}

int compose_fail(struct compose_reader *r,
                 const yaml_node_t *node,
                 enum compose_errcode code,
                 const char *fmt,
                 ...)
{
    va_list ap;

    if (r->err->code != COMPOSE_OK)
        return -1;
    r->err->code = code;
    r->err->pos = compose_pos_of(node);
    va_start(ap, fmt);
    vsnprintf(r->err->msg, sizeof(r->err->msg), fmt, ap);
    va_end(ap);
    return -1;
}

const char *compose_kind_of(const yaml_node_t *node)
{
    switch (node->type) {
    case YAML_MAPPING_NODE: return "a mapping";
    case YAML_SEQUENCE_NODE: return "a list";
    case YAML_SCALAR_NODE: return "a string";
    default: return "nothing";
    }
}

int compose_is_null(const yaml_node_t *node)
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

char *compose_dup_scalar(struct compose_reader *r,
                         const yaml_node_t *node,
                         const char *what)
{
    if (node == NULL || node->type != YAML_SCALAR_NODE) {
        compose_fail(r, node, COMPOSE_ERR_INVALID,
                     "%s must be a string, not %s", what,
                     node != NULL ? compose_kind_of(node) : "nothing");
        return NULL;
    }
    if (memchr(node->data.scalar.value, '\0', node->data.scalar.length) !=
        NULL) {
        compose_fail(r, node, COMPOSE_ERR_INVALID,
                     "%s holds a NUL character: remove the \\0 escape", what);
        return NULL;
    }
    return xstrdup(compose_text_of(node));
}

int compose_get_bool(struct compose_reader *r,
                     const yaml_node_t *node,
                     const char *what,
                     int *out)
{
    static const char *const yes[] = {"true", "yes", "on", "y"};
    static const char *const no[] = {"false", "no", "off", "n"};
    size_t i;

    if (compose_is_scalar(node)) {
        for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
            if (strcasecmp(compose_text_of(node), yes[i]) == 0) {
                *out = 1;
                return 0;
            }
            if (strcasecmp(compose_text_of(node), no[i]) == 0) {
                *out = 0;
                return 0;
            }
        }
    }
    return compose_fail(
        r, node, COMPOSE_ERR_INVALID, "%s must be true or false, not %s", what,
        compose_is_scalar(node) ? "this string" : compose_kind_of(node));
}

int compose_is_merge_key(const yaml_node_t *key)
{
    return compose_is_scalar(key) &&
           key->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
           strcmp(compose_text_of(key), "<<") == 0;
}

/* Finds key in the pairs collected so far; NULL when absent. */
static struct compose_pair *pairs_find(struct compose_reader *r,
                                       const struct compose_pairs *ps,
                                       const char *key)
{
    size_t i;

    for (i = 0; i < ps->n; i++) {
        r->work++;
        if (strcmp(compose_text_of(ps->v[i].key), key) == 0)
            return &ps->v[i];
    }
    return NULL;
}

/*
 * Appends a key and its value; both stay owned by the document.
 */
static void
pairs_add(struct compose_pairs *ps, yaml_node_t *key, yaml_node_t *value)
{
    ps->v = compose_grow(ps->v, &ps->cap, ps->n, sizeof(*ps->v));
    ps->v[ps->n].key = key;
    ps->v[ps->n].value = value;
    ps->n++;
}

static int collect_map(struct compose_reader *r,
                       yaml_node_t *map,
                       const char *what,
                       struct compose_pairs *out,
                       int depth);

/*
 * Adds to out the keys of the mappings that one merge key names (value is
 * a mapping or a list of mappings), each key only when it is still absent.
 * Returns 0 or -1 with an error.
 */
static int merge_into(struct compose_reader *r,
                      const yaml_node_t *key,
                      yaml_node_t *value,
                      const char *what,
                      struct compose_pairs *out,
                      int depth)
{
    struct compose_pairs merged = {NULL, 0, 0};
    yaml_node_item_t *it = NULL;
    yaml_node_t *src;
    size_t i;
    int rc = -1;

    if (value == NULL ||
        (value->type != YAML_MAPPING_NODE && value->type != YAML_SEQUENCE_NODE))
        return compose_fail(r, value != NULL ? value : key, COMPOSE_ERR_INVALID,
                            "a merge key (<<) in %s takes a mapping or a list "
                            "of mappings (e.g. <<: *defaults), not %s",
                            what,
                            value != NULL ? compose_kind_of(value) : "nothing");
    if (value->type == YAML_SEQUENCE_NODE)
        it = value->data.sequence.items.start;
    for (;;) {
        if (value->type == YAML_MAPPING_NODE) {
            src = value;
        } else {
            if (it >= value->data.sequence.items.top)
                break;
            src = compose_node_at(r, *it++);
        }
        if (src == NULL || src->type != YAML_MAPPING_NODE) {
            compose_fail(r, src != NULL ? src : value, COMPOSE_ERR_INVALID,
                         "a merge key (<<) in %s lists %s: only mappings can "
                         "be merged",
                         what, src != NULL ? compose_kind_of(src) : "nothing");
            goto done;
        }
        merged.n = 0;
        if (collect_map(r, src, what, &merged, depth + 1) != 0)
            goto done;
        for (i = 0; i < merged.n; i++) {
            if (pairs_find(r, out, compose_text_of(merged.v[i].key)) == NULL)
                pairs_add(out, merged.v[i].key, merged.v[i].value);
        }
        if (r->work > COMPOSE_WORK_BUDGET) {
            compose_fail(r, key, COMPOSE_ERR_INVALID,
                         "merge keys (<<) in %s expand to too many keys: "
                         "simplify the anchors",
                         what);
            goto done;
        }
        if (value->type == YAML_MAPPING_NODE)
            break;
    }
    rc = 0;
done:
    free(merged.v);
    return rc;
}

/*
 * Collects the keys and values of a mapping into out, as
 * compose_get_map() says, depth merges down. Keys must be strings.
 * Returns 0 or -1 with an error.
 */
static int collect_map(struct compose_reader *r,
                       yaml_node_t *map,
                       const char *what,
                       struct compose_pairs *out,
                       int depth)
{
    yaml_node_pair_t *p;
    yaml_node_t *key;

    r->work += 1 + map->data.mapping.pairs.top - map->data.mapping.pairs.start;
    if (r->work > COMPOSE_WORK_BUDGET)
        return compose_fail(r, map, COMPOSE_ERR_INVALID,
                            "merge keys (<<) in %s expand to too many keys: "
                            "simplify the anchors",
                            what);
    if (depth > COMPOSE_MERGE_DEPTH)
        return compose_fail(r, map, COMPOSE_ERR_INVALID,
                            "merge keys (<<) nested more than %d deep in %s: "
                            "flatten them",
                            COMPOSE_MERGE_DEPTH, what);
    for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        key = compose_node_at(r, p->key);
        if (!compose_is_scalar(key))
            return compose_fail(r, key, COMPOSE_ERR_INVALID,
                                "the keys of %s must be strings, not %s", what,
                                key != NULL ? compose_kind_of(key) : "nothing");
        if (!compose_is_merge_key(key))
            pairs_add(out, key, compose_node_at(r, p->value));
    }

    /* Then the merge keys, in order; each adds only the keys still absent. */
    for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        key = compose_node_at(r, p->key);
        if (compose_is_merge_key(key) &&
            merge_into(r, key, compose_node_at(r, p->value), what, out,
                       depth) != 0)
            return -1;
    }
    return 0;
}

int compose_get_map(struct compose_reader *r,
                    yaml_node_t *node,
                    const char *what,
                    struct compose_pairs *out)
{
    out->v = NULL;
    out->n = out->cap = 0;
    if (node == NULL || node->type != YAML_MAPPING_NODE)
        return compose_fail(r, node, COMPOSE_ERR_INVALID,
                            "%s must be a mapping (key: value lines), not %s",
                            what,
                            node != NULL ? compose_kind_of(node) : "nothing");
    if (collect_map(r, node, what, out, 0) != 0) {
        free(out->v);
        out->v = NULL;
        return -1;
    }
    return 0;
}

yaml_node_t *
compose_get(struct compose_reader *r, struct compose_pairs *ps, const char *key)
{
    struct compose_pair *p = pairs_find(r, ps, key);

    if (p == NULL || compose_is_null(p->value))
        return NULL;
    return p->value;
}

int compose_want_list(struct compose_reader *r,
                      const yaml_node_t *node,
                      const char *what)
{
    if (node->type == YAML_SEQUENCE_NODE)
        return 0;
    return compose_fail(r, node, COMPOSE_ERR_INVALID,
                        "%s must be a list (lines starting with '- '), not %s",
                        what, compose_kind_of(node));
}
