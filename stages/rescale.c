/* rescale: raw head outputs (`output`, `transform`) to candidate detections
 * in original-image pixels; the work is in common/post/rescale.c. */
#include "yolo/cli/cli.h"
#include "yolo/post/rescale.h"

enum { OPT_THRESH = 1, OPT_NAMES, OPT_DROP_OUTPUT, OPT_STRICT };

typedef struct rs_opts {
    rescale_cfg cfg;
    const char *names_path;
    int strict;
} rs_opts;

static const cli_opt opts[] = {
    {OPT_THRESH, "thresh", 't', "T",
     "keep (prediction, class) pairs with score > T (default 0.5, darknet's detector test; "
     "0.005 for mAP)"},
    {OPT_NAMES, "names", 'n', "FILE", "class names, one a line (darknet's .names)"},
    {OPT_DROP_OUTPUT, "drop-output", 0, NULL,
     "leave 'output' out of each record decoded (no stage after rescale reads it: half the "
     "bytes of a video frame's record at 416)"},
    {OPT_STRICT, "strict", 0, NULL, "stop (exit 2) at the first record that breaks the contract"},
    {0, NULL, 0, NULL, NULL},
};

static const cli_desc desc = {
    .name = "rescale",
    .args = "[FILE]...",
    .summary = "Decode the raw detection heads of each record ('output') into 'detections' in\n"
               "original-image pixels, undoing the letterbox or resize recorded in 'transform'.",
    .details =
        "Heads: v2 region (logistic x, y, objectness; exp(w, h) x anchor in grid cells; softmax\n"
        "or logistic classes), v3 yolo (masked anchors in network pixels, logistic classes,\n"
        "multi-label) and v1 detection (values as they are, w and h squared with sqrt), as\n"
        "darknet's get_network_boxes decodes them. Each (prediction, class) pair with score =\n"
        "objectness x class probability > T becomes one entry {class, name, score, bbox,\n"
        "objectness, prediction}; boxes are not clipped to the image (nms --clip does).\n"
        "Names: --names, else VOC's when there are 20 classes, else the class number.\n"
        "With --drop-output the record decoded is written without its 'output' (the raw\n"
        "heads: 860 KB a frame for yolov3-tiny at 416).\n"
        "Records with 'error' or without 'output' pass through unchanged. A record whose\n"
        "output or transform breaks docs/records.md gets 'error' set (a warning, counted);\n"
        "with --strict it stops the run (exit 2).",
    .opts = opts,
    .reads_records = 1,
    .writes_records = 1,
};

static int on_option(cli *c, void *ctx, int id, const char *arg)
{
    rs_opts *o = ctx;
    switch (id) {
    case OPT_THRESH: return cli_double(c, "thresh", arg, 0, 1, &o->cfg.thresh);
    case OPT_NAMES: o->names_path = arg; return 0;
    case OPT_DROP_OUTPUT: o->cfg.drop_output = 1; return 0;
    case OPT_STRICT: o->strict = 1; return 0;
    }
    return -1;
}

int main(int argc, char **argv)
{
    cli c;
    rs_opts o = {.cfg = {.thresh = 0.5}};
    cli_init(&c, &desc);
    if (cli_parse(&c, argc, argv, on_option, &o) < 0)
        return c.status;
    yerr err;
    names nm = {0};
    if (o.names_path && names_load(&nm, o.names_path, &err) < 0) {
        cli_fail(&c, &err);
        return cli_finish(&c);
    }
    o.cfg.nm = o.names_path ? &nm : NULL;
    yrep_problems p;
    dets_problems_init(&p, o.strict);
    rescale_work w = {0};
    rec r;
    rec_init(&r);
    int rc;
    while ((rc = cli_read(&c, &r, &err)) == 1)
        if ((rescale_record(&r, &o.cfg, &w, &err) < 0 && dets_give_up(&c.rep, &p, c.d->name, &r, &err) < 0) ||
            rec_write(&c.out, &r, &err) < 0) {
            rc = -1;
            break;
        }
    if (rc < 0)
        cli_fail(&c, &err);
    if (w.st.nonfinite)
        cli_warn(&c, "dropped %ld entr%s with a NaN or infinite box or score", w.st.nonfinite,
                 w.st.nonfinite == 1 ? "y" : "ies");
    yrep_summary(&c.rep, &p);
    rec_free(&r);
    rescale_work_free(&w);
    names_free(&nm);
    return cli_finish(&c);
}
