/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_prepare.c: `redis-bootstrap prepare` as a whole (services/redis/
 * prepare.c), on streams: what it prints for a hostile stack file.
 *
 * A string of the file (a service key, an image, a bind path) can hold any
 * character YAML's escapes make: "\n", "\e", "\u009b". Printed as it is, a
 * newline forges a finding line (`evil.yml:1:1: error: ...`) and ESC or CSI
 * start terminal escape sequences. Every line prepare prints must stay one
 * line with no control character in it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "prepare.h"
#include "util.h"

/*
 * A Redis service and a visualizer-like one whose key, image and bind
 * paths hold a newline followed by a forged finding, ESC sequences, BEL
 * and U+009B (CSI as one character).
 */
static const char evil_yml[] =
    "services:\n"
    "  \"web\\nevil.yml:1:1: error: forged\\e[2J\\u009b31m\":\n"
    "    image: \"redis\\e]0;pwned\\a\"\n"
    "    volumes:\n"
    "      - \"/home/docker/data\\n\\e[1m:/data\"\n"
    "  \"viz\\e[31m\":\n"
    "    image: dockersamples/visualizer\n"
    "    volumes: [\"/var/run/docker\\e[K.sock:/var/run/docker.sock\"]\n";

/* A file the reader refuses, with the refused string quoted in the error. */
static const char bad_yml[] = "services:\n"
                              "  \"x\\n\\e[31m\":\n"
                              "    volumes: [\"a:b:c:d\\e[0m\\r\"]\n";

struct fixture {
    char dir[64];   /* the test's directory, also the host root */
    char path[128]; /* the stack file in it */
    char *out, *err;
    size_t outlen, errlen;
};

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));

    snprintf(f->dir, sizeof(f->dir), "/tmp/test-prepare-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->path, sizeof(f->path), "%s/evil.yml", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    free(f->out);
    free(f->err);
    free(f);
    return system(cmd) == 0 ? 0 : -1;
}

static void must_write(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");

    if (fp == NULL || fputs(text, fp) < 0 || fclose(fp) != 0)
        fail_msg("cannot write %s", path);
}

/*
 * Runs prepare as a dry run under the fixture's host root on file, its
 * stdout and stderr kept in f. Returns the exit status.
 */
static int run_prepare(struct fixture *f, const char *file)
{
    struct prepare_opts o;
    struct buf why = BUF_INIT;
    const char *argv[] = {"prepare",     "--dry-run", "--hostname", "myvm1",
                          "--host-root", f->dir,      "-f",         file};
    FILE *out, *err;
    int rc;

    free(f->out);
    free(f->err);
    assert_int_equal(prepare_parse_args(8, (char **)argv, &o, &why),
                     PREPARE_ARGS_OK);
    out = open_memstream(&f->out, &f->outlen);
    err = open_memstream(&f->err, &f->errlen);
    assert_non_null(out);
    assert_non_null(err);
    rc = prepare_run(&o, out, err);
    fclose(out);
    fclose(err);
    return rc;
}

/*
 * The start of a line for a failure message, control characters shown as
 * '?' (the message must not send the escapes it found to the terminal).
 */
static const char *visible(const char *line, char out[81])
{
    size_t i;

    for (i = 0; i < 80 && line[i] != '\0' && line[i] != '\n'; i++)
        out[i] =
            (unsigned char)line[i] < 0x20 || line[i] == 0x7f ? '?' : line[i];
    out[i] = '\0';
    return out;
}

/*
 * Fails unless text is n lines, each ending in '\n', each starting with one
 * of the prefixes, and holding no control character: no C0 byte but the
 * final '\n', no DEL, no C1 character (U+0080 to U+009F, C2 80 to C2 9F).
 */
static void
assert_clean_lines(const char *text, size_t n, const char *const *prefixes)
{
    const unsigned char *p = (const unsigned char *)text;
    const char *line = text;
    size_t lines = 0, i;
    char shown[81];

    for (; *p != '\0'; p++) {
        if (*p == '\n') {
            for (i = 0; prefixes[i] != NULL; i++) {
                if (strncmp(line, prefixes[i], strlen(prefixes[i])) == 0)
                    break;
            }
            if (prefixes[i] == NULL)
                fail_msg("line %zu starts with none of ours: %s", lines + 1,
                         visible(line, shown));
            lines++;
            line = (const char *)p + 1;
            continue;
        }
        if (*p < 0x20 || *p == 0x7f ||
            (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
            fail_msg("raw control character 0x%02x in line %zu: %s", *p,
                     lines + 1, visible(line, shown));
    }
    if (*line != '\0')
        fail_msg("the last line has no newline: %s", visible(line, shown));
    assert_int_equal(lines, n);
}

/*
 * Findings and the host-path lines quote the file's strings escaped: the
 * forged line stays inside the finding that quotes it, and the escape
 * sequences are printed as text.
 */
static void test_prepare_escapes_findings_and_paths(void **state)
{
    struct fixture *f = *state;
    const char *prefixes[] = {f->path, "would create: ", NULL};

    must_write(f->path, evil_yml);
    assert_int_equal(run_prepare(f, f->path), PREPARE_EXIT_FINDINGS);
    assert_string_equal(f->err, "");

    /*
     * The header, the dry-run line, one would-create line (the socket is
     * an error, not a line), four findings and the count.
     */
    assert_clean_lines(f->out, 8, prefixes);
    assert_non_null(strstr(f->out, "service web\\nevil.yml:1:1: error: "
                                   "forged\\x1b[2J\\xc2\\x9b31m: Redis"));
    assert_non_null(strstr(f->out, "would create: "));
    assert_non_null(strstr(f->out, "/home/docker/data\\n\\x1b[1m (owner "));
    assert_non_null(strstr(f->out, "service viz\\x1b[31m: bind source "));
    assert_non_null(strstr(f->out, "/var/run/docker\\x1b[K.sock does not "
                                   "exist on this node"));
}

/* The reader's error quotes the refused string escaped, on one line. */
static void test_prepare_escapes_parse_errors(void **state)
{
    struct fixture *f = *state;
    const char *prefixes[] = {f->path, NULL};

    must_write(f->path, bad_yml);
    assert_int_equal(run_prepare(f, f->path), PREPARE_EXIT_UNREADABLE);
    assert_string_equal(f->out, "");
    assert_clean_lines(f->err, 1, prefixes);
    assert_non_null(strstr(f->err, "service x\\n\\x1b[31m: volume "
                                   "\"a:b:c:d\\x1b[0m\\r\" is not"));
}

/*
 * The file's name is printed on every line: one holding a newline or ESC
 * (from a script's variable) cannot split or colour a line either.
 */
static void test_prepare_escapes_file_name(void **state)
{
    struct fixture *f = *state;
    char name[256];
    const char *prefixes[] = {f->dir, NULL, NULL};

    snprintf(name, sizeof(name), "%s/a\nevil.yml:1:1: error: \x1b[31mx.yml",
             f->dir);
    assert_int_equal(run_prepare(f, name), PREPARE_EXIT_UNREADABLE);
    assert_clean_lines(f->err, 1, prefixes);
    assert_non_null(strstr(f->err, "/a\\nevil.yml:1:1: error: \\x1b[31mx.yml: "
                                   "error: cannot read the stack file"));

    must_write(name, evil_yml);
    assert_int_equal(run_prepare(f, name), PREPARE_EXIT_FINDINGS);
    prefixes[1] = "would create: ";
    assert_clean_lines(f->out, 8, prefixes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_prepare_escapes_findings_and_paths,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_prepare_escapes_parse_errors,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_prepare_escapes_file_name, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
