#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "yolo/base/parse.h"
#include "yolo/data/synth.h"

#define PI 3.14159265358979323846
#define SS 4                   /* samples per pixel side: 16 a pixel */
#define HALF_DIAG 0.7072       /* every sample is this close to its pixel's centre */
#define MAX_COVER 0.5          /* of a box's area that may lie under another box */
#define MIN_VISIBLE 0.5        /* of a cut shape's extent that must stay in the image */
#define TRIES 120              /* placements tried for one object */
#define SHRINK_EVERY 30        /* failed tries before the largest size shrinks */
#define MIN_CONTRAST 100.0     /* RGB distance of an object from the background under it */
#define COLOUR_TRIES 32
#define RING_INNER 0.55        /* inner radius of a ring, of the outer */
#define STAR_INNER 0.45        /* inner radius of a star: chunky points stay visible when small */
#define CROSS_ARM 0.34         /* half width of a cross's arm, of the half size */
#define MAX_VERTS 12

static const char *const shape_names[SYNTH_NSHAPES] = {
    "circle", "square", "triangle", "cross", "star", "ring",
};

const char *synth_shape_name(int shape)
{
    return shape >= 0 && shape < SYNTH_NSHAPES ? shape_names[shape] : "?";
}

int synth_shape_find(const char *name, size_t len)
{
    for (int i = 0; i < SYNTH_NSHAPES; i++)
        if (strlen(shape_names[i]) == len && memcmp(shape_names[i], name, len) == 0)
            return i;
    return -1;
}

void synth_cfg_default(synth_cfg *g)
{
    *g = (synth_cfg){
        .w = 256, .h = 256,
        .shapes = {SYNTH_CIRCLE, SYNTH_SQUARE, SYNTH_TRIANGLE, SYNTH_CROSS, SYNTH_STAR},
        .nclasses = 5,
        .min_objects = 1, .max_objects = 6,
        .min_size = 0.08, .max_size = 0.45,
        .max_aspect = 1.5, .max_rotation = 30,
        .max_iou = 0.3, .p_truncated = 0.1,
        .clutter = 8, .noise = 10,
    };
}

int synth_cfg_check(const synth_cfg *g, yerr *err)
{
    int side = g->w < g->h ? g->w : g->h;
    if (g->w < SYNTH_MIN_SIDE || g->h < SYNTH_MIN_SIDE || g->w > SYNTH_MAX_SIDE ||
        g->h > SYNTH_MAX_SIDE)
        return yerr_set(err, YOLO_EUSAGE, "--size %dx%d: each side must be in [%d, %d]", g->w,
                        g->h, SYNTH_MIN_SIDE, SYNTH_MAX_SIDE);
    if (g->nclasses < 1 || g->nclasses > SYNTH_NSHAPES)
        return yerr_set(err, YOLO_EUSAGE, "--classes: give 1 to %d shapes", SYNTH_NSHAPES);
    if (g->min_objects < 0 || g->max_objects > SYNTH_MAX_OBJECTS)
        return yerr_set(err, YOLO_EUSAGE, "objects per image must be in [0, %d]",
                        SYNTH_MAX_OBJECTS);
    if (g->max_objects < g->min_objects)
        return yerr_set(err, YOLO_EUSAGE, "--max-objects %d is less than --min-objects %d",
                        g->max_objects, g->min_objects);
    if (!(g->min_size > 0 && g->min_size <= g->max_size && g->max_size <= 1))
        return yerr_set(err, YOLO_EUSAGE, "--max-size %g is less than --min-size %g",
                        g->max_size, g->min_size);
    if (g->min_size * side < SYNTH_MIN_OBJECT_PX)
        return yerr_set(err, YOLO_EUSAGE,
                        "--min-size %g of %d pixels is below %d pixels: objects too small to tell "
                        "apart", g->min_size, side, SYNTH_MIN_OBJECT_PX);
    if (!(g->max_aspect >= 1) || !(g->max_iou >= 0) || !(g->p_truncated >= 0) ||
        g->clutter < 0 || !(g->noise >= 0) || !(g->max_rotation >= 0))
        return yerr_set(err, YOLO_EUSAGE, "a shape option is out of range");
    return 0;
}

/* ---- option values ------------------------------------------------------------ */

int synth_parse_size(const char *s, int *w, int *h, yerr *err)
{
    static const parse_pair_spec size = {.form = "WIDTHxHEIGHT", .what = "sides", .sep = 'x',
                                         .whole = 1, .lo = SYNTH_MIN_SIDE,
                                         .hi = SYNTH_MAX_SIDE};
    double v[2];
    if (parse_pair(s, &size, v, err) < 0)
        return -1;
    *w = (int)v[0];
    *h = (int)v[1];
    return 0;
}

int synth_parse_classes(synth_cfg *g, const char *list, yerr *err)
{
    int n = 0;
    for (const char *p = list;; p++) {
        size_t len = strcspn(p, ",");
        int k = synth_shape_find(p, len);
        if (k < 0)
            return yerr_set(err, YOLO_EUSAGE,
                            "unknown shape '%.*s' (known: circle, square, triangle, cross, star, "
                            "ring)", (int)len, p);
        for (int i = 0; i < n; i++)
            if (g->shapes[i] == k)
                return yerr_set(err, YOLO_EUSAGE, "shape '%s' is listed twice", shape_names[k]);
        g->shapes[n++] = k; /* a shape appears once, so n stays within SYNTH_NSHAPES */
        p += len;
        if (!*p)
            break;
    }
    g->nclasses = n;
    return 0;
}

int synth_parse_ratios(const char *s, double ratio[3], yerr *err)
{
    const char *p = s;
    double sum = 0;
    for (int i = 0; i < 3; i++) {
        char *end;
        errno = 0;
        ratio[i] = strtod(p, &end);
        if (end == p || errno || !isfinite(ratio[i]) || ratio[i] < 0 ||
            *end != (i < 2 ? ',' : '\0'))
            return yerr_set(err, YOLO_EUSAGE,
                            "'%s' is not three non-negative numbers TRAIN,VAL,TEST", s);
        sum += ratio[i];
        p = end + 1;
    }
    if (!(sum > 0))
        return yerr_set(err, YOLO_EUSAGE, "'%s': the ratios add up to 0", s);
    return 0;
}

/* ---- shapes ------------------------------------------------------------------- */

/* A shape ready for inside tests: image point -> local unit square. */
typedef struct shape_ctx {
    int shape;
    double cx, cy, c, s, rx, ry;    /* centre, cos and sin of the angle, half sizes */
    int n;                          /* polygon vertices, 0 for the round shapes */
    double vx[MAX_VERTS], vy[MAX_VERTS]; /* spanning exactly [-1, 1] in each axis */
    double ix[MAX_VERTS], iy[MAX_VERTS]; /* the same in image pixels */
} shape_ctx;

/* Stretches a polygon to span [-1, 1] both ways, so that w and h are the
 * unrotated shape's exact size. */
static void normalise(double *vx, double *vy, int n)
{
    double x0 = vx[0], x1 = vx[0], y0 = vy[0], y1 = vy[0];
    for (int i = 1; i < n; i++) {
        x0 = fmin(x0, vx[i]), x1 = fmax(x1, vx[i]);
        y0 = fmin(y0, vy[i]), y1 = fmax(y1, vy[i]);
    }
    for (int i = 0; i < n; i++) {
        vx[i] = 2 * (vx[i] - x0) / (x1 - x0) - 1;
        vy[i] = 2 * (vy[i] - y0) / (y1 - y0) - 1;
    }
}

static int star(double *vx, double *vy)
{
    for (int i = 0; i < 10; i++) {
        double a = -PI / 2 + i * PI / 5, r = i % 2 ? STAR_INNER : 1;
        vx[i] = r * cos(a);
        vy[i] = r * sin(a);
    }
    normalise(vx, vy, 10);
    return 10;
}

static int cross(double *vx, double *vy)
{
    const double t = CROSS_ARM;
    const double x[12] = {-t, t, t, 1, 1, t, t, -t, -t, -1, -1, -t};
    const double y[12] = {-1, -1, -t, -t, t, t, 1, 1, t, t, -t, -t};
    memcpy(vx, x, sizeof x);
    memcpy(vy, y, sizeof y);
    return 12;
}

/* The polygon of a shape in unit coordinates (y down); 0 for round shapes. */
static int polygon(int shape, double *vx, double *vy)
{
    static const double sqx[4] = {-1, 1, 1, -1}, sqy[4] = {-1, -1, 1, 1};
    static const double trx[3] = {0, 1, -1}, tr_y[3] = {-1, 1, 1};
    switch (shape) {
    case SYNTH_SQUARE: memcpy(vx, sqx, sizeof sqx); memcpy(vy, sqy, sizeof sqy); return 4;
    case SYNTH_TRIANGLE: memcpy(vx, trx, sizeof trx); memcpy(vy, tr_y, sizeof tr_y); return 3;
    case SYNTH_CROSS: return cross(vx, vy);
    case SYNTH_STAR: return star(vx, vy);
    default: return 0;
    }
}

static void ctx_init(shape_ctx *k, const synth_geom *g)
{
    k->shape = g->shape;
    k->cx = g->cx, k->cy = g->cy;
    k->c = cos(g->angle), k->s = sin(g->angle);
    k->rx = g->w / 2, k->ry = g->h / 2;
    k->n = polygon(g->shape, k->vx, k->vy);
    for (int i = 0; i < k->n; i++) {
        double lx = k->vx[i] * k->rx, ly = k->vy[i] * k->ry;
        k->ix[i] = k->cx + lx * k->c - ly * k->s;
        k->iy[i] = k->cy + lx * k->s + ly * k->c;
    }
}

/* Even-odd rule: a horizontal ray from (u, v) crosses the edges an odd
 * number of times when the point is inside. */
static int poly_inside(const double *vx, const double *vy, int n, double u, double v)
{
    int in = 0;
    for (int i = 0, j = n - 1; i < n; j = i++)
        if ((vy[i] > v) != (vy[j] > v) &&
            u < (vx[j] - vx[i]) * (v - vy[i]) / (vy[j] - vy[i]) + vx[i])
            in = !in;
    return in;
}

/* (x, y) in the shape's unit coordinates. */
static void to_local(const shape_ctx *k, double x, double y, double *u, double *v)
{
    double dx = x - k->cx, dy = y - k->cy;
    *u = (dx * k->c + dy * k->s) / k->rx;
    *v = (-dx * k->s + dy * k->c) / k->ry;
}

static int shape_inside(const void *p, double x, double y)
{
    const shape_ctx *k = p;
    double u, v;
    to_local(k, x, y, &u, &v);
    double r2 = u * u + v * v;
    if (k->shape == SYNTH_CIRCLE)
        return r2 <= 1;
    if (k->shape == SYNTH_RING)
        return r2 <= 1 && r2 >= RING_INNER * RING_INNER;
    if (fabs(u) > 1 || fabs(v) > 1)
        return 0;
    return poly_inside(k->vx, k->vy, k->n, u, v);
}

/* Distance from (x, y) to the segment (ax, ay)-(bx, by). */
static double seg_dist(double x, double y, double ax, double ay, double bx, double by)
{
    double dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
    double t = l2 > 0 ? ((x - ax) * dx + (y - ay) * dy) / l2 : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    return hypot(x - ax - t * dx, y - ay - t * dy);
}

/* A lower bound on the distance, in pixels, from (x, y) to the shape's
 * outline. Round shapes: the map from unit coordinates to the image shrinks
 * no distance by more than min(rx, ry), so the distance in unit coordinates
 * to the unit circle, times min(rx, ry), bounds it from below. */
static double shape_edge(const void *p, double x, double y)
{
    const shape_ctx *k = p;
    double d = INFINITY;
    if (k->n == 0) {
        double u, v;
        to_local(k, x, y, &u, &v);
        double rho = hypot(u, v);
        d = fabs(rho - 1);
        if (k->shape == SYNTH_RING)
            d = fmin(d, fabs(rho - RING_INNER));
        return d * fmin(k->rx, k->ry);
    }
    for (int i = 0, j = k->n - 1; i < k->n; j = i++)
        d = fmin(d, seg_dist(x, y, k->ix[j], k->iy[j], k->ix[i], k->iy[i]));
    return d;
}

box synth_extent(const synth_geom *g)
{
    shape_ctx k;
    ctx_init(&k, g);
    if (k.n == 0) { /* an ellipse's extent along each axis */
        double ex = hypot(k.rx * k.c, k.ry * k.s), ey = hypot(k.rx * k.s, k.ry * k.c);
        return (box){k.cx - ex, k.cy - ey, k.cx + ex, k.cy + ey};
    }
    box b = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    for (int i = 0; i < k.n; i++) {
        b.x1 = fmin(b.x1, k.ix[i]), b.x2 = fmax(b.x2, k.ix[i]);
        b.y1 = fmin(b.y1, k.iy[i]), b.y2 = fmax(b.y2, k.iy[i]);
    }
    return b;
}

/* ---- rasteriser --------------------------------------------------------------- */

/* What the rasteriser asks of a shape: is a point inside, and how far at
 * least is a point from the outline (0 when unknown). */
typedef struct outline {
    int (*inside)(const void *ctx, double x, double y);
    double (*edge)(const void *ctx, double x, double y);
    const void *ctx;
} outline;

/* Paint colour at (x, y): rgb + the shading gradient (gx, gy) from (ox, oy). */
typedef struct ink {
    float rgb[3];
    double ox, oy, gx, gy;
} ink;

static int clampi(double v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : (int)v; }

static void blend(float *p, const ink *k, double x, double y, float a)
{
    float d = (float)(k->gx * (x - k->ox) + k->gy * (y - k->oy));
    for (int c = 0; c < 3; c++)
        p[c] += a * (k->rgb[c] + d - p[c]);
}

/* Samples of pixel (x, y) inside the shape, of SS x SS. A pixel whose
 * centre is farther than half a diagonal from the outline lies wholly on
 * one side: its centre decides, exactly as its samples would. */
static int coverage(const outline *o, int x, int y)
{
    if (o->edge(o->ctx, x + 0.5, y + 0.5) > HALF_DIAG)
        return o->inside(o->ctx, x + 0.5, y + 0.5) ? SS * SS : 0;
    int n = 0;
    for (int j = 0; j < SS; j++)
        for (int i = 0; i < SS; i++)
            n += o->inside(o->ctx, x + (i + 0.5) / SS, y + (j + 0.5) / SS);
    return n;
}

/* Paints the pixels of region, each by the fraction of it covered. */
static void raster(synth_canvas *cv, box region, const outline *o, const ink *k)
{
    int x0 = clampi(floor(region.x1), 0, cv->w), x1 = clampi(ceil(region.x2), 0, cv->w);
    int y0 = clampi(floor(region.y1), 0, cv->h), y1 = clampi(ceil(region.y2), 0, cv->h);
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            int n = coverage(o, x, y);
            if (n)
                blend(cv->px + 3 * ((size_t)y * cv->w + x), k, x + 0.5, y + 0.5,
                      (float)n / (SS * SS));
        }
}

static void draw_ink(synth_canvas *cv, const synth_geom *s, const ink *k)
{
    shape_ctx c;
    ctx_init(&c, s);
    outline o = {shape_inside, shape_edge, &c};
    raster(cv, synth_extent(s), &o, k);
}

void synth_draw(synth_canvas *cv, const synth_geom *s, const float rgb[3])
{
    ink k = {{rgb[0], rgb[1], rgb[2]}, 0, 0, 0, 0};
    draw_ink(cv, s, &k);
}

/* Rounding the exact extent keeps every side within half a pixel of the
 * outline, sharp tips included (a box of the pixels the rasteriser half
 * covers would lose up to 2 pixels at a star's points). */
box synth_box(const synth_geom *s, int w, int h)
{
    box e = synth_extent(s);
    box b = {floor(e.x1 + 0.5), floor(e.y1 + 0.5), floor(e.x2 + 0.5), floor(e.y2 + 0.5)};
    return box_clip(b, w, h);
}

/* A thick line segment with round ends (a dot when a == b): clutter. */
typedef struct capsule {
    double ax, ay, bx, by, r;
} capsule;

static int capsule_inside(const void *p, double x, double y)
{
    const capsule *k = p;
    return seg_dist(x, y, k->ax, k->ay, k->bx, k->by) <= k->r;
}

static double capsule_edge(const void *p, double x, double y)
{
    const capsule *k = p;
    return fabs(seg_dist(x, y, k->ax, k->ay, k->bx, k->by) - k->r);
}

static void draw_capsule(synth_canvas *cv, const capsule *k, const float rgb[3])
{
    box region = {fmin(k->ax, k->bx) - k->r, fmin(k->ay, k->by) - k->r,
                  fmax(k->ax, k->bx) + k->r, fmax(k->ay, k->by) + k->r};
    ink c = {{rgb[0], rgb[1], rgb[2]}, 0, 0, 0, 0};
    outline o = {capsule_inside, capsule_edge, k};
    raster(cv, region, &o, &c);
}

/* ---- backgrounds and clutter -------------------------------------------------- */

static void random_colour(yrng *r, float rgb[3])
{
    for (int c = 0; c < 3; c++)
        rgb[c] = (float)rng_range(r, 0, 256);
}

/* A linear gradient between two colours, often similar ones, in a random
 * direction. */
static void gradient(synth_canvas *cv, yrng *r)
{
    float a[3], b[3];
    random_colour(r, a);
    random_colour(r, b);
    double mix = rng_uniform(r) < 0.5 ? 1 : rng_range(r, 0.1, 0.5);
    double th = rng_range(r, 0, 2 * PI), c = cos(th), s = sin(th);
    double len = fabs(c) * cv->w + fabs(s) * cv->h;
    for (int y = 0; y < cv->h; y++)
        for (int x = 0; x < cv->w; x++) {
            double t = mix * (((x - cv->w / 2.0) * c + (y - cv->h / 2.0) * s) / len + 0.5);
            float *p = cv->px + 3 * ((size_t)y * cv->w + x);
            for (int k = 0; k < 3; k++)
                p[k] = (float)(a[k] + t * (b[k] - a[k]));
        }
}

/* Texture: two sine waves of random direction, wavelength and tint. */
static void waves(synth_canvas *cv, yrng *r)
{
    double side = cv->w < cv->h ? cv->w : cv->h;
    for (int i = 0; i < 2; i++) {
        double th = rng_range(r, 0, PI), f = 2 * PI / (side * rng_range(r, 0.04, 0.5));
        double fx = f * cos(th), fy = f * sin(th), ph = rng_range(r, 0, 2 * PI);
        double amp[3];
        for (int k = 0; k < 3; k++)
            amp[k] = rng_range(r, -25, 25);
        for (int y = 0; y < cv->h; y++)
            for (int x = 0; x < cv->w; x++) {
                double v = sin(fx * x + fy * y + ph);
                float *p = cv->px + 3 * ((size_t)y * cv->w + x);
                for (int k = 0; k < 3; k++)
                    p[k] += (float)(amp[k] * v);
            }
    }
}

/* Texture: soft blotches, Gaussian in shape, of random tints. */
static void blotches(synth_canvas *cv, yrng *r)
{
    double side = cv->w < cv->h ? cv->w : cv->h;
    int n = 3 + (int)rng_below(r, 6);
    for (int i = 0; i < n; i++) {
        double cx = rng_range(r, 0, cv->w), cy = rng_range(r, 0, cv->h);
        double sg = side * rng_range(r, 0.05, 0.3), amp[3];
        for (int k = 0; k < 3; k++)
            amp[k] = rng_range(r, -45, 45);
        int x0 = clampi(cx - 3 * sg, 0, cv->w), x1 = clampi(cx + 3 * sg + 1, 0, cv->w);
        int y0 = clampi(cy - 3 * sg, 0, cv->h), y1 = clampi(cy + 3 * sg + 1, 0, cv->h);
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++) {
                double d2 = ((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (2 * sg * sg);
                double v = exp(-d2);
                float *p = cv->px + 3 * ((size_t)y * cv->w + x);
                for (int k = 0; k < 3; k++)
                    p[k] += (float)(amp[k] * v);
            }
    }
}

static void background(synth_canvas *cv, yrng *r)
{
    gradient(cv, r);
    switch (rng_below(r, 3)) {
    case 0: break; /* plain gradient: some images are easy */
    case 1: waves(cv, r); break;
    default: blotches(cv, r); break;
    }
}

/* A polyline of steps segments of length len, turning by up to turn radians
 * at each joint: a straight line when steps is 1, else a scribble. */
static void polyline(synth_canvas *cv, yrng *r, int steps, double len, double turn, double thick,
                     const float rgb[3])
{
    capsule k = {rng_range(r, 0, cv->w), rng_range(r, 0, cv->h), 0, 0, thick / 2};
    double th = rng_range(r, 0, 2 * PI);
    for (int j = 0; j < steps; j++) {
        th += rng_range(r, -turn, turn);
        k.bx = k.ax + len * cos(th), k.by = k.ay + len * sin(th);
        draw_capsule(cv, &k, rgb);
        k.ax = k.bx, k.ay = k.by;
    }
}

/* A cluster of specks, far smaller than the smallest object. */
static void specks(synth_canvas *cv, yrng *r, double spread, const float rgb[3])
{
    double cx = rng_range(r, 0, cv->w), cy = rng_range(r, 0, cv->h);
    int n = 5 + (int)rng_below(r, 12);
    for (int j = 0; j < n; j++) {
        double x = cx + rng_range(r, -spread, spread), y = cy + rng_range(r, -spread, spread);
        capsule d = {x, y, x, y, rng_range(r, 0.6, 1.8)};
        draw_capsule(cv, &d, rgb);
    }
}

/* Distractors that belong to no class: lines, scribbles and specks. On top
 * of the objects (top = 1) only hairlines go, which cross a shape without
 * hiding it. */
static void clutter(synth_canvas *cv, yrng *r, int n, int top)
{
    double side = cv->w < cv->h ? cv->w : cv->h;
    for (int i = 0; i < n; i++) {
        float rgb[3];
        random_colour(r, rgb);
        switch (top ? 0 : rng_below(r, 3)) {
        case 0:
            polyline(cv, r, 1, side * rng_range(r, 0.1, 0.5), 0,
                     top ? rng_range(r, 0.8, 1.8) : rng_range(r, 1, 3.2), rgb);
            break;
        case 1:
            polyline(cv, r, 3 + (int)rng_below(r, 4), side * rng_range(r, 0.03, 0.12), 1.5,
                     rng_range(r, 1, 3.2), rgb);
            break;
        default: specks(cv, r, side * rng_range(r, 0.03, 0.12), rgb); break;
        }
    }
}

/* Pixel noise, near enough Gaussian and five times cheaper than
 * rng_normal: the sum of the four 16-bit quarters of one draw (Irwin-Hall),
 * centred and scaled to unit variance. */
static void noise(synth_canvas *cv, double sigma, yrng *r)
{
    if (sigma <= 0)
        return;
    const double mean = 2 * 65535.0, scale = sigma * sqrt(3.0) / 65536.0;
    size_t n = (size_t)cv->w * cv->h * 3;
    for (size_t i = 0; i < n; i++) {
        uint64_t u = rng_u64(r);
        double s = (double)((u & 0xffff) + (u >> 16 & 0xffff) + (u >> 32 & 0xffff) + (u >> 48));
        cv->px[i] += (float)((s - mean) * scale);
    }
}

static void to_rgb8(synth_scene *sc)
{
    size_t n = (size_t)sc->cv.w * sc->cv.h * 3;
    for (size_t i = 0; i < n; i++) {
        float v = floorf(sc->cv.px[i] + 0.5f);
        sc->rgb[i] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
}

/* ---- placing objects ---------------------------------------------------------- */

/* b may join the accepted boxes: IoU <= max_iou with each, and neither box
 * more than MAX_COVER under the other (IoU alone lets a small box sit
 * wholly inside a large one). */
static int fits(const synth_obj *acc, int n, box b, double max_iou)
{
    for (int i = 0; i < n; i++) {
        double iou = box_iou(b, acc[i].bbox);
        double a = box_area(b), c = box_area(acc[i].bbox);
        double inter = iou * (a + c) / (1 + iou); /* from IoU = I / (A + C - I) */
        if (iou > max_iou || inter > MAX_COVER * fmin(a, c))
            return 0;
    }
    return 1;
}

/* A random object: class, size, aspect, angle and a centre that keeps it in
 * the image unless it may be cut. 0 when it cannot fit. */
static int candidate(const synth_cfg *g, yrng *r, double max_size, synth_obj *o)
{
    double side = g->w < g->h ? g->w : g->h;
    o->cls = (int)rng_below(r, (uint64_t)g->nclasses);
    double s = side * exp(rng_range(r, log(g->min_size), log(max_size)));
    double a = exp(rng_range(r, 0, log(g->max_aspect)));
    int tall = (int)rng_below(r, 2);
    double ang = rng_range(r, -1, 1) * g->max_rotation * PI / 180;
    o->geom = (synth_geom){g->shapes[o->cls], 0, 0, tall ? s / a : s, tall ? s : s / a, ang};
    box e = synth_extent(&o->geom); /* around (0, 0) */
    if (rng_uniform(r) < g->p_truncated) {
        o->geom.cx = rng_range(r, 0, g->w);
        o->geom.cy = rng_range(r, 0, g->h);
        return 1;
    }
    if (e.x2 - e.x1 > g->w || e.y2 - e.y1 > g->h)
        return 0;
    o->geom.cx = rng_range(r, -e.x1, g->w - e.x2);
    o->geom.cy = rng_range(r, -e.y1, g->h - e.y2);
    return 1;
}

/* Adds one object to the scene; -1 when TRIES placements all failed. The
 * largest size shrinks as tries fail, so crowded scenes still fill up. */
static int place_one(synth_scene *sc, const synth_cfg *g, yrng *r)
{
    double max_size = g->max_size;
    for (int t = 1; t <= TRIES; t++) {
        if (t % SHRINK_EVERY == 0)
            max_size = fmax(g->min_size, max_size * 0.7);
        synth_obj o;
        if (!candidate(g, r, max_size, &o))
            continue;
        box e = synth_extent(&o.geom);
        o.bbox = synth_box(&o.geom, g->w, g->h);
        if (box_area(o.bbox) < MIN_VISIBLE * box_area(e) || o.bbox.x2 - o.bbox.x1 < 2 ||
            o.bbox.y2 - o.bbox.y1 < 2 || !fits(sc->obj, sc->n, o.bbox, g->max_iou))
            continue;
        /* cut exactly when rounding put the box past an edge */
        o.truncated = e.x1 < -0.5 || e.y1 < -0.5 || e.x2 > g->w + 0.5 || e.y2 > g->h + 0.5;
        sc->obj[sc->n++] = o;
        return 0;
    }
    return -1;
}

/* Larger objects first, so small ones are drawn on top (stable: insertion). */
static void sort_by_area(synth_obj *v, int n)
{
    for (int i = 1; i < n; i++) {
        synth_obj o = v[i];
        int j = i;
        for (; j > 0 && box_area(v[j - 1].bbox) < box_area(o.bbox); j--)
            v[j] = v[j - 1];
        v[j] = o;
    }
}

static int place(synth_scene *sc, const synth_cfg *g, yrng *r, yerr *err)
{
    int want = g->min_objects + (int)rng_below(r, (uint64_t)(g->max_objects - g->min_objects + 1));
    sc->n = 0;
    for (int k = 0; k < want; k++)
        if (place_one(sc, g, r) < 0) {
            if (k < g->min_objects)
                return yerr_set(err, YOLO_EUSAGE,
                                "cannot place %d objects with --max-iou %g in %dx%d: lower "
                                "--min-objects or --min-size", g->min_objects, g->max_iou, g->w,
                                g->h);
            break;
        }
    sort_by_area(sc->obj, sc->n);
    return 0;
}

/* ---- painting objects --------------------------------------------------------- */

/* Mean colour of the canvas in b (every other pixel is enough). */
static void mean_under(const synth_canvas *cv, box b, double m[3])
{
    double n = 0;
    m[0] = m[1] = m[2] = 0;
    for (int y = (int)b.y1; y < (int)b.y2; y += 2)
        for (int x = (int)b.x1; x < (int)b.x2; x += 2, n++)
            for (int k = 0; k < 3; k++)
                m[k] += cv->px[3 * ((size_t)y * cv->w + x) + k];
    for (int k = 0; k < 3; k++)
        m[k] = n ? m[k] / n : 128;
}

static double colour_dist(const float c[3], const double ref[3])
{
    return hypot(hypot(c[0] - ref[0], c[1] - ref[1]), c[2] - ref[2]);
}

/* A random colour far enough from each of the nref colours around the
 * object; the farthest of COLOUR_TRIES if none is. */
static void contrast_colour(yrng *r, double (*ref)[3], int nref, float rgb[3])
{
    double best = -1;
    for (int t = 0; t < COLOUR_TRIES && best < MIN_CONTRAST; t++) {
        float c[3];
        random_colour(r, c);
        double d = INFINITY;
        for (int i = 0; i < nref; i++)
            d = fmin(d, colour_dist(c, ref[i]));
        if (d > best) {
            best = d;
            memcpy(rgb, c, sizeof c);
        }
    }
}

/* Paints v[i] in a colour that stands out from the background under it and
 * from the objects already painted that it overlaps. */
static void paint_object(synth_canvas *cv, synth_obj *v, int i, yrng *r)
{
    synth_obj *o = &v[i];
    double ref[SYNTH_MAX_OBJECTS + 1][3];
    int nref = 1;
    mean_under(cv, o->bbox, ref[0]);
    for (int j = 0; j < i; j++)
        if (box_iou(o->bbox, v[j].bbox) > 0) {
            for (int c = 0; c < 3; c++)
                ref[nref][c] = v[j].rgb[c];
            nref++;
        }
    ink k = {{0, 0, 0}, o->geom.cx, o->geom.cy, 0, 0};
    contrast_colour(r, ref, nref, k.rgb);
    memcpy(o->rgb, k.rgb, sizeof o->rgb);
    /* shading: up to 30 levels lighter on one side, darker on the other */
    double th = rng_range(r, 0, 2 * PI), amp = rng_range(r, 0, 30);
    double half = fmax(o->geom.w, o->geom.h) / 2;
    k.gx = amp * cos(th) / half, k.gy = amp * sin(th) / half;
    draw_ink(cv, &o->geom, &k);
}

int synth_scene_init(synth_scene *sc, int w, int h, yerr *err)
{
    memset(sc, 0, sizeof *sc);
    size_t n = (size_t)w * h * 3;
    sc->cv = (synth_canvas){w, h, malloc(n * sizeof(float))};
    sc->rgb = malloc(n);
    if (!sc->cv.px || !sc->rgb) {
        synth_scene_free(sc);
        return yerr_set(err, YOLO_EIO, "out of memory for a %dx%d image", w, h);
    }
    return 0;
}

void synth_scene_free(synth_scene *sc)
{
    free(sc->cv.px);
    free(sc->rgb);
    memset(sc, 0, sizeof *sc);
}

int synth_render(synth_scene *sc, const synth_cfg *g, yrng *r, yerr *err)
{
    background(&sc->cv, r);
    int nc = (int)rng_below(r, (uint64_t)g->clutter + 1), ntop = nc / 4;
    clutter(&sc->cv, r, nc - ntop, 0);
    if (place(sc, g, r, err) < 0)
        return -1;
    for (int i = 0; i < sc->n; i++)
        paint_object(&sc->cv, sc->obj, i, r);
    clutter(&sc->cv, r, ntop, 1);
    noise(&sc->cv, rng_range(r, 0, g->noise), r);
    to_rgb8(sc);
    return 0;
}

int synth_split(unsigned char *which, long n, const double ratio[3], yrng *r, yerr *err)
{
    long *perm = malloc((size_t)(n > 0 ? n : 1) * sizeof *perm);
    if (!perm)
        return yerr_set(err, YOLO_EIO, "out of memory");
    for (long i = 0; i < n; i++)
        perm[i] = i;
    for (long i = n - 1; i > 0; i--) { /* Fisher-Yates */
        long j = (long)rng_below(r, (uint64_t)i + 1), t = perm[i];
        perm[i] = perm[j], perm[j] = t;
    }
    double sum = ratio[0] + ratio[1] + ratio[2];
    long n0 = (long)floor(n * ratio[0] / sum + 0.5);
    long n01 = (long)floor(n * (ratio[0] + ratio[1]) / sum + 0.5);
    for (long k = 0; k < n; k++)
        which[perm[k]] = k < n0 ? 0 : k < n01 ? 1 : 2;
    free(perm);
    return 0;
}
