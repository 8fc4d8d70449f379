/* YOLO txt labels (yolo-parse): where an image's label file is, as darknet
 * and ultralytics look for it, and its rows `class cx cy w h` (fractions of
 * the image's width and height) made into truth boxes in pixels, the
 * objects voc-parse writes.
 *
 * Problems in a label file are warnings naming the file and line, counted
 * and summed up at the end; the row is dropped or its box clipped
 * (YOLOTXT_RULES says which), and with strict the first one stops the run
 * (YOLO_EINPUT). A missing or empty label file is a background image: no
 * objects, counted, not a problem. */
#ifndef YOLO_YOLOTXT_H
#define YOLO_YOLOTXT_H

#include <stddef.h>

#include "yolo/base/buf.h"
#include "yolo/base/report.h"
#include "yolo/data/names.h"
#include "yolo/data/objects.h"

#define YOLOTXT_MAX_BYTES (64L << 20)   /* one label file */
#define YOLOTXT_MAX_ROWS 100000         /* lines in one label file */
#define YOLOTXT_MARGIN 0.01             /* a number this far outside [0, 1]: clipped; further,
                                         * the row is dropped */
#define YOLOTXT_ROUNDING 1e-6           /* an edge this far past the image is clipped
                                         * without a warning (6 decimals' rounding) */
#define YOLOTXT_NRULES 4                /* label paths tried for one image */

#define YOLOTXT_STR_(x) #x
#define YOLOTXT_STR(x) YOLOTXT_STR_(x)

/* Where the label file is, and what happens to rows that break the rules:
 * the text of --help (and of the README), kept next to the code. */
#define YOLOTXT_PATH_RULES                                                                  \
    "Label files: the image's path with its extension (whatever it is: jpg, jpeg,\n"       \
    "png, bmp in any case) replaced by .txt, in the first of these places that\n"          \
    "exists:\n"                                                                             \
    "  1. the last /images/ folder in the path made /labels/ (ultralytics:\n"             \
    "     d/images/train/a.jpg -> d/labels/train/a.txt);\n"                                \
    "  2. the first /images/ made /labels/, when the path has two (darknet);\n"          \
    "  3. the first /JPEGImages/ made /labels/ (darknet's VOC layout);\n"                 \
    "  4. beside the image (AlexeyAB's darknet: d/obj/a.jpg -> d/obj/a.txt).\n"          \
    "A path's leading images/ counts as a folder. When two of them exist, the first\n"   \
    "is read and the image is warned about. None: a background image (no objects).\n"

#define YOLOTXT_RULES                                                                       \
    "Rows: `class cx cy w h`, the centre and size as fractions of the image's width\n"   \
    "and height, become [x1, y1, x2, y2] in pixels (docs/records.md, section 3). A\n"    \
    "row of more numbers, class x1 y1 x2 y2 x3 y3 ... (a polygon, at least 3\n"          \
    "points), becomes its bounding box, as ultralytics does (counted; the first\n"       \
    "one warned). Blank lines are skipped. Then, each a warning naming the file and\n"   \
    "line, counted at the end:\n"                                                           \
    "  not five numbers (nor a polygon), or a class that is not a whole number:\n"       \
    "  the row is dropped;\n"                                                              \
    "  a class outside 0..N-1 (N class names): dropped;\n"                                \
    "  a number outside [0, 1] by up to " YOLOTXT_STR(YOLOTXT_MARGIN) " is clipped; "      \
    "further out, the row is\n"                                                           \
    "  dropped (pixels written where fractions belong);\n"                                \
    "  a box with no width or height: dropped;\n"                                         \
    "  a box reaching past the image's edge: clipped to it (by less than 1e-6,\n"        \
    "  the rounding of 6 decimals, without a warning);\n"                                \
    "  a row with the same class and numbers as an earlier row: dropped.\n"             \
    "A label file that cannot be read or is larger than 64 MiB, or has more than\n"      \
    "" YOLOTXT_STR(YOLOTXT_MAX_ROWS) " lines: the image is skipped. With --strict the "  \
    "first problem is an\nerror (exit 2)."

enum { YOLOTXT_P_ROW, YOLOTXT_P_CLASS, YOLOTXT_P_CLIP, YOLOTXT_P_DROP, YOLOTXT_P_DUP,
       YOLOTXT_P_TWO, YOLOTXT_P_FILE, YOLOTXT_NPROBLEMS };

/* A row kept, for the check of repeated rows. */
typedef struct yolotxt_row {
    int cls;
    double v[4];            /* cx cy w h, or a polygon's x1 y1 x2 y2 */
    long line;
    long dup_of;            /* the line of an earlier row with the same values, or 0 */
} yolotxt_row;

typedef struct yolotxt {
    const yrep *rep;        /* where warnings go */
    const names *classes;   /* the class list: N names, classes 0..N-1 */
    yrep_problems probs;    /* counted by kind (YOLOTXT_P_*) */
    ybuf paths[YOLOTXT_NRULES];   /* the label paths of the image at hand */
    int npaths;
    ybuf file;              /* the label file read */
    objlist objs;           /* the image's objects, once read */
    yolotxt_row *rows;      /* [objs.n] what each object was read from, [rows_cap] */
    size_t rows_cap;
    yolotxt_row **order;    /* [order_cap] rows sorted, to find repeated ones */
    size_t order_cap;
    long images;            /* images whose labels were looked for */
    long missing, empty;    /* background images: no label file, an empty one */
    long polygons;          /* rows read as a polygon's bounding box */
    char *first_missing;    /* the image and paths tried for the first without a label file */
} yolotxt;

/* Ready to read the labels of images, with classes 0..classes->n - 1
 * (classes kept, not copied). */
void yolotxt_init(yolotxt *t, const yrep *rep, const names *classes, int strict);
void yolotxt_free(yolotxt *t);

/* The label paths of image, in the order they are tried (YOLOTXT_PATH_RULES):
 * in t->paths[0, t->npaths), each once. 0, or -1 out of memory. */
int yolotxt_paths(yolotxt *t, const char *image);

/* The objects of image (w x h pixels) into t->objs: from its label file,
 * none for a background image. 1 read, 0 the image is skipped (warned), -1
 * stop (a problem with strict: YOLO_EINPUT; memory: YOLO_EIO). */
int yolotxt_read(yolotxt *t, const char *image, int w, int h, yerr *err);

/* The closing lines: the problems counted, the background images (and for
 * the first without a label file, the paths tried), the polygons read. */
void yolotxt_summary(yolotxt *t);

#endif
