/* The types docs/records.md gives the keys it defines, checked. */
#ifndef YOLO_SCHEMA_H
#define YOLO_SCHEMA_H

#include "yolo/err.h"
#include "yolo/record.h"

/* Checks every key of docs/records.md that r has (id, image, width, height,
 * objects, input, transform, output, target, truth, grad, loss, detections,
 * error, coco_id) for its type and shape of value, down to the fields of
 * objects and detections and the tensors inside output and grad. Keys it
 * does not know are not looked at. Returns 0, or -1 with err naming the
 * record and the key path (YOLO_EINPUT). */
int rec_check_schema(rec *r, yerr *err);

#endif
