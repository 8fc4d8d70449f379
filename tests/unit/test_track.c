/* Unit tests for tracking (common/post/track.c):
 *   1. track_assign (the Hungarian algorithm) against brute force over every
 *      assignment of small random matrices, square and not, with ties
 *   2. the Kalman filter (four 2x2 blocks) against the dense 8-state filter
 *      written out here with 8x8 matrices, over random predict / update runs
 *   3. the tracker: Hungarian and greedy matching where they differ, the
 *      ByteTrack second stage, ids from a counter never reused */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "yolo/post/track.h"

#include "check.h"
#include "testutil.h"

/* ---- 1. assignment ------------------------------------------------------- */

/* The least total over every injection of the smaller side into the larger:
 * all k-permutations, by recursion. */
static double brute(const double *c, int n, int m, int row, char *used)
{
    if (row == n)
        return 0;
    double best = DBL_MAX;
    int free_cols = 0;
    for (int j = 0; j < m; j++)
        free_cols += !used[j];
    /* a row may stay unassigned only if there are more rows left than columns */
    if (n - row > free_cols)
        best = brute(c, n, m, row + 1, used);
    for (int j = 0; j < m; j++) {
        if (used[j])
            continue;
        used[j] = 1;
        double t = c[row * m + j] + brute(c, n, m, row + 1, used);
        used[j] = 0;
        if (t < best)
            best = t;
    }
    return best;
}

static void test_assign(void)
{
    int all_ok = 1, runs = 0;
    for (int t = 0; t < 600; t++) {
        int n = 1 + (int)(xrand() % 6), m = 1 + (int)(xrand() % 6);
        double c[36];
        for (int k = 0; k < n * m; k++) /* coarse values on half the runs: ties */
            c[k] = t % 2 ? (double)(xrand() % 4) : (double)(xrand() % 100000) / 997 - 40;
        int rc_[6];
        char used[6] = {0};
        int ok = track_assign(c, n, m, rc_) == 0;
        double total = 0;
        int assigned = 0;
        char taken[6] = {0};
        for (int i = 0; ok && i < n; i++) {
            if (rc_[i] < 0)
                continue;
            ok = rc_[i] < m && !taken[rc_[i]];
            taken[rc_[i]] = 1;
            total += c[i * m + rc_[i]];
            assigned++;
        }
        double want = brute(c, n, m, 0, used);
        ok = ok && assigned == (n < m ? n : m) && fabs(total - want) <= 1e-9 * (1 + fabs(want));
        all_ok &= ok;
        runs++;
    }
    CHECK(all_ok, "track_assign: the least total of brute force on %d random matrices "
                  "(1..6 x 1..6, half with ties), every row or column assigned", runs);
    int rc_[3] = {7, 7, 7};
    CHECK(track_assign(NULL, 3, 0, rc_) == 0 && rc_[0] == -1 && rc_[2] == -1,
          "track_assign: no columns, no row assigned");
}

/* ---- 2. the Kalman filter ------------------------------------------------ */

typedef struct dense_kf {
    double x[8];          /* cx, cy, w, h, and their velocities */
    double P[8][8];
} dense_kf;

static double scale(const double *x, int c)
{
    double s = x[c % 2 == 0 ? 2 : 3];
    return s > 1 ? s : 1;
}

static void dense_init(dense_kf *k, box b)
{
    memset(k, 0, sizeof *k);
    k->x[0] = (b.x1 + b.x2) / 2, k->x[1] = (b.y1 + b.y2) / 2;
    k->x[2] = b.x2 - b.x1, k->x[3] = b.y2 - b.y1;
    for (int c = 0; c < 4; c++) {
        double s = scale(k->x, c);
        k->P[c][c] = pow(2 * TRACK_KF_STD_POS * s, 2);
        k->P[c + 4][c + 4] = pow(10 * TRACK_KF_STD_VEL * s, 2);
    }
}

/* P = F P F' + Q, x = F x, F = [I I; 0 I] */
static void dense_predict(dense_kf *k)
{
    for (int c = 2; c < 4; c++)
        if (k->x[c] + k->x[c + 4] <= 0)
            k->x[c + 4] = 0;
    double F[8][8] = {{0}}, FP[8][8] = {{0}}, N[8][8] = {{0}}, s[4];
    for (int c = 0; c < 4; c++)
        s[c] = scale(k->x, c);
    for (int i = 0; i < 8; i++)
        F[i][i] = 1;
    for (int c = 0; c < 4; c++)
        F[c][c + 4] = 1;
    double x[8] = {0};
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 8; j++)
            x[i] += F[i][j] * k->x[j];
    memcpy(k->x, x, sizeof x);
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 8; j++)
            for (int l = 0; l < 8; l++)
                FP[i][j] += F[i][l] * k->P[l][j];
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 8; j++)
            for (int l = 0; l < 8; l++)
                N[i][j] += FP[i][l] * F[j][l];
    for (int c = 0; c < 4; c++) {
        N[c][c] += pow(TRACK_KF_STD_POS * s[c], 2);
        N[c + 4][c + 4] += pow(TRACK_KF_STD_VEL * s[c], 2);
    }
    memcpy(k->P, N, sizeof N);
}

/* Inverse of a 4x4 by Gauss-Jordan with partial pivoting. */
static void inverse4(double A[4][4], double I[4][4])
{
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            I[i][j] = i == j;
    for (int c = 0; c < 4; c++) {
        int p = c;
        for (int r = c + 1; r < 4; r++)
            if (fabs(A[r][c]) > fabs(A[p][c]))
                p = r;
        for (int j = 0; j < 4; j++) {
            double t = A[c][j]; A[c][j] = A[p][j]; A[p][j] = t;
            t = I[c][j]; I[c][j] = I[p][j]; I[p][j] = t;
        }
        double d = A[c][c];
        for (int j = 0; j < 4; j++)
            A[c][j] /= d, I[c][j] /= d;
        for (int r = 0; r < 4; r++) {
            if (r == c)
                continue;
            double f = A[r][c];
            for (int j = 0; j < 4; j++)
                A[r][j] -= f * A[c][j], I[r][j] -= f * I[c][j];
        }
    }
}

/* K = P H' (H P H' + R)^-1, x += K (z - H x), P = (I - K H) P, H = [I 0] */
static void dense_update(dense_kf *k, box b)
{
    double z[4] = {(b.x1 + b.x2) / 2, (b.y1 + b.y2) / 2, b.x2 - b.x1, b.y2 - b.y1};
    double S[4][4], Si[4][4], K[8][4] = {{0}}, P2[8][8];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            S[i][j] = k->P[i][j] + (i == j ? pow(TRACK_KF_STD_POS * scale(k->x, i), 2) : 0);
    inverse4(S, Si);
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 4; j++)
            for (int l = 0; l < 4; l++)
                K[i][j] += k->P[i][l] * Si[l][j];
    double y[4];
    for (int c = 0; c < 4; c++)
        y[c] = z[c] - k->x[c];
    for (int i = 0; i < 8; i++)
        for (int c = 0; c < 4; c++)
            k->x[i] += K[i][c] * y[c];
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 8; j++) {
            P2[i][j] = k->P[i][j];
            for (int l = 0; l < 4; l++)
                P2[i][j] -= K[i][l] * k->P[l][j];
        }
    memcpy(k->P, P2, sizeof P2);
}

static double urand(double lo, double hi) { return lo + (hi - lo) * (double)(xrand() % 1000001) / 1e6; }

static box random_box(void)
{
    double x = urand(0, 500), y = urand(0, 400);
    return (box){x, y, x + urand(0.2, 120), y + urand(0.2, 90)};
}

/* Largest difference between the blocked filter and the dense one, relative
 * to the dense values' size. */
static double kf_diff(const track_kf *k, const dense_kf *d)
{
    double m = 0;
    for (int c = 0; c < 4; c++) {
        double pairs[5][2] = {{k->x[c], d->x[c]}, {k->v[c], d->x[c + 4]},
                              {k->p[c][0], d->P[c][c]}, {k->p[c][1], d->P[c][c + 4]},
                              {k->p[c][2], d->P[c + 4][c + 4]}};
        for (int q = 0; q < 5; q++) {
            double e = fabs(pairs[q][0] - pairs[q][1]) / (1 + fabs(pairs[q][1]));
            m = e > m ? e : m;
        }
        for (int c2 = 0; c2 < 4; c2++) /* no coupling between coordinates */
            if (c2 != c) {
                double e = fabs(d->P[c][c2]) + fabs(d->P[c][c2 + 4]) + fabs(d->P[c + 4][c2 + 4]);
                m = e > m ? e : m;
            }
    }
    return m;
}

static void test_kalman(void)
{
    double worst = 0;
    int steps = 0;
    for (int t = 0; t < 200; t++) {
        box b = random_box();
        track_kf k;
        dense_kf d;
        track_kf_init(&k, b);
        dense_init(&d, b);
        double e = kf_diff(&k, &d);
        worst = e > worst ? e : worst;
        for (int s = 0; s < 30; s++, steps++) {
            track_kf_predict(&k);
            dense_predict(&d);
            if (xrand() % 4) { /* a quarter of the frames: missed */
                box z = t % 5 == 0 ? random_box() : track_kf_box(&k);
                double j = urand(-3, 3);
                z.x1 += j, z.x2 += j + urand(-2, 2);
                if (z.x2 < z.x1)
                    z.x2 = z.x1;
                track_kf_update(&k, z);
                dense_update(&d, z);
            }
            e = kf_diff(&k, &d);
            worst = e > worst ? e : worst;
        }
    }
    CHECK(worst < 1e-9, "Kalman filter (4 blocks of 2x2) = the dense 8-state filter over %d "
                        "random predict / update steps (largest relative difference %.2g)",
          steps, worst);

    /* a box moving at constant velocity: the filter learns the velocity */
    track_kf k;
    track_kf_init(&k, (box){0, 0, 20, 40});
    for (int f = 1; f <= 30; f++) {
        track_kf_predict(&k);
        track_kf_update(&k, (box){3.0 * f, -1.0 * f, 20 + 3.0 * f, 40 - 1.0 * f});
    }
    track_kf_predict(&k);
    box p = track_kf_box(&k);
    CHECK(fabs(k.v[0] - 3) < 0.05 && fabs(k.v[1] + 1) < 0.05 && fabs(p.x1 - 93) < 0.2 &&
              fabs(p.y2 - 9) < 0.2,
          "constant velocity (3, -1) px/frame: learnt (%.3f, %.3f), predicted x1 %.2f y2 %.2f "
          "(93, 9)", k.v[0], k.v[1], p.x1, p.y2);
    track_kf_init(&k, (box){0, 0, 10, 10});
    for (int f = 1; f <= 5; f++) { /* shrinking fast */
        track_kf_predict(&k);
        track_kf_update(&k, (box){0, 0, 10 - 2.0 * f, 10 - 2.0 * f});
    }
    for (int f = 0; f < 20; f++)
        track_kf_predict(&k);
    p = track_kf_box(&k);
    CHECK(p.x2 >= p.x1 && p.y2 >= p.y1 && k.x[2] > 0 && k.x[3] > 0,
          "a shrinking box predicted on for 20 frames keeps a positive size (%.3f x %.3f)",
          k.x[2], k.x[3]);
}

/* ---- 3. the tracker ------------------------------------------------------ */

static const track_cfg base_cfg = {.method = TRACK_BYTETRACK, .match = TRACK_HUNGARIAN,
                                   .iou = 0.3, .high = 0.5, .low = 0.1, .min_hits = 1,
                                   .max_age = 30, .max_tracks = 1000};

static ydet det(double x1, double x2, double score)
{
    return (ydet){.cls = 0, .score = score, .bbox = {x1, 0, x2, 100}};
}

/* T1 [0,100], T2 [60,160]; then D1 [10,110], D2 [0,75]: IoU(T1,D1) 0.818,
 * IoU(T1,D2) 0.75, IoU(T2,D1) 0.333, IoU(T2,D2) 0.094 (below 0.3). Greedy
 * takes T1-D1 and leaves T2 and D2; the Hungarian T1-D2 + T2-D1 (1.083). */
static void test_matching(void)
{
    ydet f0[2] = {det(0, 100, 0.9), det(60, 160, 0.9)};
    ydet f1[2] = {det(10, 110, 0.9), det(0, 75, 0.9)};
    long got[2][2];
    for (int g = 0; g < 2; g++) {
        track_cfg c = base_cfg;
        c.match = g ? TRACK_GREEDY : TRACK_HUNGARIAN;
        tracker tk;
        tracker_init(&tk, &c);
        tracker_step(&tk, f0, 2);
        tracker_step(&tk, f1, 2);
        got[g][0] = tk.ids[0], got[g][1] = tk.ids[1];
        tracker_free(&tk);
    }
    CHECK(got[0][0] == 2 && got[0][1] == 1, "hungarian: the largest total IoU (D1 to track 2, "
                                            "D2 to track 1): got %ld %ld", got[0][0], got[0][1]);
    CHECK(got[1][0] == 1 && got[1][1] == 3, "greedy: the best pair first (D1 to track 1, D2 "
                                            "starts track 3): got %ld %ld", got[1][0], got[1][1]);
}

/* A low-scoring detection keeps a track under bytetrack, not under sort;
 * a track ends after max_age misses and its id is never given again. */
static void test_lifecycle(void)
{
    long ids[2][6];
    for (int m = 0; m < 2; m++) {
        track_cfg c = base_cfg;
        c.method = m ? TRACK_SORT : TRACK_BYTETRACK;
        c.max_age = 1;
        tracker tk;
        tracker_init(&tk, &c);
        double score[6] = {0.9, 0.3, 0.3, 0.3, 0.9, 0.9};
        for (int f = 0; f < 6; f++) {
            ydet d = det(2.0 * f, 2.0 * f + 50, score[f]);
            tracker_step(&tk, &d, 1);
            ids[m][f] = tk.ids[0];
        }
        tracker_free(&tk);
    }
    CHECK(ids[0][0] == 1 && ids[0][1] == 1 && ids[0][3] == 1 && ids[0][5] == 1,
          "bytetrack: scores 0.3 (in [low, high)) keep track 1 (%ld %ld %ld %ld %ld %ld)",
          ids[0][0], ids[0][1], ids[0][2], ids[0][3], ids[0][4], ids[0][5]);
    CHECK(ids[1][0] == 1 && ids[1][1] == 0 && ids[1][3] == 0 && ids[1][4] == 2 && ids[1][5] == 2,
          "sort: scores 0.3 unused, track 1 ends after max_age 1, the object comes back as 2 "
          "(%ld %ld %ld %ld %ld %ld)", ids[1][0], ids[1][1], ids[1][2], ids[1][3], ids[1][4],
          ids[1][5]);

    /* random births and deaths: every new id is larger than all before */
    track_cfg c = base_cfg;
    c.min_hits = 2;
    c.max_age = 2;
    tracker tk;
    tracker_init(&tk, &c);
    long top = 0;
    int ok = 1, frames = 0;
    static char live[100000]; /* live[id]: a track of the previous frame had it */
    ydet v[20];
    for (int f = 0; f < 400; f++, frames++) {
        size_t n = (size_t)(xrand() % 20);
        for (size_t j = 0; j < n; j++) {
            double x = (double)(xrand() % 10) * 60;
            v[j] = det(x, x + 50, urand(0, 1));
            v[j].cls = (int)(xrand() % 2);
        }
        ok &= tracker_step(&tk, v, n) == 0;
        long seen_new = top;
        for (size_t j = 0; j < n; j++) {
            long id = tk.ids[j];
            ok &= id >= 0 && id < 100000;
            /* an old id only while its track lives: never given again */
            if (id > 0 && id <= top)
                ok &= live[id];
            seen_new = id > seen_new ? id : seen_new;
            for (size_t i = 0; i < j; i++) /* one detection per track in a frame */
                ok &= id == 0 || tk.ids[i] != id;
        }
        top = seen_new;
        memset(live, 0, (size_t)top + 1);
        for (size_t i = 0; i < tk.n; i++) {
            ok &= tk.t[i].id <= top;
            live[tk.t[i].id] = 1;
        }
        live[0] = 0;
    }
    CHECK(ok && top == tk.next_id - 1 && top > 50,
          "random frames (%d): no id twice in a frame, an id seen again only while its track "
          "lives, ids handed out in order (1 to %ld)", frames, top);
    tracker_free(&tk);
}

/* A class group of more than TRACK_HUNGARIAN_MAX tracks with partners is
 * matched greedily (counted); one of 400 by the Hungarian algorithm. */
static void test_bound(void)
{
    for (int k = 0; k < 2; k++) {
        int n = k ? TRACK_HUNGARIAN_MAX + 88 : 400;
        ydet *v = malloc((size_t)n * sizeof *v);
        for (int j = 0; j < n; j++) { /* a grid of 40 px boxes, 10 px apart, moving right */
            double x = (j % 25) * 50.0, y = (j / 25) * 50.0;
            v[j] = (ydet){.cls = 0, .score = 0.9, .bbox = {x, y, x + 40, y + 40}};
        }
        tracker tk;
        tracker_init(&tk, &base_cfg);
        int ok = 1;
        for (int f = 0; f < 4; f++) {
            ok &= tracker_step(&tk, v, (size_t)n) == 0;
            for (int j = 0; j < n; j++) {
                ok &= tk.ids[j] == j + 1;
                v[j].bbox.x1 += 2, v[j].bbox.x2 += 2;
            }
        }
        CHECK(ok && tk.greedy_fallbacks == (k ? 3 : 0),
              "%d boxes in one class: ids kept over 4 frames, %s (fallbacks %ld)", n,
              k ? "greedy past the Hungarian bound, counted" : "by the Hungarian algorithm",
              tk.greedy_fallbacks);
        tracker_free(&tk);
        free(v);
    }
}

int main(void)
{
    test_assign();
    test_kalman();
    test_matching();
    test_lifecycle();
    test_bound();
    return check_done();
}
