/* synth-voc: writes a synthetic detection dataset in Pascal VOC layout:
 * shapes told apart by shape (not colour) on textured, noisy backgrounds
 * with clutter. The project's built-in data, for the demo and the tests. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "yolo/cli/cli.h"
#include "yolo/image/jpeg_write.h"
#include "yolo/data/synth.h"
#include "yolo/data/voc_write.h"

enum {
    OPT_OUT = 1, OPT_COUNT, OPT_SIZE, OPT_SEED, OPT_CLASSES, OPT_MIN_OBJ, OPT_MAX_OBJ,
    OPT_MIN_SIZE, OPT_MAX_SIZE, OPT_ASPECT, OPT_ROTATION, OPT_IOU, OPT_TRUNC, OPT_CLUTTER,
    OPT_NOISE, OPT_QUALITY, OPT_SPLIT, OPT_FORCE
};

#define MAX_COUNT 999999 /* ids stay six digits */

typedef struct sv_cfg {
    const char *out;
    long count, seed, quality;
    double split[3];
    int force;
    synth_cfg g;
} sv_cfg;

static const cli_opt opts[] = {
    {OPT_OUT, "out", 0, "DIR", "write the dataset into DIR (required; made if missing)"},
    {OPT_COUNT, "count", 'n', "N", "number of images (default 500)"},
    {OPT_SIZE, "size", 0, "WxH", "image size (default 256x256)"},
    {OPT_SEED, "seed", 0, "S", "random seed: the same seed writes the same bytes (default 1)"},
    {OPT_CLASSES, "classes", 0, "LIST",
     "shapes, comma-separated (default circle,square,triangle,cross,star; also ring)"},
    {OPT_MIN_OBJ, "min-objects", 0, "A", "objects per image, at least (default 1)"},
    {OPT_MAX_OBJ, "max-objects", 0, "B", "objects per image, at most (default 6, up to 50)"},
    {OPT_MIN_SIZE, "min-size", 0, "F", "object size, fraction of the shorter side (default 0.08)"},
    {OPT_MAX_SIZE, "max-size", 0, "F", "largest object size, likewise (default 0.45)"},
    {OPT_ASPECT, "max-aspect", 0, "R", "object aspect ratio, up to R:1 (default 1.5)"},
    {OPT_ROTATION, "max-rotation", 0, "DEG", "objects turned by up to DEG either way (default 30)"},
    {OPT_IOU, "max-iou", 0, "F", "largest IoU between two objects' boxes (default 0.3)"},
    {OPT_TRUNC, "truncated", 0, "P", "chance an object may run off the edge (default 0.1)"},
    {OPT_CLUTTER, "clutter", 0, "N", "distractors (lines, scribbles, specks) per image, at most "
                                     "(default 8)"},
    {OPT_NOISE, "noise", 0, "SIGMA", "pixel noise, standard deviation at most (default 10)"},
    {OPT_QUALITY, "quality", 0, "Q", "JPEG quality, 1 to 100 (default 90)"},
    {OPT_SPLIT, "split-ratios", 0, "T,V,E", "train,val,test proportions (default 0.7,0.1,0.2)"},
    {OPT_FORCE, "force", 'f', NULL, "write into DIR even if it is not empty"},
    {0, NULL, 0, NULL, NULL},
};

static const cli_desc desc = {
    .name = "synth-voc",
    .summary = "Write a synthetic object-detection dataset in Pascal VOC layout.",
    .details = "Writes DIR/JPEGImages/ID.jpg, DIR/Annotations/ID.xml (ids 000001, ...),\n"
               "DIR/ImageSets/Main/{train,val,trainval,test}.txt and DIR/classes.names.\n"
               "Objects are filled shapes in random colours (colour says nothing of the\n"
               "class) on gradient, textured, noisy backgrounds with clutter; boxes are\n"
               "tight, objects cut by the edge are marked truncated. Image i depends only\n"
               "on the seed, i and the shape options. Nothing is written on standard\n"
               "output; a summary goes to standard error unless --quiet.",
    .opts = opts,
    .no_stdout = 1,
};

static int on_shape_option(cli *c, synth_cfg *g, int id, const char *arg)
{
    long v;
    yerr e;
    switch (id) {
    case OPT_SIZE:
        return synth_parse_size(arg, &g->w, &g->h, &e) < 0
                   ? cli_usage_error(c, "option --size: %s", e.msg) : 0;
    case OPT_CLASSES:
        return synth_parse_classes(g, arg, &e) < 0
                   ? cli_usage_error(c, "option --classes: %s", e.msg) : 0;
    case OPT_MIN_OBJ:
    case OPT_MAX_OBJ:
        if (cli_long(c, id == OPT_MIN_OBJ ? "min-objects" : "max-objects", arg, 0,
                     SYNTH_MAX_OBJECTS, &v) < 0)
            return -1;
        *(id == OPT_MIN_OBJ ? &g->min_objects : &g->max_objects) = (int)v;
        return 0;
    case OPT_CLUTTER:
        if (cli_long(c, "clutter", arg, 0, 100, &v) < 0)
            return -1;
        g->clutter = (int)v;
        return 0;
    case OPT_MIN_SIZE: return cli_double(c, "min-size", arg, 0.001, 1, &g->min_size);
    case OPT_MAX_SIZE: return cli_double(c, "max-size", arg, 0.001, 1, &g->max_size);
    case OPT_ASPECT: return cli_double(c, "max-aspect", arg, 1, 4, &g->max_aspect);
    case OPT_ROTATION: return cli_double(c, "max-rotation", arg, 0, 180, &g->max_rotation);
    case OPT_IOU: return cli_double(c, "max-iou", arg, 0, 1, &g->max_iou);
    case OPT_TRUNC: return cli_double(c, "truncated", arg, 0, 1, &g->p_truncated);
    case OPT_NOISE: return cli_double(c, "noise", arg, 0, 100, &g->noise);
    }
    return cli_usage_error(c, "internal: option %d", id);
}

static int on_option(cli *c, void *ctx, int id, const char *arg)
{
    sv_cfg *s = ctx;
    yerr e;
    switch (id) {
    case OPT_OUT: s->out = arg; return 0;
    case OPT_COUNT: return cli_long(c, "count", arg, 1, MAX_COUNT, &s->count);
    case OPT_SEED: return cli_long(c, "seed", arg, 0, LONG_MAX, &s->seed);
    case OPT_QUALITY: return cli_long(c, "quality", arg, 1, 100, &s->quality);
    case OPT_FORCE: s->force = 1; return 0;
    case OPT_SPLIT:
        return synth_parse_ratios(arg, s->split, &e) < 0
                   ? cli_usage_error(c, "option --split-ratios: %s", e.msg) : 0;
    }
    return on_shape_option(c, &s->g, id, arg);
}

typedef struct tally {
    long boxes[SYNTH_NSHAPES], truncated, split[3];
} tally;

/* Image i (from 1): pixels, JPEG, annotation. */
static int write_image(const sv_cfg *s, synth_scene *sc, jpegw *jw, yrng *r, long i, tally *t,
                       yerr *err)
{
    char id[VOCW_ID_LEN], path[4096];
    yobj v[SYNTH_MAX_OBJECTS];
    vocw_id(i, id);
    if (synth_render(sc, &s->g, r, err) < 0 ||
        vocw_path(path, sizeof path, s->out, "JPEGImages", id, ".jpg", err) < 0 ||
        jpegw_save(jw, path, sc->rgb, s->g.w, s->g.h, (int)s->quality, err) < 0)
        return -1;
    for (int k = 0; k < sc->n; k++) {
        const synth_obj *o = &sc->obj[k];
        const char *name = synth_shape_name(s->g.shapes[o->cls]);
        v[k] = (yobj){.cls = o->cls, .name = name, .name_len = strlen(name), .bbox = o->bbox,
                      .truncated = o->truncated};
        t->boxes[o->cls]++;
        t->truncated += o->truncated;
    }
    return vocw_annotation(s->out, "synth", id, s->g.w, s->g.h, v, (size_t)sc->n, err);
}

/* One line: images per split, boxes per class. */
static void summary(cli *c, const sv_cfg *s, const tally *t)
{
    char line[512];
    long all = 0;
    int n = 0;
    for (int k = 0; k < s->g.nclasses; k++) {
        all += t->boxes[k];
        n += snprintf(line + n, sizeof line - (size_t)n, "%s%s %ld", k ? ", " : "",
                      synth_shape_name(s->g.shapes[k]), t->boxes[k]);
    }
    cli_note(c, "%ld images in %s (train %ld, val %ld, test %ld); %ld boxes (%s), %ld truncated",
             s->count, s->out, t->split[0], t->split[1], t->split[2], all, line, t->truncated);
}

/* Images 1..count and their splits. The split lists take the seed's first
 * draw and each image one more, so image i is the same whatever --count
 * and --split-ratios are. */
static int write_images(cli *c, const sv_cfg *s, unsigned char *which, tally *t, yerr *err)
{
    synth_scene sc;
    jpegw jw;
    yrng seeds, r;
    if (synth_scene_init(&sc, s->g.w, s->g.h, err) < 0)
        return -1;
    if (jpegw_init(&jw, err) < 0) {
        synth_scene_free(&sc);
        return -1;
    }
    rng_seed(&seeds, (uint64_t)s->seed);
    rng_seed(&r, rng_u64(&seeds));
    int rc = synth_split(which, s->count, s->split, &r, err);
    c->total = s->count;
    for (long i = 1; i <= s->count && rc == 0; i++, cli_tick(c)) {
        rng_seed(&r, rng_u64(&seeds));
        rc = write_image(s, &sc, &jw, &r, i, t, err);
        t->split[which[i - 1]]++;
    }
    jpegw_free(&jw);
    synth_scene_free(&sc);
    return rc;
}

/* The lists go last: a dataset with its lists is complete. */
static int run(cli *c, const sv_cfg *s, yerr *err)
{
    tally t = {0};
    const char *names[SYNTH_NSHAPES];
    for (int k = 0; k < s->g.nclasses; k++)
        names[k] = synth_shape_name(s->g.shapes[k]);
    unsigned char *which = malloc((size_t)s->count);
    if (!which)
        return yerr_set(err, YOLO_EIO, "out of memory");
    int bad = vocw_prepare(s->out, s->force, err) < 0 || write_images(c, s, which, &t, err) < 0 ||
              vocw_imagesets(s->out, which, s->count, err) < 0 ||
              vocw_classes(s->out, names, s->g.nclasses, err) < 0;
    free(which);
    if (!bad && !c->quiet)
        summary(c, s, &t);
    return bad ? -1 : 0;
}

int main(int argc, char **argv)
{
    cli c;
    sv_cfg s = {.count = 500, .seed = 1, .quality = 90, .split = {0.7, 0.1, 0.2}};
    synth_cfg_default(&s.g);
    cli_init(&c, &desc);
    if (cli_parse(&c, argc, argv, on_option, &s) < 0)
        return c.status;
    yerr err;
    if (!s.out)
        cli_usage_error(&c, "--out DIR is required");
    else if (synth_cfg_check(&s.g, &err) < 0)
        cli_usage_error(&c, "%s", err.msg);
    else if (run(&c, &s, &err) < 0)
        cli_fail(&c, &err);
    return cli_finish(&c);
}
