/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_compose.c: libFuzzer target for the compose reader
 * (services/stackfile/compose.c) and what runs on its model: the checks of
 * `redis-bootstrap prepare` and what prepare prints. The command-word
 * splitter and the Redis config reader of the entrypoint get the same
 * bytes, since they read user text too.
 *
 * prepare runs whole on each input (prepare_stack(), a dry run under a
 * host root made once with a data directory and a Docker socket in it),
 * so findings, reader errors and the ok/would-create lines of hostdirs.c
 * are all rendered. Whatever the input, each line printed must hold no
 * control character (a string of the file could otherwise forge a line or
 * send escape sequences to a terminal), and a refused file gets exactly
 * one line on the error stream.
 *
 * Build with clang: -DPART5_FUZZ=ON; run with tests/fuzz/run.sh.
 */
#include <stddef.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compose.h"
#include "preflight.h"
#include "prepare.h"
#include "redis_args.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The host root's directory and what is made in it, removed at exit. */
static char root[] = "/tmp/fuzz-compose-root-XXXXXX";
static const char *const made[] = {
    "home", "home/docker", "home/docker/data",
    "var",  "var/run",     "var/run/docker.sock", /* a file will do */
};

static void remove_root(void)
{
    char path[128];
    size_t i = sizeof(made) / sizeof(made[0]);

    while (i-- > 0) {
        snprintf(path, sizeof(path), "%s/%s", root, made[i]);
        if (remove(path) != 0)
            perror(path);
    }
    if (rmdir(root) != 0)
        perror(root);
}

/* Makes the host root on the first call; aborts when it cannot. */
static const char *host_root(void)
{
    static int ready;
    char path[128];
    size_t i;
    FILE *f;

    if (ready)
        return root;
    if (mkdtemp(root) == NULL)
        abort();
    for (i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", root, made[i]);
        if (strstr(made[i], ".sock") != NULL) {
            f = fopen(path, "w");
            if (f == NULL || fclose(f) != 0)
                abort();
        } else if (mkdir(path, 0755) != 0) {
            abort();
        }
    }
    atexit(remove_root);
    ready = 1;
    return root;
}

/*
 * Aborts unless text (len bytes) is whole lines holding no C0 control but
 * their final '\n', no DEL and no C1 control (UTF-8 C2 80 to C2 9F).
 * Returns the number of lines.
 */
static size_t must_be_clean_lines(const char *text, size_t len)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t i, lines = 0;

    for (i = 0; i < len; i++) {
        if (p[i] == '\n')
            lines++;
        else if (p[i] < 0x20 || p[i] == 0x7f ||
                 (p[i] == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 &&
                  p[i + 1] <= 0x9f))
            abort();
    }
    if (len > 0 && p[len - 1] != '\n')
        abort();
    return lines;
}

/* prepare, dry run, on data: checks what it prints. */
static void fuzz_prepare(const uint8_t *data, size_t size)
{
    struct prepare_opts o = {
        .file = "fuzz.yml",
        .host_root = host_root(),
        .role = "manager",
        .hostname = "myvm1",
        .uid = PREFLIGHT_REDIS_UID,
        .gid = PREFLIGHT_REDIS_GID,
        .dry_run = 1,
    };
    char *out = NULL, *err = NULL;
    size_t outlen = 0, errlen = 0, errlines;
    FILE *fout = open_memstream(&out, &outlen);
    FILE *ferr = open_memstream(&err, &errlen);
    int rc;

    if (fout == NULL || ferr == NULL)
        abort();
    rc = prepare_stack(&o, (const char *)data, size, fout, ferr);
    fclose(fout);
    fclose(ferr);
    must_be_clean_lines(out, outlen);
    errlines = must_be_clean_lines(err, errlen);
    if (rc == PREPARE_EXIT_UNREADABLE ? errlines != 1 || outlen != 0
                                      : errlen != 0)
        abort();
    free(out);
    free(err);
}

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
    fuzz_prepare(data, size);

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
