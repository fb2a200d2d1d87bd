/* SPDX-License-Identifier: Apache-2.0 */
/*
 * compose.c: the compose file reader. See compose.h; its other files are
 * listed in compose_reader.h.
 *
 * libyaml loads the document (what it refuses, compose_check.c explains).
 * Two passes follow. The first looks at every mapping of the document for
 * duplicate keys, as docker does (compose_check.c). The second walks only
 * the parts of the compose schema the model holds, so its depth is fixed:
 * the top level and each service's keys here, ports and volumes in
 * compose_syntax.c; merge keys are resolved on the way (compose_yaml.c).
 */
#include "compose.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "compose_reader.h"
#include "util.h"

/*
 * command: a string (split into words as a shell would) or a list of
 * strings (numbers allowed).
 */
static int parse_command(struct compose_reader *r,
                         yaml_node_t *node,
                         struct compose_service *s)
{
    yaml_node_item_t *it;
    yaml_node_t *item;
    char **words = NULL, *text;
    int n, i;
    size_t cap = 0;

    s->has_command = 1;
    s->command_pos = compose_pos_of(node);
    if (compose_is_scalar(node)) {
        text = compose_dup_scalar(r, node, "command");
        if (text == NULL)
            return -1;
        n = compose_split_words(text, &words);
        free(text);
        if (n < 0)
            return compose_fail(
                r, node, COMPOSE_ERR_INVALID,
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
        return compose_fail(r, node, COMPOSE_ERR_INVALID,
                            "service %s: command must be a string or a list of "
                            "strings, not %s",
                            s->name, compose_kind_of(node));
    for (it = node->data.sequence.items.start;
         it < node->data.sequence.items.top; it++) {
        item = compose_node_at(r, *it);
        text = compose_dup_scalar(r, item, "each word of command");
        if (text == NULL)
            return -1;
        s->command =
            compose_grow(s->command, &cap, s->ncommand, sizeof(*s->command));
        s->command[s->ncommand].text = text;
        s->command[s->ncommand].pos = compose_pos_of(item);
        s->ncommand++;
    }
    return 0;
}

/* environment: a mapping NAME: value, or a list of "NAME=value". */
static int parse_environment(struct compose_reader *r,
                             yaml_node_t *node,
                             struct compose_service *s)
{
    yaml_node_item_t *it;
    yaml_node_t *item;
    struct compose_env *e;
    struct compose_pairs m;
    size_t cap = 0, i;
    char *eq, what[160];

    snprintf(what, sizeof(what), "service %s: environment", s->name);
    if (node->type == YAML_MAPPING_NODE) {
        if (compose_get_map(r, node, what, &m) != 0)
            return -1;
        for (i = 0; i < m.n; i++) {
            s->environment = compose_grow(s->environment, &cap, s->nenvironment,
                                          sizeof(*s->environment));
            e = &s->environment[s->nenvironment++];
            memset(e, 0, sizeof(*e));
            e->pos = compose_pos_of(m.v[i].key);
            e->name = compose_dup_scalar(r, m.v[i].key, "a variable name");
            if (e->name != NULL)
                snprintf(what, sizeof(what), "service %s: environment %.60s",
                         s->name, e->name);
            if (e->name == NULL || (!compose_is_null(m.v[i].value) &&
                                    (e->value = compose_dup_scalar(
                                         r, m.v[i].value, what)) == NULL)) {
                free(m.v);
                return -1;
            }
        }
        free(m.v);
        return 0;
    }
    if (node->type != YAML_SEQUENCE_NODE)
        return compose_fail(r, node, COMPOSE_ERR_INVALID,
                            "%s must be a mapping (NAME: value) or a list "
                            "(- NAME=value), not %s",
                            what, compose_kind_of(node));
    for (it = node->data.sequence.items.start;
         it < node->data.sequence.items.top; it++) {
        item = compose_node_at(r, *it);
        s->environment = compose_grow(s->environment, &cap, s->nenvironment,
                                      sizeof(*s->environment));
        e = &s->environment[s->nenvironment++];
        memset(e, 0, sizeof(*e));
        e->pos = compose_pos_of(item);
        if ((e->name = compose_dup_scalar(r, item, what)) == NULL)
            return -1;
        eq = strchr(e->name, '=');
        if (eq != NULL) {
            *eq = '\0';
            e->value = xstrdup(eq + 1);
        }
    }
    return 0;
}

/*
 * secrets: a list of names, or of mappings with source (and target). The
 * checks compare them with REDIS_PASSWORD_FILE.
 */
static int parse_secrets(struct compose_reader *r,
                         yaml_node_t *node,
                         struct compose_service *s)
{
    yaml_node_item_t *it;
    yaml_node_t *item, *v;
    struct compose_secret *sec;
    struct compose_pairs m;
    size_t cap = 0;
    char what[160];
    int rc;

    snprintf(what, sizeof(what), "service %s: secrets", s->name);
    if (compose_want_list(r, node, what) != 0)
        return -1;
    for (it = node->data.sequence.items.start;
         it < node->data.sequence.items.top; it++) {
        item = compose_node_at(r, *it);
        s->secrets =
            compose_grow(s->secrets, &cap, s->nsecrets, sizeof(*s->secrets));
        sec = &s->secrets[s->nsecrets++];
        memset(sec, 0, sizeof(*sec));
        sec->pos = compose_pos_of(item);
        if (item == NULL || item->type != YAML_MAPPING_NODE) {
            if ((sec->source = compose_dup_scalar(r, item, what)) == NULL)
                return -1;
            continue;
        }
        if (compose_get_map(r, item, what, &m) != 0)
            return -1;
        rc = -1;
        if ((v = compose_get(r, &m, "source")) == NULL)
            compose_fail(
                r, item, COMPOSE_ERR_INVALID,
                "service %s: a secret written as a mapping needs 'source:' "
                "(the secret's name)",
                s->name);
        else if ((sec->source = compose_dup_scalar(r, v, "secrets.source")) !=
                     NULL &&
                 ((v = compose_get(r, &m, "target")) == NULL ||
                  (sec->target = compose_dup_scalar(r, v, "secrets.target")) !=
                      NULL))
            rc = 0;
        free(m.v);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/*
 * deploy: only placement.constraints is kept (replicas, resources and
 * restart_policy do not concern prepare), but each level is type-checked
 * on the way down, so "placement: node.role==manager" is an error.
 */
static int parse_deploy(struct compose_reader *r,
                        yaml_node_t *node,
                        struct compose_service *s)
{
    struct compose_pairs deploy = {NULL, 0, 0}, placement = {NULL, 0, 0};
    yaml_node_item_t *it;
    yaml_node_t *v, *item;
    size_t cap = 0;
    char what[160];
    int rc = -1;

    s->has_deploy = 1;
    s->deploy_pos = compose_pos_of(node);
    snprintf(what, sizeof(what), "service %s: deploy", s->name);
    if (compose_get_map(r, node, what, &deploy) != 0)
        goto done;
    if ((v = compose_get(r, &deploy, "placement")) == NULL) {
        rc = 0;
        goto done;
    }
    snprintf(what, sizeof(what), "service %s: deploy.placement", s->name);
    if (compose_get_map(r, v, what, &placement) != 0)
        goto done;
    if ((v = compose_get(r, &placement, "constraints")) == NULL) {
        rc = 0;
        goto done;
    }
    snprintf(what, sizeof(what), "service %s: deploy.placement.constraints",
             s->name);
    if (compose_want_list(r, v, what) != 0)
        goto done;
    for (it = v->data.sequence.items.start; it < v->data.sequence.items.top;
         it++) {
        item = compose_node_at(r, *it);
        s->constraints = compose_grow(s->constraints, &cap, s->nconstraints,
                                      sizeof(*s->constraints));
        s->constraints[s->nconstraints].pos = compose_pos_of(item);
        s->constraints[s->nconstraints].text =
            compose_dup_scalar(r, item, "each placement constraint");
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
 * duplicates among them were already refused by compose_check_duplicates().
 */
static int parse_service(struct compose_reader *r,
                         yaml_node_t *key,
                         yaml_node_t *node,
                         struct compose_service *s)
{
    struct compose_pairs m = {NULL, 0, 0};
    yaml_node_t *v;
    char what[160];
    int rc = -1;

    s->pos = compose_pos_of(key);
    if ((s->name = compose_dup_scalar(r, key, "a service name")) == NULL)
        goto done;
    if (compose_is_null(node)) {
        rc = 0; /* "web:" alone: an empty service, checked later */
        goto done;
    }
    snprintf(what, sizeof(what), "service %s", s->name);
    if (compose_get_map(r, node, what, &m) != 0)
        goto done;
    if ((v = compose_get(r, &m, "image")) != NULL) {
        s->image_pos = compose_pos_of(v);
        snprintf(what, sizeof(what), "service %s: image", s->name);
        if ((s->image = compose_dup_scalar(r, v, what)) == NULL)
            goto done;
    }
    if ((v = compose_get(r, &m, "command")) != NULL &&
        parse_command(r, v, s) != 0)
        goto done;
    if ((v = compose_get(r, &m, "environment")) != NULL &&
        parse_environment(r, v, s) != 0)
        goto done;
    if ((v = compose_get(r, &m, "volumes")) != NULL &&
        compose_parse_volumes(r, v, s) != 0)
        goto done;
    if ((v = compose_get(r, &m, "ports")) != NULL &&
        compose_parse_ports(r, v, s) != 0)
        goto done;
    if ((v = compose_get(r, &m, "deploy")) != NULL &&
        parse_deploy(r, v, s) != 0)
        goto done;
    if ((v = compose_get(r, &m, "secrets")) != NULL &&
        parse_secrets(r, v, s) != 0)
        goto done;
    rc = 0;
done:
    free(m.v);
    return rc;
}

/*
 * Walks the top level: version (optional) and services (required, a
 * mapping of services).
 */
static struct compose_file *read_model(struct compose_reader *r)
{
    struct compose_file *cf = NULL;
    struct compose_pairs top = {NULL, 0, 0}, svcs = {NULL, 0, 0};
    yaml_node_t *root, *v;
    size_t i;

    /* No node at all (comments only) and a lone "~" are both empty. */
    root = yaml_document_get_root_node(&r->doc);
    if (root == NULL || compose_is_null(root)) {
        compose_fail(
            r, root, COMPOSE_ERR_EMPTY,
            "the file is empty: a compose file starts with 'version: \"3\"' "
            "and a 'services:' mapping");
        goto err;
    }
    if (root->type != YAML_MAPPING_NODE) {
        compose_fail(
            r, root, COMPOSE_ERR_NOT_COMPOSE,
            "not a compose file: the top level is %s, expected a mapping "
            "with 'services:'",
            compose_kind_of(root));
        goto err;
    }
    if (compose_get_map(r, root, "the top level", &top) != 0)
        goto err;
    cf = xcalloc(1, sizeof(*cf));
    v = compose_get(r, &top, "services");
    if (v == NULL || v->type != YAML_MAPPING_NODE) {
        compose_fail(r, v != NULL ? v : root, COMPOSE_ERR_NOT_COMPOSE,
                     "not a compose file: %s; a stack file has a 'services:' "
                     "mapping with one entry per service",
                     v == NULL ? "there is no 'services:' key at the top level"
                               : "'services:' is not a mapping");
        goto err;
    }
    if (compose_get_map(r, v, "services", &svcs) != 0)
        goto err;
    if ((v = compose_get(r, &top, "version")) != NULL &&
        (cf->version = compose_dup_scalar(r, v, "version")) == NULL)
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
    struct compose_reader r;
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
        compose_yaml_failure(&parser, data, len, err);
        goto done;
    }
    loaded = 1;
    if (compose_check_duplicates(&r) != 0)
        goto done;

    /* A second document after "---" would be ignored by docker: refuse it. */
    if (yaml_document_get_root_node(&r.doc) != NULL) {
        if (!yaml_parser_load(&parser, &extra)) {
            compose_yaml_failure(&parser, data, len, err);
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
                out = compose_grow(out, &cap, n, sizeof(*out));
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
