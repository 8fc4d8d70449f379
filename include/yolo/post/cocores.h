/* COCO results: the detection file of the COCO evaluation server and of
 * pycocotools' loadRes, one JSON array
 *
 *     [{"image_id": 397133, "category_id": 18, "bbox": [x, y, w, h], "score": 0.93}, ...]
 *
 * with bbox in original-image pixels, (x, y) the top-left corner. Written
 * from detection records by the coco-results stage (cocores_put_record),
 * read back by eval-map --results (cocores_read_fd, cocores_truth_results).
 *
 * The ids: a record's image id is its `coco_id` (coco-parse keeps the COCO
 * image id there), or with COCORES_IMAGE_STEM the decimal number its image's
 * file is named by (000000397133.jpg); class c's category id is
 * coco_category_ids[c] of the record (coco-parse writes the list), or the
 * same from a --category-ids file, or c + --category-id-offset. The
 * options win over the record's list. docs/records.md, "COCO results". */
#ifndef YOLO_COCORES_H
#define YOLO_COCORES_H

#include <stddef.h>
#include <stdint.h>

#include "yolo/base/buf.h"
#include "yolo/base/err.h"
#include "yolo/data/detection.h"
#include "yolo/post/evalmap.h"
#include "yolo/records/record.h"

#define COCORES_MAX_DEPTH 64        /* nested arrays and objects in a results file */
#define COCORES_MAX_CLASSES NAMES_MAX

enum { COCORES_IMAGE_COCO_ID, COCORES_IMAGE_STEM };

/* How records get their COCO ids (the stages' shared options). */
typedef struct cocores_ids {
    int image_from;        /* COCORES_IMAGE_*: --image-id-from coco_id | stem */
    int64_t *cat;          /* [ncat] --category-ids FILE: class c's id; NULL when not given */
    int ncat;
    int has_offset;        /* --category-id-offset N given: class c's id is c + offset */
    int64_t offset;
} cocores_ids;

/* "coco_id" or "stem": 0 and *v set, or -1. */
int cocores_parse_image_from(const char *s, int *v);
/* Reads a --category-ids file: one integer a line (blank lines skipped),
 * the k-th for class k; an id given twice is an error. 0, or -1 with err
 * naming the file and line. */
int cocores_load_category_ids(cocores_ids *o, const char *path, yerr *err);
void cocores_ids_free(cocores_ids *o);

/* The record's image id: 0, or -1 with err naming the record and key (no
 * coco_id, or an image whose file stem is not a decimal number). */
int cocores_image_id(rec *r, const cocores_ids *o, int64_t *id, yerr *err);

/* Class index -> category id for one record. */
typedef struct cocores_cats {
    int64_t *v;            /* [n] */
    size_t n, cap;
    int offset_mode;       /* id = class + offset */
    int64_t offset;
} cocores_cats;

/* The record's class -> category id map (the options', else its own
 * coco_category_ids): 0, or -1 with err naming the record and key. */
int cocores_record_cats(rec *r, const cocores_ids *o, cocores_cats *m, yerr *err);
/* Class cls's category id: 0, or -1 when the map has no such class. */
int cocores_category(const cocores_cats *m, int cls, int64_t *id);
void cocores_cats_free(cocores_cats *m);

/* ---- writing ----------------------------------------------------------------- */

typedef struct cocores_writer {
    cocores_ids ids;       /* not owned */
    cocores_cats cats;
    detlist dets;
    long elements;         /* written so far */
} cocores_writer;

/* Appends r's detections to b as whole array elements, one a line: the
 * first element opens the array ("[\n"), the others start with ",\n".
 * Nothing is appended when the record fails: -1 with err naming the record
 * and key (no image or category id, an inverted box); 0 otherwise, also
 * for a record without detections. Numbers: ids as integers; x, y and score
 * as the record has them and w = x2 - x1, h = y2 - y1 (one double
 * subtraction), each printed with the shortest digits that read back as
 * the same double. */
int cocores_put_record(cocores_writer *w, rec *r, ybuf *b, yerr *err);
/* Closes the array: "\n]\n", or "[]\n" when nothing was written. */
int cocores_put_end(cocores_writer *w, ybuf *b);
void cocores_writer_free(cocores_writer *w);

/* ---- reading ----------------------------------------------------------------- */

/* One element of a results file: its index in the array and its values
 * (bbox as written: x, y, w, h). Other keys are skipped unread. */
typedef struct cocores_entry {
    size_t index;
    int64_t image_id, category_id;
    double bbox[4];
    double score;
} cocores_entry;

/* Receives each element, checked: the four keys there (null counts as
 * absent), ids integers, bbox 4 finite numbers with w, h >= 0, score a
 * finite number in [0, 1]. Returns 0, or -1 after writing into why (n
 * bytes) what is wrong and setting *key to the key it is about (NULL: the
 * element); code YOLO_EIO in *code means out of memory. */
typedef int (*cocores_entry_fn)(void *ctx, const cocores_entry *e, char *why, size_t n,
                                const char **key, int *code);

/* Reads the results file on fd to its end through fn. 0, or -1 with err:
 * "NAME: [12].bbox: ... (line 13, byte offset 812)" for a bad element,
 * "NAME: line 3 (byte offset 40): ..." for malformed JSON or a file that is
 * not one array of objects. */
int cocores_read_fd(int fd, const char *name, cocores_entry_fn fn, void *ctx, yerr *err);

/* ---- eval-map --results ------------------------------------------------------ */

/* The truth records' ids: image id -> image number in eval_data, category
 * id -> class. */
typedef struct cocores_img {
    int64_t id;
    long img;              /* eval_data's image number; -1: the record was skipped */
    long pos;              /* the record's place among the truth records, from 0 */
} cocores_img;

typedef struct cocores_truth {
    cocores_ids ids;       /* not owned */
    cocores_img *im;       /* [nim] in stream order, sorted by id once the stream ends */
    size_t nim, capim;
    cocores_cats cats;     /* the first record's map; the others must agree */
    int have_cats;
    cocores_cats scratch;
} cocores_truth;

/* Notes truth record r, image number img in d (-1 when eval-map skipped
 * it: results on it are left out and counted; a skipped record without an
 * image id is passed over). 0, or -1 with err naming the record (no image
 * id; no category map, or one that differs from the first record's). */
int cocores_truth_add(cocores_truth *t, rec *r, long img, yerr *err);
/* Reads the results file at path into d's detections, image by image in the
 * truth's stream order and in file order within an image (ties in score are
 * broken so). An image_id no truth record has, a category_id no class has,
 * an image id given to two truth records, are errors naming the file and
 * path. *skipped counts the results on skipped records. 0, or -1 with err. */
int cocores_truth_results(cocores_truth *t, eval_data *d, const char *path, long *skipped,
                          yerr *err);
void cocores_truth_free(cocores_truth *t);

#endif
