/* A growable byte buffer: the one place bytes are accumulated before being
 * written whole (packed record values, a JSON line, a converted record). */
#ifndef YOLO_BUF_H
#define YOLO_BUF_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "yolo/base/err.h"

typedef struct ybuf {
    uint8_t *p;       /* [cap] bytes, [len] used */
    size_t len, cap;
    int oom;          /* an allocation failed: every later put fails too */
} ybuf;

/* Makes room for n more bytes. 0, or -1 (and oom set). */
int ybuf_reserve(ybuf *b, size_t n);

/* Room in an array *v (elements of `size` bytes, *cap of them allocated)
 * for at least n elements, growing geometrically. 0, or -1 (the size
 * overflows or memory runs out) with *v and *cap as they were. */
int yvec_fit(void **v, size_t *cap, size_t n, size_t size);
int ybuf_put(ybuf *b, const void *p, size_t n);
int ybuf_putc(ybuf *b, int c);
int ybuf_puts(ybuf *b, const char *s);
void ybuf_free(ybuf *b);
/* A file written whole: into PATH.tmp, renamed over PATH only when every
 * write and the close succeeded, so a run killed midway (or a full disk)
 * never leaves a half-written file under the real name. */
typedef struct yfile {
    FILE *f;             /* write here between open and commit */
    const char *path;
    char tmp[4096];
    int durable;         /* yfile_open_durable: synced to the disk */
} yfile;
/* Opens path.tmp for writing. -1 with YOLO_EIO naming it. */
int yfile_open(yfile *w, const char *path, yerr *err);
/* The same for a file that must survive a power loss (checkpoints, the
 * training log): commit also fsyncs it before the rename and its folder
 * after, so the disk holds the old file or the new one, never a torn one. */
int yfile_open_durable(yfile *w, const char *path, yerr *err);
/* Closes; renames over path if ok (the caller's writes all succeeded) and
 * the close did too, else removes the temporary file. -1 with YOLO_EIO
 * ("FILE: write error: ...", naming the temporary file for a failed write,
 * fsync or close, path for a failed rename; "DIR: fsync: ..." for the
 * folder, the file then renamed already). */
int yfile_commit(yfile *w, int ok, yerr *err);

/* Writes b's bytes to path whole (a yfile): into path.tmp first, then renamed over
 * path, so a run killed midway never leaves a half-written file under the
 * real name. A buffer that ran out of memory, or a failed write, close or
 * rename, is YOLO_EIO naming the path. */
int ybuf_save(const ybuf *b, const char *path, yerr *err);

/* The lines of a small text file of one item a line (class names, category
 * ids): fn gets each line that is not blank, trimmed of white space at both
 * ends (text [len], NUL-terminated, writable), with its number from 1; its
 * -1 stops the reading. A line of max_len bytes or more is an error
 * "PATH:LINE: line too long for WHAT" (YOLO_EINPUT); a file that cannot be
 * opened or read, YOLO_EIO naming it. 0, or -1 with err. */
typedef int (*yline_fn)(void *ctx, long line, char *text, size_t len, yerr *err);
int yfile_lines(const char *path, size_t max_len, const char *what, yline_fn fn, void *ctx,
                yerr *err);

/* mkdir -p: makes path and each missing folder above it. Each folder made
 * is appended to *made (when not NULL) as a NUL-terminated path, parents
 * first, so that a run that fails can remove them again. 0, or -1 with
 * YOLO_EIO naming the folder (a file in the way, no permission). */
int ydir_make(const char *path, ybuf *made, yerr *err);

/* FNV-1a over n bytes, 64 bits: a key for a path, a check of a block of
 * parameters (not a cryptographic hash). */
uint64_t ybuf_fnv1a(const void *p, size_t n);

/* Reads fd to its end in chunks of `chunk` bytes, handing each to feed and
 * then calling finish: how the incremental parsers (JSON Lines, COCO) are
 * driven. Returns 0, or -1 with err set by feed, finish or a read error
 * (YOLO_EIO naming `name`). */
typedef struct ybuf_feeder {
    int (*feed)(void *ctx, const uint8_t *buf, size_t len, yerr *err);
    int (*finish)(void *ctx, yerr *err);
    void *ctx;
} ybuf_feeder;
int ybuf_feed_fd(int fd, const char *name, size_t chunk, const ybuf_feeder *f, yerr *err);

#endif
