/* yolo-loss: the training loss of each record's head outputs against its
 * targets, and its gradient; the work is in common/loss/loss.c and
 * common/loss/loss_record.c, the formulas in docs/losses.md. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "yolo/cli/cli.h"
#include "yolo/loss/loss.h"

enum {
    OPT_VERSION = 1, OPT_VARIANT, OPT_COORD, OPT_OBJ, OPT_NOOBJ, OPT_CLASS, OPT_THRESH,
    OPT_IGNORE, OPT_SEEN, OPT_EVERY, OPT_IOU_LOSS, OPT_IOU_NORM, OPT_CLS_NORM, OPT_SMOOTH
};

typedef struct yl_cfg {
    loss_cfg lc;
    long every;            /* summary line every N records; 0: only at the end */
} yl_cfg;

static const cli_opt opts[] = {
    {OPT_VERSION, "loss-version", 0, "V",
     "v1, v2 or v3: every head must be of it (default: the head's type says)"},
    {OPT_VARIANT, "variant", 0, "NAME", "v2 formulation: seed or darknet (default seed)"},
    {OPT_COORD, "lambda-coord", 0, "X", "box weight (default v1 5, v2 1, v3 1)"},
    {OPT_OBJ, "lambda-obj", 0, "X", "objectness weight of assigned boxes (v1 1, v2 5, v3 1)"},
    {OPT_NOOBJ, "lambda-noobj", 0, "X", "objectness weight elsewhere (v1 .5, v2 1, v3 1)"},
    {OPT_CLASS, "lambda-class", 0, "X", "class weight (default 1)"},
    {OPT_THRESH, "thresh", 0, "T", "v2: no no-object penalty past this best IoU (default .6)"},
    {OPT_IGNORE, "ignore-thresh", 0, "T", "v3: no no-object penalty past this best IoU (.7)"},
    {OPT_SEEN, "seen", 0, "N",
     "darknet v2: images seen before the first record (0; warm-up below 12800)"},
    {OPT_IOU_LOSS, "iou-loss", 0, "KIND",
     "v3 box term: mse (darknet's), iou, giou, diou or ciou (default: the head's iou_loss)"},
    {OPT_IOU_NORM, "iou-normalizer", 0, "X", "v3: box term times X (default: the head's, or 1)"},
    {OPT_CLS_NORM, "cls-normalizer", 0, "X", "v3: class term times X (default: the head's, or 1)"},
    {OPT_SMOOTH, "label-smoothing", 0, "EPS",
     "class targets 1 - EPS/2 and EPS/2 (v3), or q(1 - EPS) + EPS/C (v2); 0 <= EPS < 1 "
     "(default: the head's label_smooth_eps, or 0)"},
    {OPT_EVERY, "every", 0, "N", "a summary line on stderr every N records (default: at end)"},
    {0, NULL, 0, NULL, NULL},
};

static const cli_desc desc = {
    .name = "yolo-loss",
    .args = "[FILE]...",
    .summary = "Compute the YOLO training loss of each record (FILEs in turn, or standard\n"
               "input) and its gradient with respect to the raw head outputs.",
    .details =
        "Reads output (darknet-forward), target and truth (encode-targets); writes\n"
        "loss {total, xy, wh, obj, noobj, class, avg_iou, recall50, count} and grad (a\n"
        "list aligned with output: dLoss/d raw value, f32, each head's shape). The version\n"
        "follows the head type: region v2, yolo v3, detection v1. A yolo head's entry\n"
        "may carry AlexeyAB's iou_loss, iou_normalizer, cls_normalizer and\n"
        "label_smooth_eps (darknet-forward writes the cfg's), which the options override.\n"
        "The formulas are in docs/losses.md. Records with 'error' pass through untouched. A record without\n"
        "output or target (or truth, for v2 and v3), with shapes that disagree, a class\n"
        "out of range or a NaN or infinity stops the run (exit 2): a NaN must not reach\n"
        "the weights. The summary (mean loss per record, avg IoU, recall) goes to\n"
        "stderr at the end, and every N records with --every; --quiet drops it.",
    .opts = opts,
    .reads_records = 1,
    .writes_records = 1,
};

static int on_option(cli *c, void *ctx, int id, const char *arg)
{
    yl_cfg *g = ctx;
    loss_params *p = &g->lc.given;
    switch (id) {
    case OPT_VERSION:
        if (!strcmp(arg, "v1") || !strcmp(arg, "v2") || !strcmp(arg, "v3"))
            return g->lc.version = arg[1] - '0', 0;
        return cli_usage_error(c, "option --loss-version: '%s' is not v1, v2 or v3", arg);
    case OPT_VARIANT:
        if (!strcmp(arg, "seed") || !strcmp(arg, "darknet"))
            return g->lc.variant = arg[0] == 's' ? LOSS_SEED : LOSS_DARKNET, 0;
        return cli_usage_error(c, "option --variant: '%s' is not seed or darknet", arg);
    case OPT_COORD: return cli_double(c, "lambda-coord", arg, 0, 1e6, &p->coord);
    case OPT_OBJ: return cli_double(c, "lambda-obj", arg, 0, 1e6, &p->obj);
    case OPT_NOOBJ: return cli_double(c, "lambda-noobj", arg, 0, 1e6, &p->noobj);
    case OPT_CLASS: return cli_double(c, "lambda-class", arg, 0, 1e6, &p->cls);
    case OPT_THRESH: return cli_double(c, "thresh", arg, 0, 1, &p->thresh);
    case OPT_IGNORE: return cli_double(c, "ignore-thresh", arg, 0, 1, &g->lc.ignore_thresh);
    case OPT_SEEN: return cli_long(c, "seen", arg, 0, 1000000000000L, &g->lc.seen);
    case OPT_EVERY: return cli_long(c, "every", arg, 1, 1000000000L, &g->every);
    case OPT_IOU_LOSS:
        if ((g->lc.box = loss_box_kind(arg)) >= 0)
            return 0;
        return cli_usage_error(c, "option --iou-loss: '%s' is not one of: " LOSS_BOX_WORDS, arg);
    case OPT_IOU_NORM: return cli_double(c, "iou-normalizer", arg, 0, 1e6, &g->lc.iou_norm);
    case OPT_CLS_NORM: return cli_double(c, "cls-normalizer", arg, 0, 1e6, &g->lc.cls_norm);
    case OPT_SMOOTH:
        if (cli_double(c, "label-smoothing", arg, 0, 1, &g->lc.smooth) < 0)
            return -1;
        if (g->lc.smooth >= 1)
            return cli_usage_error(c, "option --label-smoothing: '%s' is not below 1 (1 makes "
                                      "every class target the same)", arg);
        return 0;
    }
    return -1;
}

int main(int argc, char **argv)
{
    cli c;
    yl_cfg g = {.lc = {.given = {NAN, NAN, NAN, NAN, NAN}, .ignore_thresh = NAN, .box = -1,
                       .iou_norm = NAN, .cls_norm = NAN, .smooth = NAN}};
    cli_init(&c, &desc);
    if (cli_parse(&c, argc, argv, on_option, &g) < 0)
        return c.status;
    loss_work w = {0};
    loss_sums all = {0}, part = {0};
    loss_terms t;
    rec r;
    rec_init(&r);
    yerr err;
    int rc;
    while ((rc = cli_read(&c, &r, &err)) == 1) {
        int done = loss_record(&r, &g.lc, &w, &t, &err);
        if (done < 0 || rec_write(&c.out, &r, &err) < 0) {
            rc = -1;
            break;
        }
        /* each record out whole at once: in training, darknet-forward waits
         * for it before sending more (a record left in stdio's buffer would
         * stop both) */
        if (fflush(c.outf) != 0) {
            rc = yerr_set(&err, YOLO_EIO, "%s: write error: %s", c.outname, strerror(errno));
            break;
        }
        if (done) {
            loss_sums_add(&all, &t);
            loss_sums_add(&part, &t);
        }
        if (g.every && part.records == g.every && !c.quiet) {
            loss_sums_print(stderr, "yolo-loss: last ", &part);
            part = (loss_sums){0};
        }
    }
    if (rc < 0)
        cli_fail(&c, &err);
    else if (!c.quiet)
        loss_sums_print(stderr, "yolo-loss: ", &all);
    rec_free(&r);
    loss_work_free(&w);
    return cli_finish(&c);
}
