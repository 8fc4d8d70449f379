#include <turbojpeg.h>

#include "yolo/image/jpeg_write.h"

int jpegw_init(jpegw *j, yerr *err)
{
    *j = (jpegw){0};
    j->tj = tjInitCompress();
    if (!j->tj)
        return yerr_set(err, YOLO_EIO, "cannot start the JPEG encoder: %s",
                        tjGetErrorStr2(NULL));
    return 0;
}

void jpegw_free(jpegw *j)
{
    if (j->tj)
        tjDestroy(j->tj);
    ybuf_free(&j->out);
    *j = (jpegw){0};
}

int jpegw_save(jpegw *j, const char *path, const unsigned char *rgb, int w, int h, int quality,
               yerr *err)
{
    /* tjBufSize is the worst case, so with NOREALLOC TurboJPEG writes into
     * our buffer and never allocates behind our back. */
    unsigned long cap = tjBufSize(w, h, TJSAMP_420);
    j->out.len = 0;
    if (cap == (unsigned long)-1 || ybuf_reserve(&j->out, cap) < 0)
        return yerr_set(err, YOLO_EIO, "%s: out of memory for a %dx%d JPEG", path, w, h);
    unsigned char *p = j->out.p;
    unsigned long size = cap;
    if (tjCompress2(j->tj, rgb, w, 0, h, TJPF_RGB, &p, &size, TJSAMP_420, quality,
                    TJFLAG_NOREALLOC) != 0)
        return yerr_set(err, YOLO_EIO, "%s: JPEG encoding failed: %s", path,
                        tjGetErrorStr2(j->tj));
    j->out.len = size;
    return ybuf_save(&j->out, path, err);
}
