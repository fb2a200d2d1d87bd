/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics_parse.c: the strict text-format reader. See metrics_parse.h.
 *
 * The body is checked as a whole first (size, UTF-8, control characters,
 * a final newline), then line by line with a cursor that never reads past
 * the line's end. Every rule refuses rather than guesses: the answer
 * only matters when it is exactly what hello writes, and everything else
 * costs the same small, bounded work and ends as "no data".
 */
#include "metrics_parse.h"

#include <string.h>

/* A cursor over one line (without its newline). */
struct mp_line {
    const char *p, *end;
};

/*
 * 1 when s holds valid UTF-8 (no overlong forms, no surrogates, nothing
 * above U+10FFFF) and no control character but tab and newline.
 */
static int mp_text_ok(const unsigned char *s, size_t n)
{
    size_t i = 0, k, extra;
    uint32_t cp, min;

    while (i < n) {
        unsigned char c = s[i];

        if (c < 0x80) {
            if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
                return 0;
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            extra = 1, cp = c & 0x1f, min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            extra = 2, cp = c & 0x0f, min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            extra = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return 0;
        }
        if (n - i <= extra)
            return 0;
        for (k = 1; k <= extra; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        /* C1 control characters are controls too. */
        if (cp >= 0x80 && cp <= 0x9f)
            return 0;
        i += extra + 1;
    }
    return 1;
}

static int mp_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Skips blanks; returns how many. */
static size_t mp_blanks(struct mp_line *l)
{
    size_t n = 0;

    while (l->p < l->end && mp_blank(*l->p)) {
        l->p++;
        n++;
    }
    return n;
}

static int mp_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int mp_digit(char c)
{
    return c >= '0' && c <= '9';
}

/*
 * A metric name ([a-zA-Z_:][a-zA-Z0-9_:]*) or, with colons 0, a label
 * name ([a-zA-Z_][a-zA-Z0-9_]*). Returns its length, 0 when there is none
 * or it is longer than METRICS_MAX_NAME.
 */
static size_t mp_name(struct mp_line *l, int colons, const char **start)
{
    const char *p = l->p;

    *start = p;
    if (p >= l->end || !(mp_alpha(*p) || (colons && *p == ':')))
        return 0;
    while (p < l->end &&
           (mp_alpha(*p) || mp_digit(*p) || (colons && *p == ':')))
        p++;
    if ((size_t)(p - l->p) > METRICS_MAX_NAME)
        return 0;
    l->p = p;
    return (size_t)(p - *start);
}

/* 1 when the cursor is at the literal word w; moves past it. */
static int mp_word(struct mp_line *l, const char *w)
{
    size_t n = strlen(w);

    if ((size_t)(l->end - l->p) < n || memcmp(l->p, w, n) != 0)
        return 0;
    l->p += n;
    return 1;
}

/* A run of digits; returns how many. */
static size_t mp_digits(struct mp_line *l)
{
    const char *p = l->p;

    while (l->p < l->end && mp_digit(*l->p))
        l->p++;
    return (size_t)(l->p - p);
}

/*
 * A sample value as Prometheus' clients write it: NaN, +Inf, -Inf, Inf,
 * or a decimal number with an optional sign, fraction and exponent.
 * Returns 1 and moves past it, or 0.
 */
static int mp_value(struct mp_line *l)
{
    size_t intd, fracd = 0;

    if (mp_word(l, "NaN"))
        return 1;
    if (l->p < l->end && (*l->p == '+' || *l->p == '-'))
        l->p++;
    if (mp_word(l, "Inf"))
        return 1;
    intd = mp_digits(l);
    if (l->p < l->end && *l->p == '.') {
        l->p++;
        fracd = mp_digits(l);
    }
    if (intd == 0 && fracd == 0)
        return 0;
    if (l->p < l->end && (*l->p == 'e' || *l->p == 'E')) {
        l->p++;
        if (l->p < l->end && (*l->p == '+' || *l->p == '-'))
            l->p++;
        if (mp_digits(l) == 0)
            return 0;
    }
    return 1;
}

/* The end of a token: a blank or the end of the line. */
static int mp_token_end(const struct mp_line *l)
{
    return l->p == l->end || mp_blank(*l->p);
}

/*
 * A label set after '{': name="value" pairs separated by commas (a
 * trailing comma allowed), blanks around them. Values may escape only
 * \\, \" and \n. Returns the number of labels, or -1 when malformed.
 */
static int mp_labels(struct mp_line *l)
{
    const char *start;
    int n = 0;

    l->p++; /* '{' */
    for (;;) {
        mp_blanks(l);
        if (l->p < l->end && *l->p == '}') {
            l->p++;
            return n;
        }
        if (mp_name(l, 0, &start) == 0)
            return -1;
        mp_blanks(l);
        if (l->p >= l->end || *l->p != '=')
            return -1;
        l->p++;
        mp_blanks(l);
        if (l->p >= l->end || *l->p != '"')
            return -1;
        for (l->p++;; l->p++) {
            if (l->p >= l->end)
                return -1;
            if (*l->p == '"')
                break;
            if (*l->p == '\\') {
                if (++l->p >= l->end ||
                    (*l->p != '\\' && *l->p != '"' && *l->p != 'n'))
                    return -1;
            }
        }
        l->p++; /* the closing quote */
        n++;
        mp_blanks(l);
        if (l->p < l->end && *l->p == ',')
            l->p++;
        else if (l->p >= l->end || *l->p != '}')
            return -1;
    }
}

/*
 * The value of the wanted counter: a plain integer (digits only, at most
 * 16 of them) no larger than METRICS_MAX_VALUE. Returns 0 or -1.
 */
static int mp_counter(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    size_t i;

    if (n == 0 || n > 16)
        return -1;
    for (i = 0; i < n; i++) {
        if (!mp_digit(s[i]))
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > METRICS_MAX_VALUE)
        return -1;
    *out = v;
    return 0;
}

/* What one line said about the wanted counter. */
enum mp_seen { MP_OTHER, MP_SAMPLE };

/*
 * A "# HELP name text" or "# TYPE name type" line, or any other comment
 * (the cursor is past the '#'). The wanted counter may only be typed
 * counter. Returns 0 or -1 with *why.
 */
static int mp_comment(struct mp_line *l, const char *want, const char **why)
{
    static const char *const types[] = {"counter", "gauge", "histogram",
                                        "summary", "untyped"};
    const char *name;
    size_t nlen, i;
    int is_type;

    if (mp_blanks(l) == 0)
        return 0; /* "#foo": a plain comment */
    if (mp_word(l, "HELP"))
        is_type = 0;
    else if (mp_word(l, "TYPE"))
        is_type = 1;
    else
        return 0;
    if (!mp_token_end(l))
        return 0; /* "# HELPER ...": a plain comment */
    if (mp_blanks(l) == 0 || (nlen = mp_name(l, 1, &name)) == 0 ||
        !mp_token_end(l)) {
        *why = "a HELP or TYPE line without a valid metric name";
        return -1;
    }
    if (!is_type) {
        /* The docstring: any text, escaping only \\ and \n. */
        for (; l->p < l->end; l->p++) {
            if (*l->p == '\\' &&
                (++l->p >= l->end || (*l->p != '\\' && *l->p != 'n'))) {
                *why = "a HELP line with an invalid escape";
                return -1;
            }
        }
        return 0;
    }
    if (mp_blanks(l) == 0) {
        *why = "a TYPE line without a type";
        return -1;
    }
    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (mp_word(l, types[i]) && mp_token_end(l))
            break;
    mp_blanks(l);
    if (i == sizeof(types) / sizeof(types[0]) || l->p != l->end) {
        *why = "a TYPE line with an unknown type";
        return -1;
    }
    if (nlen == strlen(want) && memcmp(name, want, nlen) == 0 && i != 0) {
        *why = "the counter is declared with another type";
        return -1;
    }
    return 0;
}

/*
 * A sample line: name, optional labels, value, optional timestamp.
 * Returns MP_SAMPLE with *value set when it is the wanted counter,
 * MP_OTHER for any other sample, -1 with *why when malformed.
 */
static int mp_sample(struct mp_line *l,
                     const char *want,
                     uint64_t *value,
                     const char **why)
{
    const char *name, *val;
    size_t nlen, blanks;
    int labels = 0, mine;

    if ((nlen = mp_name(l, 1, &name)) == 0) {
        *why = "a line that is not a sample (no metric name)";
        return -1;
    }
    blanks = mp_blanks(l);
    if (l->p < l->end && *l->p == '{') {
        if ((labels = mp_labels(l)) < 0) {
            *why = "a sample with malformed labels";
            return -1;
        }
        blanks = mp_blanks(l);
    }
    if (blanks == 0) {
        *why = "a sample without a blank before its value";
        return -1;
    }
    val = l->p;
    if (!mp_value(l) || !mp_token_end(l)) {
        *why = "a sample with a malformed value";
        return -1;
    }
    mine = nlen == strlen(want) && memcmp(name, want, nlen) == 0;
    if (mine &&
        (labels > 0 || mp_counter(val, (size_t)(l->p - val), value) != 0)) {
        *why = labels > 0 ? "the counter carries labels"
                          : "the counter is not an integer from 0 to 2^53";
        return -1;
    }
    if (mp_blanks(l) > 0 && l->p < l->end) {
        /* A timestamp: an integer in milliseconds. */
        if (*l->p == '-')
            l->p++;
        if (mp_digits(l) == 0 || !mp_token_end(l)) {
            *why = "a sample with a malformed timestamp";
            return -1;
        }
        mp_blanks(l);
    }
    if (l->p != l->end) {
        *why = "a sample with something after its value";
        return -1;
    }
    return mine ? MP_SAMPLE : MP_OTHER;
}

int metrics_parse(const char *body,
                  size_t len,
                  const char *name,
                  uint64_t *value,
                  const char **why)
{
    const char *p = body, *end = body + len, *nl;
    uint64_t v = 0;
    int found = 0, rc;

    *why = NULL;
    if (len > METRICS_MAX_BODY) {
        *why = "the answer is larger than 16 KiB";
        return -1;
    }
    if (len == 0 || body[len - 1] != '\n') {
        *why = "the answer does not end with a newline";
        return -1;
    }
    if (!mp_text_ok((const unsigned char *)body, len)) {
        *why = "the answer is not UTF-8 text without control characters";
        return -1;
    }
    for (; p < end; p = nl + 1) {
        struct mp_line l;

        nl = memchr(p, '\n', (size_t)(end - p));
        l.p = p;
        l.end = nl;
        mp_blanks(&l);
        if (l.p == l.end)
            continue;
        if (*l.p == '#') {
            l.p++;
            rc = mp_comment(&l, name, why);
        } else {
            rc = mp_sample(&l, name, &v, why);
            if (rc == MP_SAMPLE && found++ > 0) {
                *why = "the counter appears more than once";
                return -1;
            }
        }
        if (rc < 0)
            return -1;
    }
    if (!found) {
        *why = "the answer has no " METRICS_PAGE_REQUESTS " sample";
        if (strcmp(name, METRICS_PAGE_REQUESTS) != 0)
            *why = "the answer does not have the counter";
        return -1;
    }
    *value = v;
    return 0;
}
