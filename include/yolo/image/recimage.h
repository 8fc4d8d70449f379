/* A record's `image` decoded, as the stages that make network inputs need
 * it (darknet-forward, encode-targets): the path checked, the JPEG decoded,
 * and its size compared with the record's own width and height. */
#ifndef YOLO_RECIMAGE_H
#define YOLO_RECIMAGE_H

#include "yolo/image/image.h"
#include "yolo/records/record.h"

/* Decodes r's `image` into *im. Returns 1 with the image; 0 when this
 * record cannot give one (no `image`, an unusable path, a missing or
 * corrupt JPEG: err names the record and key, for the stage to set `error`
 * or stop with --strict); -1 when `image` is not a str or the record's
 * width or height is not an image size (bad input, err set).
 * When the record's width/height differ from the JPEG's, *size_note gets a
 * message (code YOLO_EINPUT) and the image is still returned: the caller
 * decides whether that is a warning or a problem; otherwise its code is 0. */
int rec_load_image(rec *r, img *im, yerr *size_note, yerr *err);

/* The one check of a record's width and height (docs/records.md: the
 * image's size) against a decoded w x h image. Returns 0 when those r has
 * agree; 1 when one differs, with rwh r's [width, height] (a side r lacks
 * taken from the image) for the caller's message; -1 when one is there but
 * not an image size (rec_get_image_side: err names the record and key). */
int rec_image_size_differs(rec *r, int w, int h, int64_t rwh[2], yerr *err);

#endif
