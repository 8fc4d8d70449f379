/* A record's `image` decoded, as the stages that make network inputs need
 * it (darknet-forward, encode-targets): the path checked, the image decoded,
 * and its size compared with the record's own width and height. */
#ifndef YOLO_RECIMAGE_H
#define YOLO_RECIMAGE_H

#include <stdint.h>

#include "yolo/base/report.h"
#include "yolo/image/image.h"
#include "yolo/records/record.h"

/* What rec_load_image notes besides the image: warnings the caller decides
 * about (a warning, a problem, or with --strict an error); each code 0 when
 * there is nothing to say. */
typedef struct rec_image_notes {
    yerr size;        /* the record's width/height differ from the image's */
    yerr damaged;     /* a truncated or corrupt image decoded anyway (img_load's
                         warning: the rows it could not read are grey) */
    uint64_t about;   /* ybuf_fnv1a of the image's path, so that a problem with one
                         image is reported once per run; 0 without a usable path */
} rec_image_notes;

/* r's `frame` (a u8 [h, w, 3] tensor of RGB bytes, docs/records.md) as a
 * new img: 1, 0 when r has no `frame`, -1 with err naming the record and
 * key when it is not such a tensor (YOLO_EINPUT: no more than IMG_MAX_SIDE
 * a side, IMG_MAX_PIXELS) or memory ran out (YOLO_EIO). */
int rec_get_frame(rec *r, img *im, yerr *err);
/* The same `frame` seen in place: 1 with *rgb ([h][w][3] bytes inside the
 * record, valid while it is), *w and *h; 0 when absent; -1 as above. */
int rec_frame_bytes(rec *r, const unsigned char **rgb, int *w, int *h, yerr *err);

/* Decodes r's `image` into *im (r's `frame` instead when it has one). Returns 1 with the image; 0 when this
 * record cannot give one (no `image`, an unusable path, a missing or
 * undecodable image: err names the record and key, for the stage to set
 * `error` or stop with --strict); -1 when `image` is not a str or the record's
 * width or height is not an image size (bad input, err set), or when memory
 * ran out decoding it (YOLO_EIO: the run stops with exit status 3). The
 * notes' messages (code YOLO_EINPUT) name the record and key too. */
int rec_load_image(rec *r, img *im, rec_image_notes *notes, yerr *err);
/* The network input r's `image` makes: w x h, letterboxed or stretched. */
typedef struct rec_image_fit {
    int w, h;
    int letterbox;    /* 1: img_letterbox's way; 0: img_resize's */
} rec_image_fit;
/* r's `image` decoded straight into that input (img_load_fit: the bits of
 * rec_load_image then img_letterbox / img_resize, without ever holding the
 * whole image), *t how it was put there. Returns and notes as
 * rec_load_image. */
int rec_load_image_fit(rec *r, const rec_image_fit *how, img *dst, img_transform *t,
                       rec_image_notes *notes, yerr *err);

/* The one check of a record's width and height (docs/records.md: the
 * image's size) against a decoded w x h image. Returns 0 when those r has
 * agree; 1 when one differs, with rwh r's [width, height] (a side r lacks
 * taken from the image) for the caller's message; -1 when one is there but
 * not an image size (rec_get_image_side: err names the record and key). */
int rec_image_size_differs(rec *r, int w, int h, int64_t rwh[2], yerr *err);

#endif
