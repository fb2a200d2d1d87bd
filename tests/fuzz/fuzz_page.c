/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_page.c: libFuzzer target for what hello puts in its page: NAME and
 * the host name, escaped for HTML and for JSON (web/page.c and
 * html_escape() of services/common/util.c).
 *
 * Input: NAME, a NUL byte, the host name. NAME is first checked as hello
 * checks it at start (env_parse(): at most 200 bytes, no control
 * characters); the host name is taken as the kernel would give it (up to
 * 64 bytes of anything). The security claim of SECURITY.md:
 * - the escaped strings hold no '<', '>', '"' or '\'', every '&' starts
 *   an entity, and they are valid UTF-8 without control characters but
 *   tab and newline: neither can open a tag or leave an attribute;
 * - the page has exactly the markup of the same page with a plain name,
 *   and always fits hello's 4 KiB buffer (so no 500 for a long NAME);
 * - GET /api is valid JSON whose name and hostname are the inputs
 *   (when they are valid UTF-8), with no "</" in it.
 */
#include <stddef.h>

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "env.h"
#include "page.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Checks one escaped string; aborts on anything that could be markup. */
static void fuzz_escaped(const char *s)
{
    static const char *const entities[] = {"&amp;", "&lt;", "&gt;", "&quot;",
                                           "&#39;"};
    const unsigned char *p = (const unsigned char *)s;
    size_t i;
    int ok;

    for (; *p != '\0'; p++) {
        if (*p == '<' || *p == '>' || *p == '"' || *p == '\'')
            abort();
        if ((*p < 0x20 && *p != '\t' && *p != '\n') || *p == 0x7f)
            abort();
        if (*p == '&') {
            ok = 0;
            for (i = 0; i < sizeof(entities) / sizeof(*entities); i++)
                ok |= strncmp((const char *)p, entities[i],
                              strlen(entities[i])) == 0;
            if (!ok)
                abort();
        }
    }
}

/* Counts the bytes of s that are markup. */
static size_t fuzz_markup(const char *s, size_t *quotes)
{
    size_t n = 0;

    *quotes = 0;
    for (; *s != '\0'; s++) {
        n += *s == '<' || *s == '>';
        *quotes += *s == '"' || *s == '\'';
    }
    return n;
}

/* 1 when s is valid UTF-8 (what yajl accepts and keeps as it is). */
static int fuzz_utf8(const unsigned char *p)
{
    unsigned cp, need, i;

    while (*p != '\0') {
        if (*p < 0x80) {
            p++;
            continue;
        }
        if (*p >= 0xc2 && *p <= 0xdf)
            need = 1, cp = *p & 0x1f;
        else if (*p >= 0xe0 && *p <= 0xef)
            need = 2, cp = *p & 0x0f;
        else if (*p >= 0xf0 && *p <= 0xf4)
            need = 3, cp = *p & 0x07;
        else
            return 0;
        for (i = 1; i <= need; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (p[i] & 0x3f);
        }
        if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
            (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
            return 0;
        p += need + 1;
    }
    return 1;
}

/*
 * Valid UTF-8 comes back as it went in; anything else as "" (yajl's own
 * check is looser: overlong forms and surrogates may pass as they are).
 */
static void fuzz_same(const char *got, const char *in)
{
    if (fuzz_utf8((const unsigned char *)in)
            ? strcmp(got, in) != 0
            : (got[0] != '\0' && strcmp(got, in) != 0))
        abort();
}

/* GET /api: valid JSON carrying the two strings. */
static void fuzz_json(const struct page *pg, const char *name, const char *host)
{
    static const char *name_path[] = {"name", NULL};
    static const char *host_path[] = {"hostname", NULL};
    char out[4096], err[128];
    yajl_val v, n, h;
    size_t len;

    len = page_render_json(pg, 1, LLONG_MAX, out, sizeof(out));
    if (len == 0 || strstr(out, "</") != NULL)
        abort();
    v = yajl_tree_parse(out, err, sizeof(err));
    if (v == NULL)
        abort();
    n = yajl_tree_get(v, name_path, yajl_t_string);
    h = yajl_tree_get(v, host_path, yajl_t_string);
    if (n == NULL || h == NULL)
        abort();
    fuzz_same(YAJL_GET_STRING(n), name);
    fuzz_same(YAJL_GET_STRING(h), host);
    yajl_tree_free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *name = "World";
    struct env_var var = {"NAME", ENV_STRING, 0, 200, &name, "who"};
    struct page pg, plain;
    char *in, *host, err[ENV_ERR_LEN], out[4096], ref[4096];
    size_t q1, q2;
    int visits;

    in = malloc(size + 2);
    if (in == NULL)
        abort();
    memcpy(in, data, size);
    in[size] = in[size + 1] = '\0';
    host = in + strlen(in) + (strlen(in) < size ? 1 : 0);
    if (strlen(host) > 64)
        host[64] = '\0';
    if (env_parse(&var, in, err, sizeof(err)) != 0) {
        free(in);
        return 0; /* hello would not start with this NAME */
    }
    page_init(&pg, name, host);
    page_init(&plain, "N", "H");
    fuzz_escaped(pg.name_html);
    fuzz_escaped(pg.host_html);
    for (visits = 0; visits < 2; visits++) {
        if (page_render_html(&pg, visits, LLONG_MIN, out, sizeof(out)) == 0 ||
            page_render_html(&plain, visits, LLONG_MIN, ref, sizeof(ref)) == 0)
            abort(); /* it always fits: no 500 for a long NAME */
        if (fuzz_markup(out, &q1) != fuzz_markup(ref, &q2) || q1 != q2)
            abort(); /* no markup but the page's own */
    }
    fuzz_json(&pg, name, host);
    page_free(&plain);
    page_free(&pg);
    free(in);
    return 0;
}
