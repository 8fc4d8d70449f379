/* fit-check W H FILE...: for each FILE, the network input img_load_fit
 * makes (letterboxed and stretched to W x H) against img_load followed by
 * img_letterbox / img_resize, bit for bit, with the same transform and the
 * same damage warning. One line per file and way: "ok FILE letterbox" or
 * "differs FILE resize: ..."; exit 1 if any differs, 2 on a usage or load
 * error. Damaged files are decoded with warnings (both ways). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yolo/image/image.h"

/* The input the old way: the whole image, then the resize. */
static int whole_way(const char *path, int w, int h, int letterbox, img *dst, img_transform *t,
                     yerr *warn, yerr *err)
{
    img src;
    if (img_load(path, &src, warn, err) < 0)
        return -1;
    int rc;
    if (letterbox) {
        rc = img_letterbox(&src, w, h, dst, t, err);
    } else {
        rc = img_resize(&src, w, h, dst, err);
        *t = img_resize_transform(src.w, src.h, w, h);
    }
    img_free(&src);
    return rc;
}

static int same_transform(const img_transform *a, const img_transform *b)
{
    return a->net_w == b->net_w && a->net_h == b->net_h && a->sx == b->sx && a->sy == b->sy &&
           a->dx == b->dx && a->dy == b->dy;
}

/* 0 the same, 1 different (said), 2 a load failed. */
static int check_one(const char *path, int w, int h, int letterbox)
{
    const char *way = letterbox ? "letterbox" : "resize";
    img a, b;
    img_transform ta, tb;
    yerr wa = {0}, wb = {0}, err;
    int sw, sh;
    if (whole_way(path, w, h, letterbox, &a, &ta, &wa, &err) < 0) {
        fprintf(stderr, "fit-check: %s: %s\n", path, err.msg);
        return 2;
    }
    if (img_load_fit(path, w, h, letterbox, &b, &tb, &sw, &sh, &wb, &err) < 0) {
        fprintf(stderr, "fit-check: %s (fitted): %s\n", path, err.msg);
        img_free(&a);
        return 2;
    }
    const char *why = NULL;
    if (a.w != b.w || a.h != b.h || a.c != b.c)
        why = "the sizes differ";
    else if (memcmp(a.data, b.data, (size_t)a.w * a.h * a.c * sizeof *a.data) != 0)
        why = "the pixels differ";
    else if (!same_transform(&ta, &tb))
        why = "the transforms differ";
    else if (wa.code != wb.code || strcmp(wa.code ? wa.msg : "", wb.code ? wb.msg : "") != 0)
        why = "the warnings differ";
    printf("%s %s %s%s%s\n", why ? "differs" : "ok", path, way, why ? ": " : "", why ? why : "");
    img_free(&a);
    img_free(&b);
    return why != NULL;
}

int main(int argc, char **argv)
{
    int w = argc > 2 ? atoi(argv[1]) : 0, h = argc > 2 ? atoi(argv[2]) : 0;
    if (argc < 4 || w < 1 || h < 1) {
        fprintf(stderr, "usage: fit-check W H FILE...\n");
        return 2;
    }
    int worst = 0;
    for (int i = 3; i < argc; i++)
        for (int letterbox = 1; letterbox >= 0; letterbox--) {
            int rc = check_one(argv[i], w, h, letterbox);
            worst = rc > worst ? rc : worst;
        }
    return worst;
}
