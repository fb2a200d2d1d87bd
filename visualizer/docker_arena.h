/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker_arena.h: how the model's lists hold their strings, for the files
 * that fill the lists (docker_fields.c). Not for the model's users: they
 * see the lists through docker_model.h.
 *
 * The rule: a list owns every string its items point to, in its arena,
 * and frees them all at once with the list (docker_list_free()). Items
 * own nothing; a string may be shared by several items of one list
 * (interned), never by two lists, and is never changed once stored.
 */
#ifndef PART5_DOCKER_ARENA_H
#define PART5_DOCKER_ARENA_H

#include <stddef.h>

#include "docker_model.h"

/* size bytes from the arena, aligned for any object. */
void *docker_arena_alloc(struct docker_arena *a, size_t size);

/* Copies len bytes of s, plus a NUL, into the arena. */
const char *
docker_arena_copy(struct docker_arena *a, const char *s, size_t len);

/* Copies a NUL-terminated string, or returns NULL for NULL. */
const char *docker_arena_str(struct docker_arena *a, const char *s);

/*
 * Copies an engine time ("2026-11-27T11:27:51.897176741Z") without its
 * fraction of a second; other forms are copied as they are.
 */
const char *docker_arena_time(struct docker_arena *a, const char *t);

/* Returns the list's copy of s (made on first sight), or NULL for NULL. */
const char *docker_intern(struct docker_list *l, const char *s);

/* A new zeroed item at the end of the list, or NULL past max items. */
void *docker_list_push(struct docker_list *l, size_t max);

#endif
