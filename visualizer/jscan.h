/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jscan.h: a streaming JSON field scanner on yajl.
 *
 * The Docker engine's replies are large (GET /tasks is about 950 bytes a
 * task, 4.8 MB for 5,000 tasks) and almost all of it is of no use to the
 * visualizer. A document model would hold all of it in memory at once;
 * jscan instead walks yajl's callbacks, keeps the path from the current
 * record down to the current value, and copies only the values whose path
 * is in a whitelist the caller gives. Everything else is skipped as it
 * streams by, so memory does not depend on the reply's size.
 *
 * A reply is a sequence of records: the elements of a top-level array
 * (GET /nodes, /tasks ...) or one top-level object (GET /info, one event).
 * When a record ends, the caller's callback gets its whitelisted values.
 *
 * Parsing is pure: bytes in, records out, no I/O. Feed any chunking.
 */
#ifndef PART5_JSCAN_H
#define PART5_JSCAN_H

#include <stddef.h>

#include <stdint.h>

#define JSCAN_MAX_FIELDS 64 /* fields in one whitelist (a 64-bit mask) */
#define JSCAN_MAX_PATH 7    /* segments in one field's path */
#define JSCAN_MAX_DEPTH 64  /* nesting beyond this is an error */
#define JSCAN_MAX_VALUE                                                        \
    2048                       /* longer strings are cut (at a UTF-8 boundary) \
                                */
#define JSCAN_MAX_RECORD 65536 /* bytes of kept values per record */
#define JSCAN_MAX_ENTRIES 128  /* entries kept per map field */

/* The segment that stands for "any element of an array". */
#define JSCAN_ITEM "[]"

enum jscan_kind {
    JSCAN_STRING,  /* a string */
    JSCAN_NUMBER,  /* a number, kept as its text */
    JSCAN_BOOL,    /* true or false */
    JSCAN_MAP,     /* an object of strings (labels): every key and value */
    JSCAN_FIRST,   /* the first string of an array; the path ends in "[]" */
    JSCAN_PRESENT, /* any value, even an empty object: read with jscan_has() */
    JSCAN_LIST,    /* every string of an array (at most JSCAN_MAX_ENTRIES);
                      the path ends in "[]", read with jscan_list_next() */
};

/* One whitelisted value: its path below the record, and an id (its index). */
struct jscan_field {
    const char *path[JSCAN_MAX_PATH]; /* NULL-terminated */
    enum jscan_kind kind;
};

/* The values of one record, as the record callback sees them. */
struct jscan_record;

/*
 * Called at the end of every record. rec is borrowed: valid during the
 * call only. Returns 0 to go on, -1 to stop the parse with an error.
 */
typedef int (*jscan_record_fn)(void *arg, const struct jscan_record *rec);

struct jscan;

/*
 * Creates a scanner. fields (at most JSCAN_MAX_FIELDS) is borrowed and
 * must outlive the scanner. With in_array set, the reply must be an array
 * and each of its objects is a record (elements that are not objects are
 * counted in jscan_skipped()); otherwise the reply is one object. Free
 * with jscan_free().
 */
struct jscan *jscan_new(const struct jscan_field *fields,
                        size_t nfields,
                        int in_array,
                        jscan_record_fn fn,
                        void *arg);

/* Frees the scanner. Accepts NULL. */
void jscan_free(struct jscan *s);

/*
 * Feeds the next len bytes of the reply. Returns 0, or -1 when the JSON is
 * malformed, too deep, not of the expected shape, or the callback stopped
 * it; jscan_error() says why. After an error, further calls fail too.
 */
int jscan_feed(struct jscan *s, const void *data, size_t len);

/* Ends the reply: fails when it is incomplete. Returns 0 or -1. */
int jscan_finish(struct jscan *s);

/* The message of the last error ("" when none). Owned by the scanner. */
const char *jscan_error(const struct jscan *s);

/* Records seen, and elements skipped because they were not objects. */
size_t jscan_records(const struct jscan *s);
size_t jscan_skipped(const struct jscan *s);

/*
 * Accessors for a record. A value that was absent, null, or of another
 * JSON type than its field's kind reads as absent.
 *
 * jscan_str() returns the string of a STRING, NUMBER or FIRST field, or
 * NULL; the pointer is borrowed from rec. jscan_len() is its length.
 */
const char *jscan_str(const struct jscan_record *rec, int id);
size_t jscan_len(const struct jscan_record *rec, int id);

/*
 * Copies the string of a field into dst (size bytes), cut to fit on a
 * UTF-8 boundary and NUL-terminated; dst is left as it was when the
 * field is absent.
 */
void jscan_copy(const struct jscan_record *rec, int id, char *dst, size_t size);

/* A NUMBER field as an integer in *out (fractions cut). Returns 0 or -1. */
int jscan_int(const struct jscan_record *rec, int id, long long *out);

/* A NUMBER field as a double in *out. Returns 0 or -1. */
int jscan_double(const struct jscan_record *rec, int id, double *out);

/* 1 when a PRESENT field (or any field) had a value in the record. */
int jscan_has(const struct jscan_record *rec, int id);

/* A BOOL field: 1 or 0, or def when absent. */
int jscan_bool(const struct jscan_record *rec, int id, int def);

/*
 * Iterates the entries of a MAP field, in the reply's order: start with
 * *iter = 0; returns 1 with *key and *value (borrowed) set, 0 at the end.
 */
int jscan_map_next(const struct jscan_record *rec,
                   int id,
                   size_t *iter,
                   const char **key,
                   const char **value);

/*
 * Iterates the strings of a LIST field, in the reply's order (across every
 * array the path reaches): start with *iter = 0; returns 1 with *value
 * (borrowed) set, 0 at the end.
 */
int jscan_list_next(const struct jscan_record *rec,
                    int id,
                    size_t *iter,
                    const char **value);

/* The value of key in a MAP field, or NULL (borrowed). */
const char *
jscan_map_get(const struct jscan_record *rec, int id, const char *key);

/* 1 when the record hit JSCAN_MAX_RECORD and lost values. */
int jscan_truncated(const struct jscan_record *rec);

/*
 * Length of the longest prefix of s (at most max bytes) that does not end
 * inside a UTF-8 sequence. Used to cut long strings safely.
 */
size_t jscan_utf8_cut(const char *s, size_t len, size_t max);

#endif
