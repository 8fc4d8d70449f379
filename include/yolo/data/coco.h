/* COCO instances JSON (annotations/instances_*.json) to records: the file is
 * read once with yajl's callback parser into a compact in-memory dataset
 * (no segmentation, no DOM), then handed out one record per image in the
 * order of "images" (docs/records.md, "coco-parse").
 *
 *     coco *d = coco_new("instances.json", &opts, &err);
 *     coco_read_fd(d, fd, &err);                  (or coco_feed ... coco_finish)
 *     for (size_t i = 0; i < coco_count(d); i++)
 *         if (coco_record(d, i, &r, &err) == 1) rec_write(...);
 *     coco_free(d);
 *
 * Malformed JSON and values of the wrong JSON type are errors (YOLO_EINPUT,
 * the message has the line and byte offset). Entries that are well-formed
 * but unusable (an annotation whose image or category is not there, a box
 * with a negative size, a missing required field, a duplicate id) are
 * problems: skipped with a warning, or an error with opts.strict. */
#ifndef YOLO_COCO_H
#define YOLO_COCO_H

#include <stddef.h>
#include <stdint.h>

#include "yolo/base/err.h"
#include "yolo/data/names.h"
#include "yolo/records/record.h"

#define COCO_MAX_IMAGES 10000000        /* entries of "images" */
#define COCO_MAX_ANNOTATIONS 50000000   /* entries of "annotations" kept */
#define COCO_MAX_CATEGORIES NAMES_MAX   /* entries of "categories" */
#define COCO_MAX_CAT_IDS 65535          /* distinct category ids, defined or referenced */
#define COCO_MAX_OBJECTS 1000000        /* annotations of one image (one record) */
#define COCO_MAX_FILE_NAME 4096         /* bytes in a file_name */
#define COCO_MAX_NAME NAMES_MAX_LEN     /* bytes in a category name */
#define COCO_MAX_DEPTH 64               /* nested arrays and objects, anywhere */
#define COCO_MAX_ARENA 0xffffffffu      /* bytes of all names and file_names */
#define COCO_WARN_SHOWN 10              /* warnings shown per kind; all are counted */

typedef struct coco_opts {
    const char *images_dir;  /* file_name is resolved against it; NULL: as written */
    int skip_empty;          /* no record for an image without objects */
    int strict;              /* the first problem is an error */
    /* Receives each warning shown (one line, no stage prefix). */
    void (*warn)(void *ctx, const char *msg);
    void *warn_ctx;
    /* Bounds; 0 takes the COCO_MAX_* default (tests set small ones). */
    size_t max_images, max_annotations;
} coco_opts;

typedef struct coco coco;

/* name is the input's name for messages (copied); o is copied too. */
coco *coco_new(const char *name, const coco_opts *o, yerr *err);
void coco_free(coco *d);

/* The JSON text in chunks of any size, then its end. finish checks that the
 * text was one whole object with an "images" array, resolves image and
 * category ids and groups the annotations by image. 0, or -1 with err. */
int coco_feed(coco *d, const uint8_t *buf, size_t len, yerr *err);
int coco_finish(coco *d, yerr *err);
/* Reads fd to its end through coco_feed, then coco_finish. */
int coco_read_fd(coco *d, int fd, yerr *err);

/* After finish: the number of images kept (records, or fewer with
 * skip_empty), and the i-th of them (0 <= i < coco_count) set into r, which
 * is cleared first: id, image, width, height, coco_id, coco_category_ids
 * (class c's category id at [c]) and, when the file has "annotations",
 * objects. 1 when r is set, 0 when skip_empty leaves the
 * image out, -1 with err (out of memory). */
size_t coco_count(const coco *d);
int coco_record(coco *d, size_t i, rec *r, yerr *err);

/* The number of problems met; when there were any, a one-line summary of
 * what was skipped goes into buf. */
size_t coco_summary(const coco *d, char *buf, size_t n);

/* A record's coco_category_ids (class c's COCO category id at [c]) into
 * (*v)[0, *n), *v grown as yvec_fit does (*cap allocated). 1, 0 when r has
 * none, -1 with err naming the record and key (not a list of integers, more
 * than NAMES_MAX entries; YOLO_EIO out of memory). The one reading of the
 * key: coco-results, eval-map --results, dataset-write. */
int coco_get_category_ids(rec *r, int64_t **v, size_t *cap, size_t *n, yerr *err);

#endif
