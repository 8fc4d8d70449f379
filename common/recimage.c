/* rec_load_image: a record's `image` decoded (include/yolo/recimage.h). */
#include <string.h>

#include "yolo/recimage.h"

/* The record's width and height, when it has both, against the image. */
static void check_size(rec *r, const img *im, yerr *note)
{
    int64_t w, h;
    yerr ignore;
    note->code = 0;
    if (rec_get_i64(r, "width", &w, &ignore) != 1 || rec_get_i64(r, "height", &h, &ignore) != 1 ||
        (w == im->w && h == im->h))
        return;
    rec_fail(r, note, "image", "the record says %lldx%lld, the JPEG decodes as %dx%d",
             (long long)w, (long long)h, im->w, im->h);
}

int rec_load_image(rec *r, img *im, yerr *size_note, yerr *err)
{
    const char *s;
    size_t len;
    char path[4096];
    size_note->code = 0;
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
    if (img_load_jpeg(path, im, err) < 0) {
        yerr_prefix(err, "%s: record %ld: key 'image'", r->src, r->index);
        return 0;
    }
    check_size(r, im, size_note);
    return 1;
}
