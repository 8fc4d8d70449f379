/* Compares this project's network core with Debian's libdarknet and writes
 * the fixtures the unit tests check without darknet installed.
 *
 *   darknet-harness shapes  CFG OUT          per-layer shapes and counts at
 *                                            the cfg's own size
 *   darknet-harness forward CFG W H SEED OUT [IN.ppm|- [MAJOR.MINOR]]
 *                                            the same at WxH, plus every
 *                                            layer's output on one input;
 *                                            the weights file written with
 *                                            that version (0.1001: old
 *                                            transposed connected layout)
 *   darknet-harness image JPG W H OUT.ppm    JPG decoded and resized by
 *                                            darknet, as an 8-bit PPM input
 *   darknet-harness letterbox JPG OUT.fix    JPG decoded by us (img_load),
 *                                            then resized and letterboxed by
 *                                            darknet and by us (common/image/image.c)
 *                                            at a few sizes; writes 64 samples
 *                                            of darknet's output per size and
 *                                            each max |ours - darknet|, plus
 *                                            how far darknet's own decode
 *                                            (load_image_color) is from ours
 *   darknet-harness boxes CFG W H SEED GAIN JPG letterbox|resize THRESH NMS OUT.mp OUT.txt
 *                                            darknet's detector path on JPG
 *                                            (seeded random weights, the
 *                                            layers feeding the heads scaled
 *                                            by GAIN): one record with each
 *                                            head's raw input as `output` and
 *                                            the `transform` darknet used, and
 *                                            darknet's boxes after
 *                                            get_network_boxes (lines "pre")
 *                                            and do_nms_sort (lines "nms")
 *
 * forward: our network gets weights_random(SEED), which weights_write saves;
 * libdarknet loads that file into the same cfg (width/height/batch
 * rewritten in a temporary copy) and both run on one input tensor (IN.ppm's
 * pixels / 255, or uniform [0,1) from seed SEED+1), given to darknet as
 * floats with network_predict.
 * Each layer's outputs are compared in full (max |ours - darknet| / max
 * |darknet|), heads after applying darknet's in-place activations to ours
 * (head_activate); the fixture keeps darknet's max |x|, sum |x| and 16
 * samples per layer. Prints one line per layer; exits 1 if any layer's
 * error exceeds 1e-4 or a shape or count differs. Built by `make
 * check-darknet` (needs the darknet package); not part of `make test`. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "yolo/image/image.h"
#include "yolo/records/record.h"
#include "yolo/net/layers.h"
#include "yolo/base/rng.h"
#include "yolo/net/weights.h"

#include "dn-side.h"

#define SAMPLES 16
#define TOL 1e-4

static void die(const char *what, const yerr *err)
{
    fprintf(stderr, "darknet-harness: %s: %s\n", what, err ? err->msg : "failed");
    exit(2);
}

/* cfg with [net]'s width, height, batch and subdivisions replaced (w or h
 * 0: kept), written to tmp. darknet's [net] is always the first section. */
static void rewrite_cfg(const char *path, int w, int h, const char *tmp)
{
    FILE *in = fopen(path, "r"), *out = fopen(tmp, "w");
    if (!in || !out)
        die(path, NULL);
    char line[CFG_MAX_LINE + 2];
    int section = 0;
    while (fgets(line, sizeof line, in)) {
        char key[64] = "";
        sscanf(line, " %63[a-z_]", key);
        if (line[strspn(line, " \t")] == '[' && ++section == 1) {
            fputs(line, out);
            fprintf(out, "batch=1\nsubdivisions=1\n");
            if (w)
                fprintf(out, "width=%d\nheight=%d\n", w, h);
            continue;
        }
        int drop = section == 1 && (!strcmp(key, "batch") || !strcmp(key, "subdivisions") ||
                                    (w && (!strcmp(key, "width") || !strcmp(key, "height"))));
        if (!drop)
            fputs(line, out);
    }
    fclose(in);
    if (fclose(out) != 0)
        die(tmp, NULL);
}

/* An 8-bit binary PPM of exactly w x h as [3, h, w] floats / 255. */
static int read_ppm(const char *path, int w, int h, float *x)
{
    FILE *f = fopen(path, "rb");
    int pw = 0, ph = 0, max = 0, ok = 0;
    if (f && fscanf(f, "P6 %d %d %d", &pw, &ph, &max) == 3 && fgetc(f) != EOF && pw == w &&
        ph == h && max == 255) {
        unsigned char *rgb = malloc((size_t)w * h * 3);
        ok = rgb && fread(rgb, 3, (size_t)w * h, f) == (size_t)w * h;
        for (int c = 0; ok && c < 3; c++)
            for (int i = 0; i < w * h; i++)
                x[(size_t)c * w * h + i] = rgb[(size_t)i * 3 + c] / 255.0f;
        free(rgb);
    }
    if (f)
        fclose(f);
    return ok ? 0 : -1;
}

static int image_main(const char *jpg, int w, int h, const char *out)
{
    unsigned char *rgb = malloc((size_t)w * h * 3);
    FILE *f = rgb ? fopen(out, "wb") : NULL;
    int ok = f && dn_image_rgb(jpg, w, h, rgb) == 0;
    ok = ok && fprintf(f, "P6\n%d %d\n255\n", w, h) > 0 &&
         fwrite(rgb, 3, (size_t)w * h, f) == (size_t)w * h;
    if (f && fclose(f) != 0)
        ok = 0;
    free(rgb);
    if (!ok)
        fprintf(stderr, "darknet-harness: cannot make %s from %s\n", out, jpg);
    return !ok;
}

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static const char *base(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

#define IMG_SAMPLES 64

/* max |a - b| over n */
static double max_diff(const float *a, const float *b, size_t n, size_t *ndiff)
{
    double m = 0;
    *ndiff = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        *ndiff += d != 0;
        if (d > m || isnan(d))
            m = isnan(d) ? INFINITY : d;
    }
    return m;
}

/* One resize (lb 0) or letterbox (lb 1) of im to w x h by both sides: the
 * fixture block, and 0 if they agree to 1e-6. */
static int compare_resize(const img *im, int w, int h, int lb, FILE *out)
{
    size_t n = (size_t)w * h * im->c, nd;
    float *dn = malloc(n * sizeof *dn); /* [c, h, w] */
    img ours = {0};
    yerr err;
    int rc = lb ? img_letterbox(im, w, h, &ours, NULL, &err) : img_resize(im, w, h, &ours, &err);
    if (!dn || rc != 0 || dn_resize(im->data, im->w, im->h, im->c, w, h, lb, dn) != 0)
        die("resize", rc ? &err : NULL);
    double d = max_diff(ours.data, dn, n, &nd);
    printf("%s %dx%d: max |ours - darknet| = %g (%zu of %zu values differ)\n",
           lb ? "letterbox" : "resize", w, h, d, nd, n);
    fprintf(out, "%s %d %d maxdiff %.9g\n", lb ? "letterbox" : "resize", w, h, d);
    for (size_t j = 0; j < IMG_SAMPLES; j++) {
        /* both ends, then spread by a multiplicative hash */
        size_t i = j == 0 ? 0 : j == 1 ? n - 1 : (size_t)((j * 2654435761u) % n);
        fprintf(out, "%zu %.9g\n", i, dn[i]);
    }
    free(dn);
    img_free(&ours);
    return d <= 1e-6 ? 0 : 1;
}

static int letterbox_main(const char *jpg, const char *outpath)
{
    img im;
    yerr err;
    if (img_load(jpg, &im, NULL, &err) != 0)
        die(jpg, &err);
    size_t n = (size_t)im.w * im.h * 3, nd = 0;
    float *dn = malloc(n * sizeof *dn); /* [3, h, w] */
    if (!dn || dn_load_color(jpg, im.w, im.h, dn) != 0)
        die("darknet's load_image_color", NULL);
    double dd = max_diff(im.data, dn, n, &nd);
    printf("decode %s %dx%d: max |ours - darknet| = %g (%zu of %zu values differ)\n",
           base(jpg), im.w, im.h, dd, nd, n);
    FILE *out = fopen(outpath, "w");
    if (!out)
        die(outpath, NULL);
    fprintf(out, "# made by tests/darknet/darknet-harness letterbox %s\n", base(jpg));
    fprintf(out, "image %d %d decode-maxdiff %.9g differing %zu\n", im.w, im.h, dd, nd);
    int bad = compare_resize(&im, 416, 416, 1, out) | compare_resize(&im, 300, 200, 1, out) |
              compare_resize(&im, 200, 300, 1, out) | compare_resize(&im, 97, 61, 0, out) |
              compare_resize(&im, 416, 416, 0, out) | compare_resize(&im, 1000, 777, 0, out);
    if (fclose(out) != 0)
        die(outpath, NULL);
    free(dn);
    img_free(&im);
    return bad;
}

/* darknet leaves some shapes at 0 (softmax, detection); then only the
 * element count is compared. */
static int shape_ok(const layer *l, const dn_layer *d)
{
    if (l->outputs != d->outputs)
        return 0;
    if (d->out_c == 0 && d->out_h == 0 && d->out_w == 0)
        return 1;
    return l->out_c == d->out_c && l->out_h == d->out_h && l->out_w == d->out_w;
}

static int counts_ok(const layer *l, const dn_layer *d)
{
    return (d->nweights == 0 || (size_t)d->nweights == l->nweights) &&
           (d->nbiases == 0 || (size_t)d->nbiases == l->nbiases);
}

/* max |a - b| / max |b| over n, and b's max |x|, sum |x| */
static double rel_error(const float *a, const float *b, int n, double *maxabs, double *sumabs)
{
    double diff = 0, mb = 0, sb = 0;
    for (int i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (d > diff || isnan(d))
            diff = isnan(d) ? INFINITY : d;
        if (fabs(b[i]) > mb)
            mb = fabs(b[i]);
        sb += fabs(b[i]);
    }
    *maxabs = mb, *sumabs = sb;
    return mb > 0 ? diff / mb : diff;
}


/* ---- boxes ------------------------------------------------------------------ */

/* Multiplies the layer feeding each head (a dropout passes through) by
 * gain: its batch-norm gamma and beta, or its weights and biases. Random
 * weights give near-uniform scores; a gain spreads them. */
static void scale_heads(network *net, float gain)
{
    for (int i = 1; i < net->n; i++) {
        cfg_type t = net->l[i].type;
        if (t != CFG_REGION && t != CFG_YOLO && t != CFG_DETECTION)
            continue;
        int j = i - 1;
        while (j > 0 && net->l[j].type == CFG_DROPOUT)
            j--;
        layer *l = &net->l[j];
        float *a = l->batch_normalize ? l->scales : l->weights;
        size_t na = l->batch_normalize ? (size_t)l->n : l->nweights;
        for (size_t k = 0; a && k < na; k++)
            a[k] *= gain;
        for (size_t k = 0; l->biases && k < l->nbiases; k++)
            l->biases[k] *= gain;
    }
}

static void pack_str(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str_with_body(pk, s, strlen(s));
}

static void pack_int(msgpack_packer *pk, const char *k, long v)
{
    pack_str(pk, k);
    msgpack_pack_long(pk, v);
}

static void pack_bool_kv(msgpack_packer *pk, const char *k, int v)
{
    pack_str(pk, k);
    if (v)
        msgpack_pack_true(pk);
    else
        msgpack_pack_false(pk);
}

/* output[i] as docs/records.md section 5 has it. */
static void pack_head(msgpack_packer *pk, const dn_head *h, int net_w, int net_h)
{
    static const char *const types[] = {"region", "yolo", "detection"};
    int det = h->type == DN_DETECTION, yolo = h->type == DN_YOLO;
    int sxy = yolo && h->scale_xy != 1;
    msgpack_pack_map(pk, det ? 10 : 9 + sxy);
    pack_str(pk, "type");
    pack_str(pk, types[h->type]);
    tensor_view t = {.dtype = TENSOR_F32, .data = (const uint8_t *)h->raw};
    int64_t grid[3] = {h->c, h->h, h->w}, flat[1] = {h->n};
    const char *why;
    if (tensor_set_shape(&t, det ? 1 : 3, det ? flat : grid, &why) < 0 || t.count != (size_t)h->n)
        die("head shape", NULL);
    pack_str(pk, "tensor");
    tensor_pack(pk, &t);
    if (!det) {
        int pairs = yolo ? h->total : h->num;
        pack_str(pk, "anchors");
        msgpack_pack_array(pk, (size_t)pairs * 2);
        for (int k = 0; k < 2 * pairs; k++)
            msgpack_pack_double(pk, h->anchors[k]);
    }
    if (yolo) {
        pack_str(pk, "mask");
        msgpack_pack_array(pk, (size_t)h->num);
        for (int k = 0; k < h->num; k++)
            msgpack_pack_int(pk, h->mask[k]);
    }
    pack_int(pk, "classes", h->classes);
    pack_int(pk, "coords", yolo ? 4 : h->coords); /* darknet's yolo layer leaves it 0 */
    pack_int(pk, "num", yolo ? h->total : h->num);
    if (det)
        pack_int(pk, "side", h->side);
    if (!yolo)
        pack_bool_kv(pk, "softmax", h->softmax);
    if (det)
        pack_bool_kv(pk, "sqrt", h->sqrt_wh);
    pack_int(pk, "net_w", net_w);
    pack_int(pk, "net_h", net_h);
    if (sxy) {
        pack_str(pk, "scale_x_y");
        msgpack_pack_double(pk, h->scale_xy);
    }
}

/* What darknet's letterbox_image (or resize_image) did: the scaled size it
 * computed, placed at the integer offset it used. */
static void pack_transform(msgpack_packer *pk, int imw, int imh, int net_w, int net_h, int lb)
{
    int new_w = net_w, new_h = net_h;
    if (lb && (float)net_w / imw < (float)net_h / imh)
        new_h = (imh * net_w) / imw;
    else if (lb)
        new_w = (imw * net_h) / imh;
    msgpack_pack_map(pk, 6);
    pack_int(pk, "net_w", net_w);
    pack_int(pk, "net_h", net_h);
    pack_str(pk, "sx");
    msgpack_pack_double(pk, (double)new_w / imw);
    pack_str(pk, "sy");
    msgpack_pack_double(pk, (double)new_h / imh);
    pack_str(pk, "dx");
    msgpack_pack_double(pk, (double)((net_w - new_w) / 2));
    pack_str(pk, "dy");
    msgpack_pack_double(pk, (double)((net_h - new_h) / 2));
}

static void write_record(const char *path, const char *jpg, int imw, int imh, int net_w,
                         int net_h, int lb, const dn_head *heads, int nheads)
{
    rec r;
    yerr err;
    rec_init(&r);
    int bad = rec_set_cstr(&r, "id", base(jpg), &err) < 0 ||
              rec_set_i64(&r, "width", imw, &err) < 0 || rec_set_i64(&r, "height", imh, &err) < 0;
    msgpack_packer *pk = rec_set_begin(&r, "transform");
    pack_transform(pk, imw, imh, net_w, net_h, lb);
    bad = bad || rec_set_end(&r, &err) < 0;
    pk = rec_set_begin(&r, "output");
    msgpack_pack_array(pk, (size_t)nheads);
    for (int i = 0; i < nheads; i++)
        pack_head(pk, &heads[i], net_w, net_h);
    bad = bad || rec_set_end(&r, &err) < 0;
    FILE *f = fopen(path, "wb");
    rec_writer w;
    rec_writer_init(&w, f, path);
    if (bad || !f || rec_write(&w, &r, &err) < 0 || fclose(f) != 0)
        die(path, &err);
    rec_free(&r);
}

static int by_class_prob(const void *pa, const void *pb)
{
    const dn_box *a = pa, *b = pb;
    if (a->cls != b->cls)
        return a->cls - b->cls;
    return a->prob > b->prob ? -1 : a->prob < b->prob;
}

/* "TAG class prob x1 y1 x2 y2 objectness" per pair, by class then prob. */
static int write_boxes(FILE *out, const char *tag, void *dn, int imw, int imh, int lb,
                       float thresh, float nms)
{
    dn_box *b;
    int n = dn_boxes(dn, imw, imh, lb, thresh, nms, &b);
    if (n < 0)
        die("dn_boxes", NULL);
    qsort(b, (size_t)n, sizeof *b, by_class_prob);
    for (int i = 0; i < n; i++)
        fprintf(out, "%s %d %.9g %.9g %.9g %.9g %.9g %.9g\n", tag, b[i].cls, b[i].prob,
                b[i].x - b[i].w / 2, b[i].y - b[i].h / 2, b[i].x + b[i].w / 2,
                b[i].y + b[i].h / 2, b[i].objectness);
    free(b);
    return n;
}

static int boxes_main(char **argv)
{
    const char *path = argv[2], *jpg = argv[7], *mp = argv[11], *txt = argv[12];
    int w = atoi(argv[3]), h = atoi(argv[4]), lb = !strcmp(argv[8], "letterbox");
    unsigned long long seed = strtoull(argv[5], NULL, 10);
    float gain = strtof(argv[6], NULL), thresh = strtof(argv[9], NULL);
    float nms = strtof(argv[10], NULL);
    yerr err = {0};
    cfg c;
    network net;
    if (cfg_load(&c, path, &err) < 0 || net_load_sized(&c, &net, w, h, 1, &err) < 0)
        die(path, &err);
    char tmpcfg[64], tmpw[64];
    snprintf(tmpcfg, sizeof tmpcfg, "/tmp/dnh-%d.cfg", (int)getpid());
    snprintf(tmpw, sizeof tmpw, "/tmp/dnh-%d.weights", (int)getpid());
    rewrite_cfg(path, w, h, tmpcfg);
    weights_random(&net, seed);
    if (argv[13] && weights_read(&net, argv[13], &err) < 0)   /* ab-weights.py's */
        die(argv[13], &err);
    scale_heads(&net, gain);
    if (weights_write(&net, tmpw, &err) < 0)
        die(tmpw, &err);
    void *dn = dn_load(tmpcfg);
    dn_load_weights(dn, tmpw);
    remove(tmpcfg), remove(tmpw);
    dn_head heads[DN_MAX_HEADS];
    int imw, imh, nheads;
    if (dn_detect(dn, jpg, lb, &imw, &imh, heads, &nheads) < 0)
        die(jpg, NULL);
    write_record(mp, jpg, imw, imh, net.w, net.h, lb, heads, nheads);
    FILE *out = fopen(txt, "w");
    if (!out)
        die(txt, NULL);
    fprintf(out, "# made by tests/darknet/%s boxes %s %d %d %llu %g %s %s %g %g against %s\n",
            base(argv[0]), base(path), w, h, seed, gain, base(jpg), argv[8], thresh, nms,
            dn_name());
    if (argv[13])
        fprintf(out, "# weights by python3 tests/darknet/ab-weights.py CFG %llu OUT, then the "
                     "gain\n", seed);
    fprintf(out, "# darknet's boxes: get_network_boxes(thresh, hier .5, relative 0) as 'pre', "
                 "then its NMS (do_nms_sort, or AlexeyAB's diounms_sort for the cfg's "
                 "nms_kind) as 'nms'\n# tag class prob x1 y1 x2 y2 objectness\n");
    float diou = dn_diou(dn);
    if (diou < 0)
        die("an NMS kind this project does not have (cornersnms)", NULL);
    if (diou > 0)
        fprintf(out, "params thresh %.9g nms %.9g diou %.9g\n", thresh, nms, diou);
    else
        fprintf(out, "params thresh %.9g nms %.9g\n", thresh, nms);
    int npre = write_boxes(out, "pre", dn, imw, imh, lb, thresh, 0);
    int nnms = write_boxes(out, "nms", dn, imw, imh, lb, thresh, nms);
    if (fclose(out) != 0)
        die(txt, NULL);
    printf("%s %dx%d on %s (%dx%d, %s): %d heads, %d pairs over %g, %d after NMS %g\n",
           base(path), w, h, base(jpg), imw, imh, argv[8], nheads, npre, thresh, nnms, nms);
    dn_free(dn);
    net_free(&net);
    cfg_free(&c);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "letterbox"))
        return letterbox_main(argv[2], argv[3]);
    if ((argc == 13 || argc == 14) && !strcmp(argv[1], "boxes"))
        return boxes_main(argv);
    if (argc == 6 && !strcmp(argv[1], "image"))
        return image_main(argv[2], atoi(argv[3]), atoi(argv[4]), argv[5]);
    int fwd = argc >= 7 && argc <= 9 && !strcmp(argv[1], "forward");
    if (!fwd && !(argc == 4 && !strcmp(argv[1], "shapes"))) {
        fprintf(stderr, "usage: darknet-harness shapes CFG OUT\n"
                        "       darknet-harness forward CFG W H SEED OUT [IN.ppm|- "
                        "[MAJOR.MINOR]]\n"
                        "       darknet-harness image JPG W H OUT.ppm\n"
                        "       darknet-harness letterbox JPG OUT.fix\n"
                        "       darknet-harness boxes CFG W H SEED GAIN JPG letterbox|resize "
                        "THRESH NMS OUT.mp OUT.txt [W.weights]\n");
        return 1;
    }
    const char *ppm = argc >= 8 && strcmp(argv[7], "-") ? argv[7] : NULL;
    int major = 0, minor = 2;
    size_t alen = argc == 9 ? strlen(argv[8]) : 0;
    const char *wfile = alen > 8 && !strcmp(argv[8] + alen - 8, ".weights") ? argv[8] : NULL;
    if (argc == 9 && !wfile && sscanf(argv[8], "%d.%d", &major, &minor) != 2)
        return fprintf(stderr, "darknet-harness: bad version %s\n", argv[8]), 1;
    const char *path = argv[2], *outpath = argv[fwd ? 6 : 3];
    int w = fwd ? atoi(argv[3]) : 0, h = fwd ? atoi(argv[4]) : 0;
    unsigned long long seed = fwd ? strtoull(argv[5], NULL, 10) : 1;
    yerr err = {0};
    cfg c;
    network net;
    if (cfg_load(&c, path, &err) < 0)
        die(path, &err);
    if (net_load_sized(&c, &net, w, h, 1, &err) < 0)
        die(path, &err);

    char tmpcfg[64], tmpw[64], tmpdw[64];
    snprintf(tmpcfg, sizeof tmpcfg, "/tmp/dnh-%d.cfg", (int)getpid());
    snprintf(tmpw, sizeof tmpw, "/tmp/dnh-%d.weights", (int)getpid());
    snprintf(tmpdw, sizeof tmpdw, "/tmp/dnh-%d-dn.weights", (int)getpid());
    rewrite_cfg(path, w, h, tmpcfg);
    weights_random(&net, seed);
    net.major = major, net.minor = minor;
    net.seen_bytes = major * 10 + minor >= 2 && major < 1000 && minor < 1000 ? 8 : 4;
    if (wfile && weights_read(&net, wfile, &err) < 0)
        die(wfile, &err);
    if (wfile)
        snprintf(tmpw, sizeof tmpw, "%s", wfile);
    else if (weights_write(&net, tmpw, &err) < 0)
        die(tmpw, &err);

    void *dn = dn_load(tmpcfg);
    int dn_n = dn_layers(dn);
    long dn_np = dn_params(dn, tmpdw);    /* the size of what darknet saves */
    int bad = dn_n != net.n || dn_np != (long)net.nparams;

    FILE *out = fopen(outpath, "w");
    if (!out)
        die(outpath, NULL);
    fprintf(out, "# made by tests/darknet/%s %s %s", base(argv[0]), argv[1], base(path));
    if (fwd)
        fprintf(out, " %d %d %llu", w, h, seed);
    fprintf(out, " against %s\n", dn_name());
    if (ppm)
        fprintf(out, "# input %s\n", ppm);
    if (wfile)      /* tests/unit/test_network.c makes them again by the script */
        fprintf(out, "# weights by python3 tests/darknet/ab-weights.py CFG %llu OUT\n", seed);
    if (major != 0 || minor != 2)
        fprintf(out, "# weights written as version %d.%d\n", major, minor);
    fprintf(out, "net %s %d %d %d %d %ld\n", path, net.w, net.h, net.c, dn_n, dn_np);
    printf("%s: %d layers (darknet %d), %zu parameters (darknet %ld)\n", base(path), net.n,
           dn_n, net.nparams, dn_np);

    float *ours = NULL;
    if (fwd) {
        dn_load_weights(dn, tmpw);
        yrng r;
        rng_seed(&r, seed + 1);
        for (int i = 0; i < net.inputs; i++)
            net.input[i] = (float)rng_uniform(&r);
        if (ppm && (net.c != 3 || read_ppm(ppm, net.w, net.h, net.input) < 0))
            die(ppm, NULL);
        double t0 = seconds();
        net_forward(&net);
        double t1 = seconds();
        dn_predict(dn, net.input);
        printf("forward at %dx%d: ours %.1f ms, darknet %.1f ms\n", net.w, net.h,
               (t1 - t0) * 1e3, (seconds() - t1) * 1e3);
    }
    double worst[CFG_NTYPES] = {0};
    for (int i = 0; i < net.n && i < dn_n; i++) {
        const layer *l = &net.l[i];
        dn_layer dl = dn_get(dn, i), *d = &dl;
        if (net_is_head(l->type))    /* AlexeyAB's yolo counts its anchors as biases */
            d->nweights = d->nbiases = 0;
        int ok = shape_ok(l, d) && counts_ok(l, d);
        fprintf(out, "layer %d %s %d %d %d %d %d %d", i, cfg_type_name(l->type), d->out_c,
                d->out_h, d->out_w, d->outputs, d->nweights, d->nbiases);
        printf("%3d %-14s %4d x%4d x%4d %s", i, cfg_type_name(l->type), l->out_w, l->out_h,
               l->out_c, ok ? "shape ok" : "SHAPE/COUNT DIFFERS");
        if (fwd && ok) {
            free(ours);
            ours = malloc((size_t)l->outputs * sizeof *ours);
            if (!ours)
                die("malloc", NULL);
            memcpy(ours, l->out, (size_t)l->outputs * sizeof *ours);
            head_activate(l, ours);
            double maxabs, sumabs, e = rel_error(ours, d->output, l->outputs, &maxabs, &sumabs);
            ok = e <= TOL;
            if (e > worst[l->type])
                worst[l->type] = e;
            printf("  rel err %.3g%s", e, ok ? "" : "  > 1e-4");
            fprintf(out, " %.9g %.17g", maxabs, sumabs);
            for (int k = 0; k < SAMPLES; k++)
                fprintf(out, " %.9g", d->output[(size_t)k * (l->outputs - 1) / (SAMPLES - 1)]);
        }
        fprintf(out, "\n");
        printf("\n");
        bad |= !ok;
    }
    if (fwd)
        for (int t = 0; t < CFG_NTYPES; t++)
            for (int i = 0; i < net.n; i++)
                if (net.l[i].type == (cfg_type)t) {
                    printf("worst %-14s %.3g\n", cfg_type_name((cfg_type)t), worst[t]);
                    fprintf(out, "# worst relative error %s %.3g\n", cfg_type_name((cfg_type)t),
                            worst[t]);
                    break;
                }
    free(ours);
    if (fclose(out) != 0)
        die(outpath, NULL);
    remove(tmpcfg);
    if (!wfile)
        remove(tmpw);
    dn_free(dn);
    net_free(&net);
    cfg_free(&c);
    printf("%s\n", bad ? "FAILED" : "all layers agree");
    return bad;
}
