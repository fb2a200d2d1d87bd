/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_docker_model.c: libFuzzer target for the engine JSON parsers and
 * the model rendering (visualizer jscan.c, docker_fields.c,
 * docker_arena.c, docker_json.c).
 *
 * Input: the first byte picks the reply kind, the second where to split
 * the rest into two chunks (the parsers are fed as the network delivers);
 * the rest is the reply. A list that parses is rendered, and the rendering
 * must be valid JSON on one line: an engine string must never be able to
 * break out of its JSON string, whatever bytes it holds.
 */
#include <stddef.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "docker_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Renders whatever list was parsed and checks the JSON. */
static void fuzz_render(struct docker_list *l, enum docker_kind kind)
{
    struct docker_list empty[4];
    struct docker_model m;
    struct buf b = BUF_INIT;
    char err[128];
    size_t off, i;
    yajl_val v;

    for (i = 0; i < 4; i++)
        docker_list_init(&empty[i], 8);
    memset(&m, 0, sizeof(m));
    m.connected = 1;
    m.since = "2026-11-27T11:00:00Z";
    m.swarm = kind != DOCKER_KIND_CONTAINERS;
    m.swarm_note = "note";
    m.nodes = kind == DOCKER_KIND_NODES ? l : &empty[0];
    m.services = kind == DOCKER_KIND_SERVICES ? l : &empty[1];
    m.tasks = kind == DOCKER_KIND_TASKS ? l : &empty[2];
    m.containers = kind == DOCKER_KIND_CONTAINERS ? l : &empty[3];
    if (docker_model_json(&m, "now", &b, &off) != 0)
        abort();
    if (memchr(b.data, '\n', b.len) != NULL)
        abort();
    v = yajl_tree_parse(b.data, err, sizeof(err));
    if (v == NULL) {
        fprintf(stderr, "invalid rendering: %s\n", err);
        abort();
    }
    yajl_tree_free(v);
    buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t item[] = {
        [DOCKER_KIND_NODES] = sizeof(struct docker_node),
        [DOCKER_KIND_SERVICES] = sizeof(struct docker_service),
        [DOCKER_KIND_TASKS] = sizeof(struct docker_task),
        [DOCKER_KIND_CONTAINERS] = sizeof(struct docker_container),
    };
    union {
        struct docker_version version;
        struct docker_info info;
        struct docker_event event;
    } small;
    struct docker_list list;
    struct docker_parse *p;
    enum docker_kind kind;
    size_t split;
    void *out;
    int ok;

    if (size < 2)
        return 0;
    kind = (enum docker_kind)(data[0] % 7);
    split = data[1];
    data += 2;
    size -= 2;
    if (split > size)
        split = size;
    if (kind >= DOCKER_KIND_NODES && kind <= DOCKER_KIND_CONTAINERS) {
        docker_list_init(&list, item[kind]);
        out = &list;
    } else {
        out = &small;
    }
    p = docker_parse_new(kind, out);
    ok = docker_parse_feed(p, data, split) == 0 &&
         docker_parse_feed(p, data + split, size - split) == 0 &&
         docker_parse_finish(p) == 0;
    if (!ok && docker_parse_error(p)[0] == '\0')
        abort(); /* every failure says why */
    docker_parse_free(p);
    if (out == &list) {
        if (ok)
            fuzz_render(&list, kind);
        docker_list_free(&list);
    }
    return 0;
}
