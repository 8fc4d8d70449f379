/* Unit tests for detection augmentation (common/image/augment.c):
 *   1. HSV: known colours, round trip, hue shift, exposure and saturation
 *   2. flip mirrors pixels; twice is the identity
 *   3. placement: a bright rectangle lands where the recorded transform
 *      maps its box (scaled, offset, cut by the frame, mirrored)
 *   4. the draws: the same seed and record give the same values, other
 *      records other values; jitter 0 and scale 1 keep the aspect; flip off
 *   5. no augmentation: exactly img_letterbox / img_resize
 *   6. mosaic: the centre in the middle .2-.8, each tile where its transform
 *      says and only in its quadrant, the rest grey; the draws repeat
 *   7. affine: the identity copies exactly, a whole-pixel shift moves the
 *      pixels exactly (grey comes in), a scale about the centre puts the
 *      rectangle where the map puts its box; blend
 *   8. rng_beta(32, 32): mean 1/2, variance 1/260 (mixup's weight) */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "yolo/image/augment.h"
#include "yolo/loss/targets.h"

#include "check.h"

static float px(const img *im, int c, int y, int x)
{
    return im->data[((size_t)c * im->h + y) * im->w + x];
}
static void set_px(img *im, int c, int y, int x, float v)
{
    im->data[((size_t)c * im->h + y) * im->w + x] = v;
}

static int rgb_near(const img *im, float r, float g, float b, float tol)
{
    return fabsf(px(im, 0, 0, 0) - r) < tol && fabsf(px(im, 1, 0, 0) - g) < tol &&
           fabsf(px(im, 2, 0, 0) - b) < tol;
}

static void one_pixel(img *im, float r, float g, float b)
{
    set_px(im, 0, 0, 0, r), set_px(im, 1, 0, 0, g), set_px(im, 2, 0, 0, b);
}

static void test_hsv(void)
{
    yerr err;
    img im;
    if (img_alloc(&im, 1, 1, 3, &err) < 0)
        return;
    const float cols[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, hues[3] = {0, 1 / 3.f, 2 / 3.f};
    for (int i = 0; i < 3; i++) {
        one_pixel(&im, cols[i][0], cols[i][1], cols[i][2]);
        aug_rgb_to_hsv(&im);
        CHECK(rgb_near(&im, hues[i], 1, 1, 1e-6f), "primary %d: h = %.3f, s = 1, v = 1", i,
              hues[i]);
    }
    one_pixel(&im, .5f, .5f, .5f);
    aug_rgb_to_hsv(&im);
    CHECK(rgb_near(&im, 0, 0, .5f, 1e-7f), "grey: h 0 (not NaN), s 0, v .5");
    int ok = 1;
    for (int i = 0; i < 200; i++) {
        float r = (i * 37 % 256) / 255.f, g = (i * 91 % 256) / 255.f, b = (i * 13 % 256) / 255.f;
        one_pixel(&im, r, g, b);
        aug_rgb_to_hsv(&im);
        aug_hsv_to_rgb(&im);
        ok &= rgb_near(&im, r, g, b, 1e-5f);
    }
    CHECK(ok, "RGB -> HSV -> RGB gives the colour back (200 colours, 1e-5)");
    one_pixel(&im, 1, 0, 0);
    aug_distort(&im, 1 / 3.0, 1, 1);
    CHECK(rgb_near(&im, 0, 1, 0, 1e-5f), "hue + 1/3: red becomes green");
    one_pixel(&im, 0, 0, 1);
    aug_distort(&im, 0.5, 1, 1);
    CHECK(rgb_near(&im, 1, 1, 0, 1e-5f), "hue + 1/2 wraps: blue (2/3) becomes yellow (1/6)");
    one_pixel(&im, .25f, .5f, .1f);
    aug_distort(&im, 0, 1, 1.5);
    CHECK(rgb_near(&im, .375f, .75f, .15f, 1e-5f), "exposure 1.5 scales every channel");
    aug_distort(&im, 0, 1, 2);
    CHECK(rgb_near(&im, .75f, 1, .3f, 1e-5f), "exposure 2 from (.375, .75, .15): (.75, 1.5, .3), "
          "clamped to (.75, 1, .3)");
    one_pixel(&im, .2f, .6f, .4f);
    aug_distort(&im, 0, 0.5, 1);
    CHECK(rgb_near(&im, .4f, .6f, .5f, 1e-5f), "saturation .5: halfway to the grey of v");
    img_free(&im);
}

static void test_flip(void)
{
    yerr err;
    img im;
    if (img_alloc(&im, 3, 2, 3, &err) < 0)
        return;
    for (size_t i = 0; i < 18; i++)
        im.data[i] = (float)i;
    aug_flip(&im);
    CHECK(px(&im, 0, 0, 0) == 2 && px(&im, 0, 0, 2) == 0 && px(&im, 0, 0, 1) == 1 &&
              px(&im, 2, 1, 0) == 17 && px(&im, 2, 1, 2) == 15,
          "flip mirrors each row of each plane");
    aug_flip(&im);
    int same = 1;
    for (size_t i = 0; i < 18; i++)
        same &= im.data[i] == (float)i;
    CHECK(same, "flipped twice: the original");
    img_free(&im);
}

/* A 200 x 100 black image with a white rectangle [60, 20, 100, 60). */
static int test_image(img *im)
{
    yerr err;
    if (img_alloc(im, 200, 100, 3, &err) < 0)
        return -1;
    for (int c = 0; c < 3; c++)
        for (int y = 20; y < 60; y++)
            for (int x = 60; x < 100; x++)
                set_px(im, c, y, x, 1);
    return 0;
}

/* The bounding box of the pixels brighter than .9 (network pixels, as
 * [x1, y1, x2, y2) continuous). */
static box bright(const img *im)
{
    box b = {1e9, 1e9, -1, -1};
    for (int y = 0; y < im->h; y++)
        for (int x = 0; x < im->w; x++)
            if (px(im, 0, y, x) > .9f) {
                b.x1 = fmin(b.x1, x), b.y1 = fmin(b.y1, y);
                b.x2 = fmax(b.x2, x + 1), b.y2 = fmax(b.y2, y + 1);
            }
    return b;
}

/* The rectangle's box mapped by t, clipped (tgt_truth), in network pixels. */
static box mapped(const img_transform *t)
{
    tgt_box b;
    if (!tgt_truth(t, (box){60, 20, 100, 60}, 0, &b))
        return (box){0, 0, 0, 0};
    return (box){(b.x - b.w / 2) * t->net_w, (b.y - b.h / 2) * t->net_h,
                 (b.x + b.w / 2) * t->net_w, (b.y + b.h / 2) * t->net_h};
}

static int within(box a, box b, double tol)
{
    return fabs(a.x1 - b.x1) <= tol && fabs(a.y1 - b.y1) <= tol && fabs(a.x2 - b.x2) <= tol &&
           fabs(a.y2 - b.y2) <= tol;
}

static void test_place(void)
{
    img src, out = {0};
    yerr err;
    if (test_image(&src) < 0)
        return;
    const aug_draw draws[4] = {
        {.aspect = 1, .scale = 1, .ux = .5, .uy = .5, .dsat = 1, .dexp = 1},
        {.aspect = 1.3, .scale = .7, .ux = .2, .uy = .9, .dsat = 1, .dexp = 1, .flip = 1},
        {.aspect = .6, .scale = 2, .ux = .4, .uy = .3, .dsat = 1, .dexp = 1},
        {.aspect = 1, .scale = 1.5, .ux = 0, .uy = 0, .dsat = 1, .dexp = 1, .flip = 1},
    };
    for (int i = 0; i < 4; i++) {
        img_transform t;
        if (aug_apply(&draws[i], &src, 96, 64, &out, &t, &err) < 0) {
            CHECK(0, "aug_apply: %s", err.msg);
            continue;
        }
        box got = bright(&out), want = mapped(&t);
        CHECK(out.w == 96 && out.h == 64 && within(got, want, 1.0),
              "draw %d (sx %.3f sy %.3f dx %.0f dy %.0f): the white pixels "
              "[%.0f,%.0f,%.0f,%.0f] are "
              "the mapped box [%.1f,%.1f,%.1f,%.1f] to a pixel", i, t.sx, t.sy, t.dx, t.dy,
              got.x1, got.y1, got.x2, got.y2, want.x1, want.y1, want.x2, want.y2);
        CHECK((t.sx < 0) == draws[i].flip, "draw %d: a mirror is a negative sx", i);
        img_free(&out);
    }
    /* the first draw, unflipped: grey where the image is not */
    img_transform t;
    if (aug_apply(&draws[0], &src, 96, 64, &out, &t, &err) == 0) {
        CHECK(t.dy > 0 && px(&out, 1, 0, 10) == .5f && px(&out, 1, (int)t.dy, 10) == 0,
              "the canvas around the placed image is .5 grey");
        img_free(&out);
    }
    img_free(&src);
}

static void test_draws(void)
{
    aug_config a = aug_defaults();
    a.hue = .1, a.saturation = 1.5, a.exposure = 1.5, a.scale_lo = .5, a.scale_hi = 1.5;
    yrng r1, r2, r3;
    aug_record_rng(&r1, 7, 12);
    aug_record_rng(&r3, 7, 13);
    aug_record_rng(&r2, 7, 12);
    aug_draw d1 = aug_sample(&a, &r1), d2 = aug_sample(&a, &r2), d3 = aug_sample(&a, &r3);
    CHECK(d1.aspect == d2.aspect && d1.scale == d2.scale && d1.ux == d2.ux && d1.uy == d2.uy &&
              d1.dhue == d2.dhue && d1.dsat == d2.dsat && d1.dexp == d2.dexp && d1.flip == d2.flip,
          "seed 7, record 12 twice (record 13 drawn between): the same draw");
    CHECK(d1.aspect != d3.aspect && d1.ux != d3.ux, "record 13: other values");
    int flips = 0, inrange = 1;
    for (int k = 0; k < 1000; k++) {
        aug_record_rng(&r1, 1, (uint64_t)k);
        aug_draw d = aug_sample(&a, &r1);
        flips += d.flip;
        inrange &= d.scale >= .5 && d.scale < 1.5 && fabs(d.dhue) <= .1 && d.dsat >= 1 / 1.5 &&
                   d.dsat <= 1.5 && d.aspect >= .8 / 1.2 && d.aspect <= 1.2 / .8;
    }
    CHECK(flips > 430 && flips < 570, "about half the records flip (%d of 1000)", flips);
    CHECK(inrange, "scale, hue, saturation and aspect stay in their ranges");
    a = aug_defaults();
    a.jitter = 0, a.flip = 0;
    aug_record_rng(&r1, 1, 0);
    aug_draw d = aug_sample(&a, &r1);
    CHECK(d.aspect == 1 && d.scale == 1 && !d.flip && d.dhue == 0 && d.dsat == 1 && d.dexp == 1,
          "jitter 0, defaults, no flip: aspect 1, scale 1, colours untouched");
}

static void test_no_augment(void)
{
    img src, a = {0}, b = {0};
    img_transform ta, tb;
    yerr err;
    yrng r;
    rng_seed(&r, 1);
    if (test_image(&src) < 0)
        return;
    aug_config cf = aug_defaults();
    cf.enabled = 0;
    int ok = aug_image(&cf, &src, 64, 64, &r, &a, &ta, &err) == 0 &&
             img_letterbox(&src, 64, 64, &b, &tb, &err) == 0;
    CHECK(ok && memcmp(a.data, b.data, 64 * 64 * 3 * sizeof(float)) == 0 &&
              memcmp(&ta, &tb, sizeof ta) == 0,
          "no augmentation: img_letterbox's bytes and transform");
    img_free(&a), img_free(&b);
    cf.resize = 1;
    ok = aug_image(&cf, &src, 64, 48, &r, &a, &ta, &err) == 0 &&
         img_resize(&src, 64, 48, &b, &err) == 0;
    CHECK(ok && memcmp(a.data, b.data, 64 * 48 * 3 * sizeof(float)) == 0 && ta.sx == 64 / 200.0 &&
              ta.sy == 48 / 100.0 && ta.dx == 0, "--resize: img_resize's bytes, a stretch");
    img_free(&a), img_free(&b);
    img_free(&src);
}

/* The rectangle's box mapped by t, unclipped, in network pixels. */
static box through(const img_transform *t, box b)
{
    double x1 = t->sx * b.x1 + t->dx, x2 = t->sx * b.x2 + t->dx;
    return (box){fmin(x1, x2), t->sy * b.y1 + t->dy, fmax(x1, x2), t->sy * b.y2 + t->dy};
}

static void test_mosaic(void)
{
    aug_config a = aug_defaults();
    a.jitter = .3;
    yrng r, r2;
    int inside = 1, owns[4] = {0};
    for (int k = 0; k < 400; k++) {
        aug_record_rng(&r, 3, (uint64_t)k);
        aug_mosaic m = aug_mosaic_sample(&a, 100, 60, &r);
        inside &= m.cx >= 20 && m.cx <= 80 && m.cy >= 12 && m.cy <= 48;
        owns[m.own]++;
    }
    CHECK(inside, "the centre stays in .2-.8 of each side (400 draws)");
    CHECK(owns[0] > 60 && owns[1] > 60 && owns[2] > 60 && owns[3] > 60,
          "the own image goes to every quadrant (%d %d %d %d)", owns[0], owns[1], owns[2], owns[3]);
    aug_record_rng(&r, 3, 9);
    aug_record_rng(&r2, 3, 9);
    aug_mosaic m1 = aug_mosaic_sample(&a, 100, 60, &r), m2 = aug_mosaic_sample(&a, 100, 60, &r2);
    CHECK(memcmp(&m1, &m2, sizeof m1) == 0 && m1.mx == 0 && m1.my == 0,
          "the same stream: the same mosaic, without margins");

    img src;
    aug_canvas cv = {.net_w = 96, .net_h = 64};
    yerr err;
    if (test_image(&src) < 0 || img_alloc(&cv.im, 96, 64, 3, &err) < 0)
        return;
    aug_mosaic m = {.cx = 40, .cy = 30};
    /* the rectangle is near the image's middle: every tile shows part of it */
    for (int q = 0; q < 4; q++)
        m.tile[q] = (aug_draw){.aspect = 1, .scale = .8, .dsat = 1, .dexp = 1, .flip = q == 1};
    for (int q = 0; q < 4; q++) {
        for (size_t i = 0; i < (size_t)96 * 64 * 3; i++)
            cv.im.data[i] = AUG_GREY;
        img_transform t;
        int rect[4], out = 0;
        if (aug_tile(&m, q, &src, &cv, &t, &err) < 0) {
            CHECK(0, "aug_tile: %s", err.msg);
            continue;
        }
        aug_quadrant(&m, q, 96, 64, rect);
        for (int y = 0; y < 64; y++)
            for (int x = 0; x < 96; x++)
                if (!(x >= rect[0] && x < rect[2] && y >= rect[1] && y < rect[3]))
                    out |= px(&cv.im, 0, y, x) != AUG_GREY;
        box want = through(&t, (box){60, 20, 100, 60}), got = bright(&cv.im);
        want = (box){fmax(want.x1, rect[0]), fmax(want.y1, rect[1]), fmin(want.x2, rect[2]),
                     fmin(want.y2, rect[3])};
        CHECK(!out && within(got, want, 1.0),
              "quadrant %d%s: nothing outside it; the white pixels [%.0f,%.0f,%.0f,%.0f] are "
              "the mapped box cut to it [%.1f,%.1f,%.1f,%.1f]", q, q == 1 ? " (mirrored)" : "",
              got.x1, got.y1, got.x2, got.y2, want.x1, want.y1, want.x2, want.y2);
    }
    img_free(&cv.im);
    /* margins 20, 10; the canvas holds picture pixels [-20, 116) x [-10, 74) */
    m.mx = 20, m.my = 10;
    cv = (aug_canvas){.x0 = -20, .y0 = -10, .net_w = 96, .net_h = 64};
    if (img_alloc(&cv.im, 136, 84, 3, &err) == 0) {
        img_transform t;
        int rect[4], ok = aug_tile(&m, 0, &src, &cv, &t, &err) == 0;
        aug_quadrant(&m, 0, 96, 64, rect);
        box got = bright(&cv.im), want = through(&t, (box){60, 20, 100, 60});
        got = (box){got.x1 - 20, got.y1 - 10, got.x2 - 20, got.y2 - 10};
        want = (box){fmax(want.x1, rect[0]), fmax(want.y1, rect[1]), fmin(want.x2, rect[2]),
                     fmin(want.y2, rect[3])};
        CHECK(ok && rect[0] == -20 && rect[1] == -10 && rect[2] == 40 && rect[3] == 30 &&
                  t.net_w == 96 && within(got, want, 1.0),
              "margins 20, 10: quadrant 0 is [-20, -10, 40, 30] in the picture's pixels, its "
              "white pixels [%.0f,%.0f,%.0f,%.0f] the mapped box cut to it "
              "[%.1f,%.1f,%.1f,%.1f]", got.x1, got.y1, got.x2, got.y2, want.x1, want.y1,
              want.x2, want.y2);
        img_free(&cv.im);
    }
    img_free(&src);
}

static void test_affine(void)
{
    img src, im = {0};
    yerr err;
    if (test_image(&src) < 0)
        return;
    for (size_t i = 0; i < (size_t)200 * 100 * 3; i++)
        src.data[i] = src.data[i] > .5f ? 1 : (float)(i % 97) / 97 * .8f;   /* texture under it */
    aug_canvas whole = {src, 0, 0, 200, 100};
    aug_affine id = {{1, 0, 0, 0, 1, 0}, 1};
    CHECK(aug_warp(&whole, &id, &im, &err) == 0 &&
              memcmp(im.data, src.data, (size_t)200 * 100 * 3 * sizeof *im.data) == 0,
          "the identity copies every pixel exactly");
    img_free(&im);
    aug_affine shift = {{1, 0, 7, 0, 1, -3}, 1};
    int ok = aug_warp(&whole, &shift, &im, &err) == 0;
    for (int y = 0; ok && y < 100; y++)
        for (int x = 0; x < 200; x++) {
            float want = x < 7 || y >= 97 ? AUG_GREY : px(&src, 1, y + 3, x - 7);
            ok &= px(&im, 1, y, x) == want;
        }
    CHECK(ok, "a shift by (7, -3) moves every pixel exactly; grey comes in");
    img_free(&im);
    aug_canvas more = {src, -20, -10, 160, 80};   /* the pixels reach past a 160 x 80 frame */
    ok = aug_warp(&more, &id, &im, &err) == 0;
    for (int y = 0; ok && y < 80; y++)
        for (int x = 0; x < 160; x++)
            ok &= px(&im, 2, y, x) == px(&src, 2, y + 10, x + 20);
    CHECK(ok, "pixels from (-20, -10): the identity is the 160 x 80 frame inside them, exactly");
    img_free(&im);
    int reach[4];
    aug_affine_reach(&(aug_affine){{2, 0, -100, 0, 2, -50}, 2}, 200, 100, reach);
    CHECK(reach[0] == 49 && reach[1] == 24 && reach[2] == 151 && reach[3] == 76,
          "a map that doubles about the centre samples the middle half, a pixel more: "
          "[%d, %d, %d, %d]", reach[0], reach[1], reach[2], reach[3]);
    aug_config a = aug_defaults();
    a.affine_scale = .5, a.affine_translate = .1, a.degrees = 0;
    yrng r;
    aug_record_rng(&r, 5, 1);
    aug_affine A = aug_affine_sample(&a, 200, 100, &r);
    img_transform t = {200, 100, A.m[0], A.m[4], A.m[2], A.m[5]};
    box want = through(&t, (box){60, 20, 100, 60}), got;
    ok = aug_warp(&whole, &A, &im, &err) == 0;
    got = bright(&im);
    CHECK(ok && A.m[1] == 0 && fabs(A.scale - A.m[0]) < 1e-12 && A.scale >= .5 && A.scale < 1.5 &&
              within(got, want, 1.0),
          "scale %.3f, shift (%.1f, %.1f): the rectangle [%.0f,%.0f,%.0f,%.0f] where the map puts "
          "its box [%.1f,%.1f,%.1f,%.1f]", A.scale, A.m[2], A.m[5], got.x1, got.y1, got.x2, got.y2,
          want.x1, want.y1, want.x2, want.y2);
    img_free(&im);
    a.degrees = 30;
    aug_record_rng(&r, 5, 2);
    A = aug_affine_sample(&a, 200, 100, &r);
    double cx = A.m[0] * 100 + A.m[1] * 50 + A.m[2] - 100;   /* where the centre goes */
    double cy = A.m[3] * 100 + A.m[4] * 50 + A.m[5] - 50;
    double turn = atan2(A.m[3], A.m[0]) * 180 / 3.14159265358979323846;
    CHECK(fabs(turn) <= 30 && fabs(hypot(A.m[0], A.m[3]) - A.scale) < 1e-12 &&
              fabs(A.m[0] - A.m[4]) < 1e-12 && fabs(A.m[1] + A.m[3]) < 1e-12 && fabs(cx) <= 20 &&
              fabs(cy) <= 10,
          "--degrees 30: a turn of %.1f degrees, a scale, the centre moved by (%.1f, %.1f), within "
          "the ranges", turn, cx, cy);
    img b = {0};
    if (img_alloc(&b, 200, 100, 3, &err) == 0 && img_alloc(&im, 200, 100, 3, &err) == 0) {
        for (size_t i = 0; i < (size_t)200 * 100 * 3; i++)
            b.data[i] = .25f, im.data[i] = 1;
        aug_blend(&im, &b, .6);
        CHECK(fabsf(im.data[0] - .7f) < 1e-6f && fabsf(im.data[59999] - .7f) < 1e-6f,
              "blend .6: .6 x 1 + .4 x .25 = .7");
        img_free(&b);
    }
    img_free(&im);
    img_free(&src);
}

static void test_beta(void)
{
    yrng r;
    rng_seed(&r, 11);
    double s = 0, s2 = 0, lo = 1, hi = 0;
    for (int i = 0; i < 20000; i++) {
        double v = rng_beta(&r, 32, 32);
        s += v, s2 += v * v, lo = fmin(lo, v), hi = fmax(hi, v);
    }
    double mean = s / 20000, var = s2 / 20000 - mean * mean;
    CHECK(fabs(mean - .5) < .002 && fabs(var / (1 / 260.0) - 1) < .05 && lo > .2 && hi < .8,
          "Beta(32, 32), 20000 draws: mean %.4f (1/2), variance %.5f (1/260 = %.5f), in "
          "[%.3f, %.3f]", mean, var, 1 / 260.0, lo, hi);
    s = 0;
    for (int i = 0; i < 20000; i++)
        s += rng_gamma(&r, 2.5);
    CHECK(fabs(s / 20000 - 2.5) < .05, "Gamma(2.5): mean %.3f (2.5)", s / 20000);
}

int main(void)
{
    test_hsv();
    test_flip();
    test_place();
    test_draws();
    test_no_augment();
    test_mosaic();
    test_affine();
    test_beta();
    return check_done();
}
