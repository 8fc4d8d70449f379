#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yolo/post/rescale.h"

/* ---- the `detections` key ---------------------------------------------- */

int dets_pack(msgpack_packer *pk, const ydet *v, size_t n)
{
    int rc = msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++) {
        const ydet *d = &v[i];
        rc |= msgpack_pack_map(pk, 6);
        rc |= mp_pack_key(pk, "class") | msgpack_pack_int(pk, d->cls);
        rc |= mp_pack_key(pk, "name") |
              msgpack_pack_str_with_body(pk, d->name ? d->name : "", d->name_len);
        rc |= mp_pack_key(pk, "score") | msgpack_pack_double(pk, d->score);
        rc |= mp_pack_key(pk, "bbox") | msgpack_pack_array(pk, 4);
        rc |= msgpack_pack_double(pk, d->bbox.x1) | msgpack_pack_double(pk, d->bbox.y1) |
              msgpack_pack_double(pk, d->bbox.x2) | msgpack_pack_double(pk, d->bbox.y2);
        rc |= mp_pack_key(pk, "objectness") | msgpack_pack_double(pk, d->objectness);
        rc |= mp_pack_key(pk, "prediction") | msgpack_pack_int64(pk, d->pred);
    }
    return rc;
}

static int read_det(const rec *r, const msgpack_object *m, const char *path, ydet *d, yerr *err)
{
    memset(d, 0, sizeof *d);
    d->objectness = NAN;
    d->pred = -1;
    d->src = m;
    if (m->type != MSGPACK_OBJECT_MAP)
        return rec_fail(r, err, path, "expected a map, got %s", mp_object_type_name(m));
    const msgpack_object *c = mp_map_get(m, "class"), *s = mp_map_get(m, "score"),
                         *b = mp_map_get(m, "bbox"), *nm = mp_map_get(m, "name"),
                         *ob = mp_map_get(m, "objectness"), *p = mp_map_get(m, "prediction"),
                         *tid = mp_map_get(m, "track_id");
    int64_t cls;
    if (!c || mp_as_i64(c, &cls) < 0 || cls < 0 || cls >= RESCALE_MAX_CLASSES)
        return rec_fail(r, err, path, "'class' is missing or not an integer in [0, %d)",
                        RESCALE_MAX_CLASSES);
    d->cls = (int)cls;
    if (!s || mp_as_f64(s, &d->score) < 0 || !isfinite(d->score))
        return rec_fail(r, err, path, "'score' is missing or not a finite number");
    double v[4];
    int ok = b && b->type == MSGPACK_OBJECT_ARRAY && b->via.array.size == 4;
    for (int k = 0; ok && k < 4; k++)
        ok = mp_as_f64(&b->via.array.ptr[k], &v[k]) == 0 && isfinite(v[k]);
    if (!ok)
        return rec_fail(r, err, path, "'bbox' is missing or not 4 finite numbers [x1,y1,x2,y2]");
    d->bbox = (box){v[0], v[1], v[2], v[3]};
    if (nm && mp_as_str(nm, &d->name, &d->name_len) < 0)
        return rec_fail(r, err, path, "'name' is %s, not a string", mp_object_type_name(nm));
    if (ob && mp_as_f64(ob, &d->objectness) < 0)
        return rec_fail(r, err, path, "'objectness' is %s, not a number",
                        mp_object_type_name(ob));
    if (p && mp_as_i64(p, &d->pred) < 0)
        return rec_fail(r, err, path, "'prediction' is %s, not an integer",
                        mp_object_type_name(p));
    d->track = -1;
    if (tid && mp_as_i64(tid, &d->track) < 0)
        return rec_fail(r, err, path, "'track_id' is %s, not an integer",
                        mp_object_type_name(tid));
    return 0;
}

int rec_get_detections(rec *r, detlist *l, yerr *err)
{
    l->n = 0;
    const msgpack_object_array *a;
    int rc = rec_get_array(r, "detections", &a, err);
    if (rc <= 0)
        return rc;
    char path[48];
    for (uint32_t i = 0; i < a->size; i++) {
        ydet d;
        snprintf(path, sizeof path, "detections[%u]", i);
        if (read_det(r, &a->ptr[i], path, &d, err) < 0)
            return -1;
        if (detlist_push(l, &d) < 0)
            return yerr_set(err, YOLO_EIO, "out of memory");
    }
    return 1;
}

/* ---- reading `output` and `transform` ----------------------------------- */

/* An int field of map m in [min, max]; absent is an error when required,
 * else *v is left alone. */
static int get_int(const rec *r, const msgpack_object *m, const char *path, const char *key,
                   long min, long max, int required, int *v, yerr *err)
{
    const msgpack_object *o = mp_map_get(m, key);
    int64_t x;
    if (!o && !required)
        return 0;
    if (!o)
        return rec_fail(r, err, path, "'%s' is missing", key);
    if (mp_as_i64(o, &x) < 0 || x < min || x > max)
        return rec_fail(r, err, path, "'%s' must be an integer in [%ld, %ld]", key, min, max);
    *v = (int)x;
    return 0;
}

static int get_bool(const rec *r, const msgpack_object *m, const char *path, const char *key,
                    int *v, yerr *err)
{
    const msgpack_object *o = mp_map_get(m, key);
    *v = 0;
    if (o && mp_as_bool(o, v) < 0)
        return rec_fail(r, err, path, "'%s' is %s, not a bool", key, mp_object_type_name(o));
    return 0;
}

/* An optional number of AlexeyAB's on a yolo head (scale_x_y, iou_normalizer,
 * cls_normalizer, label_smooth_eps): its key, its range [lo, hi] ([lo, hi)
 * when hi_open) and its value when absent. */
typedef struct ab_num {
    const char *key;
    double lo, hi, absent;
    int hi_open;
} ab_num;

static int get_ab_num(const rec *r, const msgpack_object *m, const char *path,
                      const rescale_head *h, const ab_num *k, double *v, yerr *err)
{
    const msgpack_object *o = mp_map_get(m, k->key);
    *v = k->absent;
    if (o && (h->type != HEAD_YOLO || mp_as_f64(o, v) < 0 || !(*v >= k->lo) ||
              (k->hi_open ? !(*v < k->hi) : !(*v <= k->hi))))
        return rec_fail(r, err, path, "'%s' must be a number in [%g, %g%c, on a yolo head",
                        k->key, k->lo, k->hi, k->hi_open ? ')' : ']');
    return 0;
}

/* A yolo head's optional iou_loss: one of AlexeyAB's words; "" when absent. */
static int get_iou_loss(const rec *r, const msgpack_object *m, const char *path,
                        rescale_head *h, yerr *err)
{
    static const char *const words[] = {"mse", "iou", "giou", "diou", "ciou"};
    const msgpack_object *o = mp_map_get(m, "iou_loss");
    const char *s;
    size_t n;
    h->iou_loss[0] = 0;
    if (!o)
        return 0;
    if (h->type == HEAD_YOLO && mp_as_str(o, &s, &n) == 0)
        for (size_t k = 0; k < sizeof words / sizeof *words; k++)
            if (n == strlen(words[k]) && !memcmp(s, words[k], n)) {
                memcpy(h->iou_loss, words[k], n + 1);
                return 0;
            }
    return rec_fail(r, err, path, "'iou_loss' must be mse, iou, giou, diou or ciou, on a yolo "
                                  "head");
}

/* A list of numbers (anchors) or of ints (mask): [n] into f or i. */
static int get_list(const rec *r, const msgpack_object *m, const char *path, const char *key,
                    int ints, double *f, int *iv, int *n, yerr *err)
{
    const msgpack_object *o = mp_map_get(m, key);
    if (!o)
        return rec_fail(r, err, path, "'%s' is missing", key);
    int max = ints ? RESCALE_MAX_ANCHORS : 2 * RESCALE_MAX_ANCHORS;
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size > (uint32_t)max)
        return rec_fail(r, err, path, "'%s' must be a list of at most %d numbers", key, max);
    *n = (int)o->via.array.size;
    for (int k = 0; k < *n; k++) {
        const msgpack_object *e = &o->via.array.ptr[k];
        int64_t x;
        int bad = ints ? mp_as_i64(e, &x) < 0 : mp_as_f64(e, &f[k]) < 0 || !isfinite(f[k]);
        if (bad)
            return rec_fail(r, err, path, "'%s[%d]' is not %s", key, k,
                            ints ? "an integer" : "a finite number");
        if (ints && (x < 0 || x > INT32_MAX))
            return rec_fail(r, err, path, "'%s[%d]' is negative", key, k);
        if (ints)
            iv[k] = (int)x;
    }
    return 0;
}

static int head_type(const rec *r, const msgpack_object *m, const char *path, int *type,
                     yerr *err)
{
    const msgpack_object *o = mp_map_get(m, "type");
    const char *s;
    size_t n;
    if (!o || mp_as_str(o, &s, &n) < 0)
        return rec_fail(r, err, path, "'type' is missing or not a string");
    static const char *const types[] = {"region", "yolo", "detection"};
    for (int i = 0; i < 3; i++)
        if (n == strlen(types[i]) && !memcmp(s, types[i], n))
            return *type = i, 0;
    return rec_fail(r, err, path, "unknown head type '%.*s' (region, yolo or detection)",
                    (int)(n > 40 ? 40 : n), s);
}

/* region / yolo: tensor [A*(coords+1+classes), H, W]. */
static int check_grid(const rec *r, const char *tpath, rescale_head *h, yerr *err)
{
    const tensor_view *t = &h->t;
    long per = h->coords + 1 + h->classes;
    if (t->ndim != 3 || t->shape[0] != (int64_t)h->na * per || t->shape[1] < 1 ||
        t->shape[2] < 1) {
        char s[160];
        tensor_shape_str(t, s, sizeof s);
        return rec_fail(r, err, tpath, "shape %s is not [%ld, H, W] (%d anchors x (coords %d + "
                        "1 + classes %d))", s, (long)h->na * per, h->na, h->coords, h->classes);
    }
    h->h = (int)t->shape[1];
    h->w = (int)t->shape[2];
    return 0;
}

static int check_detection(const rec *r, const char *path, const char *tpath,
                           const msgpack_object *m, rescale_head *h, yerr *err)
{
    if (get_int(r, m, path, "side", 1, 4096, 1, &h->h, err) < 0 ||
        get_bool(r, m, path, "sqrt", &h->sqrt_wh, err) < 0)
        return -1;
    h->w = h->h;
    int64_t want = (int64_t)h->h * h->h * (h->na * (h->coords + 1) + h->classes);
    if (h->t.ndim != 1 || h->t.shape[0] != want) {
        char s[160];
        tensor_shape_str(&h->t, s, sizeof s);
        return rec_fail(r, err, tpath, "shape %s is not [%lld] (side %d^2 x (num %d x (coords "
                        "%d + 1) + classes %d))", s, (long long)want, h->h, h->na, h->coords,
                        h->classes);
    }
    return 0;
}

/* anchors (and mask, for yolo) into h->anchors: the head's own pairs. */
static int read_anchors(const rec *r, const msgpack_object *m, const char *path, int num,
                        rescale_head *h, yerr *err)
{
    double a[2 * RESCALE_MAX_ANCHORS];
    int na, mask[RESCALE_MAX_ANCHORS], nm;
    if (get_list(r, m, path, "anchors", 0, a, NULL, &na, err) < 0)
        return -1;
    if (na != 2 * num)
        return rec_fail(r, err, path, "'anchors' has %d numbers, num %d needs %d", na, num,
                        2 * num);
    if (h->type == HEAD_REGION) {
        h->na = num;
        memcpy(h->anchors, a, (size_t)na * sizeof *a);
        return 0;
    }
    if (get_list(r, m, path, "mask", 1, NULL, mask, &nm, err) < 0)
        return -1;
    if (nm < 1)
        return rec_fail(r, err, path, "'mask' is empty");
    for (int k = 0; k < nm; k++) {
        if (mask[k] >= num)
            return rec_fail(r, err, path, "'mask[%d]' is %d, past the %d anchors", k, mask[k],
                            num);
        h->anchors[2 * k] = a[2 * mask[k]];
        h->anchors[2 * k + 1] = a[2 * mask[k] + 1];
    }
    h->na = nm;
    return 0;
}

int rescale_read_head(const rec *r, const msgpack_object *m, const char *path, rescale_head *h,
                      yerr *err)
{
    memset(h, 0, sizeof *h);
    if (m->type != MSGPACK_OBJECT_MAP)
        return rec_fail(r, err, path, "expected a map, got %s", mp_object_type_name(m));
    char tpath[64];
    snprintf(tpath, sizeof tpath, "%s.tensor", path);
    const msgpack_object *t = mp_map_get(m, "tensor");
    int num;
    if (head_type(r, m, path, &h->type, err) < 0 ||
        get_int(r, m, path, "classes", 1, RESCALE_MAX_CLASSES, 1, &h->classes, err) < 0 ||
        get_int(r, m, path, "coords", 4, 4, 1, &h->coords, err) < 0 ||
        get_int(r, m, path, "num", 1, RESCALE_MAX_ANCHORS, 1, &num, err) < 0 ||
        get_int(r, m, path, "net_w", 1, RESCALE_MAX_NET, 1, &h->net_w, err) < 0 ||
        get_int(r, m, path, "net_h", 1, RESCALE_MAX_NET, 1, &h->net_h, err) < 0 ||
        get_bool(r, m, path, "softmax", &h->softmax, err) < 0)
        return -1;
    if (!t)
        return rec_fail(r, err, path, "'tensor' is missing");
    if (rec_as_tensor(r, t, tpath, &h->t, err) < 0)
        return -1;
    if (h->t.dtype != TENSOR_F32)
        return rec_fail(r, err, tpath, "dtype %s, expected f32", tensor_dtype_name(h->t.dtype));
    if (h->type == HEAD_DETECTION) {
        h->na = num;
        return check_detection(r, path, tpath, m, h, err);
    }
    if (read_anchors(r, m, path, num, h, err) < 0 ||
        get_ab_num(r, m, path, h, &(ab_num){"scale_x_y", .01, 100, 1, 0}, &h->scale_xy,
                   err) < 0 ||
        get_ab_num(r, m, path, h, &(ab_num){"iou_normalizer", 0, 1e6, 1, 0}, &h->iou_norm,
                   err) < 0 ||
        get_ab_num(r, m, path, h, &(ab_num){"cls_normalizer", 0, 1e6, 1, 0}, &h->cls_norm,
                   err) < 0 ||
        get_ab_num(r, m, path, h, &(ab_num){"label_smooth_eps", 0, 1, 0, 1}, &h->smooth,
                   err) < 0 ||
        get_iou_loss(r, m, path, h, err) < 0)
        return -1;
    return check_grid(r, tpath, h, err);
}

static int xf_num(rec *r, const msgpack_object *m, const char *k, double *v, yerr *err)
{
    const msgpack_object *o = mp_map_get(m, k);
    char path[32];
    snprintf(path, sizeof path, "transform.%s", k);
    if (!o || mp_as_f64(o, v) < 0 || !isfinite(*v))
        return rec_fail(r, err, path, "missing or not a finite number");
    return 0;
}

int rescale_read_transform(rec *r, rescale_xf *xf, yerr *err)
{
    const msgpack_object *m;
    int rc = rec_get(r, "transform", &m, err);
    if (rc <= 0)
        return rc;
    if (m->type != MSGPACK_OBJECT_MAP)
        return rec_fail(r, err, "transform", "expected a map, got %s", mp_object_type_name(m));
    if (get_int(r, m, "transform", "net_w", 1, RESCALE_MAX_NET, 1, &xf->net_w, err) < 0 ||
        get_int(r, m, "transform", "net_h", 1, RESCALE_MAX_NET, 1, &xf->net_h, err) < 0 ||
        xf_num(r, m, "sx", &xf->sx, err) < 0 || xf_num(r, m, "sy", &xf->sy, err) < 0 ||
        xf_num(r, m, "dx", &xf->dx, err) < 0 || xf_num(r, m, "dy", &xf->dy, err) < 0)
        return -1;
    if (xf->sx == 0 || xf->sy == 0)
        return rec_fail(r, err, xf->sx == 0 ? "transform.sx" : "transform.sy",
                        "a scale of 0 cannot be undone");
    return 1;
}

/* ---- decoding ----------------------------------------------------------- */

box rescale_unmap(const rescale_xf *xf, double cx, double cy, double w, double h)
{
    double ax = (cx - w / 2 - xf->dx) / xf->sx, bx = (cx + w / 2 - xf->dx) / xf->sx;
    double ay = (cy - h / 2 - xf->dy) / xf->sy, by = (cy + h / 2 - xf->dy) / xf->sy;
    box b = {ax < bx ? ax : bx, ay < by ? ay : by, ax < bx ? bx : ax, ay < by ? by : ay};
    return b;
}

static double logistic(double x) { return 1 / (1 + exp(-x)); }

/* One decoded prediction, before its classes. */
typedef struct pred_box {
    double cx, cy, w, h;       /* network pixels */
    double obj;
    int64_t index;
} pred_box;

/* Adds prediction p's classes with score obj * prob[j] > thresh. */
static int emit(const pred_box *p, const double *prob, int classes, const rescale_xf *xf,
                double thresh, detlist *out, rescale_stats *st)
{
    box b = rescale_unmap(xf, p->cx, p->cy, p->w, p->h);
    int finite = isfinite(b.x1) && isfinite(b.y1) && isfinite(b.x2) && isfinite(b.y2);
    for (int j = 0; j < classes; j++) {
        double s = p->obj * prob[j];
        if (isnan(s) || isinf(s)) {   /* a diverged network: no detection to rank */
            st->nonfinite++;
            continue;
        }
        if (!(s > thresh))
            continue;
        if (!finite) {
            st->nonfinite++;
            continue;
        }
        ydet d = {.cls = j, .score = s, .objectness = p->obj, .bbox = b, .pred = p->index,
                  .track = -1};
        if (detlist_push(out, &d) < 0)
            return -1;
    }
    return 0;
}

/* Class probabilities of one prediction: raw values x[k*stride], k <
 * classes, through a softmax (max subtracted, as darknet) or a logistic. */
static void class_probs(const tensor_view *t, size_t at, size_t stride, int classes,
                        int softmax, double *prob)
{
    double top = -INFINITY, sum = 0;
    for (int j = 0; j < classes; j++) {
        prob[j] = tensor_get(t, at + (size_t)j * stride);
        if (prob[j] > top)
            top = prob[j];
    }
    for (int j = 0; j < classes; j++) {
        prob[j] = softmax ? exp(prob[j] - top) : logistic(prob[j]);
        sum += prob[j];
    }
    for (int j = 0; softmax && j < classes; j++)
        prob[j] /= sum;
}

/* region and yolo: anchor a's block of channels, entry k at (a*per + k)*HW. */
static int decode_grid(const rescale_head *h, const rescale_xf *xf, double thresh,
                       int64_t pred0, double *prob, detlist *out, rescale_stats *st)
{
    const tensor_view *t = &h->t;
    size_t hw = (size_t)h->h * h->w, per = (size_t)h->coords + 1 + h->classes;
    int yolo = h->type == HEAD_YOLO;
    for (int a = 0; a < h->na; a++)
        for (size_t i = 0; i < hw; i++) {
            size_t at = (size_t)a * per * hw + i;
            pred_box p = {.obj = logistic(tensor_get(t, at + 4 * hw)),
                          .index = pred0 + (int64_t)(a * hw + i)};
            if (!(p.obj > thresh))
                continue;  /* every score is at most obj */
            int col = (int)(i % h->w), row = (int)(i / h->w);
            double sx = logistic(tensor_get(t, at)), sy = logistic(tensor_get(t, at + hw));
            if (yolo && h->scale_xy != 1) {       /* AlexeyAB's: the edges within reach */
                sx = sx * h->scale_xy - (h->scale_xy - 1) / 2;
                sy = sy * h->scale_xy - (h->scale_xy - 1) / 2;
            }
            p.cx = (col + sx) / h->w * h->net_w;
            p.cy = (row + sy) / h->h * h->net_h;
            /* region anchors are grid cells, yolo anchors network pixels */
            double aw = h->anchors[2 * a], ah = h->anchors[2 * a + 1];
            p.w = exp(tensor_get(t, at + 2 * hw)) * aw * (yolo ? 1 : (double)h->net_w / h->w);
            p.h = exp(tensor_get(t, at + 3 * hw)) * ah * (yolo ? 1 : (double)h->net_h / h->h);
            class_probs(t, at + 5 * hw, hw, h->classes, !yolo && h->softmax, prob);
            if (emit(&p, prob, h->classes, xf, thresh, out, st) < 0)
                return -1;
        }
    return 0;
}

/* v1: [side*side*classes] class scores, [side*side*num] confidences, then
 * [side*side*num*4] boxes (x, y, w, h), cell-major; values used as they are
 * (darknet applies no logistic), w and h squared when sqrt. */
static int decode_detection(const rescale_head *h, const rescale_xf *xf, double thresh,
                            int64_t pred0, double *prob, detlist *out, rescale_stats *st)
{
    const tensor_view *t = &h->t;
    size_t cells = (size_t)h->h * h->h, conf0 = cells * h->classes;
    size_t box0 = cells * ((size_t)h->classes + h->na);
    for (size_t i = 0; i < cells; i++) {
        if (h->softmax)
            class_probs(t, i * h->classes, 1, h->classes, 1, prob);
        else
            for (int j = 0; j < h->classes; j++)
                prob[j] = tensor_get(t, i * h->classes + j);
        for (int a = 0; a < h->na; a++) {
            size_t p_i = i * h->na + a, b = box0 + p_i * 4;
            double x = tensor_get(t, b), y = tensor_get(t, b + 1);
            double w = tensor_get(t, b + 2), hh = tensor_get(t, b + 3);
            pred_box p = {.obj = tensor_get(t, conf0 + p_i), .index = pred0 + (int64_t)p_i};
            p.cx = (x + (double)(i % h->h)) / h->h * h->net_w;
            p.cy = (y + (double)(i / h->h)) / h->h * h->net_h;
            p.w = (h->sqrt_wh ? w * w : w) * h->net_w;
            p.h = (h->sqrt_wh ? hh * hh : hh) * h->net_h;
            if (emit(&p, prob, h->classes, xf, thresh, out, st) < 0)
                return -1;
        }
    }
    return 0;
}

int rescale_decode(const rescale_head *h, const rescale_xf *xf, double thresh, int64_t pred0,
                   detlist *out, rescale_stats *st)
{
    double *prob = malloc((size_t)h->classes * sizeof *prob); /* [classes] */
    if (!prob)
        return -1;
    int rc = h->type == HEAD_DETECTION ? decode_detection(h, xf, thresh, pred0, prob, out, st)
                                       : decode_grid(h, xf, thresh, pred0, prob, out, st);
    free(prob);
    return rc;
}

/* ---- a record ----------------------------------------------------------- */

int rescale_names(const rec *r, const rescale_cfg *cfg, int classes, names *own,
                  const names **nm, yerr *err)
{
    if (cfg->nm) {
        if (cfg->nm->n != classes)
            return rec_fail(r, err, "output", "the heads have %d classes, --names gives %d",
                            classes, cfg->nm->n);
        *nm = cfg->nm;
        return 0;
    }
    if (own->n == classes) {
        *nm = own;
        return 0;
    }
    names_free(own);
    int rc = classes == 20 ? names_voc(own, err) : 0;
    char num[16];
    for (int j = 0; rc == 0 && classes != 20 && j < classes; j++) {
        int len = snprintf(num, sizeof num, "%d", j);
        if (names_add(own, num, (size_t)len) < 0)
            rc = yerr_set(err, YOLO_EIO, "out of memory");
    }
    *nm = own;
    return rc;
}

/* Every head of output, checked before anything is decoded. */
static int read_heads(rec *r, const msgpack_object_array *a, const rescale_xf *xf,
                      rescale_head *heads, yerr *err)
{
    char path[32];
    for (uint32_t i = 0; i < a->size; i++) {
        rescale_head *h = &heads[i];
        snprintf(path, sizeof path, "output[%u]", i);
        if (rescale_read_head(r, &a->ptr[i], path, h, err) < 0)
            return -1;
        if (h->net_w != xf->net_w || h->net_h != xf->net_h)
            return rec_fail(r, err, path, "net size %dx%d, but transform says %dx%d", h->net_w,
                            h->net_h, xf->net_w, xf->net_h);
        if (h->classes != heads[0].classes)
            return rec_fail(r, err, path, "%d classes, output[0] has %d", h->classes,
                            heads[0].classes);
    }
    return 0;
}

static int decode_all(rec *r, const rescale_cfg *cfg, const msgpack_object_array *a,
                      rescale_work *w, yerr *err)
{
    rescale_xf xf;
    int rc = rescale_read_transform(r, &xf, err);
    if (rc == 0)
        return rec_fail(r, err, "transform", "missing: needed to map the boxes of 'output' "
                                             "back to the image");
    if (rc < 0)
        return -1;
    if (a->size > RESCALE_MAX_HEADS)
        return rec_fail(r, err, "output", "%u heads, at most %d", a->size, RESCALE_MAX_HEADS);
    rescale_head heads[RESCALE_MAX_HEADS];
    if (a->size && read_heads(r, a, &xf, heads, err) < 0)
        return -1;
    const names *nm = NULL;
    if (a->size && rescale_names(r, cfg, heads[0].classes, &w->own, &nm, err) < 0)
        return -1;
    int64_t pred0 = 0;
    for (uint32_t i = 0; i < a->size; i++) {
        if (rescale_decode(&heads[i], &xf, cfg->thresh, pred0, &w->dets, &w->st) < 0)
            return yerr_set(err, YOLO_EIO, "out of memory");
        pred0 += (int64_t)heads[i].na * heads[i].h * heads[i].w;
    }
    for (size_t k = 0; k < w->dets.n; k++) {
        ydet *d = &w->dets.v[k];
        d->name = nm->v[d->cls];
        d->name_len = strlen(d->name);
    }
    return 0;
}

int rescale_record(rec *r, const rescale_cfg *cfg, rescale_work *w, yerr *err)
{
    const msgpack_object_array *a;
    if (rec_has(r, "error"))
        return 0;
    int rc = rec_get_array(r, "output", &a, err);
    if (rc <= 0)
        return rc;
    w->dets.n = 0;
    if (decode_all(r, cfg, a, w, err) < 0)
        return -1;
    dets_pack(rec_set_begin(r, "detections"), w->dets.v, w->dets.n);
    if (rec_set_end(r, err) < 0)
        return -1;
    if (cfg->drop_output)
        rec_delete(r, "output");
    return 1;
}

void rescale_work_free(rescale_work *w)
{
    detlist_free(&w->dets);
    names_free(&w->own);
}

static const yrep_kind give_up_kinds[] = {{"record set to 'error'", "records set to 'error'"}};

void dets_problems_init(yrep_problems *p, int strict)
{
    *p = (yrep_problems){.kinds = give_up_kinds, .n = 1, .strict = strict};
}

int dets_give_up(const yrep *rep, yrep_problems *p, const char *stage, rec *r, yerr *err)
{
    if (err->code != YOLO_EINPUT)
        return -1;
    yerr e2;
    if (!p->strict && rec_set_error(r, stage, err->msg, &e2) < 0)
        return *err = e2, -1;
    return yrep_problem(rep, p, 0, "'error' set", err, "%s", err->msg);
}
