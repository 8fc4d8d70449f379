/* encode-targets: from `image` and `objects`, the network input (darknet's
 * detection augmentation, or none), its transform, the truth boxes and the
 * per-head training targets; the work is in common/loss/targets.c and
 * common/image/augment.c. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "yolo/cli/cli.h"
#include "yolo/loss/targets.h"
#include "yolo/base/parse.h"

enum {
    OPT_CFG = 1, OPT_WIDTH, OPT_HEIGHT, OPT_NO_AUGMENT, OPT_LETTERBOX, OPT_RESIZE, OPT_SEED,
    OPT_JITTER, OPT_SCALE, OPT_HUE, OPT_SATURATION, OPT_EXPOSURE, OPT_NO_FLIP, OPT_MAX_BOXES,
    OPT_BATCH, OPT_STRICT, OPT_EPOCHS, OPT_SHUFFLE, OPT_SIZES, OPT_SIZE_EVERY, OPT_SKIP
};

static const cli_opt opts[] = {
    {OPT_CFG, "cfg", 'c', "FILE", "the network, a darknet .cfg (required): heads and settings"},
    {OPT_WIDTH, "width", 0, "N", "network input width (default: the cfg's)"},
    {OPT_HEIGHT, "height", 0, "N", "network input height (default: the cfg's)"},
    {OPT_NO_AUGMENT, "no-augment", 0, NULL, "no augmentation: darknet-forward's input, exactly"},
    {OPT_LETTERBOX, "letterbox", 0, NULL, "with --no-augment: keep the aspect, grey bars "
                                            "(default)"},
    {OPT_RESIZE, "resize", 0, NULL, "with --no-augment: stretch to the network size"},
    {OPT_SEED, "seed", 0, "S", "random seed: the same seed gives the same bytes (default 1)"},
    {OPT_JITTER, "jitter", 0, "F", "aspect and offset jitter, 0 to 0.9 (default: the last "
                                   "head's jitter, else .2)"},
    {OPT_SCALE, "scale", 0, "A,B", "the placed image's longer side, A to B times the "
                                   "network's (default 1,1)"},
    {OPT_HUE, "hue", 0, "F", "hue shift up to +-F of the circle, 0 to .5 (default: [net] hue, 0)"},
    {OPT_SATURATION, "saturation", 0, "F", "saturation scaled by 1/F..F (default: [net], 1)"},
    {OPT_EXPOSURE, "exposure", 0, "F", "brightness scaled by 1/F..F (default: [net], 1)"},
    {OPT_NO_FLIP, "no-flip", 0, NULL, "never mirror (darknet mirrors half the images)"},
    {OPT_MAX_BOXES, "max-boxes", 0, "N", "truth boxes kept per image (default: the last head's "
                                         "max, else darknet's 30 for region, 90)"},
    {OPT_BATCH, "batch", 'b', "N", "records made in parallel (default 16, at most 256)"},
    {OPT_STRICT, "strict", 0, NULL, "a record that cannot be encoded, or a truncated image, stops the run (exit 2)"},
    {OPT_EPOCHS, "epochs", 0, "E", "write every record E times, freshly augmented (default 1)"},
    {OPT_SHUFFLE, "shuffle", 0, NULL, "each epoch in a random order (from --seed)"},
    {OPT_SIZES, "sizes", 0, "MIN,MAX", "multi-scale: square sizes, multiples of 32, drawn from "
                                       "--seed (darknet's random=1: 320,608)"},
    {OPT_SIZE_EVERY, "size-every", 0, "N", "with --sizes: a new size every N records (default "
                                           "10 x the cfg's batch)"},
    {OPT_SKIP, "skip", 0, "N", "leave out the first N records of the output, numbered as if "
                               "written (a resumed training run)"},
    {0, NULL, 0, NULL, NULL},
};

static const cli_desc desc = {
    .name = "encode-targets",
    .args = "[FILE]...",
    .summary = "Make training inputs and targets from records with 'image' and 'objects'\n"
               "(FILEs in turn, or standard input).",
    .details =
        "Each record gains 'input' (f32 [3,H,W]), 'transform', 'truth' (f32 [N,5]: x, y, w, h,\n"
        "class as fractions of the input) and 'target' (one tensor per head of the cfg),\n"
        "as docs/records.md sections 3-5 define them; 'targets_lost' (int) when some of its\n"
        "boxes did not become a target. Augmentation follows darknet's detection training:\n"
        "the image is placed at a jittered aspect, scale and offset on a grey canvas, its\n"
        "hue, saturation and exposure changed, mirrored half the time; record k of the\n"
        "stream draws from its own stream of --seed. Boxes are clipped to the frame and\n"
        "dropped when less than .001 of the input wide or high after clipping. A missing\n"
        "or corrupt image, or no 'objects', gives the record 'error' and it flows on\n"
        "(--strict stops); a class out of the cfg's range or an inverted box stops the run.\n"
        "A truncated JPEG that still decodes is used as viewers show it (the rows it could\n"
        "not read grey), with a warning (--strict stops). A bad image is warned about once\n"
        "a run, not once per epoch; the closing line counts its records.\n"
        "--epochs and --shuffle hold every input record (their bytes: about the size of\n"
        "the input) and write them after the input ends, record k of the output drawing\n"
        "from stream k of --seed.\n"
        "--sizes MIN,MAX makes inputs and targets at a square size drawn every --size-every\n"
        "records (block k of the output from stream k of --seed XOR a constant), a multiple\n"
        "of 32 in MIN..MAX, as darknet's random=1 does; darknet-forward --train resizes its\n"
        "network to them. --size-every must be a multiple of darknet-forward's pass\n"
        "(batch / subdivisions).\n"
        "--skip N starts the output at its record N: the same bytes as records N, N+1, ...\n"
        "of the run without --skip (pipelines/train.sh --resume gives the checkpoint's\n"
        "position in the stream).",
    .opts = opts,
    .reads_records = 1,
    .writes_records = 1,
};

/* --scale A or A,B (A <= B). */
static int parse_scale(cli *c, const char *arg, enc_config *cf)
{
    static const parse_pair_spec scale = {.form = "A[,B]", .what = "scales", .sep = ',',
                                          .alone = 1, .order = PARSE_LE, .lo = 0.01,
                                          .hi = AUG_MAX_SCALE};
    double v[2];
    yerr e;
    if (parse_pair(arg, &scale, v, &e) < 0)
        return cli_usage_error(c, "option --scale: %s", e.msg);
    cf->scale_lo = v[0], cf->scale_hi = v[1];
    return 0;
}

/* --sizes MIN,MAX (or one size): multiples of ENC_SIZE_STEP, MIN <= MAX. */
static int parse_sizes(cli *c, const char *arg, enc_config *cf)
{
    static const parse_pair_spec sizes = {.form = "MIN[,MAX]", .what = "sizes", .sep = ',',
                                          .alone = 1, .order = PARSE_LE, .whole = 1,
                                          .lo = ENC_SIZE_STEP, .hi = ENC_MAX_SIZE};
    double v[2];
    yerr e;
    if (parse_pair(arg, &sizes, v, &e) < 0)
        return cli_usage_error(c, "option --sizes: %s", e.msg);
    if ((long)v[0] % ENC_SIZE_STEP || (long)v[1] % ENC_SIZE_STEP)
        return cli_usage_error(c, "option --sizes: '%s': the sizes must be multiples of %d", arg,
                               ENC_SIZE_STEP);
    cf->size_lo = (int)v[0], cf->size_hi = (int)v[1];
    return 0;
}

static int on_option(cli *c, void *ctx, int id, const char *arg)
{
    enc_config *cf = ctx;
    long v;
    switch (id) {
    case OPT_CFG: cf->cfg_path = arg; return 0;
    case OPT_WIDTH:
    case OPT_HEIGHT:
        if (cli_long(c, id == OPT_WIDTH ? "width" : "height", arg, 1, 16384, &v) < 0)
            return -1;
        *(id == OPT_WIDTH ? &cf->w : &cf->h) = (int)v;
        return 0;
    case OPT_NO_AUGMENT: cf->no_augment = 1; return 0;
    case OPT_LETTERBOX: cf->resize = 0; return 0;
    case OPT_RESIZE: cf->resize = 1; return 0;
    case OPT_SEED:
        if (cli_long(c, "seed", arg, 0, LONG_MAX, &v) < 0)
            return -1;
        cf->seed = (uint64_t)v;
        return 0;
    case OPT_JITTER: return cli_double(c, "jitter", arg, 0, AUG_MAX_JITTER, &cf->jitter);
    case OPT_SCALE: return parse_scale(c, arg, cf);
    case OPT_HUE: return cli_double(c, "hue", arg, 0, 0.5, &cf->hue);
    case OPT_SATURATION: return cli_double(c, "saturation", arg, 0.01, 100, &cf->saturation);
    case OPT_EXPOSURE: return cli_double(c, "exposure", arg, 0.01, 100, &cf->exposure);
    case OPT_NO_FLIP: cf->no_flip = 1; return 0;
    case OPT_MAX_BOXES:
        if (cli_long(c, "max-boxes", arg, 1, 1000000, &v) < 0)
            return -1;
        cf->max_boxes = (int)v;
        return 0;
    case OPT_BATCH:
        if (cli_long(c, "batch", arg, 1, ENC_MAX_BATCH, &v) < 0)
            return -1;
        cf->batch = (int)v;
        return 0;
    case OPT_STRICT: cf->strict = 1; return 0;
    case OPT_EPOCHS:
        if (cli_long(c, "epochs", arg, 1, 1000000, &v) < 0)
            return -1;
        cf->epochs = (int)v;
        return 0;
    case OPT_SHUFFLE: cf->shuffle = 1; return 0;
    case OPT_SIZES: return parse_sizes(c, arg, cf);
    case OPT_SIZE_EVERY: return cli_long(c, "size-every", arg, 1, 1L << 40, &cf->size_every);
    case OPT_SKIP: return cli_long(c, "skip", arg, 0, 1L << 50, &cf->skip);
    }
    return -1;
}

int main(int argc, char **argv)
{
    cli c;
    enc_config cf = {.jitter = -1, .hue = -1, .saturation = -1, .exposure = -1, .seed = 1,
                     .batch = 16, .epochs = 1};
    yerr err;
    cli_init(&c, &desc);
    if (cli_parse(&c, argc, argv, on_option, &cf) < 0)
        return c.status;
    if (!cf.cfg_path) {
        cli_usage_error(&c, "--cfg FILE is required");
        return c.status;
    }
    if (cf.size_lo && (cf.w || cf.h)) {
        cli_usage_error(&c, "--sizes gives the network's size: not with --width or --height");
        return c.status;
    }
    if (cf.size_every && !cf.size_lo) {
        cli_usage_error(&c, "--size-every needs --sizes");
        return c.status;
    }
    enc e;
    cf.rep = &c.rep;
    cf.out = &c.out;
    cf.stage = c.d->name;
    if (enc_open(&e, &cf, &err) < 0) {
        cli_fail(&c, &err);
        return cli_finish(&c);
    }
    int rc, hold = cf.epochs > 1 || cf.shuffle;
    while ((rc = cli_read(&c, enc_next(&e), &err)) == 1)
        if ((rc = hold ? enc_hold(&e, &err) : enc_push(&e, &err)) < 0)
            break;
    if (rc == 0 && hold)
        rc = enc_replay(&e, &err);
    if (rc == 0)
        rc = enc_flush(&e, &err);
    if (rc < 0)
        cli_fail(&c, &err);
    enc_close(&e);
    return cli_finish(&c);
}
