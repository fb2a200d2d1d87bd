/* SPDX-License-Identifier: Apache-2.0 */
/*
 * compose_check.c: what refuses a compose file as a whole, before its
 * model is read: libyaml's errors, turned into one message that says what
 * to do (a tab, bytes that are not text, an unclosed quote), and a key
 * written twice in any mapping, which docker refuses too. See
 * compose_reader.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose_reader.h"
#include "util.h"

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
 * Each mapping is sorted once, so a mapping with many keys costs n log n.
 */
int compose_check_duplicates(struct compose_reader *r)
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
            k = compose_node_at(r, p->key);
            if (!compose_is_scalar(k) || compose_is_merge_key(k))
                continue;
            keys = compose_grow(keys, &cap, n, sizeof(*keys));
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
    return compose_fail(
        r, dup, COMPOSE_ERR_INVALID,
        "duplicate key '%.60s' (first at line %u, column %u): keep "
        "only one of them",
        compose_text_of(dup), compose_pos_of(first).line,
        compose_pos_of(first).column);
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
 * A tab gets its own message (the most common mistake), bytes that are not
 * UTF-8 text get another.
 */
void compose_yaml_failure(const yaml_parser_t *parser,
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
