#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "yolo/post/nms.h"
#include "yolo/post/rescale.h"
#include "yolo/records/schema.h"

/* Group (class, or none) ascending, score descending, input position. */
static int by_group_score(const void *pa, const void *pb)
{
    const nms_item *a = pa, *b = pb;
    if (a->cls != b->cls)
        return a->cls < b->cls ? -1 : 1;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

static int reserve(nms_work *w, size_t n)
{
    if (n <= w->cap)
        return 0;
    nms_item *it = realloc(w->items, n * sizeof *it);
    if (it)
        w->items = it;
    nms_item *k = it ? realloc(w->kept, n * sizeof *k) : NULL;
    if (!k)
        return -1;
    w->kept = k;
    w->cap = n;
    return 0;
}

/* The overlap greedy suppression compares with c->iou. */
static double overlap(const nms_cfg *c, box a, box b)
{
    return c->diou > 0 ? box_diou(a, b, c->diou) : box_iou(a, b);
}

/* Greedy over one group g[0, n) in rank order: appends to kept. */
static size_t greedy(const nms_cfg *c, const nms_item *g, size_t n, nms_item *kept)
{
    size_t k = 0;
    for (size_t i = 0; i < n && (long)k < c->max_det; i++) {
        size_t j = 0;
        while (j < k && !(overlap(c, kept[j].b, g[i].b) > c->iou))
            j++;
        if (j == k)
            kept[k++] = g[i];
    }
    return k;
}

/* Bodla et al.'s weight of an entry at IoU o with the one just picked. */
static double decay(const nms_cfg *c, double o)
{
    if (c->method == NMS_GAUSSIAN)
        return exp(-o * o / c->sigma);
    return o > c->iou ? 1 - o : 1;
}

/* Soft-NMS over one group, g[0, n) in rank order (changed: scores decay,
 * dropped entries are compacted away). Picks the highest score (the first
 * in g's order on a tie), decays the rest, drops those below score_thresh. */
static size_t soft(const nms_cfg *c, nms_item *g, size_t n, nms_item *kept)
{
    size_t k = 0, live = 0;
    for (size_t i = 0; i < n; i++)
        if (g[i].score >= c->score_thresh)
            g[live++] = g[i];
    while (live > 0 && (long)k < c->max_det) {
        size_t top = 0;
        for (size_t i = 1; i < live; i++)
            if (g[i].score > g[top].score)
                top = i;
        nms_item m = g[top];
        kept[k++] = m;
        size_t out = 0;
        for (size_t i = 0; i < live; i++) {
            if (i == top)
                continue;
            g[i].score *= decay(c, box_iou(m.b, g[i].b));
            if (g[i].score >= c->score_thresh)
                g[out++] = g[i];
        }
        live = out;
    }
    return k;
}

static int by_score(const void *pa, const void *pb)
{
    const nms_item *a = pa, *b = pb;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

/* b in image-relative coordinates (for DIoU, whose distance term is not
 * the same in pixels on a non-square image). */
static box relative(box b, double w, double h)
{
    return (box){b.x1 / w, b.y1 / h, b.x2 / w, b.y2 / h};
}

long nms_run(const nms_cfg *c, const ydet *v, size_t n, double iw, double ih, nms_work *w)
{
    if (n == 0)
        return 0;
    if (reserve(w, n) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        w->items[i] = (nms_item){v[i].score, c->diou > 0 ? relative(v[i].bbox, iw, ih) : v[i].bbox,
                                 c->agnostic ? -1 : v[i].cls, i};
    qsort(w->items, n, sizeof *w->items, by_group_score);
    size_t k = 0;
    for (size_t g = 0, end; g < n; g = end) {
        for (end = g + 1; end < n && w->items[end].cls == w->items[g].cls; end++)
            ;
        k += c->method == NMS_GREEDY ? greedy(c, w->items + g, end - g, w->kept + k)
                                     : soft(c, w->items + g, end - g, w->kept + k);
    }
    /* all groups merged: score descending, ties by input position */
    qsort(w->kept, k, sizeof *w->kept, by_score);
    return (long)(k < (size_t)c->max_det ? k : (size_t)c->max_det);
}

/* ---- a record ----------------------------------------------------------- */

/* Entry m with score and bbox replaced where given (NULL: as read). */
static int pack_entry(msgpack_packer *pk, const msgpack_object *m, const double *score,
                      const box *b)
{
    const msgpack_object_map *mp = &m->via.map;
    int rc = msgpack_pack_map(pk, mp->size);
    for (uint32_t k = 0; k < mp->size; k++) {
        const msgpack_object_kv *kv = &mp->ptr[k];
        rc |= msgpack_pack_object(pk, kv->key);
        int str = kv->key.type == MSGPACK_OBJECT_STR;
        int is_score = str && mp_str_eq(&kv->key.via.str, "score", 5);
        int is_bbox = str && mp_str_eq(&kv->key.via.str, "bbox", 4);
        if (score && is_score) {
            rc |= msgpack_pack_double(pk, *score);
        } else if (b && is_bbox) {
            rc |= msgpack_pack_array(pk, 4) | msgpack_pack_double(pk, b->x1) |
                  msgpack_pack_double(pk, b->y1) | msgpack_pack_double(pk, b->x2) |
                  msgpack_pack_double(pk, b->y2);
        } else {
            rc |= msgpack_pack_object(pk, kv->val);
        }
    }
    return rc;
}

int nms_record(rec *r, const nms_cfg *c, nms_work *w, yerr *err)
{
    if (rec_has(r, "error"))
        return 0;
    int rc = rec_get_detections(r, &w->dets, err);
    if (rc <= 0)
        return rc;
    double wh[2] = {1, 1};
    if ((c->clip || c->diou > 0) && w->dets.n > 0 &&
        rec_get_image_size(r, c->clip ? "--clip needs the image's size, a positive integer"
                                      : "--diou needs the image's size, a positive integer",
                           wh, err) < 0)
        return -1;
    long k = nms_run(c, w->dets.v, w->dets.n, wh[0], wh[1], w);
    if (k < 0)
        return yerr_set(err, YOLO_EIO, "out of memory");
    msgpack_packer *pk = rec_set_begin(r, "detections");
    msgpack_pack_array(pk, (size_t)k); /* rec_set_end checks what was packed */
    for (long j = 0; j < k; j++) {
        const nms_item *it = &w->kept[j];
        box b = c->clip ? box_clip(w->dets.v[it->i].bbox, wh[0], wh[1]) : w->dets.v[it->i].bbox;
        pack_entry(pk, w->dets.v[it->i].src, c->method == NMS_GREEDY ? NULL : &it->score,
                          c->clip ? &b : NULL);
    }
    return rec_set_end(r, err) < 0 ? -1 : 1;
}

void nms_work_free(nms_work *w)
{
    detlist_free(&w->dets);
    free(w->items);
    free(w->kept);
    memset(w, 0, sizeof *w);
}
