/* nms: non-maximum suppression of each record's `detections`; the work is
 * in common/post/nms.c. */
#include <limits.h>
#include <string.h>

#include "yolo/cli/cli.h"
#include "yolo/post/nms.h"
#include "yolo/post/rescale.h"

enum { OPT_IOU = 1, OPT_DIOU, OPT_AGNOSTIC, OPT_SOFT, OPT_SIGMA, OPT_SCORE_THRESH, OPT_MAX_DET,
       OPT_CLIP, OPT_STRICT };

typedef struct nms_opts {
    nms_cfg cfg;
    int strict;
} nms_opts;

static const cli_opt opts[] = {
    {OPT_IOU, "iou", 0, "T",
     "suppress an entry whose IoU with a better kept one is > T (default 0.45, as darknet); "
     "with --soft linear, decay above T"},
    {OPT_DIOU, "diou", 0, "BETA",
     "DIoU-NMS: compare IoU - (d^2/c^2)^BETA with T, in image-relative coordinates (needs "
     "width and height), as AlexeyAB's darknet for a cfg's nms_kind=greedynms (BETA 0.6) or "
     "diounms (BETA its beta_nms)"},
    {OPT_AGNOSTIC, "agnostic", 0, NULL, "suppress across classes (default: within each class)"},
    {OPT_SOFT, "soft", 0, "linear|gaussian", "soft-NMS (Bodla et al. 2017): decay scores instead"},
    {OPT_SIGMA, "sigma", 0, "S", "--soft gaussian: score *= exp(-IoU^2 / S) (default 0.5)"},
    {OPT_SCORE_THRESH, "score-thresh", 0, "T",
     "--soft: drop entries whose score falls below T (default 0.001)"},
    {OPT_MAX_DET, "max-det", 0, "N", "keep at most N entries per record, best first"},
    {OPT_CLIP, "clip", 0, NULL, "clip the kept boxes to the image (needs width and height)"},
    {OPT_STRICT, "strict", 0, NULL, "stop (exit 2) at the first record that breaks the contract"},
    {0, NULL, 0, NULL, NULL},
};

static const cli_desc desc = {
    .name = "nms",
    .args = "[FILE]...",
    .summary = "Non-maximum suppression of the 'detections' of each record (from rescale).",
    .details =
        "Greedy, as darknet's do_nms_sort: within each class (or across classes with\n"
        "--agnostic), entries are taken by score, highest first, and one is dropped when its\n"
        "IoU with an entry already kept is > T. Ties in score go by input order, and the\n"
        "output is ordered by score, descending (ties by input order). --soft keeps every\n"
        "entry but lowers the scores of those that overlap a better one, dropping those that\n"
        "fall below --score-thresh. Each kept entry is written as read, with only its score\n"
        "(--soft) and bbox (--clip) replaced. Records with 'error' or without 'detections'\n"
        "pass through unchanged; a record whose detections break docs/records.md gets\n"
        "'error' set (a warning, counted), or with --strict stops the run (exit 2).",
    .opts = opts,
    .reads_records = 1,
    .writes_records = 1,
};

static int on_option(cli *c, void *ctx, int id, const char *arg)
{
    nms_opts *o = ctx;
    nms_cfg *g = &o->cfg;
    switch (id) {
    case OPT_IOU: return cli_double(c, "iou", arg, 0, 1, &g->iou);
    case OPT_DIOU: return cli_double(c, "diou", arg, 1e-9, 100, &g->diou);
    case OPT_AGNOSTIC: g->agnostic = 1; return 0;
    case OPT_SOFT:
        if (!strcmp(arg, "linear") || !strcmp(arg, "gaussian")) {
            g->method = arg[0] == 'l' ? NMS_LINEAR : NMS_GAUSSIAN;
            return 0;
        }
        return cli_usage_error(c, "option --soft: '%s' is not linear or gaussian", arg);
    case OPT_SIGMA: return cli_double(c, "sigma", arg, 1e-9, 1e9, &g->sigma);
    case OPT_SCORE_THRESH: return cli_double(c, "score-thresh", arg, 0, 1, &g->score_thresh);
    case OPT_MAX_DET: return cli_long(c, "max-det", arg, 1, LONG_MAX, &g->max_det);
    case OPT_CLIP: g->clip = 1; return 0;
    case OPT_STRICT: o->strict = 1; return 0;
    }
    return -1;
}

int main(int argc, char **argv)
{
    cli c;
    nms_opts o = {.cfg = {.method = NMS_GREEDY, .iou = 0.45, .sigma = 0.5,
                          .score_thresh = 0.001, .max_det = LONG_MAX}};
    cli_init(&c, &desc);
    if (cli_parse(&c, argc, argv, on_option, &o) < 0)
        return c.status;
    if (o.cfg.diou > 0 && o.cfg.method != NMS_GREEDY) {
        cli_usage_error(&c, "--diou is for the greedy NMS, not --soft");
        return c.status;
    }
    yrep_problems p;
    dets_problems_init(&p, o.strict);
    nms_work w = {0};
    rec r;
    rec_init(&r);
    yerr err;
    int rc;
    while ((rc = cli_read(&c, &r, &err)) == 1)
        if ((nms_record(&r, &o.cfg, &w, &err) < 0 && dets_give_up(&c.rep, &p, c.d->name, &r, &err) < 0) ||
            rec_write(&c.out, &r, &err) < 0) {
            rc = -1;
            break;
        }
    if (rc < 0)
        cli_fail(&c, &err);
    yrep_summary(&c.rep, &p);
    rec_free(&r);
    nms_work_free(&w);
    return cli_finish(&c);
}
