/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_compose.c: libFuzzer target for the compose reader
 * (services/stackfile/compose.c) and what runs on its model: the checks of
 * `redis-bootstrap prepare`. The command-word splitter and the Redis
 * config reader of the entrypoint get the same bytes, since they read
 * user text too.
 *
 * Build with clang: -DPART5_FUZZ=ON; run with tests/fuzz/run.sh.
 */
#include <stddef.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compose.h"
#include "preflight.h"
#include "redis_args.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct preflight_node node = {"manager", "myvm1"};
    struct compose_error err;
    struct compose_file *cf;
    struct preflight p;
    struct redis_args a;
    char **words = NULL, *text;
    int n;

    cf = compose_parse((const char *)data, size, &err);
    if (cf != NULL) {
        preflight_init(&p);
        preflight_check(cf, &node, &p);
        preflight_free(&p);
        compose_free(cf);
    } else if (err.code == COMPOSE_OK || err.msg[0] == '\0') {
        abort(); /* every failure must come with a message */
    }

    /* The same bytes as a command string and as a redis.conf. */
    text = xmalloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    n = compose_split_words(text, &words);
    if (n > 0)
        compose_words_free(words, (size_t)n);
    memset(&a, 0, sizeof(a));
    redis_args_read_config(&a, (const char *)data, size);
    redis_args_free(&a);
    free(text);
    return 0;
}
