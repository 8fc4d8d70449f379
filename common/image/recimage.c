/* rec_load_image: a record's `image` decoded, or its `frame` taken
 * (include/yolo/image/recimage.h). */
#include <string.h>

#include "yolo/image/recimage.h"
#include "yolo/records/schema.h"

int rec_image_size_differs(rec *r, int w, int h, int64_t rwh[2], yerr *err)
{
    static const char *const keys[2] = {"width", "height"};
    const int have[2] = {w, h};
    for (int k = 0; k < 2; k++) {
        int rc = rec_get_image_side(r, keys[k], &rwh[k], err);
        if (rc < 0)
            return -1;
        if (rc == 0)
            rwh[k] = have[k];
    }
    return rwh[0] != w || rwh[1] != h;
}

/* rec_load_image's note when the record's size is not the picture's w x h
 * (key: "image" or "frame"): 0 (the note set or clear), or -1 (err set)
 * for a width or height that is no size. */
static int note_size(rec *r, int w, int h, const char *key, yerr *note, yerr *err)
{
    int64_t rwh[2];
    int rc = rec_image_size_differs(r, w, h, rwh, err);
    if (rc > 0)
        rec_fail(r, note, key, "the record says %lldx%lld, the %s %dx%d", (long long)rwh[0],
                 (long long)rwh[1], strcmp(key, "frame") ? "image decodes as" : "frame is", w, h);
    return rc < 0 ? -1 : 0;
}

int rec_frame_bytes(rec *r, const unsigned char **rgb, int *w, int *h, yerr *err)
{
    tensor_view t;
    int rc = rec_get_tensor(r, "frame", &t, err);
    if (rc <= 0)
        return rc;
    if (t.dtype != TENSOR_U8 || t.ndim != 3 || t.shape[2] != 3) {
        char got[96];
        tensor_shape_str(&t, got, sizeof got);
        return rec_fail(r, err, "frame", "expected u8 [height,width,3] (RGB bytes), got %s %s",
                        tensor_dtype_name(t.dtype), got);
    }
    if (t.shape[0] < 1 || t.shape[1] < 1 || t.shape[0] > IMG_MAX_SIDE ||
        t.shape[1] > IMG_MAX_SIDE || t.shape[0] * t.shape[1] > IMG_MAX_PIXELS)
        return rec_fail(r, err, "frame", "%lldx%lld: not a frame size (1 to %d a side, %ld "
                        "pixels)", (long long)t.shape[1], (long long)t.shape[0], IMG_MAX_SIDE,
                        (long)IMG_MAX_PIXELS);
    *rgb = t.data;
    *w = (int)t.shape[1], *h = (int)t.shape[0];
    return 1;
}

int rec_get_frame(rec *r, img *im, yerr *err)
{
    const unsigned char *rgb;
    int w, h, rc = rec_frame_bytes(r, &rgb, &w, &h, err);
    if (rc <= 0)
        return rc;
    if (img_from_rgb(rgb, w, h, im, err) < 0)
        return yerr_prefix(err, "%s: record %ld: key 'frame'", r->src, r->index);
    return 1;
}

/* rec_load_image from `frame`: 1, or -1 (bad frame, out of memory). */
static int load_frame(rec *r, img *im, rec_image_notes *notes, yerr *err)
{
    notes->size.code = notes->damaged.code = 0;
    notes->about = 0;
    if (rec_get_frame(r, im, err) < 0)
        return -1;
    if (note_size(r, im->w, im->h, "frame", &notes->size, err) < 0) {
        img_free(im);
        return -1;
    }
    return 1;
}

/* r's `image` as a path in path [n]: 1, 0 when the record cannot give one
 * (err names the record and key), -1 when `image` is not a str. */
static int image_path(rec *r, char *path, size_t n, rec_image_notes *notes, yerr *err)
{
    const char *s;
    size_t len;
    notes->size.code = notes->damaged.code = 0;
    notes->about = 0;
    int rc = rec_get_str(r, "image", &s, &len, err);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        rec_fail(r, err, "image", "the record has no 'image'");
        return 0;
    }
    if (len >= n || memchr(s, 0, len)) {
        rec_fail(r, err, "image", "not a usable path (too long or holds a NUL byte)");
        return 0;
    }
    memcpy(path, s, len);
    path[len] = 0;
    notes->about = ybuf_fnv1a(path, len);
    return 1;
}

/* After the decode (lrc: img_load's return): the record's answer, the
 * messages prefixed with the record and key. */
static int after_load(rec *r, int lrc, int w, int h, rec_image_notes *notes, yerr *err)
{
    if (lrc < 0) {
        yerr_prefix(err, "%s: record %ld: key 'image'", r->src, r->index);
        return lrc == IMG_ENOMEM ? -1 : 0;   /* out of memory stops the run */
    }
    if (notes->damaged.code)
        yerr_prefix(&notes->damaged, "%s: record %ld: key 'image'", r->src, r->index);
    return note_size(r, w, h, "image", &notes->size, err) < 0 ? -1 : 1;
}

int rec_load_image(rec *r, img *im, rec_image_notes *notes, yerr *err)
{
    if (rec_has(r, "frame"))
        return load_frame(r, im, notes, err);
    char path[4096];
    int rc = image_path(r, path, sizeof path, notes, err);
    if (rc <= 0)
        return rc;
    rc = img_load(path, im, &notes->damaged, err);
    rc = after_load(r, rc, im->w, im->h, notes, err);
    if (rc < 0)
        img_free(im);
    return rc;
}

/* A frame (already in the record, so nothing to save) put into the input
 * as img_letterbox / img_resize put it, straight from its bytes
 * (img_fit_rgb: the float frame is never made, the rows shared among the
 * threads). */
static int fit_frame(rec *r, const rec_image_fit *how, img *dst, img_transform *t,
                     rec_image_notes *notes, yerr *err)
{
    const unsigned char *rgb;
    int w, h;
    notes->size.code = notes->damaged.code = 0;
    notes->about = 0;
    if (rec_frame_bytes(r, &rgb, &w, &h, err) < 0 ||
        note_size(r, w, h, "frame", &notes->size, err) < 0)
        return -1;
    if (img_fit_rgb(rgb, w, h, how->w, how->h, how->letterbox, dst, t, err) < 0) {
        yerr_prefix(err, "%s: record %ld: key 'frame'", r->src, r->index);
        return 0;
    }
    return 1;
}

int rec_load_image_fit(rec *r, const rec_image_fit *how, img *dst, img_transform *t,
                       rec_image_notes *notes, yerr *err)
{
    if (rec_has(r, "frame"))
        return fit_frame(r, how, dst, t, notes, err);
    char path[4096];
    int rc = image_path(r, path, sizeof path, notes, err);
    if (rc <= 0)
        return rc;
    int w = 0, h = 0;
    rc = img_load_fit(path, how->w, how->h, how->letterbox, dst, t, &w, &h, &notes->damaged,
                      err);
    rc = after_load(r, rc, w, h, notes, err);
    if (rc < 0)
        img_free(dst);
    return rc;
}
