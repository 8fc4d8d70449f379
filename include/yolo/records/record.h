/* Record streams: msgpack maps back to back, one per image (docs/records.md).
 *
 * A reader holds exactly one record's bytes at a time, however long the
 * stream, and indexes its top-level keys. Values are decoded on demand with
 * msgpack-c; tensors are seen in place, never copied. A stage sets or deletes
 * the keys it owns; on write every other key goes out byte for byte as read.
 *
 *     rec_reader *rd = rec_reader_new_fd(0, "<stdin>", &err);
 *     rec r; rec_init(&r);
 *     while ((rc = rec_read(rd, &r, &err)) == 1) {
 *         ... rec_get_tensor(&r, "input", &t, &err) ...
 *         ... rec_set_f64(&r, "score", 0.5, &err) ...
 *         if (rec_write(&w, &r, &err) < 0) break;
 *     }
 */
#ifndef YOLO_RECORD_H
#define YOLO_RECORD_H

#include <stdint.h>
#include <stdio.h>

#include <msgpack.h>

#include "yolo/base/buf.h"
#include "yolo/base/err.h"
#include "yolo/records/mp.h"
#include "yolo/records/tensor.h"

#define REC_MAX_KEYS 4096           /* top-level keys in one record */
#define REC_MAX_KEY_LEN 1024        /* bytes in one top-level key */
#define REC_MAX_BYTES (1ull << 31)  /* one encoded record, 2 GiB */

/* Where bytes live: in the record as read, or in the record's own buffer of
 * values set since (an offset, because that buffer grows). */
typedef struct rec_span {
    int in_out;  /* 0: offset into rec.raw, 1: offset into rec.out.p */
    size_t off, len;
} rec_span;

enum { REC_ORIG = 0, REC_SET = 1, REC_DELETED = 2 };

typedef struct rec_entry {
    rec_span key;       /* the key's msgpack bytes (header + text) */
    rec_span keytext;   /* the key's text alone */
    rec_span val;       /* the value's msgpack bytes */
    int state;          /* REC_ORIG | REC_SET | REC_DELETED */
    int decoded;        /* obj is valid (REC_ORIG only: raw never moves) */
    msgpack_object obj; /* the decoded value, allocated in rec.zone */
} rec_entry;

typedef struct rec {
    const char *src;         /* input name for messages ("<stdin>", a path) */
    long index;              /* position in its input, from 0; -1 if new */
    uint64_t offset;         /* byte offset of the record in its input */
    const uint8_t *raw;      /* [raw_len] the record as read; NULL if new */
    size_t raw_len;
    int modified;            /* any set or delete since read */
    rec_entry *ents;         /* [n] in output order; [cap] allocated */
    size_t n, cap;
    ybuf out;                /* packed keys and values set since reading */
    size_t open_key;         /* entry being packed between begin and end */
    size_t open_off;         /* out.len when that value began */
    size_t open_start;       /* out.len at rec_set_begin (before a new key) */
    int open_new;            /* that entry was added by rec_set_begin */
    rec_entry open_prev;     /* that entry as it was: restored if the set fails */
    msgpack_packer pk;       /* packs into out */
    msgpack_zone zone;       /* decoded objects of this record */
    ybuf own;                /* its bytes and source name once detached (rec_detach) */
} rec;

void rec_init(rec *r);                 /* an empty record with no source */
void rec_free(rec *r);
void rec_clear(rec *r);                /* empty again, keeping capacity */

/* ---- reading ---------------------------------------------------------- */

typedef struct rec_reader rec_reader;

/* name is used in messages; it is copied. */
rec_reader *rec_reader_new_fd(int fd, const char *name, yerr *err);
rec_reader *rec_reader_new_file(FILE *f, const char *name, yerr *err);
rec_reader *rec_reader_new_mem(const void *buf, size_t len, const char *name, yerr *err);
void rec_reader_free(rec_reader *rd);
/* Points a memory reader at new bytes, keeping its record count (for a
 * producer that checks each record it makes as a reader would). */
void rec_reader_reset_mem(rec_reader *rd, const void *buf, size_t len);

/* Reads the next record into r (previous contents dropped; r's pointers are
 * valid until the next rec_read on this reader). Returns 1 for a record, 0 at
 * a clean end of stream, -1 on error: a truncated stream, a record that is
 * not a map, a key that is not a string or appears twice, invalid msgpack
 * (YOLO_EINPUT), or a read failure (YOLO_EIO). */
int rec_read(rec_reader *rd, rec *r, yerr *err);

long rec_reader_count(const rec_reader *rd);     /* records returned */
uint64_t rec_reader_bytes(const rec_reader *rd); /* bytes consumed */

/* Makes r independent of its reader: its bytes and source name are copied
 * into r's own storage, so it stays valid across later reads (a stage that
 * holds a batch of records). Call it right after rec_read, before getting
 * values. 0, or -1 if memory runs out (YOLO_EIO). */
int rec_detach(rec *r, yerr *err);
/* ---- getting values ---------------------------------------------------- */
/* Each returns 1 if the key is there with the right type, 0 if it is absent
 * (err untouched), -1 if it is there with the wrong type (err names the
 * source, record index and key; code YOLO_EINPUT). Pointers returned are
 * valid until the record is read over, cleared or set again. */

int rec_has(const rec *r, const char *key);
int rec_get(rec *r, const char *key, const msgpack_object **o, yerr *err);
int rec_get_i64(rec *r, const char *key, int64_t *v, yerr *err);
int rec_get_f64(rec *r, const char *key, double *v, yerr *err); /* int or float */
int rec_get_bool(rec *r, const char *key, int *v, yerr *err);
int rec_get_str(rec *r, const char *key, const char **s, size_t *len, yerr *err);
int rec_get_array(rec *r, const char *key, const msgpack_object_array **a, yerr *err);
int rec_get_map(rec *r, const char *key, const msgpack_object_map **m, yerr *err);
int rec_get_tensor(rec *r, const char *key, tensor_view *t, yerr *err);

/* Sees o (found at path inside r) as a tensor: 0, or -1 with err saying
 * what is wrong (not a tensor, bad dtype or shape, data length). */
int rec_as_tensor(const rec *r, const msgpack_object *o, const char *path, tensor_view *t,
                  yerr *err);

/* The msgpack bytes of a value as it will be written (for copying a value
 * from one record to another untouched). */
int rec_get_raw(const rec *r, const char *key, const uint8_t **p, size_t *len);

/* Walking all keys in order: for i < r->n, the i-th key's text, decoded
 * value and encoded bytes. Returns 1, 0 if that key was deleted, -1 on error. */
int rec_at(rec *r, size_t i, const char **key, size_t *klen, const msgpack_object **val,
           yerr *err);
void rec_raw_at(const rec *r, size_t i, const uint8_t **p, size_t *len);

/* Reports a problem with a value inside a record: sets err (YOLO_EINPUT) to
 * "SRC: record I: key 'PATH': MSG". path may be "objects[3].bbox". */
int rec_fail(const rec *r, yerr *err, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));


/* ---- setting values ---------------------------------------------------- */
/* A key set that the record has keeps its place; a new key goes last. */

/* Packs one value for key with the returned packer, then rec_set_end checks
 * that exactly one msgpack object was packed. If it fails (out of memory,
 * not one object), the record is as it was before rec_set_begin. */
msgpack_packer *rec_set_begin(rec *r, const char *key);
int rec_set_end(rec *r, yerr *err);

int rec_set_i64(rec *r, const char *key, int64_t v, yerr *err);
int rec_set_f64(rec *r, const char *key, double v, yerr *err);
int rec_set_bool(rec *r, const char *key, int v, yerr *err);
int rec_set_nil(rec *r, const char *key, yerr *err);
int rec_set_str(rec *r, const char *key, const char *s, size_t len, yerr *err);
int rec_set_cstr(rec *r, const char *key, const char *s, yerr *err);
/* Copies key's value bytes from another record (or the same). */
int rec_set_raw(rec *r, const char *key, const uint8_t *p, size_t len, yerr *err);
int rec_set_tensor(rec *r, const char *key, const tensor_view *t, yerr *err);
/* Sets key to a tensor of the given dtype and shape and returns where its
 * data goes (t->nbytes bytes, to be filled by the caller before any other
 * set on r). No copy. Returns NULL and fills err on failure. */
void *rec_set_tensor_alloc(rec *r, const char *key, tensor_view *t, yerr *err);
int rec_delete(rec *r, const char *key);   /* 1 if it was there */
/* The non-strict way to give up on one record (docs/records.md, `error`):
 * sets error to "STAGE: MSG" (one line: newlines become spaces). */
int rec_set_error(rec *r, const char *stage, const char *msg, yerr *err);

/* ---- writing ----------------------------------------------------------- */

typedef struct rec_writer {
    FILE *f;
    const char *name;   /* for messages ("<stdout>", a path) */
    long count;         /* records written */
    uint64_t bytes;
    int write_errno;    /* errno of the first failed write, 0 if none: the
                           stream's closer reports it (errno is stale by then) */
    int pipe;           /* f is a pipe: each record flushed as it is written */
    size_t pipe_bytes;  /* f's pipe buffer while it may grow, else 0 (a file,
                           a terminal, a pipe at its most) */
} rec_writer;

void rec_writer_init(rec_writer *w, FILE *f, const char *name);
/* Writes r whole: records are checked before, so a failure here is I/O
 * (YOLO_EIO). On a pipe, a record larger than the pipe's buffer first grows
 * it to hold the record whole, up to 1 MiB (F_SETPIPE_SZ: a video frame's
 * record does not wait for its reader), and each record is flushed: the
 * reader has it whole at once. */
int rec_write(rec_writer *w, const rec *r, yerr *err);

#endif
