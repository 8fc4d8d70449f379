/* Unit tests for detection augmentation (common/image/augment.c):
 *   1. HSV: known colours, round trip, hue shift, exposure and saturation
 *   2. flip mirrors pixels; twice is the identity
 *   3. placement: a bright rectangle lands where the recorded transform
 *      maps its box (scaled, offset, cut by the frame, mirrored)
 *   4. the draws: the same seed and record give the same values, other
 *      records other values; jitter 0 and scale 1 keep the aspect; flip off
 *   5. no augmentation: exactly img_letterbox / img_resize */
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

int main(void)
{
    test_hsv();
    test_flip();
    test_place();
    test_draws();
    test_no_augment();
    return check_done();
}
