#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "yolo/post/track.h"
#include "yolo/post/rescale.h"
#include "yolo/records/mp.h"

/* ---- the Kalman filter -------------------------------------------------- */

/* The size a coordinate's noise is proportional to: w for cx and w, h for cy
 * and h; at least a pixel, so that a collapsed box keeps some noise. */
static double noise_scale(const track_kf *k, int c)
{
    double s = k->x[c % 2 == 0 ? 2 : 3];
    return s > 1 ? s : 1;
}

void track_kf_init(track_kf *k, box b)
{
    k->x[0] = (b.x1 + b.x2) / 2;
    k->x[1] = (b.y1 + b.y2) / 2;
    k->x[2] = b.x2 - b.x1;
    k->x[3] = b.y2 - b.y1;
    for (int c = 0; c < 4; c++) {
        double s = noise_scale(k, c);
        double sp = 2 * TRACK_KF_STD_POS * s, sv = 10 * TRACK_KF_STD_VEL * s;
        k->v[c] = 0;
        /* unknown velocity: a wide start, as DeepSORT's */
        k->p[c][0] = sp * sp;
        k->p[c][1] = 0;
        k->p[c][2] = sv * sv;
    }
}

void track_kf_predict(track_kf *k)
{
    for (int c = 2; c < 4; c++)
        if (k->x[c] + k->v[c] <= 0)
            k->v[c] = 0;
    double s[4];
    for (int c = 0; c < 4; c++)
        s[c] = noise_scale(k, c);   /* before the move, as Q is taken from the old state */
    for (int c = 0; c < 4; c++) {
        double *p = k->p[c];
        double qp = TRACK_KF_STD_POS * s[c], qv = TRACK_KF_STD_VEL * s[c];
        k->x[c] += k->v[c];
        /* P = F P F' + Q with F = [1 1; 0 1] */
        double pp = p[0] + 2 * p[1] + p[2] + qp * qp;
        double pv = p[1] + p[2];
        double vv = p[2] + qv * qv;
        p[0] = pp, p[1] = pv, p[2] = vv;
    }
}

void track_kf_update(track_kf *k, box b)
{
    double z[4] = {(b.x1 + b.x2) / 2, (b.y1 + b.y2) / 2, b.x2 - b.x1, b.y2 - b.y1};
    double s[4];
    for (int c = 0; c < 4; c++)
        s[c] = noise_scale(k, c);   /* R from the prediction, before the update */
    for (int c = 0; c < 4; c++) {
        double *p = k->p[c];
        double r = TRACK_KF_STD_POS * s[c];
        double S = p[0] + r * r;            /* innovation variance */
        double kx = p[0] / S, kv = p[1] / S;  /* gain */
        double y = z[c] - k->x[c];
        k->x[c] += kx * y;
        k->v[c] += kv * y;
        /* P = (I - K H) P */
        double pp = (1 - kx) * p[0];
        double pv = (1 - kx) * p[1];
        double vv = p[2] - kv * p[1];
        p[0] = pp, p[1] = pv, p[2] = vv;
    }
}

box track_kf_box(const track_kf *k)
{
    double w = k->x[2] > 0 ? k->x[2] : 0, h = k->x[3] > 0 ? k->x[3] : 0;
    return (box){k->x[0] - w / 2, k->x[1] - h / 2, k->x[0] + w / 2, k->x[1] + h / 2};
}

/* ---- the Hungarian algorithm --------------------------------------------- */

/* Rows 1..n, columns 1..m (n <= m), a(i, j) = cost[(i-1)*m + j-1]. Rows are
 * added one at a time; each addition grows a tree of tight edges (reduced
 * cost u[i] + v[j] == a(i, j)) from the new row, Dijkstra-like, raising the
 * potentials by the least slack until it reaches a free column, then flips
 * the path. col_row[j] is column j's row (0: free). */
static int hungarian(const double *cost, int n, int m, int *row_col)
{
    size_t sz = (size_t)m + 1;
    double *u = calloc((size_t)n + 1, sizeof *u), *v = calloc(sz, sizeof *v);
    double *slack = malloc(sz * sizeof *slack);
    int *col_row = calloc(sz, sizeof *col_row), *prev = malloc(sz * sizeof *prev);
    char *in_tree = malloc(sz);
    int rc = u && v && slack && col_row && prev && in_tree ? 0 : -1;
    for (int i = 1; rc == 0 && i <= n; i++) {
        col_row[0] = i;                 /* column 0: the root, holding the new row */
        int j0 = 0;
        for (int j = 0; j <= m; j++)
            slack[j] = DBL_MAX, in_tree[j] = 0;
        do {
            in_tree[j0] = 1;
            int i0 = col_row[j0], j1 = 0;
            double least = DBL_MAX;
            for (int j = 1; j <= m; j++) {
                if (in_tree[j])
                    continue;
                double red = cost[(size_t)(i0 - 1) * m + (j - 1)] - u[i0] - v[j];
                if (red < slack[j])
                    slack[j] = red, prev[j] = j0;
                if (slack[j] < least)
                    least = slack[j], j1 = j;
            }
            for (int j = 0; j <= m; j++)
                if (in_tree[j])
                    u[col_row[j]] += least, v[j] -= least;
                else
                    slack[j] -= least;
            j0 = j1;
        } while (col_row[j0] != 0);
        for (int j1; j0 != 0; j0 = j1) { /* flip the path back to the root */
            j1 = prev[j0];
            col_row[j0] = col_row[j1];
        }
    }
    if (rc == 0) {
        for (int i = 0; i < n; i++)
            row_col[i] = -1;
        for (int j = 1; j <= m; j++)
            if (col_row[j] > 0)
                row_col[col_row[j] - 1] = j - 1;
    }
    free(u), free(v), free(slack), free(col_row), free(prev), free(in_tree);
    return rc;
}

int track_assign(const double *cost, int n, int m, int *row_col)
{
    if (n <= 0 || m <= 0) {
        for (int i = 0; i < n; i++)
            row_col[i] = -1;
        return 0;
    }
    if (n <= m)
        return hungarian(cost, n, m, row_col);
    /* more rows than columns: assign the columns to rows, on the transpose */
    double *t = malloc((size_t)n * m * sizeof *t);
    int *col_row = malloc((size_t)m * sizeof *col_row);
    int rc = t && col_row ? 0 : -1;
    if (rc == 0) {
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++)
                t[(size_t)j * n + i] = cost[(size_t)i * m + j];
        rc = hungarian(t, m, n, col_row);
    }
    if (rc == 0) {
        for (int i = 0; i < n; i++)
            row_col[i] = -1;
        for (int j = 0; j < m; j++)
            row_col[col_row[j]] = j;
    }
    free(t), free(col_row);
    return rc;
}

/* ---- the tracker --------------------------------------------------------- */

void tracker_init(tracker *tk, const track_cfg *c)
{
    memset(tk, 0, sizeof *tk);
    tk->cfg = *c;
    tk->next_id = 1;
}

void tracker_free(tracker *tk)
{
    free(tk->t);
    free(tk->ids);
    free(tk->det_track);
    memset(tk, 0, sizeof *tk);
}

/* Room for a frame of ndet detections and the tracks it may start. */
static int reserve(tracker *tk, size_t ndet)
{
    size_t want = tk->n + ndet;
    if (want > tk->cap) {
        size_t cap = tk->cap ? 2 * tk->cap : 16;
        cap = cap > want ? cap : want;
        track *t = realloc(tk->t, cap * sizeof *t);
        if (!t)
            return -1;
        tk->t = t;
        tk->cap = cap;
    }
    if (ndet > tk->det_cap) {
        long *ids = realloc(tk->ids, ndet * sizeof *ids);
        if (ids)
            tk->ids = ids;
        int *dt = ids ? realloc(tk->det_track, ndet * sizeof *dt) : NULL;
        if (!dt)
            return -1;
        tk->det_track = dt;
        tk->det_cap = ndet;
    }
    return 0;
}

/* Which tracks and detections take part in one round of matching. */
typedef enum { TRK_ALL, TRK_CONFIRMED, TRK_CONFIRMED_SEEN, TRK_TENTATIVE } trk_kind;
typedef enum { DET_HIGH, DET_LOW } det_kind;

static int trk_takes_part(const track *t, trk_kind k)
{
    if (t->matched >= 0)
        return 0;
    switch (k) {
    case TRK_ALL: return 1;
    case TRK_CONFIRMED: return t->id > 0;
    case TRK_CONFIRMED_SEEN: return t->id > 0 && t->lost == 0; /* seen last frame */
    case TRK_TENTATIVE: return t->id == 0;
    }
    return 0;
}

static int det_takes_part(const tracker *tk, const ydet *d, size_t j, det_kind k)
{
    if (tk->det_track[j] >= 0)
        return 0;
    return k == DET_HIGH ? d->score >= tk->cfg.high
                         : d->score >= tk->cfg.low && d->score < tk->cfg.high;
}

/* One candidate pair of a group: row r (a track), column c (a detection). */
typedef struct pair {
    double w;
    int r, c;
} pair;

/* IoU descending, then row, then column: the greedy order. */
static int by_weight(const void *pa, const void *pb)
{
    const pair *a = pa, *b = pb;
    if (a->w != b->w)
        return a->w > b->w ? -1 : 1;
    if (a->r != b->r)
        return a->r < b->r ? -1 : 1;
    return (a->c > b->c) - (a->c < b->c);
}

/* The rows and columns of w (nr x nc, 0 = no match possible) that have a
 * possible partner, matched by the Hungarian algorithm on -w: the matching
 * of largest total IoU. Its pairs of weight 0 are no matches. rc_out[r]
 * gets row r's column or -1. 0, 1 when more than TRACK_HUNGARIAN_MAX rows or
 * columns are left (nothing done), -1 out of memory. */
static int match_hungarian(const double *w, int nr, int nc, int *rc_out)
{
    int *rows = malloc((size_t)nr * sizeof *rows), *cols = malloc((size_t)nc * sizeof *cols);
    int nr2 = 0, nc2 = 0, rc = rows && cols ? 0 : -1;
    for (int r = 0; rc == 0 && r < nr; r++) {
        int any = 0;
        for (int c = 0; c < nc && !any; c++)
            any = w[(size_t)r * nc + c] > 0;
        if (any)
            rows[nr2++] = r;
    }
    for (int c = 0; rc == 0 && c < nc; c++) {
        int any = 0;
        for (int r = 0; r < nr && !any; r++)
            any = w[(size_t)r * nc + c] > 0;
        if (any)
            cols[nc2++] = c;
    }
    if (rc == 0 && (nr2 > TRACK_HUNGARIAN_MAX || nc2 > TRACK_HUNGARIAN_MAX)) {
        free(rows), free(cols);
        return 1;
    }
    double *cost = rc == 0 ? malloc((size_t)nr2 * nc2 * sizeof *cost + 1) : NULL;
    int *rc2 = cost ? malloc((size_t)nr2 * sizeof *rc2 + 1) : NULL;
    if (!rc2)
        rc = -1;
    for (int i = 0; rc == 0 && i < nr2; i++)
        for (int j = 0; j < nc2; j++)
            cost[(size_t)i * nc2 + j] = -w[(size_t)rows[i] * nc + cols[j]];
    if (rc == 0)
        rc = track_assign(cost, nr2, nc2, rc2);
    for (int r = 0; rc == 0 && r < nr; r++)
        rc_out[r] = -1;
    for (int i = 0; rc == 0 && i < nr2; i++)
        if (rc2[i] >= 0 && w[(size_t)rows[i] * nc + cols[rc2[i]]] > 0)
            rc_out[rows[i]] = cols[rc2[i]];
    free(rows), free(cols), free(cost), free(rc2);
    return rc;
}

/* The pairs of w taken by IoU, largest first, while both are free. */
static int match_greedy(const double *w, int nr, int nc, int *rc_out)
{
    size_t np = 0;
    for (size_t k = 0; k < (size_t)nr * nc; k++)
        np += w[k] > 0;
    pair *p = malloc(np * sizeof *p + 1);
    char *col_used = calloc((size_t)nc + 1, 1);
    if (!p || !col_used) {
        free(p), free(col_used);
        return -1;
    }
    np = 0;
    for (int r = 0; r < nr; r++)
        for (int c = 0; c < nc; c++)
            if (w[(size_t)r * nc + c] > 0)
                p[np++] = (pair){w[(size_t)r * nc + c], r, c};
    qsort(p, np, sizeof *p, by_weight);
    for (int r = 0; r < nr; r++)
        rc_out[r] = -1;
    for (size_t k = 0; k < np; k++)
        if (rc_out[p[k].r] < 0 && !col_used[p[k].c]) {
            rc_out[p[k].r] = p[k].c;
            col_used[p[k].c] = 1;
        }
    free(p), free(col_used);
    return 0;
}

/* Matches the tracks ti[0, nt) with the detections di[0, nd) of one class
 * group: a pair can match when its IoU is >= cfg.iou (and > 0). */
static int match_group(tracker *tk, const ydet *v, const int *ti, int nt, const int *di, int nd)
{
    if (nt == 0 || nd == 0)
        return 0;
    double *w = malloc((size_t)nt * nd * sizeof *w);
    int *rc_out = malloc((size_t)nt * sizeof *rc_out);
    int rc = w && rc_out ? 0 : -1;
    for (int r = 0; rc == 0 && r < nt; r++)
        for (int c = 0; c < nd; c++) {
            double o = box_iou(tk->t[ti[r]].pred, v[di[c]].bbox);
            w[(size_t)r * nd + c] = o >= tk->cfg.iou && o > 0 ? o : 0;
        }
    if (rc == 0 && tk->cfg.match == TRACK_HUNGARIAN) {
        rc = match_hungarian(w, nt, nd, rc_out);
        tk->greedy_fallbacks += rc == 1;
    }
    if (rc == 1 || (rc == 0 && tk->cfg.match == TRACK_GREEDY))
        rc = match_greedy(w, nt, nd, rc_out);
    for (int r = 0; rc == 0 && r < nt; r++)
        if (rc_out[r] >= 0) {
            tk->t[ti[r]].matched = di[rc_out[r]];
            tk->det_track[di[rc_out[r]]] = ti[r];
        }
    free(w), free(rc_out);
    return rc;
}

/* Sorting indices by class, then position: one group per class. */
typedef struct cls_idx {
    int cls, i;
} cls_idx;

static int by_class(const void *pa, const void *pb)
{
    const cls_idx *a = pa, *b = pb;
    if (a->cls != b->cls)
        return a->cls < b->cls ? -1 : 1;
    return (a->i > b->i) - (a->i < b->i);
}

/* One round: the unmatched tracks of kind tk_kind with the unmatched
 * detections of kind dk, per class (or all at once with any_class). */
static int associate(tracker *tk, const ydet *v, size_t n, trk_kind tkind, det_kind dk)
{
    cls_idx *ts = malloc((tk->n + 1) * sizeof *ts), *ds = malloc((n + 1) * sizeof *ds);
    int *ti = malloc((tk->n + 1) * sizeof *ti), *di = malloc((n + 1) * sizeof *di);
    int rc = ts && ds && ti && di ? 0 : -1;
    size_t nt = 0, nd = 0;
    for (size_t i = 0; rc == 0 && i < tk->n; i++)
        if (trk_takes_part(&tk->t[i], tkind))
            ts[nt++] = (cls_idx){tk->cfg.any_class ? 0 : tk->t[i].cls, (int)i};
    for (size_t j = 0; rc == 0 && j < n; j++)
        if (det_takes_part(tk, &v[j], j, dk))
            ds[nd++] = (cls_idx){tk->cfg.any_class ? 0 : v[j].cls, (int)j};
    if (rc == 0 && nt > 0 && nd > 0) {
        qsort(ts, nt, sizeof *ts, by_class);
        qsort(ds, nd, sizeof *ds, by_class);
    }
    /* walk both lists class by class */
    size_t a = 0, b = 0;
    while (rc == 0 && a < nt && b < nd) {
        if (ts[a].cls != ds[b].cls) {
            ts[a].cls < ds[b].cls ? a++ : b++;
            continue;
        }
        int cls = ts[a].cls, gt = 0, gd = 0;
        for (; a < nt && ts[a].cls == cls; a++)
            ti[gt++] = ts[a].i;
        for (; b < nd && ds[b].cls == cls; b++)
            di[gd++] = ds[b].i;
        rc = match_group(tk, v, ti, gt, di, gd);
    }
    free(ts), free(ds), free(ti), free(di);
    return rc;
}

/* The matched tracks take their detections, the others age or end; the
 * survivors stay in creation order. */
static void update_tracks(tracker *tk, const ydet *v)
{
    const track_cfg *c = &tk->cfg;
    size_t keep = 0;
    for (size_t i = 0; i < tk->n; i++) {
        track *t = &tk->t[i];
        if (t->matched >= 0) {
            const ydet *d = &v[t->matched];
            track_kf_update(&t->kf, d->bbox);
            t->hits++;
            t->lost = 0;
            t->cls = d->cls;
            if (t->id == 0 && t->hits >= c->min_hits)
                t->id = tk->next_id++;
            tk->ids[t->matched] = t->id;
        } else if (t->id == 0 || ++t->lost > c->max_age) {
            continue; /* a tentative track missed, or a confirmed one lost too long */
        }
        tk->t[keep++] = *t;
    }
    tk->n = keep;
}

/* Makes room for one more track when max_tracks are live: ends the one
 * missed longest (ties: the oldest). 0, or -1 if every track was seen in
 * this frame. */
static int make_room(tracker *tk)
{
    if ((long)tk->n < tk->cfg.max_tracks)
        return 0;
    size_t worst = 0;
    for (size_t i = 1; i < tk->n; i++)
        if (tk->t[i].lost > tk->t[worst].lost)
            worst = i;
    if (tk->n == 0 || tk->t[worst].lost == 0)
        return -1;
    memmove(&tk->t[worst], &tk->t[worst + 1], (tk->n - worst - 1) * sizeof *tk->t);
    tk->n--;
    tk->evicted++;
    return 0;
}

/* New tentative tracks from the high-scoring detections no track took. */
static void start_tracks(tracker *tk, const ydet *v, size_t n)
{
    for (size_t j = 0; j < n; j++) {
        if (tk->det_track[j] >= 0 || v[j].score < tk->cfg.high)
            continue;
        if (make_room(tk) < 0) {
            tk->refused++;
            continue;
        }
        track *t = &tk->t[tk->n++];
        memset(t, 0, sizeof *t);
        t->serial = tk->next_serial++;
        t->cls = v[j].cls;
        t->hits = 1;
        t->matched = -1;
        track_kf_init(&t->kf, v[j].bbox);
        if (tk->cfg.min_hits <= 1)
            t->id = tk->next_id++;
        tk->det_track[j] = (int)(tk->n - 1);
        tk->ids[j] = t->id;
    }
}

int tracker_step(tracker *tk, const ydet *v, size_t n)
{
    if (reserve(tk, n) < 0)
        return -1;
    tk->frames++;
    for (size_t i = 0; i < tk->n; i++) {
        track *t = &tk->t[i];
        track_kf_predict(&t->kf);
        t->pred = track_kf_box(&t->kf);
        t->matched = -1;
    }
    for (size_t j = 0; j < n; j++)
        tk->det_track[j] = -1, tk->ids[j] = 0;
    int rc;
    if (tk->cfg.method == TRACK_SORT) {
        rc = associate(tk, v, n, TRK_ALL, DET_HIGH);
    } else {
        /* ByteTrack: high scores to the confirmed tracks (seen or lost), then
           low scores to the confirmed tracks seen last frame that are left, then
           the high scores left to the tentative tracks */
        rc = associate(tk, v, n, TRK_CONFIRMED, DET_HIGH);
        if (rc == 0)
            rc = associate(tk, v, n, TRK_CONFIRMED_SEEN, DET_LOW);
        if (rc == 0)
            rc = associate(tk, v, n, TRK_TENTATIVE, DET_HIGH);
    }
    if (rc < 0)
        return -1;
    update_tracks(tk, v);
    start_tracks(tk, v, n);
    return 0;
}

/* ---- a record ------------------------------------------------------------ */

/* Entry m as read, with track_id set to id (> 0) or left out (0). */
static int pack_entry(msgpack_packer *pk, const msgpack_object *m, long id)
{
    const msgpack_object_map *mp = &m->via.map;
    uint32_t size = id > 0;
    for (uint32_t k = 0; k < mp->size; k++) {
        const msgpack_object *key = &mp->ptr[k].key;
        size += !(key->type == MSGPACK_OBJECT_STR && mp_str_eq(&key->via.str, "track_id", 8));
    }
    int rc = msgpack_pack_map(pk, size);
    for (uint32_t k = 0; k < mp->size; k++) {
        const msgpack_object_kv *kv = &mp->ptr[k];
        if (kv->key.type == MSGPACK_OBJECT_STR && mp_str_eq(&kv->key.via.str, "track_id", 8))
            continue;
        rc |= msgpack_pack_object(pk, kv->key) | msgpack_pack_object(pk, kv->val);
    }
    if (id > 0)
        rc |= mp_pack_key(pk, "track_id") | msgpack_pack_int64(pk, id);
    return rc;
}

/* Reads r's detections into dets: 0, or -1 with err (YOLO_EINPUT). */
static int read_frame(rec *r, detlist *dets, yerr *err)
{
    int rc = rec_get_detections(r, dets, err);
    if (rc == 0)
        return rec_fail(r, err, "detections",
                        "missing: track needs every frame's detections ([] for none)");
    if (rc < 0)
        return -1;
    char path[48];
    for (size_t j = 0; j < dets->n; j++) {
        box b = dets->v[j].bbox;
        if (b.x2 < b.x1 || b.y2 < b.y1) {
            snprintf(path, sizeof path, "detections[%zu]", j);
            return rec_fail(r, err, path, "'bbox' is inverted (x2 < x1 or y2 < y1)");
        }
    }
    return 0;
}

int track_record(rec *r, tracker *tk, detlist *dets, yerr *err)
{
    if (rec_has(r, "error")) {
        if (tracker_step(tk, NULL, 0) < 0)
            return yerr_set(err, YOLO_EIO, "out of memory");
        return 0;
    }
    if (read_frame(r, dets, err) < 0) {
        if (tracker_step(tk, NULL, 0) < 0) /* the frame still passes: nothing seen */
            return yerr_set(err, YOLO_EIO, "out of memory");
        return -1;
    }
    if (tracker_step(tk, dets->v, dets->n) < 0)
        return yerr_set(err, YOLO_EIO, "out of memory");
    size_t kept = 0;
    for (size_t j = 0; j < dets->n; j++)
        kept += tk->ids[j] > 0 || !tk->cfg.drop_unmatched;
    msgpack_packer *pk = rec_set_begin(r, "detections");
    msgpack_pack_array(pk, kept); /* rec_set_end checks what was packed */
    for (size_t j = 0; j < dets->n; j++)
        if (tk->ids[j] > 0 || !tk->cfg.drop_unmatched)
            pack_entry(pk, dets->v[j].src, tk->ids[j]);
    return rec_set_end(r, err) < 0 ? -1 : 1;
}
