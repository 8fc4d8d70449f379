/* The JSON Lines bridge (docs/records.md, "JSON Lines"): records to one JSON
 * object per line, and back. */
#ifndef YOLO_JSONREC_H
#define YOLO_JSONREC_H

#include <stddef.h>
#include <stdint.h>

#include "yolo/base/buf.h"
#include "yolo/base/err.h"
#include "yolo/records/record.h"

/* Appends r as one JSON line (with its newline) to line. Tensors are shown
 * as a summary, or in full when full is set. Fails only on a top-level key
 * that is not valid UTF-8 (YOLO_EINPUT) or on memory (YOLO_EIO). */
int jrec_from_record(rec *r, ybuf *line, int full, yerr *err);

/* JSON text to records, fed in chunks of any size. Each complete record is
 * handed to emit (its msgpack bytes), which returns 0 or -1 with err set. */
typedef int (*jrec_emit_fn)(void *ctx, const uint8_t *rec, size_t len, yerr *err);
typedef struct jrec_parser jrec_parser;

jrec_parser *jrec_parser_new(const char *name, jrec_emit_fn emit, void *ctx, yerr *err);
/* 0, or -1 with err naming the input, line, byte offset and record. */
int jrec_feed(jrec_parser *p, const uint8_t *buf, size_t len, yerr *err);
/* Ends the input: -1 if it stops inside a value. */
int jrec_finish(jrec_parser *p, yerr *err);
void jrec_parser_free(jrec_parser *p);

#endif
