/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jscan.c: the streaming JSON field scanner. See jscan.h.
 *
 * Design: one frame per open container (object or array) on a fixed
 * stack. Each frame inside a record carries a bit mask of the whitelisted
 * fields whose path matches the way down to it; a key narrows the mask of
 * its parent to the fields whose next segment is that key. A value whose
 * mask holds a field ending at this depth is copied; a container whose
 * mask is empty is still tracked (to find its end) but nothing in it is
 * compared or copied. The cost of a skipped value is one yajl callback
 * and a few comparisons.
 */
#include "jscan.h"

#include <stdarg.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "util.h"

struct jscan_entry {
    uint8_t field;    /* the MAP field */
    uint32_t key_off; /* offsets into the record's values */
    uint32_t val_off;
};

struct jscan_record {
    struct buf vals;                /* kept values, each NUL-terminated */
    int32_t off[JSCAN_MAX_FIELDS];  /* offset of a field's value, or -1 */
    uint32_t len[JSCAN_MAX_FIELDS]; /* its length */
    struct jscan_entry *entries;    /* MAP entries, in order */
    size_t nentries, centries;
    uint16_t per_map[JSCAN_MAX_FIELDS]; /* entries kept per MAP field */
    int truncated;
};

struct jscan_frame {
    uint64_t mask;      /* fields matching the path down to this container */
    uint64_t next_mask; /* fields matching down to the next value in it */
    int is_array;
    int label_field; /* this object is that MAP field, or -1 */
    int32_t key_off; /* the current key, kept when label_field >= 0 */
};

struct jscan {
    const struct jscan_field *fields;
    size_t nfields;
    uint8_t plen[JSCAN_MAX_FIELDS]; /* path length of each field */
    uint16_t seglen[JSCAN_MAX_FIELDS][JSCAN_MAX_PATH]; /* segment lengths */
    int in_array;
    jscan_record_fn fn;
    void *arg;
    yajl_handle yh;
    struct jscan_frame frames[JSCAN_MAX_DEPTH];
    int depth;     /* open containers */
    int rec_depth; /* frame index of the record object (0 or 1) */
    int in_record; /* a record is open */
    int started;   /* the top-level value has begun */
    int failed;
    size_t records, skipped;
    struct jscan_record rec;
    char errstr[192];
};

/* Records the first error; later ones would only repeat its cause. */
static void jscan_fail(struct jscan *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void jscan_fail(struct jscan *s, const char *fmt, ...)
{
    va_list ap;

    if (s->errstr[0] != '\0')
        return;
    va_start(ap, fmt);
    vsnprintf(s->errstr, sizeof(s->errstr), fmt, ap);
    va_end(ap);
}

size_t jscan_utf8_cut(const char *s, size_t len, size_t max)
{
    size_t n;

    if (len <= max)
        return len;
    n = max;
    /* Step back over continuation bytes (10xxxxxx) to a lead byte. */
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

static void jscan_record_reset(struct jscan_record *rec)
{
    size_t i;

    buf_reset(&rec->vals);
    for (i = 0; i < JSCAN_MAX_FIELDS; i++) {
        rec->off[i] = -1;
        rec->len[i] = 0;
        rec->per_map[i] = 0;
    }
    rec->nentries = 0;
    rec->truncated = 0;
}

/*
 * Appends a value to the record's storage, cut to JSCAN_MAX_VALUE bytes.
 * Returns its offset, or -1 when the record is full.
 */
static int32_t
jscan_keep(struct jscan_record *rec, const char *v, size_t len, size_t *kept)
{
    size_t n = jscan_utf8_cut(v, len, JSCAN_MAX_VALUE);
    int32_t off;

    if (rec->vals.len + n + 1 > JSCAN_MAX_RECORD) {
        rec->truncated = 1;
        return -1;
    }
    off = (int32_t)rec->vals.len;
    buf_append(&rec->vals, v, n);
    buf_append(&rec->vals, "", 1);
    if (kept != NULL)
        *kept = n;
    return off;
}

/* The frame of the innermost open container, or NULL at the top level. */
static struct jscan_frame *jscan_top(struct jscan *s)
{
    return s->depth > 0 ? &s->frames[s->depth - 1] : NULL;
}

/* Level of the frame at index i, counted from the record object (0). */
static int jscan_level(const struct jscan *s, int i)
{
    return i - s->rec_depth;
}

/*
 * A scalar (or the start of a container) is about to be read at the
 * current position. Returns the mask of the fields that match the path to
 * it, 0 outside records.
 */
static uint64_t jscan_value_mask(struct jscan *s)
{
    struct jscan_frame *top = jscan_top(s);

    if (top == NULL || !s->in_record || s->depth - 1 < s->rec_depth)
        return 0;
    return top->next_mask;
}

/*
 * Keeps an entry of a MAP field (with its key) or a LIST field (key_off
 * -1), up to JSCAN_MAX_ENTRIES per field.
 */
static void
jscan_entry(struct jscan *s, int f, int32_t key_off, const char *v, size_t len)
{
    struct jscan_record *rec = &s->rec;
    int32_t off;

    if (rec->per_map[f] >= JSCAN_MAX_ENTRIES) {
        rec->truncated = 1;
        return;
    }
    off = jscan_keep(rec, v, len, NULL);
    if (off < 0)
        return;
    if (rec->nentries == rec->centries) {
        rec->centries = rec->centries ? rec->centries * 2 : 16;
        rec->entries =
            xrealloc(rec->entries, rec->centries * sizeof(*rec->entries));
    }
    rec->entries[rec->nentries].field = (uint8_t)f;
    rec->entries[rec->nentries].key_off =
        key_off >= 0 ? (uint32_t)key_off : (uint32_t)off;
    rec->entries[rec->nentries].val_off = (uint32_t)off;
    rec->nentries++;
    rec->per_map[f]++;
}

/*
 * Stores a scalar: for each field ending here whose kind accepts the
 * value's JSON type (type is JSCAN_STRING, JSCAN_NUMBER or JSCAN_BOOL),
 * and as a map entry when the container is a MAP field.
 */
static void
jscan_scalar(struct jscan *s, const char *v, size_t len, enum jscan_kind type)
{
    struct jscan_frame *top = jscan_top(s);
    struct jscan_record *rec = &s->rec;
    uint64_t mask = jscan_value_mask(s);
    int level, i;
    size_t kept = 0;
    int32_t off;

    if (top == NULL || !s->in_record || s->depth - 1 < s->rec_depth)
        return;
    level = jscan_level(s, s->depth - 1);
    for (i = 0; mask != 0 && i < (int)s->nfields; i++) {
        const char *sv = v;
        size_t sl = len;

        if ((mask & ((uint64_t)1 << i)) == 0 || s->plen[i] != level + 1)
            continue;
        if (s->fields[i].kind == JSCAN_LIST) {
            if (type == JSCAN_STRING)
                jscan_entry(s, i, -1, v, len);
            continue;
        }
        if (s->fields[i].kind == JSCAN_FIRST) {
            if (type != JSCAN_STRING || rec->off[i] >= 0)
                continue;
        } else if (s->fields[i].kind == JSCAN_PRESENT) {
            sv = "";
            sl = 0;
        } else if (s->fields[i].kind != type) {
            continue;
        }
        off = jscan_keep(rec, sv, sl, &kept);
        if (off < 0)
            return;
        rec->off[i] = off;
        rec->len[i] = (uint32_t)kept;
    }
    if (!top->is_array && top->label_field >= 0 && top->key_off >= 0 &&
        type == JSCAN_STRING)
        jscan_entry(s, top->label_field, top->key_off, v, len);
}

/* Opens a container; a record begins when it is at the record's depth. */
static int jscan_open(struct jscan *s, int is_array)
{
    struct jscan_frame *f;
    uint64_t mask = jscan_value_mask(s);
    int i, level;

    if (s->depth >= JSCAN_MAX_DEPTH) {
        jscan_fail(s, "JSON nested deeper than %d levels", JSCAN_MAX_DEPTH);
        return 0;
    }
    if (!s->started) {
        s->started = 1;
        if (s->in_array && !is_array) {
            jscan_fail(s, "expected a JSON %s", "array");
            return 0;
        }
        if (!s->in_array && is_array) {
            jscan_fail(s, "expected a JSON %s", "object");
            return 0;
        }
    }
    f = &s->frames[s->depth];
    memset(f, 0, sizeof(*f));
    f->is_array = is_array;
    f->label_field = -1;
    f->key_off = -1;
    if (!s->in_record && s->depth == s->rec_depth) {
        if (is_array) {
            /* An array where a record should be: skip it. */
            s->skipped++;
        } else {
            s->in_record = 1;
            jscan_record_reset(&s->rec);
            mask = s->nfields == 64 ? ~(uint64_t)0
                                    : (((uint64_t)1 << s->nfields) - 1);
        }
    }
    f->mask = mask;
    s->depth++;
    level = jscan_level(s, s->depth - 1);
    if (!s->in_record || level < 0)
        return 1;
    for (i = 0; i < (int)s->nfields; i++) {
        if ((mask & ((uint64_t)1 << i)) == 0)
            continue;
        if (s->fields[i].kind == JSCAN_PRESENT && s->plen[i] == level &&
            s->rec.off[i] < 0) {
            int32_t off = jscan_keep(&s->rec, "", 0, NULL);

            if (off >= 0)
                s->rec.off[i] = off;
        }
        if (!is_array && s->fields[i].kind == JSCAN_MAP && s->plen[i] == level)
            f->label_field = i;
        if (is_array && s->plen[i] > level &&
            strcmp(s->fields[i].path[level], JSCAN_ITEM) == 0)
            f->next_mask |= (uint64_t)1 << i;
    }
    return 1;
}

/* Closes a container; the end of the record object delivers the record. */
static int jscan_close(struct jscan *s)
{
    if (s->depth == 0)
        return 0;
    s->depth--;
    if (s->in_record && s->depth == s->rec_depth) {
        s->in_record = 0;
        s->records++;
        if (s->fn(s->arg, &s->rec) != 0) {
            jscan_fail(s, "the record callback stopped the parse");
            return 0;
        }
    }
    return 1;
}

/* A scalar at the top level, or directly in the top-level array. */
static int jscan_outside(struct jscan *s)
{
    if (!s->started) {
        s->started = 1;
        jscan_fail(s, "expected a JSON %s, got a scalar",
                   s->in_array ? "array" : "object");
        return 0;
    }
    if (s->depth == s->rec_depth && !s->in_record)
        s->skipped++;
    return 1;
}

static int jscan_on_null(void *ctx)
{
    struct jscan *s = ctx;

    if (!s->in_record)
        return jscan_outside(s);
    return 1;
}

static int jscan_on_bool(void *ctx, int b)
{
    struct jscan *s = ctx;

    if (!s->in_record)
        return jscan_outside(s);
    jscan_scalar(s, b ? "true" : "false", b ? 4 : 5, JSCAN_BOOL);
    return 1;
}

static int jscan_on_number(void *ctx, const char *v, size_t len)
{
    struct jscan *s = ctx;

    if (!s->in_record)
        return jscan_outside(s);
    jscan_scalar(s, v, len, JSCAN_NUMBER);
    return 1;
}

static int jscan_on_string(void *ctx, const unsigned char *v, size_t len)
{
    struct jscan *s = ctx;

    if (!s->in_record)
        return jscan_outside(s);
    jscan_scalar(s, (const char *)v, len, JSCAN_STRING);
    return 1;
}

static int jscan_on_start_map(void *ctx)
{
    return jscan_open(ctx, 0);
}

static int jscan_on_start_array(void *ctx)
{
    return jscan_open(ctx, 1);
}

static int jscan_on_end(void *ctx)
{
    return jscan_close(ctx);
}

/*
 * A key in an object: narrows the object's mask to the fields whose next
 * segment is this key, and keeps the key when the object is a MAP field.
 */
static int jscan_on_key(void *ctx, const unsigned char *key, size_t len)
{
    struct jscan *s = ctx;
    struct jscan_frame *top = jscan_top(s);
    uint64_t mask, next = 0;
    int i, level;
    const char *seg;

    if (top == NULL || !s->in_record)
        return 1;
    level = jscan_level(s, s->depth - 1);
    mask = top->mask;
    for (i = 0; mask != 0 && i < (int)s->nfields; i++) {
        if ((mask & ((uint64_t)1 << i)) == 0 || s->plen[i] <= level)
            continue;
        seg = s->fields[i].path[level];
        if (s->seglen[i][level] == len && memcmp(seg, key, len) == 0)
            next |= (uint64_t)1 << i;
    }
    top->next_mask = next;
    top->key_off = -1;
    if (top->label_field >= 0)
        top->key_off = jscan_keep(&s->rec, (const char *)key, len, NULL);
    return 1;
}

static const yajl_callbacks jscan_callbacks = {
    jscan_on_null,
    jscan_on_bool,
    NULL,
    NULL,
    jscan_on_number,
    jscan_on_string,
    jscan_on_start_map,
    jscan_on_key,
    jscan_on_end,
    jscan_on_start_array,
    jscan_on_end,
};

struct jscan *jscan_new(const struct jscan_field *fields,
                        size_t nfields,
                        int in_array,
                        jscan_record_fn fn,
                        void *arg)
{
    struct jscan *s;
    size_t i, n;

    if (nfields > JSCAN_MAX_FIELDS)
        return NULL;
    s = xcalloc(1, sizeof(*s));
    s->fields = fields;
    s->nfields = nfields;
    for (i = 0; i < nfields; i++) {
        for (n = 0; n < JSCAN_MAX_PATH && fields[i].path[n] != NULL; n++)
            s->seglen[i][n] = (uint16_t)strlen(fields[i].path[n]);
        s->plen[i] = (uint8_t)n;
    }
    s->in_array = in_array;
    s->rec_depth = in_array ? 1 : 0;
    s->fn = fn;
    s->arg = arg;
    buf_init(&s->rec.vals);
    jscan_record_reset(&s->rec);
    s->yh = yajl_alloc(&jscan_callbacks, NULL, s);
    if (s->yh == NULL)
        abort();
    return s;
}

void jscan_free(struct jscan *s)
{
    if (s == NULL)
        return;
    yajl_free(s->yh);
    buf_free(&s->rec.vals);
    free(s->rec.entries);
    free(s);
}

/* Turns a yajl error into the scanner's message (unless we set one). */
static void jscan_yajl_error(struct jscan *s, const void *data, size_t len)
{
    unsigned char *msg;
    char *nl;

    if (s->errstr[0] != '\0')
        return;
    msg = yajl_get_error(s->yh, 0, data, len);
    snprintf(s->errstr, sizeof(s->errstr), "malformed JSON: %s",
             msg != NULL ? (const char *)msg : "unknown error");
    if (msg != NULL)
        yajl_free_error(s->yh, msg);
    nl = strchr(s->errstr, '\n');
    if (nl != NULL)
        *nl = '\0';
}

int jscan_feed(struct jscan *s, const void *data, size_t len)
{
    if (s->failed)
        return -1;
    if (yajl_parse(s->yh, data, len) != yajl_status_ok) {
        jscan_yajl_error(s, data, len);
        s->failed = 1;
        return -1;
    }
    return 0;
}

int jscan_finish(struct jscan *s)
{
    if (s->failed)
        return -1;
    if (yajl_complete_parse(s->yh) != yajl_status_ok) {
        jscan_yajl_error(s, NULL, 0);
        s->failed = 1;
        return -1;
    }
    if (!s->started) {
        jscan_fail(s, "empty reply");
        s->failed = 1;
        return -1;
    }
    return 0;
}

const char *jscan_error(const struct jscan *s)
{
    return s->errstr;
}

size_t jscan_records(const struct jscan *s)
{
    return s->records;
}

size_t jscan_skipped(const struct jscan *s)
{
    return s->skipped;
}

const char *jscan_str(const struct jscan_record *rec, int id)
{
    if (id < 0 || id >= JSCAN_MAX_FIELDS || rec->off[id] < 0)
        return NULL;
    return rec->vals.data + rec->off[id];
}

size_t jscan_len(const struct jscan_record *rec, int id)
{
    if (id < 0 || id >= JSCAN_MAX_FIELDS || rec->off[id] < 0)
        return 0;
    return rec->len[id];
}

void jscan_copy(const struct jscan_record *rec, int id, char *dst, size_t size)
{
    const char *v = jscan_str(rec, id);
    size_t n;

    if (v == NULL || size == 0)
        return;
    n = jscan_utf8_cut(v, jscan_len(rec, id), size - 1);
    memcpy(dst, v, n);
    dst[n] = '\0';
}

int jscan_int(const struct jscan_record *rec, int id, long long *out)
{
    const char *v = jscan_str(rec, id);
    char *end;
    long long n;
    double d;

    if (v == NULL)
        return -1;
    errno = 0;
    n = strtoll(v, &end, 10);
    if (errno == 0 && *end == '\0') {
        *out = n;
        return 0;
    }
    /* 1e3, 2.5 or out of range: go through a double, within bounds. */
    errno = 0;
    d = strtod(v, &end);
    if (*end != '\0' || d != d || d >= 9.2e18 || d <= -9.2e18)
        return -1;
    *out = (long long)d;
    return 0;
}

int jscan_double(const struct jscan_record *rec, int id, double *out)
{
    const char *v = jscan_str(rec, id);
    char *end;
    double d;

    if (v == NULL)
        return -1;
    d = strtod(v, &end);
    if (*end != '\0' || d != d)
        return -1;
    *out = d;
    return 0;
}

int jscan_has(const struct jscan_record *rec, int id)
{
    return jscan_str(rec, id) != NULL;
}

int jscan_bool(const struct jscan_record *rec, int id, int def)
{
    const char *v = jscan_str(rec, id);

    if (v == NULL)
        return def;
    return v[0] == 't';
}

int jscan_map_next(const struct jscan_record *rec,
                   int id,
                   size_t *iter,
                   const char **key,
                   const char **value)
{
    while (*iter < rec->nentries) {
        const struct jscan_entry *e = &rec->entries[(*iter)++];

        if (e->field != id)
            continue;
        *key = rec->vals.data + e->key_off;
        *value = rec->vals.data + e->val_off;
        return 1;
    }
    return 0;
}

int jscan_list_next(const struct jscan_record *rec,
                    int id,
                    size_t *iter,
                    const char **value)
{
    const char *key;

    return jscan_map_next(rec, id, iter, &key, value);
}

const char *
jscan_map_get(const struct jscan_record *rec, int id, const char *key)
{
    size_t it = 0;
    const char *k, *v;

    while (jscan_map_next(rec, id, &it, &k, &v))
        if (strcmp(k, key) == 0)
            return v;
    return NULL;
}

int jscan_truncated(const struct jscan_record *rec)
{
    return rec->truncated;
}
