/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fnv1a.h: the 64-bit FNV-1a hash, for the visualizer's string interning
 * (docker_arena.c) and its assets' ETags (visualizer.c). Fast and well
 * spread for short strings; not a defence against chosen collisions (the
 * interning table bounds its size instead).
 */
#ifndef PART5_FNV1A_H
#define PART5_FNV1A_H

#include <stddef.h>

#include <stdint.h>

static inline uint64_t fnv1a64(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ULL;
    size_t i;

    for (i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

#endif
