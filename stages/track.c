/* track: multi-object tracking over a stream of frames' `detections`
 * (SORT, ByteTrack); the work is in common/post/track.c. */
#include <limits.h>
#include <string.h>

#include "yolo/cli/cli.h"
#include "yolo/post/rescale.h"
#include "yolo/post/track.h"

enum { OPT_METHOD = 1, OPT_MATCH, OPT_IOU, OPT_HIGH, OPT_LOW, OPT_MIN_HITS, OPT_MAX_AGE,
       OPT_MAX_TRACKS, OPT_ANY_CLASS, OPT_DROP, OPT_STRICT };

typedef struct track_opts {
    track_cfg cfg;
    int strict;
} track_opts;

static const cli_opt opts[] = {
    {OPT_METHOD, "method", 0, "sort|bytetrack",
     "bytetrack (default): low-scoring detections keep tracks alive; sort: only those >= --high"},
    {OPT_MATCH, "match", 0, "hungarian|greedy",
     "hungarian (default): the matching of largest total IoU; greedy: best IoU first"},
    {OPT_IOU, "iou", 0, "T", "a detection matches a track's prediction only with IoU >= T (default 0.3)"},
    {OPT_HIGH, "high", 0, "S", "detections scoring >= S are matched first and start tracks (default 0.5)"},
    {OPT_LOW, "low", 0, "S", "bytetrack: those in [S, --high) are matched second (default 0.1)"},
    {OPT_MIN_HITS, "min-hits", 0, "N", "frames running a track is seen before it gets an id (default 3)"},
    {OPT_MAX_AGE, "max-age", 0, "N", "frames running a track may be missed before it ends (default 30)"},
    {OPT_MAX_TRACKS, "max-tracks", 0, "N",
     "live tracks at most (default 1000); past it the one missed longest ends"},
    {OPT_ANY_CLASS, "any-class", 0, NULL, "match across classes (default: within each class)"},
    {OPT_DROP, "drop-unmatched", 0, NULL, "leave out detections that get no track_id"},
    {OPT_STRICT, "strict", 0, NULL, "stop (exit 2) at the first record that breaks the contract"},
    {0, NULL, 0, NULL, NULL},
};

static const cli_desc desc = {
    .name = "track",
    .args = "[FILE]...",
    .summary = "Multi-object tracking: a 'track_id' for the 'detections' of each frame (record).",
    .details =
        "Each record is one frame of one video, in order (after rescale and nms). Every track's\n"
        "box is predicted by a Kalman filter (constant velocity) and matched to the frame's\n"
        "detections by IoU, within each class unless --any-class. A detection no track takes\n"
        "and scoring >= --high starts a tentative track; once seen in --min-hits frames running\n"
        "it is confirmed and gets an id (1, 2, ...; never reused), and the detections matched\n"
        "to it from then on get 'track_id'. A tentative track missed once ends; a confirmed one\n"
        "ends when missed in more than --max-age frames running, and keeps its id when it is\n"
        "seen again before. Detections without a confirmed track are written without\n"
        "'track_id' (left out with --drop-unmatched); tracks not seen in a frame add nothing to\n"
        "it. Entries keep their order and fields. A record with 'error' passes through and is a\n"
        "frame in which nothing was seen; so is a record without 'detections' or with a bad\n"
        "entry, which gets 'error' (a warning, counted), or with --strict stops the run (exit 2).\n"
        "docs/detection.md (section track) has the method and the measured scores.",
    .opts = opts,
    .reads_records = 1,
    .writes_records = 1,
};

static int on_option(cli *c, void *ctx, int id, const char *arg)
{
    track_opts *o = ctx;
    track_cfg *g = &o->cfg;
    switch (id) {
    case OPT_METHOD:
        if (!strcmp(arg, "sort") || !strcmp(arg, "bytetrack")) {
            g->method = arg[0] == 's' ? TRACK_SORT : TRACK_BYTETRACK;
            return 0;
        }
        return cli_usage_error(c, "option --method: '%s' is not sort or bytetrack", arg);
    case OPT_MATCH:
        if (!strcmp(arg, "hungarian") || !strcmp(arg, "greedy")) {
            g->match = arg[0] == 'h' ? TRACK_HUNGARIAN : TRACK_GREEDY;
            return 0;
        }
        return cli_usage_error(c, "option --match: '%s' is not hungarian or greedy", arg);
    case OPT_IOU: return cli_double(c, "iou", arg, 1e-6, 1, &g->iou);
    case OPT_HIGH: return cli_double(c, "high", arg, 0, 1e9, &g->high);
    case OPT_LOW: return cli_double(c, "low", arg, 0, 1e9, &g->low);
    case OPT_MIN_HITS: return cli_long(c, "min-hits", arg, 1, 1000000, &g->min_hits);
    case OPT_MAX_AGE: return cli_long(c, "max-age", arg, 0, 1000000, &g->max_age);
    case OPT_MAX_TRACKS: return cli_long(c, "max-tracks", arg, 1, 10000000, &g->max_tracks);
    case OPT_ANY_CLASS: g->any_class = 1; return 0;
    case OPT_DROP: g->drop_unmatched = 1; return 0;
    case OPT_STRICT: o->strict = 1; return 0;
    }
    return -1;
}

/* The closing warning when --max-tracks was reached. */
static void warn_room(cli *c, const tracker *tk)
{
    if (tk->evicted || tk->refused)
        cli_warn(c, "more than --max-tracks %ld tracks: %ld ended early, %ld not started",
                 tk->cfg.max_tracks, tk->evicted, tk->refused);
}

int main(int argc, char **argv)
{
    cli c;
    track_opts o = {.cfg = {.method = TRACK_BYTETRACK, .match = TRACK_HUNGARIAN, .iou = 0.3,
                            .high = 0.5, .low = 0.1, .min_hits = 3, .max_age = 30,
                            .max_tracks = 1000}};
    cli_init(&c, &desc);
    if (cli_parse(&c, argc, argv, on_option, &o) < 0)
        return c.status;
    if (o.cfg.low > o.cfg.high) {
        cli_usage_error(&c, "--low %g is above --high %g", o.cfg.low, o.cfg.high);
        return c.status;
    }
    yrep_problems p;
    dets_problems_init(&p, o.strict);
    tracker tk;
    tracker_init(&tk, &o.cfg);
    detlist dets = {0};
    rec r;
    rec_init(&r);
    yerr err;
    int rc;
    while ((rc = cli_read(&c, &r, &err)) == 1)
        if ((track_record(&r, &tk, &dets, &err) < 0 &&
             dets_give_up(&c.rep, &p, c.d->name, &r, &err) < 0) ||
            rec_write(&c.out, &r, &err) < 0) {
            rc = -1;
            break;
        }
    if (rc < 0)
        cli_fail(&c, &err);
    yrep_summary(&c.rep, &p);
    warn_room(&c, &tk);
    rec_free(&r);
    detlist_free(&dets);
    tracker_free(&tk);
    return cli_finish(&c);
}
