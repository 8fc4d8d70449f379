/* Writing a dataset in Pascal VOC layout:
 *   DIR/JPEGImages/ID.jpg           (written by the caller, see jpeg_write.h)
 *   DIR/Annotations/ID.xml          one per image, VOC's annotation XML
 *   DIR/ImageSets/Main/{train,val,trainval,test}.txt   image ids, one a line
 *   DIR/classes.names               darknet's class list, one name a line
 * Every file is written whole (ybuf_save): a killed run leaves no half file.
 * (Reading VOC is voc.h's job.) */
#ifndef YOLO_VOC_WRITE_H
#define YOLO_VOC_WRITE_H

#include <stddef.h>

#include "yolo/base/buf.h"
#include "yolo/base/err.h"
#include "yolo/data/objects.h"

#define VOCW_ID_LEN 24  /* room for any id from vocw_id */

/* Makes DIR and its sub-folders (and DIR's parents, as mkdir -p). A DIR that
 * already has something in it is refused (YOLO_EUSAGE) unless force; a
 * folder that cannot be made is YOLO_EIO. */
int vocw_prepare(const char *dir, int force, yerr *err);

/* Image i's id, VOC style: "000001" for 1. */
void vocw_id(long i, char id[VOCW_ID_LEN]);

/* DIR/SUB/ID.EXT into out[cap]; YOLO_EIO if it does not fit. */
int vocw_path(char *out, size_t cap, const char *dir, const char *sub, const char *id,
              const char *ext, yerr *err);

/* DIR/Annotations/ID.xml for the image ID.jpg of w x h x 3: one <object> per
 * box, with VOC's 1-based inclusive pixel indices (docs/records.md, section
 * 3: xmin = x1 + 1, ymin = y1 + 1, xmax = x2, ymax = y2, rounded). folder is
 * the annotation's <folder> (VOC puts the dataset's name there). */
int vocw_annotation(const char *dir, const char *folder, const char *id, int w, int h,
                    const yobj *v, size_t n, yerr *err);

/* What an annotation says of its image besides the objects. */
typedef struct vocw_head {
    const char *folder;     /* <folder>: the dataset's name */
    const char *filename;   /* <filename>: the image, in JPEGImages/ (or a path) */
    const char *database;   /* <source><database>: who wrote it */
    int width, height;      /* <size>; <depth> is 3 */
} vocw_head;

/* The annotation XML of an image with objects v[0, n) appended to b, boxes
 * as vocw_annotation writes them (dataset-write). 0, or -1 when libxml2 or
 * memory failed. */
int vocw_annotation_xml(ybuf *b, const vocw_head *h, const yobj *v, size_t n);

/* The four ImageSets/Main lists for images 1..n: image i is in which[i-1]
 * (0 train, 1 val, 2 test); trainval is train and val. Ids ascending. */
int vocw_imagesets(const char *dir, const unsigned char *which, long n, yerr *err);

/* DIR/classes.names: names[0..n), one a line. */
int vocw_classes(const char *dir, const char *const *names, int n, yerr *err);

#endif
