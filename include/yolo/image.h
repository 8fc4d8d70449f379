/* Images: JPEG files in, pixels out. (Decoding, resize and letterbox come
 * with darknet-forward; this is what the dataset stages need today.) */
#ifndef YOLO_IMAGE_H
#define YOLO_IMAGE_H

#include "yolo/err.h"

/* Width and height from a JPEG file's header, without decoding the image:
 * reads only as far as the frame header. A missing file is YOLO_EIO; a file
 * that is not a readable JPEG is YOLO_EINPUT, with the path in the message. */
int img_jpeg_size(const char *path, int *w, int *h, yerr *err);

#endif
