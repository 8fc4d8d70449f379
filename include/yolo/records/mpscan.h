/* Incremental msgpack framer: finds where one complete msgpack object ends
 * without decoding it, so the record reader can hold exactly one record's
 * bytes and pass unknown values through byte for byte.
 *
 * Like an incremental parser it answers one of three things: a complete
 * object (its length), "need more bytes" (and how many at least), or an
 * error with the byte offset where the encoding is invalid. Scanning resumes
 * where it stopped, so feeding a record in many small reads costs O(size).
 */
#ifndef YOLO_MPSCAN_H
#define YOLO_MPSCAN_H

#include <stddef.h>
#include <stdint.h>

/* Deepest nesting accepted. msgpack-c's decoder stops at 32 open
 * containers, so every object this framer accepts also decodes. */
#define MP_MAX_DEPTH 32

enum { MP_DONE = 0, MP_MORE = 1, MP_ERROR = -1 };

typedef struct mp_scan {
    size_t pos;                  /* bytes of the object consumed so far */
    size_t need;                 /* on MP_MORE: total length needed to progress */
    const char *why;             /* on MP_ERROR: what is wrong, at byte pos */
    int depth;                   /* open containers */
    int started;                 /* the outermost header has been read */
    uint64_t left[MP_MAX_DEPTH]; /* items still to read in each open container */
} mp_scan;

void mp_scan_init(mp_scan *s);

/* Scans buf[0, len) from where the last call stopped. buf must hold the same
 * bytes as before at [0, s->pos) (it may have moved). On MP_DONE the object is
 * buf[0, s->pos). */
int mp_scan_step(mp_scan *s, const uint8_t *buf, size_t len);

/* Length of the complete object at buf[0, len): >0, or 0 if it is incomplete
 * or invalid (then *why says which). */
size_t mp_skip(const uint8_t *buf, size_t len, const char **why);

/* Name of the msgpack type whose first byte is b ("map", "str", ...). */
const char *mp_type_name(uint8_t b);

#endif
