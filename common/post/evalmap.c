/* eval-map's work: collecting truths and detections from records, matching
 * them the way voc_eval.py and pycocotools do, and the AP arithmetic.
 * include/yolo/post/evalmap.h says what is reproduced and how. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "yolo/post/evalmap.h"
#include "yolo/base/json.h"
#include "yolo/post/rescale.h"

/* ---- collecting ---------------------------------------------------------- */

void eval_data_init(eval_data *d, names *given)
{
    memset(d, 0, sizeof *d);
    if (given) {
        d->nm = *given;
        memset(given, 0, sizeof *given);
        d->fixed_names = 1;
        d->ncls = d->nm.n;
    }
}

void eval_data_free(eval_data *d)
{
    free(d->t);
    free(d->d);
    names_free(&d->nm);
    objlist_free(&d->scratch);
    detlist_free(&d->dets);
    memset(d, 0, sizeof *d);
}

/* Grows an array of items of size sz to hold one more. */
static int grow(void **v, size_t *cap, size_t n, size_t sz)
{
    if (n >= EVAL_MAX_ITEMS)
        return -1;
    return yvec_fit(v, cap, n + 1, sz);
}

/* Makes room for class index cls in the (unfixed) name list: NULL names. */
static int names_reach(names *nm, int cls)
{
    if (cls < nm->n)
        return 0;
    char **v = realloc(nm->v, (size_t)(cls + 1) * sizeof *v);
    if (!v)
        return -1;
    for (int i = nm->n; i <= cls; i++)
        v[i] = NULL;
    nm->v = v;
    nm->n = cls + 1;
    return 0;
}

static int name_is(const char *have, const char *s, size_t len)
{
    return have && strlen(have) == len && memcmp(have, s, len) == 0;
}

/* Checks class cls (and its name, when given) against the class list, and
 * learns the name when the list is not fixed. */
static int note_class(eval_data *d, const rec *r, const char *path, int cls, const char *s,
                      size_t len, yerr *err)
{
    if (d->fixed_names && cls >= d->nm.n)
        return rec_fail(r, err, path, "class %d is not in the --names list (%d classes)", cls,
                        d->nm.n);
    if (!d->fixed_names && names_reach(&d->nm, cls) < 0)
        return yerr_set(err, YOLO_EIO, "out of memory");
    if (cls >= d->ncls)
        d->ncls = cls + 1;
    const char *have = d->nm.v[cls];
    if (!s || name_is(have, s, len))
        return 0;
    if (have)
        return rec_fail(r, err, path, "name '%.*s' for class %d, which is '%s'%s", (int)len, s,
                        cls, have, d->fixed_names ? " in --names" : " earlier in the stream");
    if (len > NAMES_MAX_LEN)
        return rec_fail(r, err, path, "a name longer than %d bytes", NAMES_MAX_LEN);
    for (int c = 0; c < d->nm.n; c++)
        if (name_is(d->nm.v[c], s, len))
            return rec_fail(r, err, path, "name '%.*s' for class %d, but class %d has it",
                            (int)len, s, cls, c);
    if (!(d->nm.v[cls] = strndup(s, len)))
        return yerr_set(err, YOLO_EIO, "out of memory");
    return 0;
}

static int add_truths(eval_data *d, rec *r, const objlist *l, yerr *err)
{
    char path[48];
    for (size_t i = 0; i < l->n; i++) {
        const yobj *o = &l->v[i];
        snprintf(path, sizeof path, "objects[%zu]", i);
        if (o->bbox.x2 < o->bbox.x1 || o->bbox.y2 < o->bbox.y1)
            return rec_fail(r, err, path, "inverted bbox (x2 < x1 or y2 < y1)");
        int has_area = (o->fields & OBJ_HAS_AREA) != 0;
        if (has_area && !(isfinite(o->area) && o->area >= 0))
            return rec_fail(r, err, path, "'area' is not a finite number >= 0");
        if (note_class(d, r, path, o->cls, o->name_len ? o->name : NULL, o->name_len, err) < 0)
            return -1;
        if (grow((void **)&d->t, &d->capt, d->nt, sizeof *d->t) < 0)
            return yerr_set(err, YOLO_EIO, "out of memory (or more than %d truths)",
                            EVAL_MAX_ITEMS);
        d->t[d->nt++] = (eval_truth){
            .b = o->bbox,
            .area = o->area,
            .img = d->images,
            .cls = o->cls,
            .flags = (o->difficult ? EVAL_DIFFICULT : 0) | (o->iscrowd ? EVAL_CROWD : 0) |
                     (has_area ? EVAL_HAS_AREA : 0),
        };
    }
    return 0;
}

/* The record's detections, read with rec_get_detections (yolo/post/rescale.h:
 * finite scores), with what AP needs on top: boxes not inverted. A score
 * is only ranked, so any finite one will do: v1's [detection] heads give
 * scores above 1 and below 0 (docs/records.md, `score`). */
static int add_dets(eval_data *d, rec *r, yerr *err)
{
    int rc = rec_get_detections(r, &d->dets, err);
    if (rc <= 0)
        return rc;
    char path[48];
    for (size_t i = 0; i < d->dets.n; i++) {
        const ydet *y = &d->dets.v[i];
        snprintf(path, sizeof path, "detections[%zu]", i);
        if (y->bbox.x2 < y->bbox.x1 || y->bbox.y2 < y->bbox.y1)
            return rec_fail(r, err, path, "inverted bbox (x2 < x1 or y2 < y1)");
        if (note_class(d, r, path, y->cls, y->name_len ? y->name : NULL, y->name_len, err) < 0)
            return -1;
        if (grow((void **)&d->d, &d->capd, d->nd, sizeof *d->d) < 0)
            return yerr_set(err, YOLO_EIO, "out of memory (or more than %d detections)",
                            EVAL_MAX_ITEMS);
        d->d[d->nd++] = (eval_det){.b = y->bbox, .score = y->score, .img = d->images, .cls = y->cls};
    }
    return 0;
}

int eval_add_record(eval_data *d, rec *r, yerr *err)
{
    if (rec_has(r, "error")) {
        d->error_records++;
        return 0;
    }
    int rc = rec_get_objects(r, &d->scratch, err);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return 2;
    size_t nt = d->nt, nd = d->nd;
    if (add_truths(d, r, &d->scratch, err) < 0 ||
        (!d->truths_only && add_dets(d, r, err) < 0)) {
        d->nt = nt;   /* nothing of a bad record stays */
        d->nd = nd;
        return -1;
    }
    d->images++;
    return 1;
}

int eval_add_det(eval_data *d, const eval_det *e)
{
    if (e->cls < 0 || (d->fixed_names && e->cls >= d->nm.n))
        return -2;
    if (!d->fixed_names && names_reach(&d->nm, e->cls) < 0)
        return -1;
    if (e->cls >= d->ncls)
        d->ncls = e->cls + 1;
    if (grow((void **)&d->d, &d->capd, d->nd, sizeof *d->d) < 0)
        return -1;
    d->d[d->nd++] = *e;
    return 0;
}

/* ---- the AP arithmetic ------------------------------------------------------ */

double eval_ap_voc07(const double *rec, const double *prec, size_t n)
{
    double ap = 0;
    for (int i = 0; i <= 10; i++) {
        double t = i * 0.1, p = 0;   /* numpy's arange(0, 1.1, 0.1) values */
        for (size_t k = 0; k < n; k++)
            if (rec[k] >= t && prec[k] > p)
                p = prec[k];
        ap += p / 11.0;
    }
    return ap;
}

/* prec[k] becomes max(prec[k..n)): the monotone envelope. */
static void envelope(double *prec, size_t n)
{
    for (size_t k = n; k-- > 1;)
        if (prec[k] > prec[k - 1])
            prec[k - 1] = prec[k];
}

double eval_ap_voc10(const double *rec, double *prec, size_t n)
{
    /* voc_ap: mrec = [0, rec, 1], mpre = [0, prec, 0], envelope, then the
     * sum of (mrec[i+1] - mrec[i]) * mpre[i+1] where mrec changes. */
    envelope(prec, n);
    double ap = 0;
    for (size_t i = 0; i <= n; i++) {
        double r0 = i == 0 ? 0 : rec[i - 1], r1 = i == n ? 1 : rec[i];
        double p1 = i == n ? 0 : prec[i];
        if (r1 != r0)
            ap += (r1 - r0) * p1;
    }
    return ap;
}

double eval_ap_coco101(const double *rec, double *prec, size_t n)
{
    envelope(prec, n);
    double sum = 0;
    size_t k = 0;
    for (int i = 0; i < EVAL_COCO_R; i++) {
        double thr = i == EVAL_COCO_R - 1 ? 1.0 : i * (1.0 / 100); /* np.linspace(0, 1, 101) */
        while (k < n && rec[k] < thr)                          /* searchsorted, side left */
            k++;
        if (k == n)
            break;
        sum += prec[k];
    }
    return sum / EVAL_COCO_R;
}

double eval_coco_iou(int t)
{
    /* np.linspace(.5, .95, 10): start + i * step, the last one exactly .95 */
    return t == EVAL_COCO_T - 1 ? 0.95 : t * ((0.95 - 0.5) / 9) + 0.5;
}

/* ---- shared preparation ------------------------------------------------------- */

/* A detection in a sort: score descending, then stream order. */
typedef struct det_key {
    double score;
    size_t idx;
} det_key;

static int cmp_key(const void *pa, const void *pb)
{
    const det_key *a = pa, *b = pb;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

/* Indices of items grouped by class, stream order kept within a class
 * (a counting sort): class c's are ord[start[c], start[c+1]). */
typedef struct by_class {
    size_t *ord;      /* [n] */
    size_t *start;    /* [ncls + 1] */
} by_class;

static int group_classes(by_class *g, size_t n, int ncls, const void *items, size_t sz,
                         size_t cls_off)
{
    g->ord = malloc((n ? n : 1) * sizeof *g->ord);
    g->start = calloc((size_t)ncls + 2, sizeof *g->start);
    if (!g->ord || !g->start)
        return -1;
    const char *p = items;
    for (size_t i = 0; i < n; i++) {
        int c;
        memcpy(&c, p + i * sz + cls_off, sizeof c);
        g->start[c + 2]++;
    }
    for (int c = 0; c < ncls; c++)
        g->start[c + 2] += g->start[c + 1];
    for (size_t i = 0; i < n; i++) {
        int c;
        memcpy(&c, p + i * sz + cls_off, sizeof c);
        g->ord[g->start[c + 1]++] = i;
    }
    return 0;
}

static void by_class_free(by_class *g)
{
    free(g->ord);
    free(g->start);
}

/* Everything eval_run works with. */
typedef struct eval_ctx {
    const eval_data *d;
    const eval_params *p;
    eval_result *res;
    by_class tc, dc;    /* truths and detections by class */
    det_key *keys;      /* [nd] scratch: one class's detections, sorted */
    double *rec, *prec; /* [nd] scratch */
    unsigned char *used;/* [nt] truth already matched (VOC) */
    /* COCO, per detection: bits a * EVAL_COCO_T + t */
    uint64_t *tp, *ig;  /* [nd] true positive; ignored */
    unsigned char *kept;/* [nd] among the max_dets best of its image and class */
} eval_ctx;

/* Truths of class c (ord positions [a, b)) on image img: [*lo, *hi). */
static void truths_on(const eval_ctx *x, size_t a, size_t b, long img, size_t *lo, size_t *hi)
{
    const size_t *o = x->tc.ord;
    const eval_truth *t = x->d->t;
    size_t l = a, h = b;
    while (l < h) {
        size_t m = l + (h - l) / 2;
        if (t[o[m]].img < img)
            l = m + 1;
        else
            h = m;
    }
    *lo = l;
    for (h = l; h < b && t[o[h]].img == img; h++)
        ;
    *hi = h;
}

/* ---- VOC ------------------------------------------------------------------------- */

/* voc_eval.py for class c over keys[0, n) (sorted): fills x->rec, x->prec
 * for the detections that count; returns how many. */
static size_t voc_match(eval_ctx *x, int c, size_t n, long npos)
{
    const eval_truth *t = x->d->t;
    size_t a = x->tc.start[c], b = x->tc.start[c + 1], m = 0;
    long tp = 0, fp = 0;
    for (size_t k = 0; k < n; k++) {
        const eval_det *e = &x->d->d[x->keys[k].idx];
        size_t lo, hi, best = 0;
        truths_on(x, a, b, e->img, &lo, &hi);
        double ovmax = -INFINITY;
        for (size_t j = lo; j < hi; j++) {
            double o = box_iou(e->b, t[x->tc.ord[j]].b);
            if (o > ovmax) {    /* np.argmax: the first of equal maxima */
                ovmax = o;
                best = x->tc.ord[j];
            }
        }
        if (ovmax > x->p->voc_iou && (t[best].flags & (EVAL_DIFFICULT | EVAL_CROWD)))
            continue;           /* on a difficult truth: neither TP nor FP */
        if (ovmax > x->p->voc_iou && !x->used[best]) {
            x->used[best] = 1;
            tp++;
        } else {
            fp++;
        }
        x->rec[m] = (double)tp / (double)npos;
        x->prec[m++] = (double)tp / fmax((double)(tp + fp), DBL_EPSILON);
    }
    return m;
}

static void voc_class(eval_ctx *x, int c, size_t n)
{
    long npos = x->res->npos[c];
    if (npos == 0) {
        x->res->voc07[c] = x->res->voc10[c] = NAN;
        return;
    }
    size_t m = voc_match(x, c, n, npos);
    x->res->voc07[c] = eval_ap_voc07(x->rec, x->prec, m);
    x->res->voc10[c] = eval_ap_voc10(x->rec, x->prec, m);
}

/* ---- COCO ------------------------------------------------------------------------ */

/* pycocotools' areaRng: all, small, medium, large (both ends inclusive) */
static const double area_lo[EVAL_COCO_A] = {0, 0, 32 * 32, 96 * 96};
static const double area_hi[EVAL_COCO_A] = {1e10, 32 * 32, 96 * 96, 1e10};

static int out_of_range(double area, int a) { return area < area_lo[a] || area > area_hi[a]; }

static double truth_area(const eval_truth *t)
{
    return (t->flags & EVAL_HAS_AREA) ? t->area : box_area(t->b);
}

/* One image and class: kept detections and truths, and scratch. */
typedef struct coco_img {
    const det_key *k;       /* [nk] kept detections, sorted */
    size_t nk;
    const eval_truth **g;   /* [ng] truths in file order */
    size_t ng;
    double *iou;            /* [nk * ng] */
    int *order;             /* [ng] truths, those that count first */
    unsigned char *ign, *gtm; /* [ng] */
} coco_img;

/* pycocotools' overlap: IoU, or intersection over the detection's area for
 * a crowd truth (box_intersection is bbIou's numerator). */
static void coco_ious(coco_img *im, const eval_det *dets)
{
    for (size_t i = 0; i < im->nk; i++) {
        box db = dets[im->k[i].idx].b;
        double da = box_area(db);
        for (size_t j = 0; j < im->ng; j++) {
            const eval_truth *g = im->g[j];
            double v = (g->flags & EVAL_CROWD) ? (da > 0 ? box_intersection(db, g->b) / da : 0)
                                               : box_iou(db, g->b);
            im->iou[i * im->ng + j] = v;
        }
    }
}

/* pycocotools' evaluateImg matching loop for area range a, threshold t. */
static void coco_match(eval_ctx *x, coco_img *im, int a, int t)
{
    uint64_t bit = (uint64_t)1 << (a * EVAL_COCO_T + t);
    if (im->ng)   /* gtm is NULL until an image has truths */
        memset(im->gtm, 0, im->ng);
    for (size_t i = 0; i < im->nk; i++) {
        double iou = fmin(eval_coco_iou(t), 1 - 1e-10);
        int m = -1;
        for (size_t gi = 0; gi < im->ng; gi++) {
            int g = im->order[gi];
            if (im->gtm[g] && !(im->g[g]->flags & EVAL_CROWD))
                continue;
            if (m > -1 && !im->ign[m] && im->ign[g])
                break;
            double v = im->iou[i * im->ng + (size_t)g];
            if (v < iou)
                continue;
            iou = v;
            m = g;
        }
        size_t idx = im->k[i].idx;
        if (m == -1) {
            if (out_of_range(box_area(x->d->d[idx].b), a))
                x->ig[idx] |= bit;
            continue;
        }
        im->gtm[m] = 1;
        if (im->ign[m])
            x->ig[idx] |= bit;
        else
            x->tp[idx] |= bit;
    }
}

static void coco_image(eval_ctx *x, coco_img *im)
{
    coco_ious(im, x->d->d);
    for (int a = 0; a < EVAL_COCO_A; a++) {
        size_t n = 0;
        for (size_t j = 0; j < im->ng; j++) {
            const eval_truth *g = im->g[j];
            im->ign[j] = (g->flags & (EVAL_CROWD | EVAL_DIFFICULT)) || out_of_range(truth_area(g), a);
        }
        for (int pass = 0; pass < 2; pass++)   /* a stable sort on ign */
            for (size_t j = 0; j < im->ng; j++)
                if (im->ign[j] == pass)
                    im->order[n++] = (int)j;
        for (int t = 0; t < EVAL_COCO_T; t++)
            coco_match(x, im, a, t);
    }
}

/* Scratch for coco_image, grown as images need. */
typedef struct coco_scratch {
    det_key *k;
    const eval_truth **g;
    double *iou;
    int *order;
    unsigned char *ign, *gtm;
    size_t capk, capg, capi;
} coco_scratch;

/* Room for nk detections and ng truths of one (image, class). */
static int scratch_fit(coco_scratch *s, size_t nk, size_t ng)
{
    size_t cg = s->capg, co = s->capg, c1 = s->capg, c2 = s->capg;
    if (yvec_fit((void **)&s->k, &s->capk, nk, sizeof *s->k) < 0 ||
        yvec_fit((void **)&s->iou, &s->capi, nk * ng, sizeof *s->iou) < 0 ||
        yvec_fit((void **)&s->g, &cg, ng, sizeof *s->g) < 0 ||
        yvec_fit((void **)&s->order, &co, ng, sizeof *s->order) < 0 ||
        yvec_fit((void **)&s->ign, &c1, ng, 1) < 0 || yvec_fit((void **)&s->gtm, &c2, ng, 1) < 0)
        return -1;
    s->capg = cg;
    return 0;
}

static void scratch_free(coco_scratch *s)
{
    free(s->k);
    free(s->g);
    free(s->iou);
    free(s->order);
    free(s->ign);
    free(s->gtm);
}

/* Matches class c image by image: detections dc.ord[da, db) in stream
 * order (so grouped by image). Marks kept, tp and ig. */
static int coco_match_class(eval_ctx *x, int c, coco_scratch *s)
{
    const size_t *dord = x->dc.ord;
    size_t i = x->dc.start[c], end = x->dc.start[c + 1];
    size_t ta = x->tc.start[c], tb = x->tc.start[c + 1];
    while (i < end) {
        long img = x->d->d[dord[i]].img;
        size_t j = i, lo, hi;
        while (j < end && x->d->d[dord[j]].img == img)
            j++;
        truths_on(x, ta, tb, img, &lo, &hi);
        size_t nk = j - i, ng = hi - lo;
        if (scratch_fit(s, nk, ng) < 0)
            return -1;
        for (size_t k = 0; k < nk; k++)
            s->k[k] = (det_key){x->d->d[dord[i + k]].score, dord[i + k]};
        qsort(s->k, nk, sizeof *s->k, cmp_key);
        if (nk > (size_t)x->p->max_dets)
            nk = (size_t)x->p->max_dets;
        for (size_t k = 0; k < nk; k++)
            x->kept[s->k[k].idx] = 1;
        for (size_t g = 0; g < ng; g++)
            s->g[g] = &x->d->t[x->tc.ord[lo + g]];
        coco_img im = {s->k, nk, s->g, ng, s->iou, s->order, s->ign, s->gtm};
        coco_image(x, &im);
        i = j;
    }
    return 0;
}

/* Truths of class c that count in area range a (pycocotools' npig). */
static long coco_npig(const eval_ctx *x, int c, int a)
{
    long n = 0;
    for (size_t j = x->tc.start[c]; j < x->tc.start[c + 1]; j++) {
        const eval_truth *g = &x->d->t[x->tc.ord[j]];
        n += !(g->flags & (EVAL_CROWD | EVAL_DIFFICULT)) && !out_of_range(truth_area(g), a);
    }
    return n;
}

/* pycocotools' accumulate for class c, range a, threshold t over keys[0, n). */
static double coco_ap(eval_ctx *x, size_t n, long npig, int a, int t)
{
    uint64_t bit = (uint64_t)1 << (a * EVAL_COCO_T + t);
    long tp = 0, fp = 0;
    size_t m = 0;
    for (size_t k = 0; k < n; k++) {
        size_t idx = x->keys[k].idx;
        if (!x->kept[idx] || (x->ig[idx] & bit))
            continue;
        if (x->tp[idx] & bit)
            tp++;
        else
            fp++;
        x->rec[m] = (double)tp / (double)npig;
        x->prec[m++] = (double)tp / ((double)(tp + fp) + DBL_EPSILON);
    }
    return eval_ap_coco101(x->rec, x->prec, m);
}

/* Per class: ap[a][t] averaged over t into apa[a] (NaN when no truth
 * counts in range a); ap50 and ap75 at a = all. */
static void coco_class(eval_ctx *x, int c, size_t n, double apa[EVAL_COCO_A], double *ap50,
                       double *ap75)
{
    for (int a = 0; a < EVAL_COCO_A; a++) {
        long npig = coco_npig(x, c, a);
        apa[a] = NAN;
        if (a == 0)
            *ap50 = *ap75 = NAN;
        if (npig == 0)
            continue;
        double sum = 0;
        for (int t = 0; t < EVAL_COCO_T; t++) {
            double v = coco_ap(x, n, npig, a, t);
            sum += v;
            if (a == 0 && t == 0)
                *ap50 = v;
            if (a == 0 && t == 5)
                *ap75 = v;
        }
        apa[a] = sum / EVAL_COCO_T;
    }
}

/* ---- putting it together ------------------------------------------------------ */

/* Running means over classes, NaN-skipping. */
typedef struct means {
    double sum[9];
    long n[9];
} means;

static void mean_add(means *m, int i, double v)
{
    if (!isnan(v)) {
        m->sum[i] += v;
        m->n[i]++;
    }
}

static double mean_of(const means *m, int i) { return m->n[i] ? m->sum[i] / m->n[i] : NAN; }

static int result_alloc(eval_result *res, int ncls)
{
    memset(res, 0, sizeof *res);
    size_t n = ncls ? (size_t)ncls : 1;
    res->ncls = ncls;
    res->ntruth = calloc(n, sizeof *res->ntruth);
    res->npos = calloc(n, sizeof *res->npos);
    res->ndet = calloc(n, sizeof *res->ndet);
    res->voc07 = calloc(n, sizeof *res->voc07);
    res->voc10 = calloc(n, sizeof *res->voc10);
    res->coco = calloc(n, sizeof *res->coco);
    return res->ntruth && res->npos && res->ndet && res->voc07 && res->voc10 && res->coco ? 0
                                                                                         : -1;
}

void eval_result_free(eval_result *res)
{
    free(res->ntruth);
    free(res->npos);
    free(res->ndet);
    free(res->voc07);
    free(res->voc10);
    free(res->coco);
    memset(res, 0, sizeof *res);
}

static int ctx_alloc(eval_ctx *x)
{
    const eval_data *d = x->d;
    size_t nd = d->nd ? d->nd : 1, nt = d->nt ? d->nt : 1;
    if (group_classes(&x->tc, d->nt, d->ncls, d->t, sizeof *d->t, offsetof(eval_truth, cls)) < 0 ||
        group_classes(&x->dc, d->nd, d->ncls, d->d, sizeof *d->d, offsetof(eval_det, cls)) < 0)
        return -1;
    x->keys = malloc(nd * sizeof *x->keys);
    x->rec = malloc(nd * sizeof *x->rec);
    x->prec = malloc(nd * sizeof *x->prec);
    x->used = calloc(nt, 1);
    x->tp = calloc(nd, sizeof *x->tp);
    x->ig = calloc(nd, sizeof *x->ig);
    x->kept = calloc(nd, 1);
    return x->keys && x->rec && x->prec && x->used && x->tp && x->ig && x->kept ? 0 : -1;
}

static void ctx_free(eval_ctx *x)
{
    by_class_free(&x->tc);
    by_class_free(&x->dc);
    free(x->keys);
    free(x->rec);
    free(x->prec);
    free(x->used);
    free(x->tp);
    free(x->ig);
    free(x->kept);
}

/* Counts, then one class's detections sorted into x->keys; returns n. */
static size_t class_keys(eval_ctx *x, int c)
{
    eval_result *res = x->res;
    for (size_t j = x->tc.start[c]; j < x->tc.start[c + 1]; j++) {
        res->ntruth[c]++;
        res->npos[c] += !(x->d->t[x->tc.ord[j]].flags & (EVAL_DIFFICULT | EVAL_CROWD));
    }
    size_t n = 0;
    for (size_t j = x->dc.start[c]; j < x->dc.start[c + 1]; j++, n++)
        x->keys[n] = (det_key){x->d->d[x->dc.ord[j]].score, x->dc.ord[j]};
    res->ndet[c] = (long)n;
    qsort(x->keys, n, sizeof *x->keys, cmp_key);
    return n;
}

enum { M_VOC07, M_VOC10, M_COCO, M_AP50, M_AP75, M_SMALL, M_MEDIUM, M_LARGE };

static int run_classes(eval_ctx *x, means *mm)
{
    eval_result *res = x->res;
    coco_scratch s = {0};
    int rc = 0;
    for (int c = 0; c < res->ncls && rc == 0; c++) {
        size_t n = class_keys(x, c);
        res->voc07[c] = res->voc10[c] = res->coco[c] = NAN;
        if (x->p->metrics & (EVAL_VOC07 | EVAL_VOC10))
            voc_class(x, c, n);
        mean_add(mm, M_VOC07, res->voc07[c]);
        mean_add(mm, M_VOC10, res->voc10[c]);
        if (!(x->p->metrics & EVAL_COCO))
            continue;
        if ((rc = coco_match_class(x, c, &s)) < 0)
            break;
        double apa[EVAL_COCO_A], ap50, ap75;
        coco_class(x, c, n, apa, &ap50, &ap75);
        res->coco[c] = apa[0];
        mean_add(mm, M_COCO, apa[0]);
        mean_add(mm, M_AP50, ap50);
        mean_add(mm, M_AP75, ap75);
        for (int a = 1; a < EVAL_COCO_A; a++)
            mean_add(mm, M_SMALL + a - 1, apa[a]);
    }
    scratch_free(&s);
    return rc;
}

int eval_run(const eval_data *d, const eval_params *p, eval_result *res, yerr *err)
{
    eval_ctx x = {.d = d, .p = p, .res = res};
    means mm = {{0}, {0}};
    int rc = result_alloc(res, d->ncls);
    if (rc == 0)
        rc = ctx_alloc(&x);
    if (rc == 0)
        rc = run_classes(&x, &mm);
    ctx_free(&x);
    if (rc < 0) {
        eval_result_free(res);
        return yerr_set(err, YOLO_EIO, "out of memory");
    }
    res->voc07_map = mean_of(&mm, M_VOC07);
    res->voc10_map = mean_of(&mm, M_VOC10);
    res->coco_ap = mean_of(&mm, M_COCO);
    res->coco_ap50 = mean_of(&mm, M_AP50);
    res->coco_ap75 = mean_of(&mm, M_AP75);
    res->coco_small = mean_of(&mm, M_SMALL);
    res->coco_medium = mean_of(&mm, M_MEDIUM);
    res->coco_large = mean_of(&mm, M_LARGE);
    return 0;
}

/* ---- output ----------------------------------------------------------------------- */

const char *eval_class_name(const eval_data *d, int c, char *tmp, size_t len)
{
    if (c < d->nm.n && d->nm.v[c])
        return d->nm.v[c];
    snprintf(tmp, len, "%d", c);
    return tmp;
}

/* A class is reported when it is in --names, or has a truth or a detection. */
static int reported(const eval_data *d, const eval_result *res, int c)
{
    return d->fixed_names || res->ntruth[c] > 0 || res->ndet[c] > 0;
}

static void put_num(ybuf *b, double v)
{
    if (isnan(v))
        ybuf_puts(b, "null");
    else
        json_put_f64(b, v);
}

static void put_key(ybuf *b, const char *k, int first)
{
    if (!first)
        ybuf_putc(b, ',');
    json_put_str(b, k, strlen(k));
    ybuf_putc(b, ':');
}

static void put_aps(ybuf *b, const eval_data *d, const eval_result *res, const double *ap)
{
    char tmp[16];
    int first = 1;
    ybuf_putc(b, '{');
    for (int c = 0; c < res->ncls; c++) {
        if (!reported(d, res, c))
            continue;
        put_key(b, eval_class_name(d, c, tmp, sizeof tmp), first);
        put_num(b, ap[c]);
        first = 0;
    }
    ybuf_putc(b, '}');
}

static void put_voc(ybuf *b, const eval_data *d, const eval_result *res, const char *key,
                    double map, const double *ap, int *first)
{
    put_key(b, key, *first);
    *first = 0;
    ybuf_puts(b, "{\"map\":");
    put_num(b, map);
    ybuf_puts(b, ",\"ap\":");
    put_aps(b, d, res, ap);
    ybuf_putc(b, '}');
}

int eval_json(ybuf *b, const eval_data *d, const eval_result *res, int metrics)
{
    int first = 1;
    ybuf_putc(b, '{');
    if (metrics & EVAL_VOC07)
        put_voc(b, d, res, "voc07", res->voc07_map, res->voc07, &first);
    if (metrics & EVAL_VOC10)
        put_voc(b, d, res, "voc10", res->voc10_map, res->voc10, &first);
    if (metrics & EVAL_COCO) {
        const char *k[] = {"ap", "ap50", "ap75", "ap_small", "ap_medium", "ap_large"};
        double v[] = {res->coco_ap,    res->coco_ap50,   res->coco_ap75,
                      res->coco_small, res->coco_medium, res->coco_large};
        put_key(b, "coco", first);
        ybuf_putc(b, '{');
        for (int i = 0; i < 6; i++) {
            put_key(b, k[i], i == 0);
            put_num(b, v[i]);
        }
        ybuf_puts(b, ",\"ap_per_class\":");
        put_aps(b, d, res, res->coco);
        ybuf_putc(b, '}');
    }
    return ybuf_puts(b, "}\n");
}

static void put_cell(FILE *f, double v)
{
    if (isnan(v))
        fprintf(f, "  %7s", "-");
    else
        fprintf(f, "  %7.4f", v);
}

static void table_row(FILE *f, int w, const char *name, const char *counts, const double v[3],
                      int metrics)
{
    fprintf(f, "%-*s %s", w, name, counts);
    for (int m = 0; m < 3; m++)
        if (metrics & (1 << m))
            put_cell(f, v[m]);
    fputc('\n', f);
}

int eval_table(FILE *f, const eval_data *d, const eval_result *res, int metrics)
{
    char tmp[16], counts[48];
    int w = 5, shown = 0;
    for (int c = 0; c < res->ncls; c++) {
        int len = (int)strlen(eval_class_name(d, c, tmp, sizeof tmp));
        if (reported(d, res, c) && len > w)
            w = len < 40 ? len : 40;
    }
    fprintf(f, "%-*s %9s %9s", w, "class", "truths", "dets");
    const char *head[3] = {"VOC07", "VOC10", "COCO"};
    for (int m = 0; m < 3; m++)
        if (metrics & (1 << m))
            fprintf(f, "  %7s", head[m]);
    fputc('\n', f);
    for (int c = 0; c < res->ncls; c++) {
        if (!reported(d, res, c))
            continue;
        shown++;
        snprintf(counts, sizeof counts, "%9ld %9ld", res->npos[c], res->ndet[c]);
        double v[3] = {res->voc07[c], res->voc10[c], res->coco[c]};
        table_row(f, w, eval_class_name(d, c, tmp, sizeof tmp), counts, v, metrics);
    }
    double mv[3] = {res->voc07_map, res->voc10_map, res->coco_ap};
    table_row(f, w, "mean", "                   ", mv, metrics);
    if (metrics & EVAL_COCO) {
        const char *k[] = {"AP", "AP50", "AP75", "small", "medium", "large"};
        double v[] = {res->coco_ap,    res->coco_ap50,   res->coco_ap75,
                      res->coco_small, res->coco_medium, res->coco_large};
        fputs("\nCOCO", f);
        for (int i = 0; i < 6; i++) {
            fprintf(f, " %s", k[i]);
            put_cell(f, v[i]);
        }
        fputc('\n', f);
    }
    fprintf(f, "%ld images, %d classes shown\n", d->images, shown);
    return ferror(f) ? -1 : 0;
}
