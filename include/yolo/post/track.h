/* Multi-object tracking over a stream of frames' `detections`: SORT
 * (Bewley et al. 2016, "Simple Online and Realtime Tracking") and ByteTrack's
 * two-stage association (Zhang et al. 2022, "ByteTrack: Multi-Object
 * Tracking by Associating Every Detection Box"). One record is one frame, in
 * order; the tracker's state lives between records. docs/detection.md
 * (section track) has the method and its parameters.
 *
 * Per frame: every live track's Kalman filter predicts its box; detections
 * are matched to the predictions by IoU (box_iou, common/data/box.c), with
 * the Hungarian algorithm (the matching of largest total IoU) or greedily;
 * a matched track's filter is updated with its detection. A track is
 * tentative until it has been matched in min_hits frames running, then it is
 * confirmed and gets its id, from a counter that never goes back (ids are
 * never reused). A tentative track missed once ends; a confirmed one ends
 * when it has been missed in more than max_age frames running.
 *
 * Deterministic: tracks are kept in creation order and detections in input
 * order, and every tie (equal IoU, equal age) goes to the earlier. */
#ifndef YOLO_TRACK_H
#define YOLO_TRACK_H

#include <stddef.h>

#include "yolo/base/err.h"
#include "yolo/data/box.h"
#include "yolo/data/detection.h"
#include "yolo/records/record.h"

/* The Hungarian algorithm runs on a class group of at most this many live
 * tracks or detections (after those with no possible partner are left out:
 * O(n^3) time, n^2 doubles); a larger group is matched greedily (counted in
 * tracker.greedy_fallbacks). */
#define TRACK_HUNGARIAN_MAX 512

typedef enum { TRACK_SORT, TRACK_BYTETRACK } track_method;
typedef enum { TRACK_HUNGARIAN, TRACK_GREEDY } track_match;

typedef struct track_cfg {
    track_method method;
    track_match match;
    double iou;            /* a detection and a track's prediction can match only
                              when their IoU is >= iou (in (0, 1]) */
    double high;           /* detections scoring >= high are matched first and
                              start tracks; sort uses no others */
    double low;            /* bytetrack: those in [low, high) are matched second,
                              to tracks seen in the previous frame; below low: unused */
    long min_hits;         /* frames running a track must be matched to be confirmed */
    long max_age;          /* a confirmed track missed in more frames running ends */
    long max_tracks;       /* live tracks at most (tentative, confirmed, lost) */
    int any_class;         /* match across classes (default: only within a class) */
    int drop_unmatched;    /* leave out detections that are not a confirmed track's */
} track_cfg;

/* ---- the Kalman filter ------------------------------------------------------
 * State: the box's centre and size (cx, cy, w, h) and their velocities, in
 * pixels and pixels per frame; constant velocity. Measurement: the box. The
 * noise of each coordinate is proportional to the box's size (w for cx and
 * w, h for cy and h), as in DeepSORT and ByteTrack. With F = [I I; 0 I],
 * H = [I 0] and diagonal noise, the 8-state filter's covariance never
 * couples two coordinates, so it is kept as four 2x2 blocks, one per
 * coordinate: exactly the 8x8 filter (tests/unit/test_track.c checks it
 * against the dense one), at a fraction of the work. */
#define TRACK_KF_STD_POS 0.05      /* of the size: position noise per frame, and
                                      the measurement's */
#define TRACK_KF_STD_VEL 0.00625   /* of the size: velocity noise per frame */

typedef struct track_kf {
    double x[4];           /* cx, cy, w, h */
    double v[4];           /* their velocities */
    double p[4][3];        /* each coordinate's covariance: var(x), cov(x, v), var(v) */
} track_kf;

void track_kf_init(track_kf *k, box b);
/* One frame ahead. A size whose velocity would make it <= 0 stops
 * changing (its velocity is set to 0 first). */
void track_kf_predict(track_kf *k);
void track_kf_update(track_kf *k, box b);
box track_kf_box(const track_kf *k);

/* ---- assignment ---------------------------------------------------------
 * The Hungarian algorithm (Kuhn-Munkres with potentials), O(n^2 m) for
 * n <= m: assigns the rows of the n x m cost matrix cost (row-major) to
 * distinct columns so that the total is the least. row_col[i] gets row i's
 * column, or -1 (only when n > m: m rows get one). 0, or -1 out of memory. */
int track_assign(const double *cost, int n, int m, int *row_col);

/* ---- the tracker --------------------------------------------------------- */
typedef struct track {
    long id;               /* 0 while tentative */
    long serial;           /* creation order */
    int cls;
    long hits;             /* frames matched (running, while tentative) */
    long lost;             /* frames missed since the last match */
    track_kf kf;
    box pred;              /* this frame's prediction */
    int matched;           /* this frame's detection, or -1 */
} track;

typedef struct tracker {
    track_cfg cfg;
    track *t;              /* [n] live tracks in creation order, [cap] allocated */
    size_t n, cap;
    long next_id, next_serial;
    long frames;
    long evicted;          /* tracks ended early to make room (max_tracks) */
    long refused;          /* tracks not started: no room */
    long greedy_fallbacks; /* groups too large for the Hungarian algorithm */
    long *ids;             /* [ndet] after tracker_step: each detection's track id
                              (0: none), [det_cap] allocated */
    int *det_track;        /* [ndet]: the matched track's index in t, or -1 */
    size_t det_cap;
} tracker;

void tracker_init(tracker *tk, const track_cfg *c);
void tracker_free(tracker *tk);

/* One frame: v[0, n) its detections. On return tk->ids[j] is detection j's
 * track id (0: none: not matched to a confirmed track). n == 0 is a frame in
 * which nothing was seen. 0, or -1 out of memory (the tracker is then
 * unusable). */
int tracker_step(tracker *tk, const ydet *v, size_t n);

/* One record: a record with `error` passes through and counts as a frame in
 * which nothing was seen. Otherwise its detections (docs/records.md) are
 * read, tracked, and written back in input order, each with `track_id` set
 * when it is a confirmed track's (and without it otherwise, or left out with
 * drop_unmatched). 1 done, 0 passed through, -1 with err: YOLO_EINPUT (no
 * `detections`, a bad entry; the frame counted as one in which nothing was
 * seen) naming the record and key, YOLO_EIO out of memory. */
int track_record(rec *r, tracker *tk, detlist *dets, yerr *err);

#endif
