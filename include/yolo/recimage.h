/* A record's `image` decoded, as the stages that make network inputs need
 * it (darknet-forward, encode-targets): the path checked, the JPEG decoded,
 * and its size compared with the record's own width and height. */
#ifndef YOLO_RECIMAGE_H
#define YOLO_RECIMAGE_H

#include "yolo/image.h"
#include "yolo/record.h"

/* Decodes r's `image` into *im. Returns 1 with the image; 0 when this
 * record cannot give one (no `image`, an unusable path, a missing or
 * corrupt JPEG: err names the record and key, for the stage to set `error`
 * or stop with --strict); -1 when `image` is not a str (bad input, err set).
 * When the record's width/height differ from the JPEG's, *size_note gets a
 * message (code YOLO_EINPUT) and the image is still returned: the caller
 * decides whether that is a warning or a problem; otherwise its code is 0. */
int rec_load_image(rec *r, img *im, yerr *size_note, yerr *err);

#endif
