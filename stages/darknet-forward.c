/* darknet-forward: runs a darknet network (cfg + weights) over a record
 * stream and adds each detection head's raw output; the work is in
 * common/run/forward.c. */
#include <limits.h>
#include <string.h>

#include "yolo/cli/cli.h"
#include "yolo/run/dist.h"
#include "yolo/run/forward.h"
#include "yolo/net/isa.h"

enum {
    OPT_CFG = 1, OPT_WEIGHTS, OPT_RANDOM, OPT_SAVE, OPT_WIDTH, OPT_HEIGHT, OPT_BATCH,
    OPT_LETTERBOX, OPT_RESIZE, OPT_STRICT, OPT_SUMMARY, OPT_TRAIN, OPT_GRAD, OPT_CHECKPOINT,
    OPT_SAVE_EVERY, OPT_LOG, OPT_PLOT, OPT_MAX_BATCHES, OPT_RESUME, OPT_ADAM, OPT_SUBDIV,
    OPT_SEED, OPT_VAL_CMD, OPT_VAL_EVERY, OPT_BEST, OPT_PATIENCE, OPT_MAX_SECONDS, OPT_CONV, OPT_WINO_MEM,
    OPT_PARTIAL, OPT_UPTO, OPT_FREEZE, OPT_SYNC_BN, OPT_EMA, OPT_EMA_TAU, OPT_POLICY, OPT_LRF,
    OPT_BURN_IN
};

static const cli_opt opts[] = {
    {OPT_CFG, "cfg", 'c', "FILE", "the network, a darknet .cfg (required)"},
    {OPT_WEIGHTS, "weights", 'w', "FILE", "its parameters, a darknet .weights file"},
    {OPT_RANDOM, "random", 0, "SEED", "seeded random parameters instead of --weights"},
    {OPT_PARTIAL, "partial", 0, NULL, "--weights may hold only the first layers (a backbone "
                                      "cut at a layer boundary): the rest as --random SEED "
                                      "makes them (default 1); images seen start at 0"},
    {OPT_SAVE, "save-weights", 0, "FILE", "write the parameters to FILE (with --random: a "
                                          "weights file darknet loads)"},
    {OPT_UPTO, "upto", 0, "N", "--save-weights writes layers 0..N-1 only, as darknet's "
                               "`partial` does (header 0.2.0, images seen 0)"},
    {OPT_WIDTH, "width", 0, "N", "network input width (default: the cfg's)"},
    {OPT_HEIGHT, "height", 0, "N", "network input height (default: the cfg's)"},
    {OPT_BATCH, "batch", 'b', "N", "records per forward pass (default 1, at most 256); "
                                   "--train: images per step (default: the cfg's batch)"},
    {OPT_LETTERBOX, "letterbox", 0, NULL,
     "fit images keeping their aspect, grey bars (default, but for a cfg of AlexeyAB's "
     "without letter_box=1)"},
    {OPT_RESIZE, "resize", 0, NULL,
     "stretch images to the network size (default for a cfg using AlexeyAB's keys, unless "
     "its [net] says letter_box=1)"},
    {OPT_STRICT, "strict", 0, NULL, "a missing, corrupt or truncated image stops the run (exit 2)"},
    {OPT_CONV, "conv", 0, "WAY", "3x3 convolutions: winograd (default; faster, 4x their "
                                 "weights' memory, 8x in training) or direct (im2col + GEMM)"},
    {OPT_WINO_MEM, "wino-mem", 0, "MIB", "at most MIB MiB of Winograd's weights: the layers "
                                         "with the largest maps first (default: no limit)"},
    {OPT_SUMMARY, "summary", 0, NULL, "print the layer table and the unused cfg keys on "
                                      "stdout, read no records"},
    {OPT_TRAIN, "train", 0, NULL, "train on the stream (records from encode-targets; "
                                  "gradients back over --grad)"},
    {OPT_GRAD, "grad", 0, "FIFO", "--train: the named pipe the loss stage writes to"},
    {OPT_CHECKPOINT, "checkpoint", 0, "FILE", "--train: write the weights here (each "
                                              "--save-every, at the end, on SIGINT/SIGTERM)"},
    {OPT_SAVE_EVERY, "save-every", 0, "N", "--train: a checkpoint every N steps (default: "
                                           "only at the end)"},
    {OPT_LOG, "log", 0, "FILE", "--train: the loss log, JSON Lines, one line per step"},
    {OPT_PLOT, "plot", 0, "FILE", "--train: an SVG of the loss history, with each checkpoint"},
    {OPT_MAX_BATCHES, "max-batches", 0, "N", "--train: steps to run (default: the cfg's "
                                             "max_batches)"},
    {OPT_RESUME, "resume", 0, NULL, "--train: go on from the weights' images seen (the "
                                    "schedule's place) and append to --log"},
    {OPT_ADAM, "adam", 0, NULL, "--train: Adam instead of SGD with momentum"},
    {OPT_POLICY, "policy", 0, "NAME", "--train: the learning-rate policy instead of the cfg's "
                                      "(constant, step, steps, exp, poly, sigmoid, sgdr, "
                                      "cosine, onecycle; its other keys from the cfg)"},
    {OPT_LRF, "lrf", 0, "F", "--train: cosine and onecycle end at learning_rate * F (0..1; "
                             "default the cfg's lrf, else .01)"},
    {OPT_BURN_IN, "burn-in", 0, "N", "--train: N steps of warm-up instead of the cfg's "
                                     "burn_in (0: none)"},
    {OPT_EMA, "ema", 0, "DECAY", "--train: keep an exponential moving average of the weights "
                                 "(e.g. .9999): CHECKPOINT.ema beside each checkpoint; "
                                 "validated and written to --best instead of the weights"},
    {OPT_EMA_TAU, "ema-tau", 0, "N", "--train: the EMA's decay ramps up as DECAY * (1 - "
                                     "exp(-step / N)) (default 2000; 0: no ramp)"},
    {OPT_SUBDIV, "subdivisions", 0, "N", "--train: forward passes per step (default: the "
                                         "cfg's)"},
    {OPT_SEED, "seed", 0, "N", "--train: the seed of dropout's random draws (default 0)"},
    {OPT_FREEZE, "freeze", 0, "N", "--train: layers 0..N-1 keep their weights (no gradient, "
                                   "no update, batch norm as at inference; as stopbackward=1 "
                                   "on layer N-1)"},
    {OPT_VAL_CMD, "val-cmd", 0, "CMD", "--train: run `CMD CHECKPOINT` every --val-every "
                                       "steps; its last line: {\"map\":..,\"val_loss\":..}"},
    {OPT_VAL_EVERY, "val-every", 0, "N", "--train: steps between validations (default 100)"},
    {OPT_BEST, "best", 0, "FILE", "--train: the weights of the best validation go here"},
    {OPT_PATIENCE, "patience", 0, "K", "--train: stop after K validations without a better "
                                       "one"},
    {OPT_MAX_SECONDS, "max-seconds", 0, "S", "--train: stop after the last step expected to "
                                             "end, with a validation after it, within S "
                                             "seconds of the start (then the end as at "
                                             "max_batches)"},
    {OPT_SYNC_BN, "sync-bn", 0, NULL, "--train under mpirun: batch norm's statistics over "
                                      "every rank's images, as one process with the whole "
                                      "batch (needs a build with MPI)"},
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
        "the end; --strict stops instead). A truncated JPEG that still decodes is used as\n"
        "viewers show it (the rows it could not read grey), with a warning once per image\n"
        "(--strict stops). Records with 'error' pass through untouched.\n"
        "Batch norm is folded into the weights; outputs share memory between layers.\n"
        "At the end (not with --quiet) the time spent in the network is reported.\n"
        "--train under mpirun (OMPI_COMM_WORLD_SIZE > 1) trains data-parallel: each rank\n"
        "on its own stream with batch / ranks images a step, the gradients summed across\n"
        "ranks before each update; rank 0 alone writes --checkpoint, --log, --plot and\n"
        "validates (docs/scale-out.md).",
    .opts = opts,
    .reads_records = 1,
    .writes_records = 1,
    .info_opt = OPT_SUMMARY,
};

typedef struct df_opts {
    fwd_config cf;
    train_config tc;
    int summary, train;
} df_opts;

/* The --train options of the schedule and the EMA; 1 if id was one of
 * them (-1 on a bad value). */
static int schedule_option(cli *c, train_config *tc, int id, const char *arg)
{
    long v;
    double x;
    switch (id) {
    case OPT_POLICY: tc->sched.policy = arg; return 1;
    case OPT_LRF:
        if (cli_double(c, "lrf", arg, 0, 1, &x) < 0)
            return -1;
        tc->sched.lrf = (float)x, tc->sched.has_lrf = 1;
        return 1;
    case OPT_BURN_IN:
        if (cli_long(c, "burn-in", arg, 0, INT_MAX, &v) < 0)
            return -1;
        tc->sched.burn_in = (int)v, tc->sched.has_burn_in = 1;
        return 1;
    case OPT_EMA:
        if (cli_double(c, "ema", arg, 0, 1, &tc->ema) < 0)
            return -1;
        if (tc->ema <= 0 || tc->ema >= 1)
            return cli_usage_error(c, "--ema: the decay is above 0 and below 1 (e.g. .9999), "
                                      "not '%s'", arg);
        return 1;
    case OPT_EMA_TAU:
        return cli_double(c, "ema-tau", arg, 0, 1e12, &tc->ema_tau) < 0 ? -1 : 1;
    }
    return 0;
}

/* The --train options; 1 if id was one of them (-1 on a bad value). */
static int train_option(cli *c, train_config *tc, int id, const char *arg)
{
    long v;
    int sched = schedule_option(c, tc, id, arg);
    if (sched)
        return sched;
    switch (id) {
    case OPT_GRAD: tc->grad_path = arg; return 1;
    case OPT_CHECKPOINT: tc->checkpoint = arg; return 1;
    case OPT_LOG: tc->log_path = arg; return 1;
    case OPT_PLOT: tc->plot_path = arg; return 1;
    case OPT_RESUME: tc->resume = 1; return 1;
    case OPT_VAL_CMD: tc->val_cmd = arg; return 1;
    case OPT_BEST: tc->best = arg; return 1;
    case OPT_SYNC_BN: tc->sync_bn = 1; return 1;
    case OPT_VAL_EVERY:
        return cli_long(c, "val-every", arg, 1, LONG_MAX, &tc->val_every) < 0 ? -1 : 1;
    case OPT_PATIENCE:
        return cli_long(c, "patience", arg, 1, LONG_MAX, &tc->patience) < 0 ? -1 : 1;
    case OPT_MAX_SECONDS:
        return cli_double(c, "max-seconds", arg, 1e-3, 1e9, &tc->max_seconds) < 0 ? -1 : 1;
    case OPT_ADAM: tc->adam = 1; return 1;
    case OPT_SAVE_EVERY:
        return cli_long(c, "save-every", arg, 1, LONG_MAX, &tc->save_every) < 0 ? -1 : 1;
    case OPT_MAX_BATCHES:
        return cli_long(c, "max-batches", arg, 1, INT_MAX, &tc->max_batches) < 0 ? -1 : 1;
    case OPT_SUBDIV:
        if (cli_long(c, "subdivisions", arg, 1, 4096, &v) < 0)
            return -1;
        tc->subdivisions = (int)v;
        return 1;
    case OPT_SEED:
        if (cli_long(c, "seed", arg, 0, LONG_MAX, &v) < 0)
            return -1;
        tc->seed = (uint64_t)v;
        return 1;
    case OPT_FREEZE:
        if (cli_long(c, "freeze", arg, 1, INT_MAX, &v) < 0)
            return -1;
        tc->freeze = (int)v;
        return 1;
    }
    return 0;
}

static int on_option(cli *c, void *ctx, int id, const char *arg)
{
    df_opts *o = ctx;
    fwd_config *cf = &o->cf;
    long v;
    int t = train_option(c, &o->tc, id, arg);
    if (t)
        return t < 0 ? -1 : 0;
    switch (id) {
    case OPT_CFG: cf->cfg_path = arg; return 0;
    case OPT_WEIGHTS: cf->weights_path = arg; return 0;
    case OPT_RANDOM:
        if (cli_long(c, "random", arg, 0, LONG_MAX, &v) < 0)
            return -1;
        cf->random = 1, cf->seed = (uint64_t)v;
        return 0;
    case OPT_SAVE: cf->save_path = arg; return 0;
    case OPT_PARTIAL: cf->partial = 1; return 0;
    case OPT_UPTO:
        if (cli_long(c, "upto", arg, 0, INT_MAX, &v) < 0)
            return -1;
        cf->upto = (int)v, cf->has_upto = 1;
        return 0;
    case OPT_WIDTH:
    case OPT_HEIGHT:
        if (cli_long(c, id == OPT_WIDTH ? "width" : "height", arg, 1, 16384, &v) < 0)
            return -1;
        *(id == OPT_WIDTH ? &cf->w : &cf->h) = (int)v;
        return 0;
    case OPT_BATCH:
        if (cli_long(c, "batch", arg, 1, 1 << 20, &v) < 0)
            return -1;
        cf->batch = (int)v;
        return 0;
    case OPT_TRAIN: o->train = 1; return 0;
    case OPT_LETTERBOX: cf->resize = 0; return 0;
    case OPT_RESIZE: cf->resize = 1; return 0;
    case OPT_STRICT: cf->strict = 1; return 0;
    case OPT_CONV:
        if (strcmp(arg, "winograd") && strcmp(arg, "direct"))
            return cli_usage_error(c, "--conv: 'winograd' or 'direct', not '%s'", arg);
        cf->direct = arg[0] == 'd';
        return 0;
    case OPT_WINO_MEM:
        if (cli_long(c, "wino-mem", arg, 0, 1L << 30, &v) < 0)
            return -1;
        cf->wino_mib = v;
        return 0;
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
    if (o->cf.partial && !o->cf.weights_path)
        return cli_usage_error(c, "--partial goes with --weights FILE (the backbone)");
    if (!o->cf.partial && !o->cf.weights_path == !o->cf.random)
        return cli_usage_error(c, "give exactly one of --weights FILE and --random SEED "
                                  "(both with --partial)");
    if (o->cf.has_upto && !o->cf.save_path)
        return cli_usage_error(c, "--upto N goes with --save-weights FILE");
    if (o->cf.partial && o->tc.resume)
        return cli_usage_error(c, "--partial starts a run from a backbone; --resume goes on "
                                  "from a checkpoint: not both");
    const train_config *tc = &o->tc;
    if (o->train && !tc->grad_path)
        return cli_usage_error(c, "--train needs --grad FIFO (the loss stage's output)");
    if (!o->train && (tc->grad_path || tc->checkpoint || tc->save_every || tc->log_path ||
                      tc->plot_path || tc->max_batches || tc->resume || tc->adam ||
                      tc->subdivisions || tc->seed || tc->val_cmd || tc->val_every ||
                      tc->best || tc->patience || tc->max_seconds || tc->freeze ||
                      tc->sync_bn ||
                      tc->sched.policy || tc->sched.has_lrf || tc->sched.has_burn_in ||
                      tc->ema || tc->ema_tau >= 0))
        return cli_usage_error(c, "--grad, --checkpoint, --save-every, --log, --plot, "
                                  "--max-batches, --max-seconds, --resume, --adam, "
                                  "--subdivisions, --seed, "
                                  "--freeze, --sync-bn, --policy, --lrf, --burn-in, the --ema "
                                  "and the --val options go with --train");
    if (tc->ema_tau >= 0 && !tc->ema)
        return cli_usage_error(c, "--ema-tau goes with --ema DECAY");
    if (tc->ema && !tc->checkpoint)
        return cli_usage_error(c, "--ema keeps the average beside the checkpoint: give "
                                  "--checkpoint FILE");
    if (tc->sync_bn && !dist_available())
        return cli_usage_error(c, "--sync-bn: this darknet-forward is built without MPI "
                                  "(libopenmpi-dev was missing: scripts/deps.sh mpi, then "
                                  "rebuild)");
    if ((tc->val_every || tc->best || tc->patience) && !tc->val_cmd)
        return cli_usage_error(c, "--val-every, --best and --patience go with --val-cmd");
    if (tc->val_cmd && !tc->checkpoint)
        return cli_usage_error(c, "--val-cmd validates the checkpoint: give --checkpoint FILE");
    if (!o->train && o->cf.batch > FWD_MAX_BATCH)
        return cli_usage_error(c, "--batch: at most %d records per forward pass", FWD_MAX_BATCH);
    if (tc->resume && !o->cf.weights_path)
        return cli_usage_error(c, "--resume needs --weights (the checkpoint to go on from)");
    return 0;
}

/* The closing line: where the time went, and which kernel family ran. */
static void report(cli *c, const fwd *f)
{
    if (f->images == 0)
        return;
    double ms = f->seconds * 1e3 / f->images, bflops = net_bflops(&f->net);
    const char *kernels = isa_name(isa_active());
    if (f->cf.train)    /* forward, backward, step, and the wait for the loss stage */
        cli_warn(c, "%ld images; %.1f ms/image trained (the loss stage's time included; "
                 "kernels %s)", f->images, ms, kernels);
    else if (f->images == f->first_images)
        cli_warn(c, "%ld images; network %.1f ms/image (%.2f BFLOPs, %.1f GFLOP/s, kernels %s)",
                 f->images, ms, bflops, bflops / (ms / 1e3), kernels);
    else   /* the first pass warms up: the rest is what a long stream sees */
        cli_warn(c, "%ld images; network %.1f ms/image (%.2f BFLOPs, %.1f GFLOP/s, kernels %s); "
                 "after the first pass %.1f ms/image", f->images, ms, bflops,
                 bflops / (ms / 1e3), kernels,
                 (f->seconds - f->first_seconds) * 1e3 / (f->images - f->first_images));
}

int main(int argc, char **argv)
{
    cli c;
    df_opts o = {.cf = {.batch = 0, .wino_mib = -1, .resize = -1}, .tc = {.ema_tau = -1}};
    yerr err;
    cli_init(&c, &desc);
    if (cli_parse(&c, argc, argv, on_option, &o) < 0 || check_options(&c, &o) < 0)
        return c.status;
    if (o.train) {
        o.tc.batch = o.cf.batch;      /* 0: the cfg's */
        o.tc.resume_from = o.tc.resume ? o.cf.weights_path : NULL;
        if (o.tc.val_cmd && !o.tc.val_every)
            o.tc.val_every = 100;
        if (o.tc.ema_tau < 0)
            o.tc.ema_tau = EMA_DEFAULT_TAU;
        o.cf.train = &o.tc;
    } else if (o.cf.batch == 0) {
        o.cf.batch = 1;
    }
    if (o.cf.partial && !o.cf.random)
        o.cf.seed = 1;      /* the layers the backbone lacks: as --random 1 */
    if (o.summary) {
        if (fwd_summary(&o.cf, c.outf, &err) < 0)
            cli_fail(&c, &err);
        return cli_finish(&c);
    }
    fwd f;
    o.cf.rep = &c.rep;
    o.cf.out = &c.out;
    o.cf.stage = c.d->name;
    if (fwd_open(&f, &o.cf, &err) < 0) {
        cli_fail(&c, &err);
        return cli_finish(&c);
    }
    char unused[160];
    int nunused = fwd_unused(&f, unused, sizeof unused);
    if (nunused && !o.train)       /* training's keys are encode-targets' or the loss's */
        cli_warn(&c, "%s: %d cfg keys not used by inference (%s%s); --summary lists them",
                 o.cf.cfg_path, nunused, unused, strlen(unused) + 1 >= sizeof unused ? "..." : "");
    int rc;
    while ((rc = cli_read(&c, fwd_next(&f), &err)) == 1)
        if ((rc = fwd_push(&f, &err)) != 0)
            break;
    if (rc >= 0)       /* the end of input, or training done */
        rc = fwd_flush(&f, &err);
    else
        rc = fwd_failed(&f, &err);
    if (rc < 0)
        cli_fail(&c, &err);
    else
        report(&c, &f);
    fwd_close(&f);
    int status = cli_finish(&c);
    /* training stopped by a signal: the checkpoint is written; the status
     * says which signal, as a shell's does (130 SIGINT, 143 SIGTERM) */
    return o.train && status == 0 && train_signalled() ? 128 + train_signalled() : status;
}
