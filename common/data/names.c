#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yolo/base/buf.h"
#include "yolo/data/names.h"

static const char *const voc_names[20] = {
    "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
    "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa",
    "train", "tvmonitor",
};

static int add(names *nm, const char *s, size_t len)
{
    if (nm->n % 64 == 0) {
        char **v = realloc(nm->v, (size_t)(nm->n + 64) * sizeof *v);
        if (!v)
            return -1;
        nm->v = v;
    }
    char *c = malloc(len + 1);
    if (!c)
        return -1;
    memcpy(c, s, len);
    c[len] = 0;
    nm->v[nm->n++] = c;
    return 0;
}

int names_voc(names *nm, yerr *err)
{
    memset(nm, 0, sizeof *nm);
    for (int i = 0; i < 20; i++)
        if (add(nm, voc_names[i], strlen(voc_names[i])) < 0) {
            names_free(nm);
            return yerr_set(err, YOLO_EIO, "out of memory");
        }
    return 0;
}

int names_add(names *nm, const char *name, size_t len)
{
    if (len > NAMES_MAX_LEN || nm->n >= NAMES_MAX)
        return -1;
    return add(nm, name, len);
}

int names_find(const names *nm, const char *name, size_t len)
{
    for (int i = 0; i < nm->n; i++)
        if (strlen(nm->v[i]) == len && memcmp(nm->v[i], name, len) == 0)
            return i;
    return -1;
}

void names_free(names *nm)
{
    for (int i = 0; i < nm->n; i++)
        free(nm->v[i]);
    free(nm->v);
    memset(nm, 0, sizeof *nm);
}

/* Checks and adds one line (already trimmed). */
static int add_line(names *nm, const char *path, long line, const char *s, size_t len,
                    yerr *err)
{
    if (len > NAMES_MAX_LEN)
        return yerr_set(err, YOLO_EINPUT, "%s:%ld: class name longer than %d bytes", path, line,
                        NAMES_MAX_LEN);
    if (names_find(nm, s, len) >= 0)
        return yerr_set(err, YOLO_EINPUT, "%s:%ld: class name '%.*s' appears twice", path, line,
                        (int)len, s);
    if (nm->n == NAMES_MAX)
        return yerr_set(err, YOLO_EINPUT, "%s:%ld: more than %d class names", path, line,
                        NAMES_MAX);
    if (add(nm, s, len) < 0)
        return yerr_set(err, YOLO_EIO, "out of memory");
    return 0;
}

/* yfile_lines' callback: one class name. */
typedef struct names_file {
    names *nm;
    const char *path;
} names_file;

static int on_name_line(void *ctx, long line, char *text, size_t len, yerr *err)
{
    names_file *nf = ctx;
    return add_line(nf->nm, nf->path, line, text, len, err);
}

int names_load(names *nm, const char *path, yerr *err)
{
    memset(nm, 0, sizeof *nm);
    names_file nf = {nm, path};
    int rc = yfile_lines(path, NAMES_MAX_LEN + 63, "a class name", on_name_line, &nf, err);
    if (rc == 0 && nm->n == 0)
        rc = yerr_set(err, YOLO_EINPUT, "%s: no class names in it", path);
    if (rc < 0)
        names_free(nm);
    return rc;
}
