/* yolo-loss on records: reading output, target and truth, checking them
 * against docs/records.md section 5, and writing loss and grad
 * (include/yolo/loss/loss.h). The maths is in common/loss/loss.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "yolo/loss/loss.h"
#include "yolo/records/mp.h"

static int grow(void **p, size_t *cap, size_t n, size_t size, yerr *err)
{
    if (n <= *cap)
        return 0;
    void *q = realloc(*p, n * size);
    if (!q)
        return yerr_set(err, YOLO_EIO, "out of memory");
    *p = q;
    *cap = n;
    return 0;
}

void loss_work_free(loss_work *w)
{
    free(w->vals);
    free(w->truth);
    free(w->gradf);
    free(w->heads);
    loss_plan_free(&w->plan);
    memset(w, 0, sizeof *w);
}

/* Copies n f32 values at data into dst as doubles; -1 with the index of the
 * first NaN or infinity. */
static int copy_finite(const uint8_t *data, size_t n, double *dst, size_t *bad)
{
    for (size_t i = 0; i < n; i++) {
        float f;
        memcpy(&f, data + 4 * i, 4);
        if (!isfinite(f))
            return *bad = i, -1;
        dst[i] = f;
    }
    return 0;
}

static int head_version(const rescale_head *rh)
{
    return rh->type == HEAD_REGION ? LOSS_V2 : rh->type == HEAD_YOLO ? LOSS_V3 : LOSS_V1;
}

/* The heads of output, read and checked (rescale_read_head), into w->heads. */
static int read_output(rec *r, const loss_cfg *cfg, loss_work *w, uint32_t *n, yerr *err)
{
    const msgpack_object_array *a;
    int rc = rec_get_array(r, "output", &a, err);
    if (rc == 0)
        return rec_fail(r, err, "output", "missing (darknet-forward writes it)");
    if (rc < 0 || grow((void **)&w->heads, &w->cap_heads, a->size ? a->size : 1,
                       sizeof *w->heads, err) < 0)
        return -1;
    char path[32];
    for (uint32_t i = 0; i < a->size; i++) {
        rescale_head *h = &w->heads[i];
        snprintf(path, sizeof path, "output[%u]", i);
        if (rescale_read_head(r, &a->ptr[i], path, h, err) < 0)
            return -1;
        int v = head_version(h);
        if (cfg->version && cfg->version != v)
            return rec_fail(r, err, path, "a %s head is v%d, but --version is v%d",
                            h->type == HEAD_REGION ? "region" : h->type == HEAD_YOLO ? "yolo"
                                                                                    : "detection",
                            v, cfg->version);
        if (h->classes != w->heads[0].classes || head_version(&w->heads[0]) != v)
            return rec_fail(r, err, path, "heads of one record must share their type and "
                                          "classes (output[0] is another)");
    }
    *n = a->size;
    return 0;
}

/* truth [N, 5] into w->truth, classes checked against C; *n = N. Absent is
 * an error except for v1, which does not need it. */
static int read_truth(rec *r, int version, int classes, loss_work *w, size_t *n, yerr *err)
{
    tensor_view t;
    int rc = rec_get_tensor(r, "truth", &t, err);
    *n = 0;
    if (rc == 0 && version == LOSS_V1)
        return 0;
    if (rc == 0)
        return rec_fail(r, err, "truth", "missing (encode-targets writes it)");
    if (rc < 0)
        return -1;
    if (t.dtype != TENSOR_F32 || t.ndim != 2 || t.shape[1] != 5 || t.shape[0] > LOSS_MAX_TRUTH) {
        char s[96];
        tensor_shape_str(&t, s, sizeof s);
        return rec_fail(r, err, "truth", "%s %s, expected f32 [N, 5] with N <= %d",
                        tensor_dtype_name(t.dtype), s, LOSS_MAX_TRUTH);
    }
    size_t bad;
    if (grow((void **)&w->truth, &w->cap_truth, t.count ? t.count : 1, sizeof *w->truth, err) < 0)
        return -1;
    if (copy_finite(t.data, t.count, w->truth, &bad) < 0)
        return rec_fail(r, err, "truth", "row %zu: %s is not finite", bad / 5,
                        (const char *[]){"x", "y", "w", "h", "class"}[bad % 5]);
    for (size_t i = 0; i < (size_t)t.shape[0]; i++) {
        double c = w->truth[5 * i + 4];
        if (c != floor(c) || c < 0 || c >= classes)
            return rec_fail(r, err, "truth", "row %zu: class %g is not an index below %d", i, c,
                            classes);
    }
    *n = (size_t)t.shape[0];
    return 0;
}

/* The loss of head rh: the options' values over what its `output` entry
 * says (a yolo head's AlexeyAB keys). An IoU box loss asked for a head that
 * is not yolo, or label smoothing for a detection head: -1 with err naming
 * the entry. */
static int to_loss_head(rec *r, const rescale_head *rh, uint32_t i, const loss_cfg *cfg,
                        long seen, loss_head *h, yerr *err)
{
    *h = (loss_head){.version = head_version(rh), .variant = cfg->variant,
                     .classes = rh->classes, .na = rh->na, .h = rh->h, .w = rh->w,
                     .net_w = rh->net_w, .net_h = rh->net_h, .softmax = rh->softmax,
                     .sqrt_wh = rh->sqrt_wh, .anchors = rh->anchors, .seen = seen,
                     .scale_xy = 1, .box = LOSS_BOX_MSE, .iou_norm = 1, .cls_norm = 1,
                     .smooth = isnan(cfg->smooth) ? 0 : cfg->smooth};
    h->p = loss_params_for(cfg, h->version);
    char path[32];
    snprintf(path, sizeof path, "output[%u]", i);
    if (h->version == LOSS_V1 && h->smooth > 0)
        return rec_fail(r, err, path, "--label-smoothing is for yolo and region heads (v3, v2), "
                                      "this one is v1");
    if (h->version != LOSS_V3) {
        if (cfg->box > LOSS_BOX_MSE || !isnan(cfg->iou_norm) || !isnan(cfg->cls_norm))
            return rec_fail(r, err, path, "--iou-loss, --iou-normalizer and --cls-normalizer "
                                          "are for yolo heads (v3), this one is v%d",
                            h->version);
        return 0;
    }
    h->scale_xy = rh->scale_xy;
    h->box = cfg->box >= 0 ? cfg->box : rh->iou_loss[0] ? loss_box_kind(rh->iou_loss) : 0;
    h->iou_norm = isnan(cfg->iou_norm) ? rh->iou_norm : cfg->iou_norm;
    h->cls_norm = isnan(cfg->cls_norm) ? rh->cls_norm : cfg->cls_norm;
    h->smooth = isnan(cfg->smooth) ? rh->smooth : cfg->smooth;
    return 0;
}

/* target[i]: f32 of the shape the head needs (section 5), copied to tgt. */
static int read_target(rec *r, const msgpack_object *o, uint32_t i, const loss_head *h,
                       const rescale_head *rh, double *tgt, yerr *err)
{
    char path[40];
    snprintf(path, sizeof path, "target[%u]", i);
    tensor_view t;
    if (rec_as_tensor(r, o, path, &t, err) < 0)
        return -1;
    int64_t v1[2] = {(int64_t)h->h * h->w, 5 + h->classes};
    int ok = t.dtype == TENSOR_F32 &&
             (h->version == LOSS_V1 ? t.ndim == 2 && !memcmp(t.shape, v1, sizeof v1)
                                    : t.ndim == rh->t.ndim &&
                                          !memcmp(t.shape, rh->t.shape, 3 * sizeof *t.shape));
    if (!ok) {
        char s[96], want[96];
        tensor_shape_str(&t, s, sizeof s);
        if (h->version == LOSS_V1)
            snprintf(want, sizeof want, "[%lld,%lld]", (long long)v1[0], (long long)v1[1]);
        else
            tensor_shape_str(&rh->t, want, sizeof want);
        return rec_fail(r, err, path, "%s %s does not match output[%u]: expected f32 %s",
                        tensor_dtype_name(t.dtype), s, i, want);
    }
    size_t bad;
    const char *why;
    if (copy_finite(t.data, t.count, tgt, &bad) < 0)
        return rec_fail(r, err, path, "element %zu is not finite", bad);
    if (loss_check_target(h, tgt, &bad, &why) < 0)
        return rec_fail(r, err, path, "element %zu: %s", bad, why);
    return 0;
}

/* Room for every head's raw values, targets and gradients. */
static int reserve_values(loss_work *w, uint32_t n, yerr *err)
{
    size_t total = 1;
    for (uint32_t i = 0; i < n; i++)
        total += w->heads[i].t.count;
    if (total > w->cap_vals) {
        double *v = realloc(w->vals, 3 * total * sizeof *v);
        if (!v)
            return yerr_set(err, YOLO_EIO, "out of memory");
        w->vals = v;
        w->cap_vals = total;
    }
    w->out = w->vals;
    w->tgt = w->vals + w->cap_vals;
    w->grad = w->vals + 2 * w->cap_vals;
    return grow((void **)&w->gradf, &w->cap_gradf, total, sizeof *w->gradf, err);
}

/* Every head's loss; values in w->out / tgt / grad at each head's offset. */
static int compute(rec *r, const loss_cfg *cfg, loss_work *w, uint32_t n, size_t ntruth,
                   loss_terms *t, yerr *err)
{
    const msgpack_object_array *ta;
    int rc = rec_get_array(r, "target", &ta, err);
    if (rc == 0)
        return rec_fail(r, err, "target", "missing (encode-targets writes it)");
    if (rc < 0)
        return -1;
    if (ta->size != n)
        return rec_fail(r, err, "target", "%u entries, output has %u heads", ta->size, n);
    size_t off = 0, bad;
    for (uint32_t i = 0; i < n; i++) {
        const rescale_head *rh = &w->heads[i];
        loss_head h;
        if (to_loss_head(r, rh, i, cfg, cfg->seen + w->seen, &h, err) < 0)
            return -1;
        char path[40];
        snprintf(path, sizeof path, "output[%u].tensor", i);
        if (copy_finite(rh->t.data, rh->t.count, w->out + off, &bad) < 0)
            return rec_fail(r, err, path, "element %zu is not finite (NaN or infinity)", bad);
        if (read_target(r, &ta->ptr[i], i, &h, rh, w->tgt + off, err) < 0 ||
            loss_plan_make(&h, w->out + off, w->tgt + off, w->truth, ntruth, &w->plan, err) < 0)
            return -1;
        loss_apply(&h, &w->plan, w->out + off, w->tgt + off, w->grad + off, t);
        off += rh->t.count;
    }
    return 0;
}

static int set_loss(rec *r, const loss_terms *t, yerr *err)
{
    msgpack_packer *pk = rec_set_begin(r, "loss");
    double iou = t->count ? t->iou_sum / t->count : 0;
    double rec50 = t->count ? (double)t->recall50 / t->count : 0;
    const char *keys[8] = {"total", "xy", "wh", "obj", "noobj", "class", "avg_iou", "recall50"};
    double vals[8] = {loss_total(t), t->xy, t->wh, t->obj, t->noobj, t->cls, iou, rec50};
    msgpack_pack_map(pk, 9);
    for (int k = 0; k < 8; k++) {
        mp_pack_key(pk, keys[k]);
        msgpack_pack_double(pk, vals[k]);
    }
    mp_pack_key(pk, "count");
    msgpack_pack_int64(pk, t->count);
    return rec_set_end(r, err);
}

static int set_grad(rec *r, const loss_work *w, uint32_t n, yerr *err)
{
    msgpack_packer *pk = rec_set_begin(r, "grad");
    msgpack_pack_array(pk, n);
    size_t off = 0;
    for (uint32_t i = 0; i < n; i++) {
        const tensor_view *src = &w->heads[i].t;
        for (size_t k = 0; k < src->count; k++)
            w->gradf[off + k] = (float)w->grad[off + k];
        tensor_view t = *src;
        t.data = (const uint8_t *)(w->gradf + off);
        tensor_pack_header(pk, &t);
        msgpack_pack_bin_body(pk, t.data, t.nbytes);
        off += src->count;
    }
    return rec_set_end(r, err);
}

int loss_record(rec *r, const loss_cfg *cfg, loss_work *w, loss_terms *t, yerr *err)
{
    if (rec_has(r, "error"))
        return 0;
    uint32_t n = 0;
    size_t ntruth;
    memset(t, 0, sizeof *t);
    if (read_output(r, cfg, w, &n, err) < 0)
        return -1;
    if (n == 0)
        return rec_fail(r, err, "output", "no heads");
    if (read_truth(r, head_version(&w->heads[0]), w->heads[0].classes, w, &ntruth, err) < 0 ||
        reserve_values(w, n, err) < 0 || compute(r, cfg, w, n, ntruth, t, err) < 0)
        return -1;
    if (set_loss(r, t, err) < 0 || set_grad(r, w, n, err) < 0)
        return -1;
    w->seen++;
    return 1;
}

/* ---- the summary ------------------------------------------------------------ */

void loss_sums_add(loss_sums *s, const loss_terms *t)
{
    s->records++;
    s->total += loss_total(t);
    s->t.xy += t->xy;
    s->t.wh += t->wh;
    s->t.obj += t->obj;
    s->t.noobj += t->noobj;
    s->t.cls += t->cls;
    s->t.iou_sum += t->iou_sum;
    s->t.recall50 += t->recall50;
    s->t.count += t->count;
}

void loss_sums_print(FILE *f, const char *prefix, const loss_sums *s)
{
    double n = s->records ? (double)s->records : 1, b = s->t.count ? (double)s->t.count : 1;
    fprintf(f, "%s%ld record%s: loss %.6g (xy %.4g, wh %.4g, obj %.4g, noobj %.4g, class %.4g)"
               " per record; avg IoU %.4f, recall50 %.4f over %ld box%s\n",
            prefix, s->records, s->records == 1 ? "" : "s", s->total / n, s->t.xy / n,
            s->t.wh / n, s->t.obj / n, s->t.noobj / n, s->t.cls / n, s->t.iou_sum / b,
            s->t.recall50 / b, s->t.count, s->t.count == 1 ? "" : "es");
}
