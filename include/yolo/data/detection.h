/* A detection: one (prediction, class) pair of a network's output, in
 * original-image pixels, as one entry of a record's `detections`
 * (docs/records.md; yolo/rescale.h makes, packs and reads them), and a
 * growable list of them. Only the type: no record, no stage. */
#ifndef YOLO_DETECTION_H
#define YOLO_DETECTION_H

#include <stddef.h>
#include <stdint.h>

#include "yolo/data/box.h"

struct msgpack_object;

/* One entry of `detections`: a (prediction, class) pair. */
typedef struct ydet {
    int cls;
    const char *name;          /* name_len bytes, not owned (a names list or the record) */
    size_t name_len;
    double score;              /* objectness x class probability */
    double objectness;
    box bbox;                  /* original-image pixels */
    int64_t pred;              /* the prediction's index in the record (see rescale_head) */
    int64_t track;             /* its track_id (track), -1 without one */
    const struct msgpack_object *src; /* the entry as read (rec_get_detections), or NULL */
} ydet;

typedef struct detlist {
    ydet *v;                   /* [n], [cap] allocated */
    size_t n, cap;
} detlist;

int detlist_push(detlist *l, const ydet *d);   /* 0, or -1 out of memory */
void detlist_free(detlist *l);

#endif
