/* Records with objects written out as a dataset (dataset-write), one split
 * a run, in one of three layouts:
 *   yolo  DIR/images/SPLIT/x.jpg, DIR/labels/SPLIT/x.txt (`class cx cy w h`,
 *         fractions of the image's size, 6 decimals), DIR/SPLIT.txt (the
 *         images' absolute paths), DIR/obj.names, DIR/obj.data (darknet),
 *         DIR/data.yaml (ultralytics);
 *   voc   DIR/JPEGImages/x.jpg, DIR/Annotations/x.xml,
 *         DIR/ImageSets/Main/SPLIT.txt, DIR/classes.names;
 *   coco  DIR/images/SPLIT/x.jpg, DIR/annotations/instances_SPLIT.json.
 * The records are read whole first (dataset_add, dataset_close): bad input
 * stops the run before any file is written. Then dataset_write goes over
 * the files twice: first to find those it would change (refused without
 * force), then to write them, each whole (written beside, renamed); a run
 * that fails removes the files and folders it made. */
#ifndef YOLO_DATASET_H
#define YOLO_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "yolo/base/buf.h"
#include "yolo/base/report.h"
#include "yolo/data/box.h"
#include "yolo/data/names.h"
#include "yolo/data/objects.h"
#include "yolo/records/record.h"

#define DATASET_MAX_SPLIT 64     /* bytes in a split's name */
#define DATASET_YOLO_DECIMALS 6  /* of the fractions in a YOLO label row */

typedef enum { DATASET_YOLO, DATASET_VOC, DATASET_COCO } dataset_format;
typedef enum { DATASET_LINK, DATASET_COPY, DATASET_KEEP } dataset_images;

typedef struct dataset_cfg {
    const char *out;        /* the dataset's folder */
    const char *split;      /* the split written by this run */
    int format;             /* DATASET_YOLO, _VOC, _COCO */
    int images;             /* DATASET_LINK (symlinks), _COPY, _KEEP (listed where they are) */
    const char *names;      /* --names FILE, or NULL */
    int force;              /* write over files with other contents */
    int strict;             /* the first problem is an error */
} dataset_cfg;

/* One truth box as the layout will have it (clipped for yolo and voc). */
typedef struct dataset_obj {
    box bbox;               /* original-image pixels */
    double area;            /* COCO's area when the record had one */
    int cls;
    unsigned char difficult, truncated, iscrowd, has_area;
} dataset_obj;

typedef struct dataset_img {
    size_t src;             /* the image's absolute path: offset in dataset.paths */
    size_t base, stem;      /* its file name: offset from src, and length without extension */
    int w, h;
    int64_t coco_id;        /* the record's, when every record has one */
    size_t obj0, nobj;      /* its boxes: dataset.obj[obj0, obj0 + nobj) */
    long rec;               /* the record's index in its input, for messages */
    size_t in;              /* its input's name: offset in dataset.inputs */
} dataset_img;

/* A class's name as the records give it, and the first record giving it. */
typedef struct dataset_class {
    char *name;             /* NULL: no object of the class seen */
    long rec;
} dataset_class;

enum { DATASET_P_ERROR, DATASET_P_UNANNOTATED, DATASET_P_NOIMAGE, DATASET_P_DROP,
       DATASET_NPROBLEMS };

typedef struct dataset {
    const dataset_cfg *cfg;
    const yrep *rep;
    yrep_problems probs;    /* records and boxes left out (DATASET_P_*) */
    dataset_img *img;       /* [nimg], [capimg] allocated */
    size_t nimg, capimg;
    dataset_obj *obj;       /* [nobj], [capobj] */
    size_t nobj, capobj;
    ybuf paths;             /* the images' absolute paths, NUL-terminated */
    ybuf inputs;            /* the inputs' names, NUL-terminated: the last is the one read */
    size_t last_in;         /* the last one's offset */
    names names;            /* the class list: --names, the folder's, or the records' */
    const char *names_from; /* the file it was read from, or NULL (the records') */
    char *names_path;       /* the names file found in DIR and read, owned */
    dataset_class *seen;    /* [nseen]: without a file, class -> name from the records */
    size_t nseen, capseen;
    int64_t *cats;          /* [ncats] coco_category_ids of the first record with it */
    size_t ncats, capcats;
    long cats_rec;          /* that record's index, -1: none */
    size_t cats_in;         /* its input's name: offset in inputs */
    int64_t *scratch_cats;
    size_t nscratch, capscratch;
    long with_coco_id;      /* records read with a coco_id */
    long crowd, clipped;    /* boxes left out as crowds (yolo, voc), clipped to the image */
    objlist objs;
} dataset;

/* "yolo", "voc", "coco" -> DATASET_*; "link", "copy", "keep" -> DATASET_*:
 * 0, or -1. A split's name: letters, digits, '.', '_', '-', not starting
 * with '.': 0, or -1. */
int dataset_parse_format(const char *s, int *v);
int dataset_parse_images(const char *s, int *v);
int dataset_check_split(const char *s);

/* path made absolute (from the working directory; a leading ./ dropped)
 * into b, NUL-terminated. 0, or -1 (memory, no working directory). */
int dataset_abspath(ybuf *b, const char *path);

/* Ready to take records: loads the class list (cfg->names, else the names
 * file DIR has from an earlier run). 0, or -1 with err. */
int dataset_open(dataset *d, const dataset_cfg *cfg, const yrep *rep, yerr *err);
/* Takes one record: its image, size and objects, checked against the class
 * list. 0 (taken, or skipped with a counted warning: `error` set, no
 * `objects`, an image file that is not there), -1 with err (a record that
 * breaks the contract, or a problem with strict). */
int dataset_add(dataset *d, rec *r, yerr *err);
/* After the last record: the class list made from the records' names when
 * no file gave one, image ids, and images that would be written under one
 * name. 0, or -1 with err. */
int dataset_close(dataset *d, yerr *err);
/* Writes the split into cfg->out. 0, or -1 with err: files that would
 * change without force (YOLO_EUSAGE, naming the first), I/O (YOLO_EIO). */
int dataset_write(dataset *d, yerr *err);
/* The closing lines: what was written, the problems counted. */
void dataset_summary(dataset *d);
void dataset_free(dataset *d);

#endif
