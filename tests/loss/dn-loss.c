/* Writes yolo-loss fixtures whose expected gradient is libdarknet's own:
 * random head inputs and boxes go through Debian's libdarknet
 * forward_region_layer (yolov2-voc.cfg's settings), forward_yolo_layer
 * (yolov3.cfg's) and forward_detection_layer (yolov1.cfg's) in training
 * mode, and its l.delta is turned into dL/d raw value as docs/losses.md
 * says:
 *   region:    x, y, objectness: -delta * s(1 - s) (darknet's GPU backward
 *              applies the logistic gradient; its CPU backward is empty);
 *              w, h, classes: -delta
 *   yolo:      -delta (backward_yolo_layer adds delta as it is)
 *   detection: -2 delta (the v1 loss is sum-squared without the 1/2)
 * The target key is encoded the way darknet assigns the boxes (the cell of
 * the centre, the anchor of best shape, a later box in the same place
 * replacing the earlier). Records: id, output, truth, target, expect_grad
 * (tests/stage/test_yolo_loss.sh compares). Built and run by
 * tests/loss/make-dn-fixtures.sh; needs the darknet package.
 *
 *     dn-loss region|region-warm|yolo|detection SEED N FILE.mp
 * (a file: darknet prints its averages on stdout) */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <darknet.h>
#include <msgpack.h>

layer make_region_layer(int batch, int w, int h, int n, int classes, int coords);
void forward_region_layer(const layer l, network net);
layer make_yolo_layer(int batch, int w, int h, int n, int total, int *mask, int classes);
void forward_yolo_layer(const layer l, network net);
layer make_detection_layer(int batch, int inputs, int n, int side, int classes, int coords,
                           int rescore);
void forward_detection_layer(const layer l, network net);

#define MAXT 12

static uint64_t rs;
static double unif(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return (double)(rs >> 11) / 9007199254740992.0;
}
static double normal(void)
{
    double u = unif() + 1e-12, v = unif();
    return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

static void key(msgpack_packer *p, const char *k)
{
    msgpack_pack_str(p, strlen(k));
    msgpack_pack_str_body(p, k, strlen(k));
}

static void tensor(msgpack_packer *p, const float *v, int nd, const int *shape)
{
    size_t n = 1;
    msgpack_pack_map(p, 3);
    key(p, "dtype");
    msgpack_pack_str(p, 3);
    msgpack_pack_str_body(p, "f32", 3);
    key(p, "shape");
    msgpack_pack_array(p, nd);
    for (int i = 0; i < nd; i++) {
        msgpack_pack_int(p, shape[i]);
        n *= shape[i];
    }
    key(p, "data");
    msgpack_pack_bin(p, n * 4);
    msgpack_pack_bin_body(p, v, n * 4);
}

/* Boxes: x, y in (0, 1) (never 0: darknet stops at x == 0), some at the
 * border, some in the cell of the previous one. */
static int truths(float *t, int classes)
{
    int n = (int)(unif() * MAXT);
    for (int i = 0; i < n; i++) {
        float *b = t + 5 * i;
        if (i % 3 == 0) {
            b[0] = 0.05 + 0.9 * unif();
            b[1] = 0.05 + 0.9 * unif();
        } else if (i % 3 == 1) {
            b[0] = unif() < 0.5 ? 0.004 : 0.996;
            b[1] = 0.02 + 0.96 * unif();
        } else {
            b[0] = fmin(fmax(b[-5] + 0.01 * normal(), 0.002), 0.998);
            b[1] = fmin(fmax(b[-4] + 0.01 * normal(), 0.002), 0.998);
        }
        b[2] = 0.02 + 0.75 * unif();
        b[3] = 0.02 + 0.75 * unif();
        b[4] = (float)(int)(unif() * classes);
    }
    return n;
}

static float wh_iou(float w1, float h1, float w2, float h2)
{
    float inter = fminf(w1, w2) * fminf(h1, h2);
    return inter / (w1 * h1 + w2 * h2 - inter);
}

/* Best anchor by centred IoU, the first of the highest (darknet's rule). */
static int best_anchor(const float *b, const float *anchors, int n, float sw, float sh)
{
    int best = 0;
    float bu = 0;
    for (int k = 0; k < n; k++) {
        float u = wh_iou(anchors[2 * k] / sw, anchors[2 * k + 1] / sh, b[2], b[3]);
        if (u > bu)
            bu = u, best = k;
    }
    return best;
}

/* Raw grid values; half the boxes get every anchor of their cell fitted. */
static void grid_input(float *x, int A, int C, int H, int W, const float *t, int nt,
                       const float *anchors, const int *mask, float sw, float sh)
{
    int hw = H * W, per = 5 + C;
    for (int i = 0; i < A * per * hw; i++)
        x[i] = 1.2 * normal();
    for (int k = 0; k < nt; k += 2) {
        const float *b = t + 5 * k;
        int i = (int)(b[0] * W), j = (int)(b[1] * H);
        for (int a = 0; a < A; a++) {
            int m = mask ? mask[a] : a;
            double fx = fmin(fmax(b[0] * W - i, 0.02), 0.98), fy = fmin(fmax(b[1] * H - j, 0.02), 0.98);
            x[(a * per + 0) * hw + j * W + i] = log(fx / (1 - fx)) + 0.05 * normal();
            x[(a * per + 1) * hw + j * W + i] = log(fy / (1 - fy)) + 0.05 * normal();
            x[(a * per + 2) * hw + j * W + i] = log(b[2] * sw / anchors[2 * m]) + 0.05 * normal();
            x[(a * per + 3) * hw + j * W + i] = log(b[3] * sh / anchors[2 * m + 1]) + 0.05 * normal();
        }
    }
}

/* Our target for a grid head: box k to (anchor a, its cell); multi adds
 * the class to an entry already there (darknet's yolo layer does). */
static void grid_target(float *g, int A, int C, int H, int W, const float *b, int a,
                        int multi)
{
    int hw = H * W, per = 5 + C, cell = (int)(b[1] * H) * W + (int)(b[0] * W);
    int had = g[(a * per + 4) * hw + cell] == 1;
    for (int k = 0; k < per; k++)
        if (k < 5 || !(multi && had))
            g[(a * per + k) * hw + cell] = k < 4 ? b[k] : k == 4;
    g[(a * per + 5 + (int)b[4]) * hw + cell] = 1;
    (void)A;
}

/* key: [one tensor] (target, expect_grad of a one-head record) */
static void one_list(msgpack_packer *p, const char *k, const float *v, int nd, const int *shape)
{
    key(p, k);
    msgpack_pack_array(p, 1);
    tensor(p, v, nd, shape);
}

static float sigm(float x) { return 1 / (1 + expf(-x)); }

static void head_common(msgpack_packer *p, const char *type, const float *x, int nd,
                        const int *shape, int C, int num, int nw, int nh)
{
    key(p, "type");
    msgpack_pack_str(p, strlen(type));
    msgpack_pack_str_body(p, type, strlen(type));
    key(p, "tensor");
    tensor(p, x, nd, shape);
    key(p, "classes");
    msgpack_pack_int(p, C);
    key(p, "coords");
    msgpack_pack_int(p, 4);
    key(p, "num");
    msgpack_pack_int(p, num);
    key(p, "net_w");
    msgpack_pack_int(p, nw);
    key(p, "net_h");
    msgpack_pack_int(p, nh);
}

static void floats(msgpack_packer *p, const float *v, int n)
{
    msgpack_pack_array(p, n);
    for (int i = 0; i < n; i++)
        msgpack_pack_float(p, v[i]);
}

static void record_head(msgpack_packer *p, int idx, int n_keys)
{
    char id[32];
    snprintf(id, sizeof id, "dn%d", idx);
    msgpack_pack_map(p, n_keys);
    key(p, "id");
    msgpack_pack_str(p, strlen(id));
    msgpack_pack_str_body(p, id, strlen(id));
}

static void v2_region(msgpack_packer *p, int idx, size_t seen)
{
    enum { A = 5, C = 4, H = 3, W = 4 };
    static const float anchors[10] = {1.3221, 1.73145, 3.19275, 4.00944, 5.05587,
                                      8.09892, 9.47112, 4.84053, 11.2364, 10.0071};
    int per = 5 + C, hw = H * W, size = A * per * hw;
    float t[5 * 30] = {0}, x[A * per * H * W], g[A * per * H * W], tg[A * per * H * W];
    int nt = truths(t, C);
    grid_input(x, A, C, H, W, t, nt, anchors, NULL, W, H);
    memset(tg, 0, sizeof tg);
    for (int k = 0; k < nt; k++)
        grid_target(tg, A, C, H, W, t + 5 * k, best_anchor(t + 5 * k, anchors, A, W, H), 0);
    layer l = make_region_layer(1, W, H, A, C, 4);
    memcpy(l.biases, anchors, sizeof anchors);
    l.softmax = 1, l.rescore = 1, l.bias_match = 1, l.thresh = .6;
    l.coord_scale = 1, l.object_scale = 5, l.noobject_scale = 1, l.class_scale = 1;
    network net = {0};
    net.input = x, net.truth = t, net.train = 1, net.seen = &seen, net.batch = 1;
    forward_region_layer(l, net);
    for (int a = 0; a < A; a++)
        for (int k = 0; k < per; k++)
            for (int c = 0; c < hw; c++) {
                int i = (a * per + k) * hw + c;
                float s = sigm(x[i]);
                g[i] = k == 0 || k == 1 || k == 4 ? -l.delta[i] * s * (1 - s) : -l.delta[i];
            }
    int shape[3] = {A * per, H, W}, ts[2] = {nt, 5};
    record_head(p, idx, 5);
    key(p, "output");
    msgpack_pack_array(p, 1);
    msgpack_pack_map(p, 9);
    head_common(p, "region", x, 3, shape, C, A, 32 * W, 32 * H);
    key(p, "anchors");
    floats(p, anchors, 10);
    key(p, "softmax");
    msgpack_pack_true(p);
    key(p, "truth");
    tensor(p, t, 2, ts);
    one_list(p, "target", tg, 3, shape);
    one_list(p, "expect_grad", g, 3, shape);
    (void)size;
}

static void v3_yolo(msgpack_packer *p, int idx)
{
    enum { A = 3, C = 4, NW = 96, NH = 64 };
    static const float anchors[12] = {10, 13, 16, 30, 33, 23, 30, 61, 62, 45, 59, 119};
    static int masks[2][3] = {{3, 4, 5}, {0, 1, 2}};
    int grids[2][2] = {{NH / 32, NW / 32}, {NH / 16, NW / 16}}, per = 5 + C;
    float t[5 * 90] = {0};
    int nt = truths(t, C), ts[2] = {nt, 5};
    float *x[2], *g[2], *tg[2];
    int shapes[2][3];
    for (int h = 0; h < 2; h++) {
        int H = grids[h][0], W = grids[h][1], n = A * per * H * W;
        x[h] = malloc(n * sizeof(float));
        g[h] = malloc(n * sizeof(float));
        tg[h] = calloc(n, sizeof(float));
        grid_input(x[h], A, C, H, W, t, nt, anchors, masks[h], NW, NH);
        for (int k = 0; k < nt; k++) {
            int best = best_anchor(t + 5 * k, anchors, 6, NW, NH);
            for (int a = 0; a < A; a++)
                if (masks[h][a] == best)
                    grid_target(tg[h], A, C, H, W, t + 5 * k, a, 1);
        }
        layer l = make_yolo_layer(1, W, H, A, 6, masks[h], C);
        memcpy(l.biases, anchors, sizeof anchors);
        l.ignore_thresh = .7, l.truth_thresh = 1, l.max_boxes = 90;
        network net = {0};
        size_t seen = 0;
        net.input = x[h], net.truth = t, net.train = 1, net.seen = &seen, net.batch = 1;
        net.w = NW, net.h = NH;
        forward_yolo_layer(l, net);
        for (int i = 0; i < n; i++)
            g[h][i] = -l.delta[i];
        shapes[h][0] = A * per, shapes[h][1] = H, shapes[h][2] = W;
    }
    record_head(p, idx, 5);
    key(p, "output");
    msgpack_pack_array(p, 2);
    for (int h = 0; h < 2; h++) {
        msgpack_pack_map(p, 9);
        head_common(p, "yolo", x[h], 3, shapes[h], C, 6, NW, NH);
        key(p, "anchors");
        floats(p, anchors, 12);
        key(p, "mask");
        msgpack_pack_array(p, 3);
        for (int a = 0; a < 3; a++)
            msgpack_pack_int(p, masks[h][a]);
    }
    key(p, "truth");
    tensor(p, t, 2, ts);
    key(p, "target");
    msgpack_pack_array(p, 2);
    for (int h = 0; h < 2; h++)
        tensor(p, tg[h], 3, shapes[h]);
    key(p, "expect_grad");
    msgpack_pack_array(p, 2);
    for (int h = 0; h < 2; h++) {
        tensor(p, g[h], 3, shapes[h]);
        free(x[h]), free(g[h]), free(tg[h]);
    }
}

static void v1_detection(msgpack_packer *p, int idx)
{
    enum { S = 3, B = 2, C = 3, N = S * S * (B * 5 + C) };
    float t[5 * MAXT], x[N], g[N], tg[S * S * (5 + C)], dt[S * S * (5 + C)];
    int nt = truths(t, C);
    for (int i = 0; i < N; i++)
        x[i] = i < S * S * (C + B) ? normal() : 0.1 + 0.8 * unif();
    /* cell 0: tiny boxes away from a small truth, every IoU 0: the nearest
     * box (box 1) is responsible */
    for (int k = 0; k < 4 * B; k++)
        x[S * S * (C + B) + k] = k % 4 >= 2 ? 0.01 : 0.9 - 0.3 * (k / 4);
    if (nt)
        t[0] = 0.04, t[1] = 0.05, t[2] = 0.05, t[3] = 0.06;
    memset(tg, 0, sizeof tg);
    memset(dt, 0, sizeof dt);
    for (int k = 0; k < nt; k++) {
        const float *b = t + 5 * k;
        int col = (int)(b[0] * S), row = (int)(b[1] * S), cell = row * S + col;
        float *o = tg + cell * (5 + C), *d = dt + cell * (5 + C);
        memset(o, 0, (5 + C) * sizeof *o);
        memset(d, 0, (5 + C) * sizeof *d);
        o[0] = d[0] = 1;
        memcpy(o + 1, b, 4 * sizeof *b);
        o[5 + (int)b[4]] = d[1 + (int)b[4]] = 1;
        /* darknet's truth: obj, classes, x and y within the cell, w, h */
        d[1 + C] = b[0] * S - col, d[2 + C] = b[1] * S - row, d[3 + C] = b[2], d[4 + C] = b[3];
    }
    layer l = make_detection_layer(1, N, B, S, C, 4, 1);
    l.sqrt = 1, l.softmax = 0, l.coord_scale = 5, l.object_scale = 1, l.noobject_scale = .5;
    l.class_scale = 1;
    network net = {0};
    size_t seen = 0;
    net.input = x, net.truth = dt, net.train = 1, net.seen = &seen, net.batch = 1;
    forward_detection_layer(l, net);
    for (int i = 0; i < N; i++)
        g[i] = -2 * l.delta[i];
    int shape[1] = {N}, ts[2] = {nt, 5}, tsh[2] = {S * S, 5 + C};
    record_head(p, idx, 5);
    key(p, "output");
    msgpack_pack_array(p, 1);
    msgpack_pack_map(p, 10);
    head_common(p, "detection", x, 1, shape, C, B, 448, 448);
    key(p, "side");
    msgpack_pack_int(p, S);
    key(p, "sqrt");
    msgpack_pack_true(p);
    key(p, "softmax");
    msgpack_pack_false(p);
    key(p, "truth");
    tensor(p, t, 2, ts);
    one_list(p, "target", tg, 2, tsh);
    one_list(p, "expect_grad", g, 1, shape);
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: dn-loss region|region-warm|yolo|detection SEED N FILE.mp\n");
        return 1;
    }
    rs = strtoull(argv[2], NULL, 10) * 2654435761u + 1;
    int n = atoi(argv[3]);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer p;
    msgpack_packer_init(&p, &sb, msgpack_sbuffer_write);
    for (int i = 0; i < n; i++) {
        if (!strcmp(argv[1], "region"))
            v2_region(&p, i, 12800);
        else if (!strcmp(argv[1], "region-warm"))
            v2_region(&p, i, 0);
        else if (!strcmp(argv[1], "yolo"))
            v3_yolo(&p, i);
        else
            v1_detection(&p, i);
    }
    FILE *f = fopen(argv[4], "wb");
    int bad = !f || fwrite(sb.data, 1, sb.size, f) != sb.size;
    bad |= f && fclose(f) != 0;
    msgpack_sbuffer_destroy(&sb);
    if (bad)
        perror(argv[4]);
    return bad;
}
