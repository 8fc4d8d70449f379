#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <turbojpeg.h>

#include "yolo/image.h"

/* Reads up to n more bytes of f into *buf (growing it); returns bytes added. */
static size_t read_more(FILE *f, unsigned char **buf, size_t *len, size_t n, int *oom)
{
    unsigned char *p = realloc(*buf, *len + n);
    if (!p) {
        *oom = 1;
        return 0;
    }
    *buf = p;
    size_t k = fread(p + *len, 1, n, f);
    *len += k;
    return k;
}

int img_jpeg_size(const char *path, int *w, int *h, yerr *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return yerr_set(err, YOLO_EIO, "%s: %s", path, strerror(errno));
    tjhandle tj = tjInitDecompress();
    unsigned char *buf = NULL;
    size_t len = 0, step = 1 << 14;
    int oom = !tj, rc = -1, sub, cs;
    /* The frame header usually sits in the first kilobytes, after any EXIF
     * block (at most 64 KiB each); read more only while it is not found.
     * A prefix that stops before it reads as a tables-only stream, which
     * libjpeg-turbo accepts without giving a size: that means "read more". */
    while (!oom) {
        size_t k = read_more(f, &buf, &len, step, &oom);
        if (len >= 2 && (buf[0] != 0xff || buf[1] != 0xd8)) {
            rc = yerr_set(err, YOLO_EINPUT, "%s: not a JPEG file (no SOI marker)", path);
            break;
        }
        int ok = 0;
        *w = *h = 0;
        if (len)
            ok = tjDecompressHeader3(tj, buf, (unsigned long)len, w, h, &sub, &cs) == 0;
        if (ok && *w > 0 && *h > 0) {
            rc = 0;
            break;
        }
        if (k < step) {
            rc = ferror(f) ? yerr_set(err, YOLO_EIO, "%s: read error", path)
                           : yerr_set(err, YOLO_EINPUT, "%s: not a readable JPEG (%s)", path,
                                      !len ? "empty file"
                                      : ok ? "it ends before its frame header gives a size"
                                           : tjGetErrorStr2(tj));
            break;
        }
        step *= 2;
    }
    if (oom)
        rc = yerr_set(err, YOLO_EIO, "%s: out of memory", path);
    free(buf);
    if (tj)
        tjDestroy(tj);
    fclose(f);
    return rc;
}
