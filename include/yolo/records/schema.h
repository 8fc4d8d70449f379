/* The types docs/records.md gives the keys it defines, checked. */
#ifndef YOLO_SCHEMA_H
#define YOLO_SCHEMA_H

#include "yolo/base/err.h"
#include "yolo/records/record.h"

/* Checks every key of docs/records.md that r has (id, image, width, height,
 * objects, input, transform, output, target, truth, grad, loss, detections,
 * error, coco_id, frame, pts, time, fps, wall) for its type and shape of value, down to the fields of
 * objects and detections and the tensors inside output and grad. Keys it
 * does not know are not looked at. Returns 0, or -1 with err naming the
 * record and the key path (YOLO_EINPUT). */
int rec_check_schema(rec *r, yerr *err);

#define REC_MAX_IMAGE_SIDE 1000000   /* width and height, pixels */

/* r's `width` or `height` (key), the one reading of a record's image size:
 * 1 with *v in [1, REC_MAX_IMAGE_SIDE], 0 when r has no such key, -1 with
 * err naming the record and key (YOLO_EINPUT) when it is not such an
 * integer. */
int rec_get_image_side(rec *r, const char *key, int64_t *v, yerr *err);
/* Both, as [width, height], for a stage that needs them: a missing one is
 * -1 with `need` (why the stage needs them) as the message. */
int rec_get_image_size(rec *r, const char *need, double wh[2], yerr *err);

#endif
