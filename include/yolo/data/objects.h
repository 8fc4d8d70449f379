/* Ground-truth objects as records carry them (docs/records.md, `objects`):
 * the one place they are packed and read back. */
#ifndef YOLO_OBJECTS_H
#define YOLO_OBJECTS_H

#include <stddef.h>

#include <msgpack.h>

#include "yolo/data/box.h"
#include "yolo/base/err.h"
#include "yolo/records/record.h"

enum { OBJ_HAS_ISCROWD = 1, OBJ_HAS_AREA = 2 };

typedef struct yobj {
    int cls;            /* class index, from 0 */
    const char *name;   /* class name, name_len bytes (not owned) */
    size_t name_len;
    box bbox;           /* original-image pixels */
    int difficult, truncated, iscrowd;
    double area;        /* COCO's annotation area, px^2 */
    int fields;         /* OBJ_HAS_*: optional fields to write */
} yobj;

typedef struct objlist {
    yobj *v;            /* [n], [cap] allocated */
    size_t n, cap;
} objlist;

int objlist_push(objlist *l, const yobj *o);   /* 0, or -1 out of memory */
void objlist_free(objlist *l);

/* Packs [{class, name, bbox, difficult, truncated[, iscrowd][, area]}]. */
int objects_pack(msgpack_packer *pk, const yobj *v, size_t n);
int rec_set_objects(rec *r, const yobj *v, size_t n, yerr *err);
/* Reads r's objects into l (emptied first); names point into the record.
 * 1 if r has objects, 0 if not, -1 if they break the schema (err names the
 * record and the path, e.g. objects[3].bbox). */
int rec_get_objects(rec *r, objlist *l, yerr *err);

#endif
