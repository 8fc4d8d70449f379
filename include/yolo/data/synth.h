/* Synthetic detection scenes: filled shapes of a few classes (told apart by
 * shape, never by colour) on gradient, textured and noisy backgrounds with
 * clutter that belongs to no class, and the tight box of every shape. All
 * randomness comes from the caller's yrng, so a seed gives the same scene.
 * synth-voc writes the scenes as a VOC dataset. */
#ifndef YOLO_SYNTH_H
#define YOLO_SYNTH_H

#include <stddef.h>

#include "yolo/data/box.h"
#include "yolo/base/err.h"
#include "yolo/base/rng.h"

/* The shapes, which are also the classes one can ask for. */
enum {
    SYNTH_CIRCLE,   /* filled ellipse */
    SYNTH_SQUARE,   /* filled rectangle */
    SYNTH_TRIANGLE, /* isosceles, apex up before rotation */
    SYNTH_CROSS,    /* plus sign */
    SYNTH_STAR,     /* five points */
    SYNTH_RING,     /* elliptic annulus; not in the default list */
    SYNTH_NSHAPES
};

#define SYNTH_MAX_OBJECTS 50   /* objects in one scene */
#define SYNTH_MIN_SIDE 32      /* image width and height, pixels */
#define SYNTH_MAX_SIDE 4096
#define SYNTH_MIN_OBJECT_PX 6  /* smallest object side the size options may ask for */

const char *synth_shape_name(int shape);
int synth_shape_find(const char *name, size_t len); /* -1 if unknown */

typedef struct synth_cfg {
    int w, h;                     /* image size, pixels */
    int shapes[SYNTH_NSHAPES];    /* class index -> shape */
    int nclasses;
    int min_objects, max_objects; /* objects per image, drawn uniformly */
    double min_size, max_size;    /* longer side of an object, fraction of the shorter image side */
    double max_aspect;            /* longer / shorter side of an object before rotation */
    double max_rotation;          /* degrees either way */
    double max_iou;               /* between the boxes of any two objects */
    double p_truncated;           /* chance that an object may be cut by the image edge */
    int clutter;                  /* distractors per image, at most */
    double noise;                 /* pixel noise standard deviation, at most (0..255 scale) */
} synth_cfg;

/* 256x256, circle square triangle cross star, 1-6 objects of 8%-45%,
 * aspect up to 1.5, rotation up to 30 degrees, IoU <= 0.3, 10% may be cut,
 * up to 8 distractors, noise up to 10. */
void synth_cfg_default(synth_cfg *g);
/* The checks the options cannot make one by one (min <= max, sizes in
 * pixels); YOLO_EUSAGE with a message naming synth-voc's options. */
int synth_cfg_check(const synth_cfg *g, yerr *err);

/* Option values: "WxH"; a comma-separated list of shape names (no
 * duplicates); three comma-separated non-negative ratios with a positive
 * sum. YOLO_EUSAGE saying what is wrong. */
int synth_parse_size(const char *s, int *w, int *h, yerr *err);
int synth_parse_classes(synth_cfg *g, const char *list, yerr *err);
int synth_parse_ratios(const char *s, double ratio[3], yerr *err);

/* One shape placed in an image: it fills [-w/2, w/2] x [-h/2, h/2] around
 * its centre, then turns by angle (radians, clockwise on screen). */
typedef struct synth_geom {
    int shape;
    double cx, cy, w, h, angle;
} synth_geom;

/* The shape's exact extent (not clipped to the image). */
box synth_extent(const synth_geom *s);

/* An RGB image of floats in 0..255, [h][w][3]. */
typedef struct synth_canvas {
    int w, h;
    float *px;
} synth_canvas;

/* Paints s in colour rgb, anti-aliased (16 samples a pixel, blended by the
 * fraction covered). */
void synth_draw(synth_canvas *cv, const synth_geom *s, const float rgb[3]);
/* s's box in a w x h image: its extent rounded to whole pixels (each side
 * within half a pixel of the outline), clipped to the image. */
box synth_box(const synth_geom *s, int w, int h);

typedef struct synth_obj {
    int cls;        /* index into synth_cfg.shapes */
    synth_geom geom;
    box bbox;       /* synth_box: whole pixels */
    int truncated;  /* the shape runs past the image edge */
    float rgb[3];   /* fill colour (before shading), drawn whatever the class */
} synth_obj;

typedef struct synth_scene {
    synth_canvas cv;
    unsigned char *rgb;  /* [h][w][3], the canvas rounded */
    synth_obj obj[SYNTH_MAX_OBJECTS]; /* in drawing order: larger first */
    int n;
} synth_scene;

int synth_scene_init(synth_scene *sc, int w, int h, yerr *err); /* YOLO_EIO out of memory */
void synth_scene_free(synth_scene *sc);

/* Draws one scene of g->w x g->h (the scene's size) from r. The boxes of any
 * two objects have IoU <= g->max_iou, and neither box has more than half its
 * area under the other, so every object stays recognisable. Fails
 * (YOLO_EUSAGE) only when g->min_objects objects cannot be placed. */
int synth_render(synth_scene *sc, const synth_cfg *g, yrng *r, yerr *err);

/* Puts each of n images in a split, which[i] = 0 train, 1 val, 2 test, in
 * proportion to ratio[] (rounded; a random choice of images). */
int synth_split(unsigned char *which, long n, const double ratio[3], yrng *r, yerr *err);

#endif
