/* PNG files for img_load and img_read_size (image.h), with Debian's libpng.
 *
 * Every PNG kind becomes 3 channels of bytes as darknet's reader (OpenCV's
 * imread, and stb_image likewise) makes them: 16-bit samples cut to their
 * high byte, gray repeated into R, G and B (1, 2 and 4-bit gray scaled to
 * 0..255), palettes looked up, alpha and tRNS transparency dropped (not
 * composited), no gamma or colour-profile correction; Adam7 interlaced
 * files as plain ones. */
#ifndef YOLO_PNG_H
#define YOLO_PNG_H

#include <stddef.h>

#include "yolo/image/image.h"

/* Width and height from the signature and IHDR chunk in head (its first n
 * bytes, 33 are enough) of a file of file_len bytes. 0, or -1 with err
 * (YOLO_EINPUT naming path): a header cut short or not a PNG's, an IHDR
 * that is not valid, or rows that need more than IMG_DEFLATE_RATIO times
 * the file's length. */
int img_png_size(const unsigned char *head, size_t n, size_t file_len, const char *path, int *w,
                 int *h, yerr *err);

/* Decodes the PNG in buf (len bytes, the whole file; its size checked by
 * img_png_size) into *out, as img_load says: 0, or -1 / IMG_ENOMEM with
 * err. Image data that stops (a file cut short, a CRC or zlib error in the
 * rows) after at least one row: with warn, the rows read are kept, the
 * rest grey 128 (an interlaced file: the pixels no pass reached), and warn
 * names the file, libpng's message and the grey rows; without warn
 * (strict) the file is refused. Before any row, or in the header: refused
 * either way. libpng's warnings (about ancillary chunks, which do not
 * touch the pixels) are not reported. */
int img_png_decode(const unsigned char *buf, size_t len, const char *path, img *out, yerr *warn,
                   yerr *err);

#endif
