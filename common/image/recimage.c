/* rec_load_image: a record's `image` decoded (include/yolo/image/recimage.h). */
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

/* rec_load_image's note when the record's size is not im's: 0 (the note
 * set or clear), or -1 (err set) for a width or height that is no size. */
static int note_size(rec *r, const img *im, const char *key, yerr *note, yerr *err)
{
    int64_t rwh[2];
    int rc = rec_image_size_differs(r, im->w, im->h, rwh, err);
    if (rc > 0)
        rec_fail(r, note, key, "the record says %lldx%lld, the %s %dx%d",
                 (long long)rwh[0], (long long)rwh[1],
                 strcmp(key, "frame") ? "JPEG decodes as" : "frame is", im->w, im->h);
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
    if (rec_get_frame(r, im, err) < 0)
        return -1;
    if (note_size(r, im, "frame", &notes->size, err) < 0) {
        img_free(im);
        return -1;
    }
    return 1;
}

int rec_load_image(rec *r, img *im, rec_image_notes *notes, yerr *err)
{
    const char *s;
    size_t len;
    char path[4096];
    notes->size.code = notes->damaged.code = 0;
    notes->about = 0;
    if (rec_has(r, "frame"))
        return load_frame(r, im, notes, err);
    int rc = rec_get_str(r, "image", &s, &len, err);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        rec_fail(r, err, "image", "the record has no 'image'");
        return 0;
    }
    if (len >= sizeof path || memchr(s, 0, len)) {
        rec_fail(r, err, "image", "not a usable path (too long or holds a NUL byte)");
        return 0;
    }
    memcpy(path, s, len);
    path[len] = 0;
    notes->about = ybuf_fnv1a(path, len);
    int lrc = img_load(path, im, &notes->damaged, err);
    if (lrc < 0) {
        yerr_prefix(err, "%s: record %ld: key 'image'", r->src, r->index);
        return lrc == IMG_ENOMEM ? -1 : 0;   /* out of memory stops the run */
    }
    if (notes->damaged.code)
        yerr_prefix(&notes->damaged, "%s: record %ld: key 'image'", r->src, r->index);
    if (note_size(r, im, "image", &notes->size, err) < 0) {
        img_free(im);
        return -1;
    }
    return 1;
}
