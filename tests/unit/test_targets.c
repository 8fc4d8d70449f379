/* Unit tests for truth rows and target assignment (common/loss/targets.c) on
 * hand-made boxes and small networks built from cfg text:
 *   1. tgt_truth: mapping, a mirror, clipping, boxes dropped
 *   2. region (v2): the cell of the centre, the anchor of best shape IoU,
 *      every value at its channel, a collision counted, the later box kept
 *   3. yolo (v3): the best of all anchors picks the head and the anchor;
 *      an anchor in no mask leaves the box unassigned
 *   4. detection (v1): [S*S, 5+C] rows, collisions */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "yolo/loss/targets.h"

#include "check.h"

static int build(const char *text, cfg *c, network *net)
{
    yerr err;
    if (cfg_parse(c, "test.cfg", text, strlen(text), &err) < 0 ||
        net_plan(c, net, 0, 0, 1, &err) < 0) {
        printf("# %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int near(double a, double b) { return fabs(a - b) < 1e-6; }

static size_t nonzeros(const float *t, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += t[i] != 0;
    return k;
}

static void test_truth(void)
{
    img_transform id = {100, 50, 1, 1, 0, 0}, mirror = {100, 50, -1, 1, 100, 0};
    tgt_box b;
    int kept = tgt_truth(&id, (box){10, 10, 30, 20}, 3, &b);
    CHECK(kept && near(b.x, .2) && near(b.y, .3) && near(b.w, .2) && near(b.h, .2) && b.cls == 3,
          "identity: [10,10,30,20] in 100x50 is centre .2,.3, size .2,.2");
    kept = tgt_truth(&mirror, (box){10, 10, 30, 20}, 0, &b);
    CHECK(kept && near(b.x, .8) && near(b.w, .2), "mirror: sides swap, centre 1 - .2");
    img_transform t = {416, 416, 0.832, 0.832, 0, 52};
    kept = tgt_truth(&t, (box){100, 50, 300, 250}, 1, &b);
    CHECK(kept && fabs(b.x * 416 - 0.832 * 200) < 1e-4 &&
              fabs(b.y * 416 - (0.832 * 150 + 52)) < 1e-4 &&
              fabs(b.w * 416 - 0.832 * 200) < 1e-4 && fabs(b.h * 416 - 0.832 * 200) < 1e-4,
          "letterbox transform: x_net = sx * x + dx for centre and size");
    kept = tgt_truth(&id, (box){-10, 0, 10, 10}, 0, &b);
    CHECK(kept && near(b.x, .05) && near(b.w, .1), "partly out: clipped to [0, 10]");
    CHECK(!tgt_truth(&id, (box){110, 0, 130, 10}, 0, &b), "wholly out: dropped");
    CHECK(!tgt_truth(&id, (box){10, 10, 10.09, 20}, 0, &b), "w .0009 of the input: dropped");
    CHECK(tgt_truth(&id, (box){10, 10, 10.11, 20}, 0, &b), "w .0011: kept");
}

/* 32x32 input, one stride-8 convolution: a 4x4 grid; 3 anchors (cells), 2 classes. */
static const char *region_cfg =
    "[net]\nwidth=32\nheight=32\nchannels=3\n"
    "[convolutional]\nfilters=21\nsize=8\nstride=8\npad=0\nactivation=linear\n"
    "[region]\nanchors=1,1, 3,2, 2,3\nclasses=2\nnum=3\ncoords=4\n";

static float at(const float *t, int C, int H, int W, int a, int k, int y, int x)
{
    return t[(((size_t)a * (5 + C) + k) * H + y) * W + x];
}

static void test_region(void)
{
    cfg c;
    network net;
    if (build(region_cfg, &c, &net) < 0) {
        CHECK(0, "region cfg builds");
        return;
    }
    int heads[1] = {1};
    size_t n = tgt_size(&net.l[1]);
    CHECK(n == 21 * 16, "region target: 21 x 4 x 4 floats");
    float *t = malloc(n * sizeof *t);
    /* box 1: 1 x .5 cells at cell (x 2, y 1): anchor 0 (IoU .5 against 1/12);
     * box 2: 3 x 2 cells, centre in cell (0, 3): anchor 1 */
    tgt_box b[3] = {
        {.6f, .3f, .25f, .125f, 1}, {.1f, .9f, .75f, .5f, 0}, {.55f, .49f, .2f, .1f, 0}};
    tgt_counts cnt = {0};
    tgt_encode(&net, heads, 1, b, 2, &t, &cnt);
    CHECK(at(t, 2, 4, 4, 0, 0, 1, 2) == .6f && at(t, 2, 4, 4, 0, 1, 1, 2) == .3f &&
              at(t, 2, 4, 4, 0, 2, 1, 2) == .25f && at(t, 2, 4, 4, 0, 3, 1, 2) == .125f,
          "box 1: x, y, w, h at anchor 0, cell (2, 1), channels 0-3");
    CHECK(at(t, 2, 4, 4, 0, 4, 1, 2) == 1 && at(t, 2, 4, 4, 0, 6, 1, 2) == 1 &&
              at(t, 2, 4, 4, 0, 5, 1, 2) == 0,
          "box 1: objectness 1 (ch 4), one-hot class 1 (ch 6)");
    CHECK(at(t, 2, 4, 4, 1, 4, 3, 0) == 1 && at(t, 2, 4, 4, 1, 0, 3, 0) == .1f &&
              at(t, 2, 4, 4, 1, 5, 3, 0) == 1 && t[((1 * 7 + 4) * 4 + 3) * 4 + 0] == 1,
          "box 2: anchor 1 (channel 7 + k), cell (0, 3), class 0");
    CHECK(nonzeros(t, n) == 12 && cnt.lost == 0 && cnt.unassigned == 0,
          "nothing else is set: 6 + 6 non-zero values, nothing lost");
    /* box 3 lands on box 1's cell and anchor: it takes the place, class 0 now */
    tgt_encode(&net, heads, 1, (tgt_box[]){b[0], b[2]}, 2, &t, &cnt);
    CHECK(cnt.lost == 1 && at(t, 2, 4, 4, 0, 0, 1, 2) == .55f && at(t, 2, 4, 4, 0, 5, 1, 2) == 1 &&
              at(t, 2, 4, 4, 0, 6, 1, 2) == 0 && nonzeros(t, n) == 6,
          "same cell and anchor: the later box wins, its class alone, 1 lost");
    tgt_box edge = {1.0f, 1.0f, .5f, .5f, 0};
    cnt = (tgt_counts){0};
    tgt_encode(&net, heads, 1, &edge, 1, &t, &cnt);
    CHECK(nonzeros(t, n) == 6 && t[((size_t)(0 * 7 + 4) * 4 + 3) * 4 + 3] +
          t[((size_t)(1 * 7 + 4) * 4 + 3) * 4 + 3] + t[((size_t)(2 * 7 + 4) * 4 + 3) * 4 + 3] == 1,
          "a centre on the far edge (1.0) goes to the last cell");
    free(t);
    net_free(&net);
    cfg_free(&c);
}

/* Two yolo heads: layer 1 on a 4x4 grid (mask 2,3), layer 4 on 8x8 (mask
 * 0,1); anchor 4 (30x4, thin) is in no mask. */
static const char *yolo_cfg =
    "[net]\nwidth=32\nheight=32\nchannels=3\n"
    "[convolutional]\nfilters=14\nsize=8\nstride=8\npad=0\nactivation=linear\n"
    "[yolo]\nmask=2,3\nanchors=4,4, 6,8, 12,12, 24,20, 30,4\nclasses=2\nnum=5\n"
    "[route]\nlayers=-2\n"
    "[upsample]\nstride=2\n"
    "[yolo]\nmask=0,1\nanchors=4,4, 6,8, 12,12, 24,20, 30,4\nclasses=2\nnum=5\n";

static void test_yolo(void)
{
    cfg c;
    network net;
    if (build(yolo_cfg, &c, &net) < 0) {
        CHECK(0, "yolo cfg builds");
        return;
    }
    int heads[2] = {1, 4};
    size_t n0 = tgt_size(&net.l[1]), n1 = tgt_size(&net.l[4]);
    CHECK(n0 == 14 * 16 && n1 == 14 * 64, "yolo targets: 14 x 4 x 4 and 14 x 8 x 8");
    float *t[2] = {malloc(n0 * sizeof(float)), malloc(n1 * sizeof(float))};
    /* 12 x 12 px: anchor 2 -> head 0, its anchor 0; 5 x 7 px: anchor 1 -> head 1,
     * its anchor 1; 28 x 5 px: anchor 4, in no mask */
    tgt_box b[3] = {{.3f, .7f, 12 / 32.f, 12 / 32.f, 1}, {.9f, .1f, 5 / 32.f, 7 / 32.f, 0},
                    {.5f, .5f, 28 / 32.f, 5 / 32.f, 1}};
    tgt_counts cnt = {0};
    tgt_encode(&net, heads, 2, b, 3, t, &cnt);
    CHECK(at(t[0], 2, 4, 4, 0, 4, 2, 1) == 1 && at(t[0], 2, 4, 4, 0, 0, 2, 1) == .3f &&
              at(t[0], 2, 4, 4, 0, 6, 2, 1) == 1 && nonzeros(t[0], n0) == 6,
          "12x12 px box: head 0 (mask 2,3), anchor 0, cell (1, 2), class 1; nothing else");
    CHECK(at(t[1], 2, 8, 8, 1, 4, 0, 7) == 1 && at(t[1], 2, 8, 8, 1, 3, 0, 7) == 7 / 32.f &&
              at(t[1], 2, 8, 8, 1, 5, 0, 7) == 1 && nonzeros(t[1], n1) == 6,
          "5x7 px box: head 1 (mask 0,1), anchor 1 (channel 7 + k), cell (7, 0)");
    CHECK(cnt.unassigned == 1 && cnt.lost == 0,
          "28x5 px box: best anchor 4 is in no mask, counted");
    free(t[0]);
    free(t[1]);
    net_free(&net);
    cfg_free(&c);
}

/* v1: side 2, one box per cell, 2 classes. */
static const char *det_cfg =
    "[net]\nwidth=16\nheight=16\nchannels=3\n"
    "[connected]\noutput=48\nactivation=linear\n"
    "[detection]\nclasses=2\ncoords=4\nrescore=1\nside=2\nnum=2\nsoftmax=0\nsqrt=1\njitter=.2\n";

static void test_detection(void)
{
    cfg c;
    network net;
    if (build(det_cfg, &c, &net) < 0) {
        CHECK(0, "detection cfg builds");
        return;
    }
    int heads[1] = {1};
    size_t n = tgt_size(&net.l[1]);
    CHECK(n == 4 * 7, "detection target: [S*S = 4, 5 + 2]");
    float *t = malloc(n * sizeof *t);
    tgt_box b[3] = {{.7f, .2f, .3f, .1f, 1}, {.2f, .8f, .1f, .1f, 0}, {.6f, .4f, .2f, .2f, 0}};
    tgt_counts cnt = {0};
    tgt_encode(&net, heads, 1, b, 2, &t, &cnt);
    const float *r1 = t + 1 * 7, *r2 = t + 2 * 7;
    CHECK(r1[0] == 1 && r1[1] == .7f && r1[2] == .2f && r1[3] == .3f && r1[4] == .1f &&
              r1[5] == 0 && r1[6] == 1, "box (.7, .2): row 1 (x 1, y 0) = [1, x, y, w, h, 0, 1]");
    CHECK(r2[0] == 1 && r2[1] == .2f && r2[5] == 1 && nonzeros(t, n) == 12 && cnt.lost == 0,
          "box (.2, .8): row 2, class 0; nothing else set");
    tgt_encode(&net, heads, 1, (tgt_box[]){b[0], b[2]}, 2, &t, &cnt);
    CHECK(cnt.lost == 1 && r1[1] == .6f && r1[5] == 1 && r1[6] == 0 && nonzeros(t, n) == 6,
          "two boxes in one cell: the later wins, 1 lost");
    free(t);
    net_free(&net);
    cfg_free(&c);
}

int main(void)
{
    test_truth();
    test_region();
    test_yolo();
    test_detection();
    return check_done();
}
