/* SPDX-License-Identifier: Apache-2.0 */
/*
 * replay.c: runs a libFuzzer target's LLVMFuzzerTestOneInput() on every
 * file of the directories given, for builds without libFuzzer (gcc, the
 * sanitizer build of CI). A crash or sanitizer report fails the test; the
 * last file named on stdout is the culprit.
 *
 *     replay_<target> DIR...
 */
#include <stddef.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads a file into a new buffer; NULL when it cannot be read. */
static char *slurp(const char *path, size_t *len)
{
    struct buf b = BUF_INIT;
    char chunk[16384];
    size_t n;
    FILE *f = fopen(path, "rb");

    if (f == NULL)
        return NULL;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        buf_append(&b, chunk, n);
    fclose(f);
    return buf_steal(&b, len);
}

int main(int argc, char **argv)
{
    struct dirent *de;
    struct stat st;
    char path[4096], *data;
    unsigned count = 0;
    size_t len;
    DIR *d;
    int i;

    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR...\n", argv[0]);
        return 2;
    }
    for (i = 1; i < argc; i++) {
        d = opendir(argv[i]);
        if (d == NULL) {
            fprintf(stderr, "%s: cannot open %s\n", argv[0], argv[i]);
            return 2;
        }
        while ((de = readdir(d)) != NULL) {
            snprintf(path, sizeof(path), "%s/%s", argv[i], de->d_name);
            if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
                continue;
            data = slurp(path, &len);
            if (data == NULL)
                continue;
            printf("%s\n", path);
            fflush(stdout); /* named even if the input crashes */
            LLVMFuzzerTestOneInput((const uint8_t *)data, len);
            free(data);
            count++;
        }
        closedir(d);
    }
    printf("%u inputs replayed, none crashed\n", count);
    return count > 0 ? 0 : 1;
}
