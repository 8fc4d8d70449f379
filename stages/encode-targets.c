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
    OPT_BATCH, OPT_STRICT, OPT_EPOCHS, OPT_SHUFFLE, OPT_SIZES, OPT_SIZE_EVERY, OPT_SKIP,
    OPT_MOSAIC, OPT_MIXUP, OPT_AFFINE, OPT_AFFINE_SCALE, OPT_AFFINE_TRANSLATE, OPT_DEGREES
};

/* --affine's ranges when only --affine is given: ultralytics' scale and
 * translate (no rotation) */
#define AFFINE_SCALE 0.5
#define AFFINE_TRANSLATE 0.1

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
    {OPT_MOSAIC, "mosaic", 0, "P", "a record becomes a mosaic of four images with probability "
                                   "P, 0 to 1 (default 0; holds the records)"},
    {OPT_MIXUP, "mixup", 0, "P", "a record is blended with another with probability P, 0 to 1 "
                                 "(default 0; holds the records)"},
    {OPT_AFFINE, "affine", 0, NULL, "every picture scaled, shifted (and turned) at random"},
    {OPT_AFFINE_SCALE, "affine-scale", 0, "S", "with --affine: scale in 1-S..1+S, 0 to .9 "
                                               "(default .5)"},
    {OPT_AFFINE_TRANSLATE, "affine-translate", 0, "T", "with --affine: shift up to T of the "
                                                       "side, 0 to .5 (default .1)"},
    {OPT_DEGREES, "degrees", 0, "D", "with --affine: turned by up to D degrees, 0 to 180 "
                                     "(default 0)"},
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
        "position in the stream).\n"
        "Beyond darknet's augmentation, each off unless given, each drawn from record k's\n"
        "own streams (one on or off does not change what the others draw):\n"
        "--mosaic P: with probability P the record is a mosaic: a centre drawn in the\n"
        "middle .2-.8 of each side, the record's own image in a random quadrant and three\n"
        "records drawn from those held (with 'objects', without 'error') in the others,\n"
        "each image sized, coloured and mirrored by its own draw as above and placed with\n"
        "its corner on the centre, cut to its quadrant. Needs the records held, as\n"
        "--epochs does (they are written after the input ends), and augmentation.\n"
        "--mixup P: with probability P the picture is blended with a second one made the\n"
        "same way from a held record: weights w and 1 - w, w from Beta(32, 32); the truth\n"
        "is both sets of boxes. Holds the records too.\n"
        "--affine: every picture (a mosaic as a whole, made half a picture larger on each\n"
        "side so that a shrinking map brings in more of its images) scaled about its\n"
        "centre by 1-S..1+S (--affine-scale), turned by up to D degrees (--degrees),\n"
        "shifted by up to T of each side (--affine-translate), bilinearly, grey where\n"
        "nothing comes in.\n"
        "A box cut by a quadrant or moved by --affine (the box around its mapped\n"
        "corners) is clipped to the frame and dropped when under 2 pixels wide or high\n"
        "or under .2 of its area before the cuts; the closing line counts them.\n"
        "Such a record gains 'augment': {mosaic: {x, y, own}, affine: [6 numbers],\n"
        "mixup: w}, the parts that apply (docs/records.md); its transform is its own\n"
        "image's (its quadrant's; the affine map without its rotation).",
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
    case OPT_MOSAIC: return cli_double(c, "mosaic", arg, 0, 1, &cf->mosaic);
    case OPT_MIXUP: return cli_double(c, "mixup", arg, 0, 1, &cf->mixup);
    case OPT_AFFINE: cf->affine = 1; return 0;
    case OPT_AFFINE_SCALE: return cli_double(c, "affine-scale", arg, 0, 0.9, &cf->affine_scale);
    case OPT_AFFINE_TRANSLATE:
        return cli_double(c, "affine-translate", arg, 0, 0.5, &cf->affine_translate);
    case OPT_DEGREES: return cli_double(c, "degrees", arg, 0, 180, &cf->degrees);
    }
    return -1;
}

/* --mosaic, --mixup, --affine and their ranges: what cannot work together. */
static int check_views(cli *c, enc_config *cf)
{
    int ranges = cf->affine_scale >= 0 || cf->affine_translate >= 0 || cf->degrees >= 0;
    if (ranges && !cf->affine)
        return cli_usage_error(c, "--affine-scale, --affine-translate and --degrees need --affine");
    if (cf->no_augment && (cf->mosaic > 0 || cf->mixup > 0 || cf->affine))
        return cli_usage_error(c, "--mosaic, --mixup and --affine are augmentations: not with "
                               "--no-augment");
    if (cf->affine_scale < 0)
        cf->affine_scale = AFFINE_SCALE;
    if (cf->affine_translate < 0)
        cf->affine_translate = AFFINE_TRANSLATE;
    if (cf->degrees < 0)
        cf->degrees = 0;
    return 0;
}

int main(int argc, char **argv)
{
    cli c;
    enc_config cf = {.jitter = -1, .hue = -1, .saturation = -1, .exposure = -1, .seed = 1,
                     .batch = 16, .epochs = 1, .affine_scale = -1, .affine_translate = -1,
                     .degrees = -1};
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
    if (check_views(&c, &cf) < 0)
        return c.status;
    enc e;
    cf.rep = &c.rep;
    cf.out = &c.out;
    cf.stage = c.d->name;
    if (enc_open(&e, &cf, &err) < 0) {
        cli_fail(&c, &err);
        return cli_finish(&c);
    }
    int rc, hold = cf.epochs > 1 || cf.shuffle || cf.mosaic > 0 || cf.mixup > 0;
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
