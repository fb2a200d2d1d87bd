/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker_arena.c: the storage of the model's lists: their items, the
 * arena their strings live in, and the interning of strings that repeat.
 *
 * The rule (docker_arena.h): a list owns every string its items point to
 * and frees them all at once with the list; items own nothing; an
 * interned string is shared by items of one list only and never changed.
 * So a list moves (docker_list_move()) or goes (docker_list_free()) as a
 * whole, and nothing may keep a pointer into it past that.
 */
#include "docker_arena.h"

#include <stdlib.h>
#include <string.h>

#include "fnv1a.h"
#include "util.h"

struct docker_arena_block {
    struct docker_arena_block *next;
    size_t used, size;
    char data[];
};

#define DOCKER_ARENA_FIRST 4096
#define DOCKER_ARENA_MAX (256 * 1024)

/*
 * Returns size bytes from the arena, aligned for any object. Blocks grow
 * from 4 KiB to 256 KiB, so small lists stay small and big ones are a few
 * blocks (which malloc serves with mmap and gives back whole when freed).
 */
void *docker_arena_alloc(struct docker_arena *a, size_t size)
{
    struct docker_arena_block *b = a->head;
    size_t align = sizeof(void *), pad;
    void *p;

    pad = b != NULL ? (align - b->used % align) % align : 0;
    if (b == NULL || b->size - b->used < size + pad) {
        size_t bsize = b == NULL ? DOCKER_ARENA_FIRST : b->size * 2;

        if (bsize > DOCKER_ARENA_MAX)
            bsize = DOCKER_ARENA_MAX;
        if (bsize < size)
            bsize = size;
        b = xmalloc(sizeof(*b) + bsize);
        b->size = bsize;
        b->used = 0;
        b->next = a->head;
        a->head = b;
        pad = 0;
    }
    p = b->data + b->used + pad;
    b->used += pad + size;
    a->used += pad + size;
    return p;
}

const char *docker_arena_copy(struct docker_arena *a, const char *s, size_t len)
{
    char *p = docker_arena_alloc(a, len + 1);

    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

const char *docker_arena_str(struct docker_arena *a, const char *s)
{
    return s == NULL ? NULL : docker_arena_copy(a, s, strlen(s));
}

static void docker_arena_free(struct docker_arena *a)
{
    struct docker_arena_block *b = a->head, *next;

    for (; b != NULL; b = next) {
        next = b->next;
        free(b);
    }
    a->head = NULL;
    a->used = 0;
}

/*
 * Strings that repeat across a list's records (a task's service and node
 * IDs, image, states, stack) are stored once: with 5,000 tasks on 100
 * nodes and 250 services that saves about a third of the list. An
 * open-addressing set of arena strings; past DOCKER_INTERN_MAX distinct
 * values (a hostile engine) strings are simply copied.
 */
struct docker_intern {
    const char **slots;
    size_t cap, n;
};

#define DOCKER_INTERN_MAX 65536

static uint64_t docker_hash(const char *s)
{
    return fnv1a64(s, strlen(s));
}

/* Puts p into a table of cap slots (a power of two). */
static void docker_intern_put(const char **slots, size_t cap, const char *p)
{
    size_t i = (size_t)docker_hash(p) & (cap - 1);

    while (slots[i] != NULL)
        i = (i + 1) & (cap - 1);
    slots[i] = p;
}

const char *docker_intern(struct docker_list *l, const char *s)
{
    struct docker_intern *t = l->intern;
    const char *p;
    size_t i;

    if (s == NULL)
        return NULL;
    if (t == NULL)
        t = l->intern = xcalloc(1, sizeof(*t));
    if (t->n >= DOCKER_INTERN_MAX)
        return docker_arena_str(&l->arena, s);
    if (2 * (t->n + 1) > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        const char **slots = xcalloc(cap, sizeof(*slots));

        for (i = 0; i < t->cap; i++)
            if (t->slots[i] != NULL)
                docker_intern_put(slots, cap, t->slots[i]);
        free(t->slots);
        t->slots = slots;
        t->cap = cap;
    }
    for (i = (size_t)docker_hash(s) & (t->cap - 1); t->slots[i] != NULL;
         i = (i + 1) & (t->cap - 1))
        if (strcmp(t->slots[i], s) == 0)
            return t->slots[i];
    p = docker_arena_str(&l->arena, s);
    t->slots[i] = p;
    t->n++;
    return p;
}

void docker_list_init(struct docker_list *l, size_t item_size)
{
    memset(l, 0, sizeof(*l));
    l->size = item_size;
}

void docker_list_free(struct docker_list *l)
{
    if (l == NULL)
        return;
    free(l->items);
    docker_arena_free(&l->arena);
    if (l->intern != NULL)
        free(l->intern->slots);
    free(l->intern);
    l->intern = NULL;
    l->items = NULL;
    l->n = l->cap = 0;
    l->skipped = l->truncated = 0;
}

void docker_list_move(struct docker_list *dst, struct docker_list *src)
{
    size_t size = src->size;

    docker_list_free(dst);
    *dst = *src;
    docker_list_init(src, size);
}

void *docker_list_push(struct docker_list *l, size_t max)
{
    void *item;

    if (l->n >= max) {
        l->truncated++;
        return NULL;
    }
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->items = xrealloc(l->items, l->cap * l->size);
    }
    item = (char *)l->items + l->n * l->size;
    memset(item, 0, l->size);
    l->n++;
    return item;
}

const char *docker_strip_digest(struct docker_arena *a, const char *image)
{
    const char *at;

    if (image == NULL)
        return NULL;
    at = strchr(image, '@');
    return docker_arena_copy(a, image,
                             at ? (size_t)(at - image) : strlen(image));
}

const char *docker_arena_time(struct docker_arena *a, const char *t)
{
    const char *dot;
    char tmp[40];
    size_t n;

    if (t == NULL)
        return NULL;
    dot = strchr(t, '.');
    n = dot != NULL ? (size_t)(dot - t) : 0;
    if (dot == NULL || n != 19 || t[strlen(t) - 1] != 'Z')
        return docker_arena_str(a, t);
    memcpy(tmp, t, n);
    tmp[n] = 'Z';
    return docker_arena_copy(a, tmp, n + 1);
}
