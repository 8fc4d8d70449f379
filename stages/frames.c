/* frames: a video (file, camera, network stream) to one record per frame,
 * the frame's pixels in the record; the decoding is common/image/video.c. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "yolo/cli/cli.h"
#include "yolo/image/video.h"

enum {
    OPT_EVERY = 1, OPT_FPS, OPT_MAX, OPT_FORMAT, OPT_OPTION, OPT_TIMEOUT, OPT_REALTIME,
    OPT_STAMP, OPT_STRICT
};

typedef struct fr_cfg {
    vid_in_cfg in;
    long every, max;
    double fps;
    int realtime, stamp, strict;
} fr_cfg;

static const cli_opt opts[] = {
    {OPT_EVERY, "every", 0, "N", "keep every N-th frame: 0, N, 2N, ... (default 1: all)"},
    {OPT_FPS, "fps", 0, "F", "keep at most F frames a second of video, by their times"},
    {OPT_MAX, "max-frames", 0, "N", "stop after N records"},
    {OPT_FORMAT, "format", 0, "NAME", "FFmpeg's input format (default: probed; v4l2 for /dev/*)"},
    {OPT_OPTION, "input-option", 0, "KEY=VALUE", "an option of the input (repeatable): "
                                                 "video_size=640x480, rtsp_transport=tcp, ..."},
    {OPT_TIMEOUT, "timeout", 0, "SEC", "a camera or stream silent for SEC s is lost (default "
                                       "10; 0: wait for ever)"},
    {OPT_REALTIME, "realtime", 0, NULL, "a file is read at its own frame rate, as a camera"},
    {OPT_STAMP, "stamp", 0, NULL, "each record gets 'wall': the clock (Unix seconds) when its "
                                  "frame was decoded, to measure latency"},
    {OPT_STRICT, "strict", 0, NULL, "a truncated file or corrupt data is an error (exit 2), "
                                    "after the frames decoded"},
    {0, NULL, 0, NULL, NULL},
};

static const cli_desc desc = {
    .name = "frames",
    .args = "SOURCE",
    .summary = "Decode a video with FFmpeg and write one record per frame: id (the frame\n"
               "number), pts, time, fps, width, height and frame (the pixels, u8 [h,w,3] RGB).",
    .details =
        "SOURCE is a video file, a camera (/dev/video0) or a stream FFmpeg reads (rtsp://,\n"
        "http://, udp://, ...). darknet-forward and draw read 'frame' as they read 'image'.\n"
        "The id counts every decoded frame from 0, thinned or not; time is in seconds from\n"
        "the first frame; fps is the rate of the frames written (the source's, divided by\n"
        "--every, at most --fps). The end of a file is silent; the end of a camera or a\n"
        "stream, a cut connection and a stop by SIGINT or SIGTERM end the records cleanly\n"
        "with a message (exit 0). A truncated file, or data the decoder refuses (skipped),\n"
        "is a warning after the frames it gave (--strict: exit 2). A source that cannot be\n"
        "opened (no such file or camera, a refused connection) is exit 3; one that is not a\n"
        "video FFmpeg decodes (an empty file, no video stream, an unsupported codec) exit 2.\n\n"
        "Example: frames in.mp4 | darknet-forward -c yolov3-tiny.cfg -w yolov3-tiny.weights\n"
        "         | rescale | nms | draw --video out.mp4",
    .opts = opts,
    .writes_records = 1,
};

static int on_option(cli *c, void *ctx, int id, const char *arg)
{
    fr_cfg *g = ctx;
    switch (id) {
    case OPT_EVERY: return cli_long(c, "every", arg, 1, 1L << 30, &g->every);
    case OPT_FPS: return cli_double(c, "fps", arg, 1e-3, 1e4, &g->fps);
    case OPT_MAX: return cli_long(c, "max-frames", arg, 1, 1L << 62, &g->max);
    case OPT_FORMAT: g->in.format = arg; return 0;
    case OPT_OPTION:
        if (g->in.noptions == VID_MAX_OPTIONS)
            return cli_usage_error(c, "at most %d --input-option", VID_MAX_OPTIONS);
        g->in.options[g->in.noptions++] = arg;
        return 0;
    case OPT_TIMEOUT:
        return cli_double(c, "timeout", arg, 0, 1e6, &g->in.timeout);
    case OPT_REALTIME: g->realtime = 1; return 0;
    case OPT_STAMP: g->stamp = 1; return 0;
    case OPT_STRICT: g->strict = 1; return 0;
    }
    return -1;
}

/* The run's end in words; a damaged file is an error with --strict. */
static void closing(cli *c, const fr_cfg *g, const vid_in *v, long written, yerr *err)
{
    if (v->bad_packets)
        cli_warn(c, "%s: %lld packets the decoder refused were skipped (the first %s)",
                 v->cfg.source, (long long)v->bad_packets, v->first_bad);
    if (v->live || v->end != VID_END_EOF || vid_signalled())
        cli_warn(c, "%s: %s; %lld frames decoded, %ld written", v->cfg.source, v->end_msg,
                 (long long)v->decoded, written);
    if (g->strict && (v->bad_packets || v->end == VID_END_TRUNCATED)) {
        yerr_set(err, YOLO_EINPUT, "%s: damaged (--strict)", v->cfg.source);
        cli_fail(c, err);
    }
}

static int run(cli *c, const fr_cfg *g, vid_in *v, yerr *err)
{
    vid_thin th;
    vid_frame f;
    rec r;
    long written = 0;
    int rc;
    vid_thin_init(&th, g->every, g->fps);
    double rate = vid_thin_rate(&th, v->fps), start = vid_clock();
    rec_init(&r);
    while ((g->max == 0 || written < g->max) && (rc = vid_next(v, &f, err)) == 1) {
        if (!vid_thin_keep(&th, &f))
            continue;
        if (g->realtime)
            vid_pace(start, f.time);
        if (vid_frame_record(&r, &f, rate, err) < 0 ||
            (g->stamp && rec_set_f64(&r, "wall", vid_wall_clock(), err) < 0) ||
            rec_write(&c->out, &r, err) < 0) {
            rc = -1;
            break;
        }
        written++;
        cli_tick(c);
    }
    rec_free(&r);
    if (g->max && written == g->max)
        return 0;
    if (rc == 0)
        closing(c, g, v, written, err);
    return rc;
}

int main(int argc, char **argv)
{
    cli c;
    fr_cfg g = {.every = 1, .in = {.timeout = 10}};
    cli_init(&c, &desc);
    if (cli_parse(&c, argc, argv, on_option, &g) < 0)
        return c.status;
    if (c.nfiles != 1) {
        cli_usage_error(&c, "give one SOURCE: a video file, a camera or a URL");
        return c.status;
    }
    g.in.source = c.files[0];
    vid_in v;
    yerr err;
    vid_catch_signals();
    if (vid_open(&v, &g.in, &err) < 0) {
        if (err.code == YOLO_EUSAGE)
            cli_usage_error(&c, "%s", err.msg);
        else
            cli_fail(&c, &err);
        return cli_finish(&c);
    }
    if (run(&c, &g, &v, &err) < 0)
        cli_fail(&c, &err);
    vid_close(&v);
    return cli_finish(&c);
}
