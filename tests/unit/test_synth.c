/* common/data/synth.c: the rasteriser and its boxes, scenes (bounds, overlap,
 * truncation, determinism, colour independent of class), splits, and the
 * option parsers. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "yolo/data/synth.h"

#define PI 3.14159265358979323846

/* Extent of the pixels painted at all (value > 0) on a black canvas. */
static box painted(const synth_canvas *cv)
{
    box b = {cv->w, cv->h, 0, 0};
    for (int y = 0; y < cv->h; y++)
        for (int x = 0; x < cv->w; x++)
            if (cv->px[3 * (y * cv->w + x)] > 0) {
                b.x1 = fmin(b.x1, x), b.x2 = fmax(b.x2, x + 1);
                b.y1 = fmin(b.y1, y), b.y2 = fmax(b.y2, y + 1);
            }
    return b;
}

static double side_gap(box a, box b)
{
    return fmax(fmax(fabs(a.x1 - b.x1), fabs(a.y1 - b.y1)), fmax(fabs(a.x2 - b.x2), fabs(a.y2 - b.y2)));
}

static void test_names(void)
{
    CHECK(strcmp(synth_shape_name(SYNTH_STAR), "star") == 0, "shape name");
    CHECK(synth_shape_find("ring", 4) == SYNTH_RING, "shape found by name");
    CHECK(synth_shape_find("rings", 5) == -1 && synth_shape_find("", 0) == -1, "unknown shape");
}

static void test_square(void)
{
    float px[100 * 100 * 3] = {0}, white[3] = {255, 255, 255};
    synth_canvas cv = {100, 100, px};
    synth_geom g = {SYNTH_SQUARE, 50, 50, 20, 20, 0};
    synth_draw(&cv, &g, white);
    box b = synth_box(&g, 100, 100), p = painted(&cv);
    CHECK(b.x1 == 40 && b.y1 == 40 && b.x2 == 60 && b.y2 == 60, "square on whole pixels: box");
    CHECK(side_gap(b, p) == 0, "square on whole pixels: exactly its box is painted");
    CHECK(px[3 * (50 * 100 + 40)] == 255 && px[3 * (50 * 100 + 59)] == 255, "edge pixels full");
    memset(px, 0, sizeof px);
    g.cx = g.cy = 50.25; /* edges at 40.25 and 60.25: pixel 40 is 3/4 covered, 60 1/4 */
    synth_draw(&cv, &g, white);
    b = synth_box(&g, 100, 100);
    CHECK(b.x1 == 40 && b.x2 == 60, "square off the grid: box rounds to the nearest edges");
    CHECK(fabs(px[3 * (50 * 100 + 40)] - 0.75f * 255) < 1e-3 &&
              fabs(px[3 * (50 * 100 + 60)] - 0.25f * 255) < 1e-3,
          "anti-aliasing: edge pixels blend by the fraction covered");
}

/* Every shape, turned and stretched any way: the box is within half a pixel
 * of the exact extent, and what is painted reaches each side of the box to
 * within a pixel and never beyond. */
static void test_boxes_tight(void)
{
    size_t bytes = 120 * 120 * 3 * sizeof(float);
    float *px = malloc(bytes);
    synth_canvas cv = {120, 120, px};
    float white[3] = {255, 255, 255};
    yrng r;
    rng_seed(&r, 42);
    int bad_round = 0, bad_paint = 0;
    for (int i = 0; i < 600; i++) {
        double s = rng_range(&r, 8, 60), a = rng_range(&r, 1, 2);
        synth_geom g = {i % SYNTH_NSHAPES, rng_range(&r, 50, 70), rng_range(&r, 50, 70), s,
                        s / a, rng_range(&r, -PI, PI)};
        box e = synth_extent(&g), b = synth_box(&g, 120, 120);
        memset(px, 0, bytes);
        synth_draw(&cv, &g, white);
        bad_round += side_gap(b, e) > 0.5;
        bad_paint += side_gap(b, painted(&cv)) > 1.0;
    }
    free(px);
    CHECK(bad_round == 0, "box within half a pixel of the exact extent (%d off)", bad_round);
    CHECK(bad_paint == 0, "painted pixels reach each side of the box within a pixel (%d off)",
          bad_paint);
}

static int same_scene(const synth_scene *a, const synth_scene *b)
{
    size_t n = (size_t)a->cv.w * a->cv.h * 3;
    if (a->n != b->n || memcmp(a->rgb, b->rgb, n) != 0)
        return 0;
    for (int i = 0; i < a->n; i++)
        if (memcmp(&a->obj[i].bbox, &b->obj[i].bbox, sizeof(box)) != 0)
            return 0;
    return 1;
}

static void test_determinism(void)
{
    synth_cfg g;
    synth_cfg_default(&g);
    g.w = 96, g.h = 64;
    synth_scene a, b;
    yerr err;
    yrng r;
    CHECK(synth_scene_init(&a, 96, 64, &err) == 0 && synth_scene_init(&b, 96, 64, &err) == 0,
          "scenes allocated");
    rng_seed(&r, 5);
    synth_render(&a, &g, &r, &err);
    rng_seed(&r, 5);
    synth_render(&b, &g, &r, &err);
    CHECK(same_scene(&a, &b), "same seed: same pixels and boxes");
    rng_seed(&r, 6);
    synth_render(&b, &g, &r, &err);
    CHECK(!same_scene(&a, &b), "another seed: another scene");
    synth_scene_free(&a);
    synth_scene_free(&b);
}

typedef struct scene_stats {
    int bad_count, bad_box, bad_overlap, bad_trunc, truncated, objects;
    double rgb[SYNTH_NSHAPES][3];
    int per_class[SYNTH_NSHAPES];
} scene_stats;

static void check_scene(const synth_scene *sc, const synth_cfg *g, scene_stats *st)
{
    st->bad_count += sc->n < g->min_objects || sc->n > g->max_objects;
    for (int i = 0; i < sc->n; i++) {
        const synth_obj *o = &sc->obj[i];
        box b = o->bbox, e = synth_extent(&o->geom);
        st->bad_box += !(b.x1 >= 0 && b.y1 >= 0 && b.x2 <= g->w && b.y2 <= g->h &&
                         b.x2 - b.x1 >= 2 && b.y2 - b.y1 >= 2 && b.x1 == floor(b.x1));
        int at_edge = b.x1 == 0 || b.y1 == 0 || b.x2 == g->w || b.y2 == g->h;
        int inside = e.x1 >= -0.5 && e.y1 >= -0.5 && e.x2 <= g->w + 0.5 && e.y2 <= g->h + 0.5;
        st->bad_trunc += o->truncated ? !at_edge || inside : !inside;
        st->truncated += o->truncated;
        for (int j = 0; j < i; j++) {
            double iou = box_iou(b, sc->obj[j].bbox), a1 = box_area(b), a2 = box_area(sc->obj[j].bbox);
            double inter = iou * (a1 + a2) / (1 + iou);
            st->bad_overlap += iou > g->max_iou + 1e-9 || inter > 0.5 * fmin(a1, a2) + 1e-6;
        }
        for (int c = 0; c < 3; c++)
            st->rgb[o->cls][c] += o->rgb[c];
        st->per_class[o->cls]++;
        st->objects++;
    }
}

static void test_scenes(void)
{
    synth_cfg g;
    synth_cfg_default(&g);
    g.w = 128, g.h = 96, g.p_truncated = 0.3, g.min_objects = 2, g.max_objects = 8;
    synth_scene sc;
    yerr err;
    yrng r;
    scene_stats st = {0};
    synth_scene_init(&sc, g.w, g.h, &err);
    int failed = 0;
    for (int i = 0; i < 300; i++) {
        rng_seed(&r, (uint64_t)i);
        failed += synth_render(&sc, &g, &r, &err) < 0;
        check_scene(&sc, &g, &st);
    }
    synth_scene_free(&sc);
    CHECK(failed == 0, "300 scenes rendered");
    CHECK(st.bad_count == 0, "objects per scene within [min, max]");
    CHECK(st.bad_box == 0, "boxes inside the image, whole pixels, at least 2 px a side");
    CHECK(st.bad_overlap == 0, "IoU <= max-iou and no box more than half under another");
    CHECK(st.bad_trunc == 0, "truncated exactly when the shape runs past the edge");
    CHECK(st.truncated > 0 && st.truncated < st.objects / 4, "some objects truncated (%d of %d)",
          st.truncated, st.objects);
    int bad_colour = 0, bad_balance = 0;
    for (int k = 0; k < g.nclasses; k++) {
        bad_balance += st.per_class[k] < st.objects / g.nclasses / 2;
        for (int c = 0; c < 3; c++)
            bad_colour += fabs(st.rgb[k][c] / st.per_class[k] - 127.5) > 25;
    }
    CHECK(bad_balance == 0, "every class drawn often");
    CHECK(bad_colour == 0, "mean colour of every class near mid-grey: colour says nothing of class");
}

static void test_crowded(void)
{
    synth_cfg g;
    synth_cfg_default(&g);
    g.w = g.h = 64, g.min_objects = g.max_objects = 50, g.min_size = 0.4, g.max_size = 0.5;
    synth_scene sc;
    yerr err = {0};
    yrng r;
    rng_seed(&r, 1);
    synth_scene_init(&sc, 64, 64, &err);
    int rc = synth_render(&sc, &g, &r, &err);
    CHECK(rc < 0 && err.code == YOLO_EUSAGE && strstr(err.msg, "cannot place 50 objects"),
          "an impossible scene is refused: %s", err.msg);
    synth_scene_free(&sc);
}

static void test_split(void)
{
    unsigned char a[10], b[10];
    double ratio[3] = {0.7, 0.1, 0.2};
    yrng r;
    yerr err;
    rng_seed(&r, 3);
    synth_split(a, 10, ratio, &r, &err);
    rng_seed(&r, 3);
    synth_split(b, 10, ratio, &r, &err);
    int n[3] = {0};
    for (int i = 0; i < 10; i++)
        n[a[i]]++;
    CHECK(n[0] == 7 && n[1] == 1 && n[2] == 2, "split counts follow the ratios");
    CHECK(memcmp(a, b, sizeof a) == 0, "split is deterministic");
    double only_test[3] = {0, 0, 5};
    synth_split(a, 10, only_test, &r, &err);
    CHECK(memchr(a, 0, 10) == NULL && memchr(a, 1, 10) == NULL, "0,0,5: every image in test");
}

static void test_parse(void)
{
    synth_cfg g;
    yerr err;
    int w, h;
    double q[3];
    synth_cfg_default(&g);
    CHECK(synth_cfg_check(&g, &err) == 0, "the defaults pass the check");
    CHECK(synth_parse_size("320x200", &w, &h, &err) == 0 && w == 320 && h == 200, "size WxH");
    const char *bad_sizes[] = {"320", "0x10", "31x64", "64x4097", "64x64x", " 64x64", "+64x64",
                               "x64", "64x", ""};
    int bad = 0;
    for (size_t i = 0; i < sizeof bad_sizes / sizeof *bad_sizes; i++)
        bad += synth_parse_size(bad_sizes[i], &w, &h, &err) == 0;
    CHECK(bad == 0 && err.code == YOLO_EUSAGE, "bad sizes refused");
    CHECK(synth_parse_classes(&g, "ring,circle", &err) == 0 && g.nclasses == 2 &&
              g.shapes[0] == SYNTH_RING, "classes in the order given");
    CHECK(synth_parse_classes(&g, "circle,circle", &err) < 0 && strstr(err.msg, "twice"),
          "a shape listed twice is refused");
    CHECK(synth_parse_classes(&g, "circle,blob", &err) < 0 && strstr(err.msg, "'blob'"),
          "an unknown shape is refused, by name");
    CHECK(synth_parse_classes(&g, "circle,", &err) < 0, "an empty name is refused");
    CHECK(synth_parse_ratios("0.8,0.2,0", q, &err) == 0 && q[1] == 0.2, "ratios");
    CHECK(synth_parse_ratios("0,0,0", q, &err) < 0 && synth_parse_ratios("1,2", q, &err) < 0 &&
              synth_parse_ratios("-1,1,1", q, &err) < 0 && synth_parse_ratios("1,1,1,", q, &err) < 0,
          "bad ratios refused");
    synth_cfg_default(&g);
    g.max_objects = 0;
    CHECK(synth_cfg_check(&g, &err) < 0 && strstr(err.msg, "--max-objects 0 is less than"),
          "max-objects below min-objects refused");
    synth_cfg_default(&g);
    g.w = g.h = 32, g.min_size = 0.1;
    CHECK(synth_cfg_check(&g, &err) < 0 && strstr(err.msg, "too small"),
          "objects under 6 pixels refused");
}

int main(void)
{
    test_names();
    test_square();
    test_boxes_tight();
    test_determinism();
    test_scenes();
    test_crowded();
    test_split();
    test_parse();
    return check_done();
}
