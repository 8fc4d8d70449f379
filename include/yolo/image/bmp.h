/* Uncompressed BMP files for img_load and img_read_size (image.h): a
 * BITMAPINFOHEADER (or its V4, V5 successors) with 24 or 32 bits a pixel
 * (BI_RGB: B, G, R and a fourth byte that is dropped) or 8 bits a pixel
 * through its palette; bottom-up or top-down rows. Others (1 and 4-bit,
 * 16-bit, RLE or bit-field compression, OS/2 headers) are refused by name;
 * PNG holds any picture they do. A file shorter than its rows is refused
 * (no partial decode). */
#ifndef YOLO_BMP_H
#define YOLO_BMP_H

#include <stddef.h>

#include "yolo/image/image.h"

/* Width and height from head (the file's first n bytes, 54 are enough) of
 * a file of file_len bytes. 0, or -1 with err (YOLO_EINPUT naming path): a
 * header cut short, a kind named above as refused, or rows (and palette)
 * past the end of the file. */
int img_bmp_size(const unsigned char *head, size_t n, size_t file_len, const char *path, int *w,
                 int *h, yerr *err);

/* Decodes the BMP in buf (len bytes, the whole file; checked by
 * img_bmp_size) into *out: 0, or -1 / IMG_ENOMEM with err. warn is cleared:
 * nothing is decoded with damage. */
int img_bmp_decode(const unsigned char *buf, size_t len, const char *path, img *out, yerr *warn,
                   yerr *err);

#endif
