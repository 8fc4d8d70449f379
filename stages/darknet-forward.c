/* darknet-forward: runs a darknet network (cfg + weights) over a record
 * stream and adds each detection head's raw output; the work is in
 * common/forward.c. */
#include <limits.h>
#include <string.h>

#include "yolo/forward.h"

enum {
    OPT_CFG = 1, OPT_WEIGHTS, OPT_RANDOM, OPT_SAVE, OPT_WIDTH, OPT_HEIGHT, OPT_BATCH,
    OPT_LETTERBOX, OPT_RESIZE, OPT_STRICT, OPT_SUMMARY
};

static const cli_opt opts[] = {
    {OPT_CFG, "cfg", 'c', "FILE", "the network, a darknet .cfg (required)"},
    {OPT_WEIGHTS, "weights", 'w', "FILE", "its parameters, a darknet .weights file"},
    {OPT_RANDOM, "random", 0, "SEED", "seeded random parameters instead of --weights"},
    {OPT_SAVE, "save-weights", 0, "FILE", "write the parameters to FILE (with --random: a "
                                          "weights file darknet loads)"},
    {OPT_WIDTH, "width", 0, "N", "network input width (default: the cfg's)"},
    {OPT_HEIGHT, "height", 0, "N", "network input height (default: the cfg's)"},
    {OPT_BATCH, "batch", 'b', "N", "records per forward pass (default 1, at most 256)"},
    {OPT_LETTERBOX, "letterbox", 0, NULL, "fit images keeping their aspect, grey bars (default)"},
    {OPT_RESIZE, "resize", 0, NULL, "stretch images to the network size"},
    {OPT_STRICT, "strict", 0, NULL, "a missing or corrupt image stops the run (exit 2)"},
    {OPT_SUMMARY, "summary", 0, NULL, "print the layer table and the unused cfg keys on "
                                      "stdout, read no records"},
    {0, NULL, 0, NULL, NULL},
};

static const cli_desc desc = {
    .name = "darknet-forward",
    .args = "[FILE]...",
    .summary = "Run a darknet network over a record stream (FILEs in turn, or standard input)\n"
               "and add each detection head's raw output.",
    .details =
        "Each record's input is its 'input' tensor (f32 [3,H,W] at the network's size), or\n"
        "else its 'image' (a JPEG path) decoded and letterboxed or resized as darknet does;\n"
        "then the record gains 'output' (one map per [region], [yolo] or [detection] head:\n"
        "the raw tensor and what decoding needs) and, when the input was made here,\n"
        "'transform' (docs/records.md sections 3 and 5). EXIF orientation is not applied:\n"
        "pixels are used as stored, the frame of width/height from the JPEG header.\n"
        "A missing or corrupt image gives the record 'error' and it flows on (counted at\n"
        "the end; --strict stops instead). Records with 'error' pass through untouched.\n"
        "Batch norm is folded into the weights; outputs share memory between layers.\n"
        "At the end (not with --quiet) the time spent in the network is reported.",
    .opts = opts,
    .reads_records = 1,
    .writes_records = 1,
    .info_opt = OPT_SUMMARY,
};

typedef struct df_opts {
    fwd_config cf;
    int summary;
} df_opts;

static int on_option(cli *c, void *ctx, int id, const char *arg)
{
    df_opts *o = ctx;
    fwd_config *cf = &o->cf;
    long v;
    switch (id) {
    case OPT_CFG: cf->cfg_path = arg; return 0;
    case OPT_WEIGHTS: cf->weights_path = arg; return 0;
    case OPT_RANDOM:
        if (cli_long(c, "random", arg, 0, LONG_MAX, &v) < 0)
            return -1;
        cf->random = 1, cf->seed = (uint64_t)v;
        return 0;
    case OPT_SAVE: cf->save_path = arg; return 0;
    case OPT_WIDTH:
    case OPT_HEIGHT:
        if (cli_long(c, id == OPT_WIDTH ? "width" : "height", arg, 1, 16384, &v) < 0)
            return -1;
        *(id == OPT_WIDTH ? &cf->w : &cf->h) = (int)v;
        return 0;
    case OPT_BATCH:
        if (cli_long(c, "batch", arg, 1, FWD_MAX_BATCH, &v) < 0)
            return -1;
        cf->batch = (int)v;
        return 0;
    case OPT_LETTERBOX: cf->resize = 0; return 0;
    case OPT_RESIZE: cf->resize = 1; return 0;
    case OPT_STRICT: cf->strict = 1; return 0;
    case OPT_SUMMARY: o->summary = 1; return 0;
    }
    return -1;
}

static int check_options(cli *c, const df_opts *o)
{
    if (!o->cf.cfg_path)
        return cli_usage_error(c, "--cfg FILE is required");
    if (o->summary)
        return 0;
    if (!o->cf.weights_path == !o->cf.random)
        return cli_usage_error(c, "give exactly one of --weights FILE and --random SEED");
    return 0;
}

/* The closing line: where the time went. */
static void report(cli *c, const fwd *f)
{
    if (f->images == 0)
        return;
    double ms = f->seconds * 1e3 / f->images, bflops = net_bflops(&f->net);
    cli_warn(c, "%ld images; network %.1f ms/image (%.2f BFLOPs, %.1f GFLOP/s)", f->images, ms,
             bflops, bflops / (ms / 1e3));
}

int main(int argc, char **argv)
{
    cli c;
    df_opts o = {.cf = {.batch = 1}};
    yerr err;
    cli_init(&c, &desc);
    if (cli_parse(&c, argc, argv, on_option, &o) < 0 || check_options(&c, &o) < 0)
        return c.status;
    if (o.summary) {
        if (fwd_summary(&o.cf, c.outf, &err) < 0)
            cli_fail(&c, &err);
        return cli_finish(&c);
    }
    fwd f;
    if (fwd_open(&f, &o.cf, &err) < 0) {
        cli_fail(&c, &err);
        return cli_finish(&c);
    }
    char unused[160];
    int nunused = fwd_unused(&f, unused, sizeof unused);
    if (nunused)
        cli_warn(&c, "%s: %d cfg keys not used by inference (%s%s); --summary lists them",
                 o.cf.cfg_path, nunused, unused, strlen(unused) + 1 >= sizeof unused ? "..." : "");
    int rc;
    while ((rc = cli_read(&c, fwd_next(&f), &err)) == 1)
        if ((rc = fwd_push(&f, &c, &err)) < 0)
            break;
    if (rc == 0)
        rc = fwd_flush(&f, &c, &err);
    if (rc < 0)
        cli_fail(&c, &err);
    else
        report(&c, &f);
    fwd_close(&f);
    return cli_finish(&c);
}
