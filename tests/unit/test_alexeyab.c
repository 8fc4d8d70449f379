/* AlexeyAB's cfg dialect (the yolov4 cfgs): its keys accepted and reported,
 * typos and options this project does not implement refused, route groups,
 * maxpool_depth, mish / swish / hard_mish, scale_x_y, its batch norm, the
 * resize a cfg asks for, training built (each of these has its backward),
 * and DIoU (data/box) with DIoU-NMS (post/nms). Agreement with AlexeyAB's
 * libdarknet itself is test_network's (the ab-* and v4 fixtures). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "yolo/data/box.h"
#include "yolo/net/layers.h"
#include "yolo/post/nms.h"
#include "yolo/run/forward.h"

#include "check.h"

#define NET "[net]\nwidth=8\nheight=8\nchannels=4\n"

/* Builds text (inference, or training with train); 0 or -1 with err. */
static int build(const char *text, int train, cfg *c, network *net, yerr *err)
{
    if (cfg_parse(c, "t.cfg", text, strlen(text), err) < 0)
        return -1;
    net_opts o = {.batch = 1, .train = train};
    if (net_load_opts(c, net, &o, err) < 0) {
        cfg_free(c);
        return -1;
    }
    return 0;
}

static void refused(const char *text, int train, const char *want, const char *name)
{
    cfg c;
    network net;
    yerr err = {0};
    int rc = build(text, train, &c, &net, &err);
    CHECK(rc < 0 && err.code == YOLO_EINPUT && strstr(err.msg, want), "%s (%s)", name,
          rc ? err.msg : "built");
    if (rc == 0) {
        net_free(&net);
        cfg_free(&c);
    }
}

static void count_unused(void *ctx, const cfg *c, const cfg_section *s, const cfg_kv *kv)
{
    (void)c, (void)s;
    char *list = ctx;
    strncat(list, kv->key, 255 - strlen(list));
    strncat(list, " ", 255 - strlen(list));
}

static void test_keys(void)
{
    const char *text = NET "mosaic=1\n[convolutional]\nfilters=8\nsize=1\nactivation=leaky\n"
                           "[yolo]\nmask=0\nanchors=1,2\nnum=1\nclasses=3\niou_loss=ciou\n"
                           "iou_normalizer=0.07\ncls_normalizer=1\nmax_delta=5\nresize=1.5\n"
                           "beta_nms=0.6\nnms_kind=greedynms\nscale_x_y=1.05\n"
                           "label_smooth_eps=0.1\n";
    cfg c;
    network net;
    yerr err = {0};
    int rc = build(text, 0, &c, &net, &err);
    CHECK(rc == 0, "yolov4's [net] and [yolo] keys are accepted (%s)", rc ? err.msg : "ok");
    if (rc)
        return;
    CHECK(c.ab_line == 5, "the cfg is in AlexeyAB's dialect from its first key of his (line %d)",
          c.ab_line);
    char list[256] = "";
    cfg_unused(&c, count_unused, list);
    CHECK(!strcmp(list, "mosaic max_delta resize beta_nms nms_kind "),
          "the training keys yolo-loss does not take are reported as unused: '%s'", list);
    CHECK(!strcmp(net.l[1].iou_loss, "ciou") && net.l[1].iou_norm == .07f &&
              net.l[1].cls_norm == 1,
          "iou_loss, iou_normalizer and cls_normalizer kept for yolo-loss (%s %g %g)",
          net.l[1].iou_loss, (double)net.l[1].iou_norm, (double)net.l[1].cls_norm);
    CHECK(net.l[1].scale_xy == 1.05f, "scale_x_y read (%g)", (double)net.l[1].scale_xy);
    CHECK(net.l[1].label_smooth == .1f, "label_smooth_eps kept for yolo-loss (%g)",
          (double)net.l[1].label_smooth);
    net_free(&net);
    cfg_free(&c);

    yerr e2 = {0};
    cfg c2;
    const char *typo = NET "mosiac=1\n";
    CHECK(cfg_parse(&c2, "t.cfg", typo, strlen(typo), &e2) < 0 &&
              strstr(e2.msg, "t.cfg:5: [net] has no key 'mosiac' (did you mean 'mosaic'?)"),
          "a typo of one of AlexeyAB's keys is still an error (%s)", e2.msg);
    const char *pj = NET "[convolutional]\nfilters=4\n";
    if (cfg_parse(&c2, "t.cfg", pj, strlen(pj), &e2) == 0) {
        CHECK(c2.ab_line == 0, "a cfg with only pjreddie's keys is not in AlexeyAB's dialect");
        cfg_free(&c2);
    }
    const char *act = NET "[convolutional]\nfilters=4\nactivation=mish\n";
    if (cfg_parse(&c2, "t.cfg", act, strlen(act), &e2) == 0) {
        network n2;
        CHECK(net_load(&c2, &n2, &e2) == 0 && c2.ab_line == 7,
              "an activation only AlexeyAB's has puts the cfg in his dialect (line %d)",
              c2.ab_line);
        net_free(&n2);
        cfg_free(&c2);
    }
}

#define YOLO "[convolutional]\nfilters=8\nsize=1\n[yolo]\nmask=0\nanchors=1,2\nnum=1\nclasses=3\n"

static void test_refusals(void)
{
    refused(NET YOLO "iou_loss=cious\n", 0, "t.cfg:13: [yolo] iou_loss: 'cious' is not one of: "
            "mse iou giou diou ciou", "a misspelt iou_loss");
    refused(NET YOLO "nms_kind=greedy\n", 0, "[yolo] nms_kind: 'greedy' is not one of",
            "a misspelt nms_kind");
    refused(NET YOLO "new_coords=1\n", 0, "[yolo] new_coords: only 0 (the default)",
            "new_coords");
    refused(NET "[convolutional]\nfilters=4\nsize=3\npad=1\ndilation=2\n", 0,
            "[convolutional] dilation: only 1 (the default) is supported", "dilation");
    refused(NET "[convolutional]\nfilters=4\nstride=2\nstride_x=1\n", 0,
            "stride_x: only 2 (the default)", "a convolution's stride_x");
    refused(NET "[convolutional]\nfilters=4\nantialiasing=1\n", 0, "antialiasing: only 0",
            "a convolution's antialiasing");
    refused(NET "[maxpool]\nsize=2\nstride=2\nstride_y=1\n", 0,
            "[maxpool] stride_y: a stride other than stride=2", "a maxpool's stride_y");
    refused(NET "[maxpool]\nout_channels=2\n", 0, "out_channels: only with maxpool_depth=1",
            "out_channels without maxpool_depth");
    refused(NET "[convolutional]\nfilters=4\n[convolutional]\nfilters=4\n[shortcut]\n"
            "from=-2,-3\n", 0, "a sum of several layers (AlexeyAB's) is not supported",
            "shortcut from several layers");
    refused(NET "[convolutional]\nfilters=4\n[shortcut]\nfrom=-2\nweights_type=per_channel\n", 0,
            "weights_type: 'per_channel' is not one of: none", "weighted shortcut");
    refused(NET "[convolutional]\nfilters=6\n[route]\nlayers=-1\ngroups=4\n", 0,
            "[route] groups: layer 0's 6 channels do not split into 4 groups",
            "groups that do not divide the channels");
    refused(NET "[convolutional]\nfilters=6\nactivation=relu6\n", 0, "unknown activation 'relu6'",
            "relu6 (AlexeyAB's CPU forward makes it 0)");
    /* training: what has a backward now builds (tests/unit/test_backward.c
     * checks the gradients); refusing the rest stays, naming layer and key */
    const char *trains[] = {
        NET "[convolutional]\nfilters=4\n[route]\nlayers=-1\ngroups=2\ngroup_id=1\n",
        NET "[convolutional]\nfilters=4\nactivation=swish\n",
        NET "[maxpool]\nmaxpool_depth=1\nout_channels=2\n", NET YOLO "scale_x_y=1.1\n",
        NET "mosaic=1\n[convolutional]\nfilters=4\nbatch_normalize=1\nactivation=mish\n"};
    int built = 0;
    for (size_t k = 0; k < sizeof trains / sizeof *trains; k++) {
        cfg c;
        network net;
        yerr err = {0};
        if (build(trains[k], 1, &c, &net, &err) == 0) {
            built += net.train && (k != 4 || (net.l[0].bn_ab && net.l[0].pre));
            net_free(&net), cfg_free(&c);
        } else {
            printf("# %s\n", err.msg);
        }
    }
    CHECK(built == 5, "training builds route groups, swish, maxpool_depth, scale_x_y and "
          "AlexeyAB's batch norm under mish (its input kept): %d of 5", built);
}

/* Runs text's network on input in [c, h, w] (every layer kept); 0 or -1. */
static int run(const char *text, const float *input, cfg *c, network *net)
{
    yerr err = {0};
    if (build(text, 0, c, net, &err) < 0) {
        CHECK(0, "builds (%s)", err.msg);
        return -1;
    }
    memcpy(net->input, input, (size_t)net->inputs * sizeof *input);
    net_forward(net);
    return 0;
}

static void test_layers(void)
{
    float in[4 * 8 * 8];
    for (int i = 0; i < 4 * 64; i++)
        in[i] = (float)((i * 37) % 101) / 25 - 2;     /* [-2, 2) */
    cfg c;
    network net;
    if (run(NET "[maxpool]\nsize=1\nstride=1\n[route]\nlayers=-1\ngroups=2\ngroup_id=1\n", in, &c,
            &net) < 0)
        return;
    CHECK(net.l[1].out_c == 2 && !memcmp(net.l[1].out, in + 2 * 64, 2 * 64 * sizeof *in),
          "route groups=2 group_id=1 is the second half of the channels");
    net_free(&net), cfg_free(&c);
    if (run(NET "[maxpool]\nmaxpool_depth=1\nout_channels=2\n", in, &c, &net) < 0)
        return;
    int ok = net.l[0].out_c == 2 && net.l[0].out_w == 8;
    for (int g = 0; g < 2; g++)
        for (int i = 0; i < 64; i++)
            ok &= net.l[0].out[g * 64 + i] == fmaxf(in[g * 64 + i], in[(g + 2) * 64 + i]);
    CHECK(ok, "maxpool_depth out_channels=2: channel g the max of input channels g and g + 2");
    net_free(&net), cfg_free(&c);

    struct { act_type a; const char *name; } acts[] = {
        {ACT_MISH, "mish"}, {ACT_SWISH, "swish"}, {ACT_HARD_MISH, "hard_mish"}};
    for (int k = 0; k < 3; k++) {
        double worst = 0;
        for (double x = -30; x <= 30; x += .01) {
            double want = acts[k].a == ACT_MISH ? x * tanh(log1p(exp(x)))
                          : acts[k].a == ACT_SWISH ? x / (1 + exp(-x))
                          : x > 0 ? x : x > -2 ? x * x / 2 + x : 0;
            worst = fmax(worst, fabs(act_one((float)x, acts[k].a) - want) / fmax(1, fabs(want)));
        }
        CHECK(act_parse(acts[k].name) == (int)acts[k].a && worst < 1e-6,
              "%s against its formula in double, x in [-30, 30]: worst %.3g", acts[k].name, worst);
        CHECK(act_needs_input(acts[k].a) && isnan(act_slope(1, acts[k].a)),
              "%s has no derivative from its output (NaN, never silently wrong)", acts[k].name);
        /* the derivative from the input against the derivative in double of
         * the same formula (mish: its softplus branches at +-20) */
        worst = 0;
        for (double x0 = -30; x0 <= 30; x0 += .01) {
            double x = (float)x0, want;      /* the same x on both sides of a kink */
            if (acts[k].a == ACT_MISH) {
                double sp = x > 20 ? x : x < -20 ? exp(x) : log1p(exp(x));
                double dsp = x > 20 ? 1 : x < -20 ? exp(x) : 1 / (1 + exp(-x)), t = tanh(sp);
                want = t + x * (1 - t * t) * dsp;
            } else if (acts[k].a == ACT_SWISH) {
                double sg = 1 / (1 + exp(-x));
                want = sg + x * sg * (1 - sg);
            } else {
                want = x > 0 ? 1 : x > -2 ? x + 1 : 0;
            }
            worst = fmax(worst, fabs(act_slope_in((float)x, acts[k].a) - want));
        }
        CHECK(worst < 2e-6, "%s's derivative from its input against the formula's in double, "
              "x in [-30, 30]: worst %.3g", acts[k].name, worst);
    }
}

static void test_scale_bn(void)
{
    cfg c;
    network net;
    yerr err = {0};
    if (build(NET YOLO "scale_x_y=1.2\n", 0, &c, &net, &err) < 0) {
        CHECK(0, "builds (%s)", err.msg);
        return;
    }
    layer *l = &net.l[1];
    float x[8 * 64];
    for (int i = 0; i < 8 * 64; i++)
        x[i] = i < 64 ? 0 : i < 128 ? 50 : 1;    /* x: logistic .5, y: 1 */
    head_activate(l, x);
    CHECK(x[0] == .5f && fabsf(x[64] - 1.1f) < 1e-6f && fabsf(x[4 * 64] - 1 / (1 + expf(-1))) < 1e-7f,
          "scale_x_y 1.2: x .5 stays, y 1 becomes 1.1, objectness a plain logistic (%g, %g)",
          (double)x[0], (double)x[64]);
    net_free(&net), cfg_free(&c);

    const char *bn = "[convolutional]\nfilters=1\nsize=1\nbatch_normalize=1\nactivation=linear\n";
    char pj[256], ab[256];
    snprintf(pj, sizeof pj, "[net]\nwidth=1\nheight=1\nchannels=1\n%s", bn);
    snprintf(ab, sizeof ab, "[net]\nwidth=1\nheight=1\nchannels=1\nmosaic=1\n%s", bn);
    float got[2];
    for (int k = 0; k < 2; k++) {
        if (build(k ? ab : pj, 0, &c, &net, &err) < 0) {
            CHECK(0, "builds (%s)", err.msg);
            return;
        }
        l = &net.l[0];
        l->weights[0] = 1, l->biases[0] = 0, l->scales[0] = 1, l->mean[0] = 0, l->var[0] = 1e-4f;
        net.input[0] = 1;
        net_forward(&net);
        got[k] = l->out[0];
        net_free(&net), cfg_free(&c);
    }
    CHECK(fabsf(got[0] - 1 / (.01f + 1e-6f)) < 1e-2f && fabsf(got[1] - 1 / sqrtf(1e-4f + 1e-5f)) < 1e-2f,
          "batch norm: pjreddie's 1/(sqrt(var) + 1e-6) = %g, AlexeyAB's 1/sqrt(var + 1e-5) = %g",
          (double)got[0], (double)got[1]);
}

static void test_resize(void)
{
    static const struct { const char *text; int want; const char *why; } cases[] = {
        {NET, 0, "pjreddie's cfg: letterbox, as his detector"},
        {NET "mosaic=1\n", 1, "AlexeyAB's without letter_box: stretched, as his detector"},
        {NET "mosaic=1\nletter_box=1\n", 0, "AlexeyAB's with letter_box=1: letterbox"},
        {NET "letter_box=0\n", 1, "letter_box=0: stretched"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cfg c;
        yerr err = {0};
        int resize = -1;
        int rc = cfg_parse(&c, "t.cfg", cases[i].text, strlen(cases[i].text), &err);
        rc = rc ? rc : fwd_cfg_resize(&c, &resize, &err);
        CHECK(rc == 0 && resize == cases[i].want, "%s (%d)", cases[i].why, resize);
        if (rc == 0)
            cfg_free(&c);
    }
}

static void test_diou(void)
{
    box a = {0, 0, 2, 2}, b = {1, 0, 3, 2}, far = {10, 10, 12, 12};
    /* a, b: IoU 1/3, centres 1 apart, enclosing box 3 x 2 (diagonal^2 13) */
    CHECK(fabs(box_diou(a, b, 1) - (1.0 / 3 - 1.0 / 13)) < 1e-12, "DIoU (beta 1) = IoU - d^2/c^2");
    CHECK(fabs(box_diou(a, b, .6) - (1.0 / 3 - pow(1.0 / 13, .6))) < 1e-12,
          "beta .6, AlexeyAB's greedynms: IoU - (d^2/c^2)^.6");
    CHECK(box_diou(a, a, .6) == 1, "a box with itself: 1");
    CHECK(box_diou(a, far, 1) < 0, "far apart: below 0 (%g)", box_diou(a, far, 1));
    box dot = {1, 1, 1, 1};
    CHECK(box_diou(dot, dot, .6) == 0, "two points on one spot: the IoU, 0 (no NaN)");

    /* two boxes of one class, IoU 7/13 (> .45), centres apart: DIoU 7/13 -
     * (d^2/c^2)^.6 is below .45 on a square image, so DIoU-NMS keeps both */
    ydet v[2] = {{.cls = 0, .score = .9, .bbox = {0, 0, 10, 10}},
                 {.cls = 0, .score = .8, .bbox = {3, 0, 13, 10}}};
    nms_cfg g = {.method = NMS_GREEDY, .iou = .45, .max_det = 100};
    nms_work w = {0};
    long plain = nms_run(&g, v, 2, 100, 100, &w);
    g.diou = .6;
    long diou = nms_run(&g, v, 2, 100, 100, &w);
    double o = box_diou((box){0, 0, .1, .1}, (box){.03, 0, .13, .1}, .6);
    CHECK(plain == 1 && diou == 2, "IoU %.3f suppresses, DIoU %.3f does not (kept %ld, %ld)",
          box_iou(v[0].bbox, v[1].bbox), o, plain, diou);
    /* the same boxes on an image 10x as wide: in relative coordinates the
     * horizontal offset is small beside the enclosing box's height */
    long wide = nms_run(&g, v, 2, 1000, 100, &w);
    CHECK(wide == 1, "DIoU-NMS works in image-relative coordinates: on a 1000 x 100 image the "
          "same pair is suppressed (kept %ld)", wide);
    nms_work_free(&w);
}

int main(void)
{
    test_keys();
    test_refusals();
    test_layers();
    test_scale_bn();
    test_resize();
    test_diou();
    return check_done();
}
