/* Writing JPEG files with libjpeg-turbo (TurboJPEG API). The encoder and
 * its output buffer are kept from one image to the next. Encoding is
 * deterministic: the same pixels give the same bytes. */
#ifndef YOLO_JPEG_WRITE_H
#define YOLO_JPEG_WRITE_H

#include "yolo/base/buf.h"
#include "yolo/base/err.h"

typedef struct jpegw {
    void *tj;   /* tjhandle */
    ybuf out;   /* the last image's bytes */
} jpegw;

int jpegw_init(jpegw *j, yerr *err);  /* YOLO_EIO if TurboJPEG cannot start */
void jpegw_free(jpegw *j);

/* Encodes rgb ([h][w][3], 8 bits) as a baseline JPEG, 4:2:0, quality 1..100,
 * and writes it to path whole (ybuf_save: a temporary file, then a rename). */
int jpegw_save(jpegw *j, const char *path, const unsigned char *rgb, int w, int h, int quality,
               yerr *err);

#endif
