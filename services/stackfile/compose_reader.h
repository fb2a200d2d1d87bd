/* SPDX-License-Identifier: Apache-2.0 */
/*
 * compose_reader.h: inside the compose reader; callers use compose.h.
 *
 * The reader is four files, one concern each:
 *     compose.c         the API: the top level, each service's keys, free
 *     compose_yaml.c    libyaml's document as typed values, with merge keys
 *     compose_syntax.c  the short and long syntaxes of ports and volumes
 *     compose_check.c   what refuses a file as a whole: libyaml's errors
 *                       turned into advice, duplicate keys
 *
 * Who owns what: every yaml_node_t belongs to the reader's document, which
 * compose_parse() deletes once the model is built, so nodes are borrowed
 * and never outlive a parse. struct compose_pairs holds borrowed node
 * pointers in an array the caller frees with free(pairs.v). Every string
 * put into the model is a copy (compose_dup_scalar()) that the model owns.
 *
 * Errors: the first compose_fail() of a parse wins; later ones only return
 * -1, so each function can fail with `return compose_fail(...)` and its
 * callers just pass -1 up.
 */
#ifndef PART5_COMPOSE_READER_H
#define PART5_COMPOSE_READER_H

#include <stddef.h>

#include <yaml.h>

#include "compose.h"

struct compose_reader {
    yaml_document_t doc;
    struct compose_error *err;
    unsigned long work; /* comparisons spent resolving merge keys */
};

/* One key and its value in a mapping, after merge keys are resolved. */
struct compose_pair {
    yaml_node_t *key;
    yaml_node_t *value;
};

struct compose_pairs {
    struct compose_pair *v;
    size_t n, cap;
};

/*
 * The 1-based position of a node (libyaml's marks are 0-based, and count
 * characters, not bytes, in a line). A NULL node has no position.
 */
static inline struct compose_pos compose_pos_of(const yaml_node_t *node)
{
    struct compose_pos p = {0, 0};

    if (node != NULL) {
        p.line = (unsigned)node->start_mark.line + 1;
        p.column = (unsigned)node->start_mark.column + 1;
    }
    return p;
}

/*
 * The node of the document at index, or NULL for an index libyaml left
 * empty (an empty value in a flow collection).
 */
static inline yaml_node_t *compose_node_at(struct compose_reader *r, int index)
{
    return yaml_document_get_node(&r->doc, index);
}

/* Whether node is a string, a number or a boolean: YAML scalars all. */
static inline int compose_is_scalar(const yaml_node_t *node)
{
    return node != NULL && node->type == YAML_SCALAR_NODE;
}

/* The scalar's text, borrowed from the document. */
static inline const char *compose_text_of(const yaml_node_t *node)
{
    return (const char *)node->data.scalar.value;
}

/* compose_yaml.c */

/*
 * Grows an array to hold n + 1 elements of size bytes. Returns the
 * (possibly moved) array; *cap is updated.
 */
void *compose_grow(void *p, size_t *cap, size_t n, size_t size);

/*
 * Records an error at node's position (the first one wins) and returns -1,
 * so a caller can write `return compose_fail(...)`.
 */
int compose_fail(struct compose_reader *r,
                 const yaml_node_t *node,
                 enum compose_errcode code,
                 const char *fmt,
                 ...) __attribute__((format(printf, 4, 5)));

/* "a mapping", "a list" or "a string", for messages about wrong types. */
const char *compose_kind_of(const yaml_node_t *node);

/* A plain scalar that YAML reads as null: empty, ~ or null; or NULL. */
int compose_is_null(const yaml_node_t *node);

/*
 * Whether key is YAML 1.1's merge key: a plain `<<`. A quoted "<<" is an
 * ordinary key, as in every YAML library that knows merge keys.
 */
int compose_is_merge_key(const yaml_node_t *key);

/*
 * Checks that node is a scalar without NUL bytes inside (a double-quoted
 * "\0" would cut the string short) and returns a copy of its text, or NULL
 * with an error naming what. The caller frees the copy.
 */
char *compose_dup_scalar(struct compose_reader *r,
                         const yaml_node_t *node,
                         const char *what);

/*
 * Parses a YAML boolean (YAML 1.1 spellings, as docker's loader reads
 * them). Returns 0 with *out set, or -1 with an error.
 */
int compose_get_bool(struct compose_reader *r,
                     const yaml_node_t *node,
                     const char *what,
                     int *out);

/*
 * Collects a mapping's keys and values into out with merge keys resolved
 * (`<<: *base` or `<<: [*a, *b]`: keys written in the mapping win over
 * merged ones, earlier merged mappings over later ones). Returns 0, or -1
 * with an error when node is not a mapping, a key is not a string, or the
 * merges are too deep or too many (out->v is NULL then). what names the
 * mapping in errors. The caller frees out->v.
 */
int compose_get_map(struct compose_reader *r,
                    yaml_node_t *node,
                    const char *what,
                    struct compose_pairs *out);

/* The value of key in ps, or NULL (also when the value is null). */
yaml_node_t *compose_get(struct compose_reader *r,
                         struct compose_pairs *ps,
                         const char *key);

/*
 * Checks that node is a list; returns 0, or -1 with an error saying what
 * was expected.
 */
int compose_want_list(struct compose_reader *r,
                      const yaml_node_t *node,
                      const char *what);

/* compose_syntax.c: a service's ports: and volumes:, into s. */
int compose_parse_ports(struct compose_reader *r,
                        yaml_node_t *node,
                        struct compose_service *s);
int compose_parse_volumes(struct compose_reader *r,
                          yaml_node_t *node,
                          struct compose_service *s);

/* compose_check.c */

/*
 * Looks at every mapping of the document for a key written twice (docker
 * refuses such files; YAML says keys are unique). Returns 0 or -1 with an
 * error at the duplicate that comes first in the file.
 */
int compose_check_duplicates(struct compose_reader *r);

/*
 * Turns libyaml's error about data (len bytes) into one message in err
 * saying what to do, with its position.
 */
void compose_yaml_failure(const yaml_parser_t *parser,
                          const char *data,
                          size_t len,
                          struct compose_error *err);

#endif
