/* kmeans-anchors: anchor boxes for a cfg from the ground truth of a record
 * stream (YOLO9000's dimension clusters); the work is in common/data/anchors.c. */
#include <limits.h>
#include <string.h>

#include "yolo/data/anchors.h"
#include "yolo/cli/cli.h"

enum {
    OPT_K = 1, OPT_GRID, OPT_NET, OPT_RESTARTS, OPT_MAX_ITER, OPT_SEED, OPT_PLOT, OPT_EVAL,
    OPT_RATIO
};

typedef struct ka_cfg {
    anchors_job job;
    int have_grid, have_net;
    const char *eval;  /* --eval text, parsed once the units are known */
} ka_cfg;

static const cli_opt opts[] = {
    {OPT_K, "k", 'k', "N", "number of anchors (default 5, at most 100)"},
    {OPT_GRID, "grid", 0, "S", "anchors in grid cells of an S x S grid, for v2 (default 13)"},
    {OPT_NET, "net", 0, "W,H", "anchors in pixels of a W x H network input, for v3"},
    {OPT_RESTARTS, "restarts", 0, "R", "k-means++ runs, the best is kept (default 10)"},
    {OPT_MAX_ITER, "max-iter", 0, "N", "centroid updates per run, at most (default 300)"},
    {OPT_SEED, "seed", 0, "S", "random seed (default 1)"},
    {OPT_PLOT, "plot", 0, "FILE", "draw the anchors over a sample of the boxes (SVG)"},
    {OPT_EVAL, "eval", 0, "ANCHORS",
     "score these anchors (a cfg value, in --grid/--net units) instead of clustering"},
    {OPT_RATIO, "ratio-thresh", 0, "R",
     "best possible recall: a box counts when an anchor's sides are within R times its own "
     "(default 4)"},
    {0, NULL, 0, NULL, NULL},
};

static const cli_desc desc = {
    .name = "kmeans-anchors",
    .args = "[FILE]...",
    .summary = "Cluster the ground-truth box sizes of a record stream (FILEs in turn, or\n"
               "standard input) into k anchors for a YOLO cfg.",
    .details =
        "Box sizes are taken as fractions of their image's width and height. k-means uses\n"
        "the distance 1 - IoU of two boxes on the same centre, k-means++ starts, and moves\n"
        "each centroid to the mean width and height of its boxes (as YOLO9000 does).\n"
        "Records with 'error' and boxes of zero width or height are skipped.\n"
        "Writes one anchors record {anchors, k, units, grid | net_w, net_h, avg_iou, bpr,\n"
        "aat, ratio_thresh, boxes, seed} (docs/records.md), and on stderr the cfg line, the\n"
        "average IoU and the best possible recall (not with --quiet). --eval writes the\n"
        "same for the given anchors, as given and without seed (--k, --restarts, --max-iter\n"
        "and --seed do not apply).\n"
        "Best possible recall (bpr), as ultralytics checks anchors: the fraction of boxes\n"
        "with an anchor whose width and height are each within R times the box's,\n"
        "max(w/aw, aw/w, h/ah, ah/h) < R (--ratio-thresh, default 4); aat, the mean\n"
        "number of such anchors a box. pipelines/train.sh checks a cfg's anchors so.",
    .opts = opts,
    .reads_records = 1,
    .writes_records = 1,
};

static int on_option(cli *c, void *ctx, int id, const char *arg)
{
    ka_cfg *g = ctx;
    anchors_job *j = &g->job;
    long v;
    switch (id) {
    case OPT_K:
        if (cli_long(c, "k", arg, 1, ANCHORS_MAX_K, &v) < 0)
            return -1;
        j->p.k = (int)v;
        return 0;
    case OPT_GRID:
        g->have_grid = 1;
        return cli_long(c, "grid", arg, 1, 1024, &j->u.grid);
    case OPT_NET:
        g->have_net = 1;
        j->u.pixels = 1;
        if (anchors_parse_net(arg, &j->u.net_w, &j->u.net_h) < 0)
            return cli_usage_error(c, "option --net: '%s' is not W,H (two integers in [1, 16384])",
                                   arg);
        return 0;
    case OPT_RESTARTS:
        return cli_long(c, "restarts", arg, 1, ANCHORS_MAX_RESTARTS, &j->p.restarts);
    case OPT_MAX_ITER: return cli_long(c, "max-iter", arg, 1, ANCHORS_MAX_ITER, &j->p.max_iter);
    case OPT_SEED:
        if (cli_long(c, "seed", arg, 0, LONG_MAX, &v) < 0)
            return -1;
        j->p.seed = (uint64_t)v;
        return 0;
    case OPT_PLOT: j->plot = arg; return 0;
    case OPT_EVAL: g->eval = arg; return 0;
    case OPT_RATIO: return cli_double(c, "ratio-thresh", arg, 1, 1000, &j->ratio_thresh);
    }
    return -1;
}

/* Checks that need all the options: --grid and --net exclude each other,
 * and --eval is read in their units. */
static int check_options(cli *c, ka_cfg *g)
{
    if (g->have_grid && g->have_net)
        return cli_usage_error(c, "--grid and --net exclude each other: grid cells for a v2 "
                                  "cfg, pixels for a v3 cfg");
    char why[128];
    if (g->eval && anchors_parse_list(g->eval, &g->job.u, &g->job.given, why, sizeof why) < 0)
        return cli_usage_error(c, "option --eval: %s", why);
    g->job.eval = g->eval != NULL;
    return 0;
}

int main(int argc, char **argv)
{
    cli c;
    ka_cfg g = {.job = {.p = {.k = 5, .restarts = 10, .max_iter = 300, .seed = 1},
                        .u = {.grid = 13}, .ratio_thresh = ANCHORS_RATIO_THRESH}};
    cli_init(&c, &desc);
    if (cli_parse(&c, argc, argv, on_option, &g) < 0 || check_options(&c, &g) < 0)
        return c.status;
    anchors_data d = {0};
    objlist scratch = {0};
    rec r;
    rec_init(&r);
    yerr err;
    int rc;
    while ((rc = cli_read(&c, &r, &err)) == 1)
        if (anchors_add_record(&d, &r, &scratch, &err) < 0)
            break;
    if (d.error_records)
        cli_warn(&c, "skipped %ld record%s with 'error' set", d.error_records,
                 d.error_records == 1 ? "" : "s");
    if (d.empty_boxes)
        cli_warn(&c, "skipped %ld box%s of zero width or height", d.empty_boxes,
                 d.empty_boxes == 1 ? "" : "es");
    if (rc == 0)
        rc = anchors_run(&g.job, &d, &c.out, c.quiet ? NULL : stderr, &err);
    if (rc != 0)
        cli_fail(&c, &err);
    rec_free(&r);
    objlist_free(&scratch);
    anchors_data_free(&d);
    return cli_finish(&c);
}
