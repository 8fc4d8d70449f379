/* Video in through FFmpeg's libraries (include/yolo/image/video.h). */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <libavcodec/avcodec.h>
#include <libavdevice/avdevice.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>

#include "yolo/image/video.h"

/* ---- stopping ------------------------------------------------------------ */

/* Set by SIGINT or SIGTERM once vid_catch_signals ran: a signal handler
 * can only leave a flag, so this one is file-wide. */
static volatile sig_atomic_t stop_signal;

/* The first signal asks for a clean end; a second one is not waited on. */
static void on_signal(int sig)
{
    if (stop_signal) {
        signal(sig, SIG_DFL);
        raise(sig);
    }
    stop_signal = sig;
}

void vid_catch_signals(void)
{
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int vid_signalled(void) { return stop_signal; }

double vid_clock(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

double vid_wall_clock(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

void vid_pace(double start, double t)
{
    double wait = start + t - vid_clock();
    if (wait <= 0 || stop_signal)
        return;
    struct timespec d = {(time_t)wait, (long)((wait - floor(wait)) * 1e9)};
    nanosleep(&d, NULL);
}

/* FFmpeg's interrupt callback: a blocking read gives up past the deadline
 * or on a stop signal. */
static int interrupted(void *ctx)
{
    const vid_in *v = ctx;
    return stop_signal || (v->deadline > 0 && vid_clock() > v->deadline);
}

static void arm(vid_in *v)
{
    v->deadline = v->live && v->cfg.timeout > 0 ? vid_clock() + v->cfg.timeout : 0;
}

/* ---- opening ------------------------------------------------------------- */

static int is_url(const char *s)
{
    const char *p = strstr(s, "://");
    return p && p > s && strncmp(s, "file:", 5) != 0;
}

static int is_camera(const char *s) { return strncmp(s, "/dev/", 5) == 0; }

/* FFmpeg's own words, then ours: "moov atom not found (Invalid data ...)". */
static void why(const vid_in *v, int averr, char *buf, size_t n)
{
    char e[128];
    vid_av_error(averr, e, sizeof e);
    if (v->last_log[0] && !strstr(v->last_log, e))
        snprintf(buf, n, "%s (%s)", v->last_log, e);
    else if (v->last_log[0])
        snprintf(buf, n, "%s", v->last_log);
    else
        snprintf(buf, n, "%s", e);
}

/* The errors that say what the source holds, as against reaching it. */
static int is_content_error(int averr)
{
    return averr == AVERROR_INVALIDDATA || averr == AVERROR_EOF ||
           averr == AVERROR_DECODER_NOT_FOUND || averr == AVERROR_DEMUXER_NOT_FOUND ||
           averr == AVERROR_STREAM_NOT_FOUND || averr == AVERROR_PATCHWELCOME;
}

static int open_failed(vid_in *v, int averr, yerr *err)
{
    char w[512];
    why(v, averr, w, sizeof w);
    if (averr == AVERROR_EXIT && !stop_signal)
        return yerr_set(err, YOLO_EIO, "%s: cannot open: no answer in %g s (--timeout)",
                        v->cfg.source, v->cfg.timeout);
    if (is_content_error(averr))
        return yerr_set(err, YOLO_EINPUT, "%s: not a video FFmpeg can read: %s", v->cfg.source, w);
    return yerr_set(err, YOLO_EIO, "%s: cannot open%s: %s", v->cfg.source,
                    is_camera(v->cfg.source) ? " the camera" : "", w);
}

/* The options FFmpeg did not take are a usage error, named. */
static int leftover_options(const vid_in *v, AVDictionary *d, yerr *err)
{
    const AVDictionaryEntry *e = av_dict_get(d, "", NULL, AV_DICT_IGNORE_SUFFIX);
    if (!e)
        return 0;
    return yerr_set(err, YOLO_EUSAGE, "%s: input option '%s': not an option of this input (%s)",
                    v->cfg.source, e->key, v->fmt->iformat->name);
}

static int open_input(vid_in *v, yerr *err)
{
    const vid_in_cfg *cfg = &v->cfg;
    const AVInputFormat *ifmt = NULL;
    if (cfg->format && !(ifmt = av_find_input_format(cfg->format)))
        return yerr_set(err, YOLO_EUSAGE, "--format '%s': FFmpeg has no such input format "
                        "(ffmpeg -formats lists them)", cfg->format);
    if (!ifmt && is_camera(cfg->source))
        ifmt = av_find_input_format("v4l2");
    struct stat st;
    if (!v->live && stat(cfg->source, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0)
        return yerr_set(err, YOLO_EINPUT, "%s: an empty file (0 bytes), not a video",
                        cfg->source);
    AVDictionary *d = NULL;
    if (!(v->fmt = avformat_alloc_context()))
        return yerr_set(err, YOLO_EIO, "out of memory");
    v->fmt->opaque = v->last_log;
    v->fmt->interrupt_callback = (AVIOInterruptCB){interrupted, v};
    if (vid_dict(cfg->options, cfg->noptions, &d, "input", err) < 0) {
        av_dict_free(&d);
        return -1;
    }
    arm(v);
    int rc = avformat_open_input(&v->fmt, cfg->source, ifmt, &d);  /* frees fmt on failure */
    if (rc == 0)
        rc = leftover_options(v, d, err) < 0 ? 1 : 0;
    av_dict_free(&d);
    if (rc != 0)
        return rc < 0 ? open_failed(v, rc, err) : -1;
    arm(v);
    rc = avformat_find_stream_info(v->fmt, NULL);
    return rc < 0 ? open_failed(v, rc, err) : 0;
}

static int open_decoder(vid_in *v, yerr *err)
{
    const AVCodec *codec = NULL;
    int s = av_find_best_stream(v->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (s == AVERROR_STREAM_NOT_FOUND)
        return yerr_set(err, YOLO_EINPUT, "%s: no video stream (%s)", v->cfg.source,
                        v->fmt->iformat->name);
    if (s < 0 || !codec) {
        int i = s < 0 ? av_find_best_stream(v->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0) : s;
        const AVCodecParameters *p = i >= 0 ? v->fmt->streams[i]->codecpar : NULL;
        char tag[AV_FOURCC_MAX_STRING_SIZE] = "?";
        if (p)
            av_fourcc_make_string(tag, p->codec_tag);
        return yerr_set(err, YOLO_EINPUT, "%s: unsupported codec '%s' (tag %s): this FFmpeg "
                        "has no decoder for it", v->cfg.source,
                        p ? avcodec_get_name(p->codec_id) : "unknown", tag);
    }
    v->stream = s;
    AVStream *st = v->fmt->streams[s];
    if (!(v->dec = avcodec_alloc_context3(codec)))
        return yerr_set(err, YOLO_EIO, "out of memory");
    v->dec->opaque = v->last_log;
    /* One thread: frame threads would hold frames back (latency), and the
     * network wants the cores. */
    v->dec->thread_count = 1;
    int rc = avcodec_parameters_to_context(v->dec, st->codecpar);
    if (rc >= 0)
        rc = avcodec_open2(v->dec, codec, NULL);
    if (rc < 0) {
        char w[512];
        why(v, rc, w, sizeof w);
        return yerr_set(err, YOLO_EINPUT, "%s: cannot start the %s decoder: %s", v->cfg.source,
                        codec->name, w);
    }
    v->codec = codec->name;
    return 0;
}

static void read_stream_facts(vid_in *v)
{
    const AVStream *st = v->fmt->streams[v->stream];
    AVRational r = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
    v->fps = r.num > 0 && r.den > 0 ? av_q2d(r) : 0;
    v->tb = av_q2d(st->time_base);
    v->expected = v->live ? 0 : st->nb_frames;
    if (!v->live && st->duration > 0 && st->duration != AV_NOPTS_VALUE)
        v->duration = st->duration * v->tb;
    else if (!v->live && v->fmt->duration > 0)
        v->duration = (double)v->fmt->duration / AV_TIME_BASE;
}

int vid_open(vid_in *v, const vid_in_cfg *cfg, yerr *err)
{
    memset(v, 0, sizeof *v);
    v->cfg = *cfg;
    v->first_pts = INT64_MIN;
    v->live = is_url(cfg->source) || is_camera(cfg->source) ||
              (cfg->format && strcmp(cfg->format, "v4l2") == 0);
    vid_quiet_ffmpeg();
    avdevice_register_all();
    avformat_network_init();
    int rc = open_input(v, err);
    if (rc == 0)
        rc = open_decoder(v, err);
    if (rc == 0 && (!(v->pkt = av_packet_alloc()) || !(v->frm = av_frame_alloc())))
        rc = yerr_set(err, YOLO_EIO, "out of memory");
    if (rc < 0) {
        vid_close(v);
        return -1;
    }
    read_stream_facts(v);
    v->last_log[0] = 0;
    return 0;
}

void vid_close(vid_in *v)
{
    av_packet_free(&v->pkt);
    av_frame_free(&v->frm);
    avcodec_free_context(&v->dec);
    if (v->fmt)
        avformat_close_input(&v->fmt);
    sws_freeContext(v->sws);
    v->sws = NULL;
    free(v->rgb);
    v->rgb = NULL;
}

void vid_describe(const vid_in *v, char *buf, size_t n)
{
    int k = snprintf(buf, n, "%s %dx%d", v->codec ? v->codec : "?", v->dec ? v->dec->width : 0,
                     v->dec ? v->dec->height : 0);
    if (k < 0 || (size_t)k >= n)
        return;
    if (v->fps > 0)
        k += snprintf(buf + k, n - (size_t)k, ", %.4g fps", v->fps);
    else
        k += snprintf(buf + k, n - (size_t)k, ", frame rate unknown");
    if ((size_t)k < n && v->expected > 0)
        k += snprintf(buf + k, n - (size_t)k, ", %lld frames", (long long)v->expected);
    if ((size_t)k < n && v->duration > 0)
        snprintf(buf + k, n - (size_t)k, " (%.1f s)", v->duration);
    else if ((size_t)k < n && v->live)
        snprintf(buf + k, n - (size_t)k, ", live");
}

/* ---- frames ---------------------------------------------------------------- */

static int sws_space(enum AVColorSpace cs)
{
    switch (cs) {
    case AVCOL_SPC_BT709: return SWS_CS_ITU709;
    case AVCOL_SPC_FCC: return SWS_CS_FCC;
    case AVCOL_SPC_SMPTE240M: return SWS_CS_SMPTE240M;
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL: return SWS_CS_BT2020;
    default: return SWS_CS_ITU601;   /* unspecified: as FFmpeg's scaler takes it */
    }
}

/* The decoded frame as RGB bytes in v->rgb (same size). Bicubic, as the
 * ffmpeg program's scaler (it only matters for the chroma planes). */
static int to_rgb(vid_in *v, yerr *err)
{
    const AVFrame *fr = v->frm;
    if (fr->width != v->rgb_w || fr->height != v->rgb_h) {
        free(v->rgb);
        v->rgb = malloc((size_t)fr->width * fr->height * 3);
        if (!v->rgb)
            return yerr_set(err, YOLO_EIO, "out of memory for a %dx%d frame", fr->width,
                            fr->height);
        v->rgb_w = fr->width, v->rgb_h = fr->height;
    }
    v->sws = sws_getCachedContext(v->sws, fr->width, fr->height, fr->format, fr->width,
                                  fr->height, AV_PIX_FMT_RGB24, SWS_BICUBIC, NULL, NULL, NULL);
    if (!v->sws)
        return yerr_set(err, YOLO_EINPUT, "%s: frame %lld: no conversion from %s to RGB",
                        v->cfg.source, (long long)v->decoded,
                        av_get_pix_fmt_name(fr->format));
    int full = fr->color_range == AVCOL_RANGE_JPEG || fr->format == AV_PIX_FMT_YUVJ420P ||
               fr->format == AV_PIX_FMT_YUVJ422P || fr->format == AV_PIX_FMT_YUVJ444P;
    sws_setColorspaceDetails(v->sws, sws_getCoefficients(sws_space(fr->colorspace)), full,
                             sws_getCoefficients(SWS_CS_DEFAULT), 1, 0, 1 << 16, 1 << 16);
    uint8_t *dst[4] = {v->rgb};
    int stride[4] = {fr->width * 3};
    sws_scale(v->sws, (const uint8_t *const *)fr->data, fr->linesize, 0, fr->height, dst, stride);
    return 0;
}

static int give(vid_in *v, vid_frame *f, yerr *err)
{
    if (to_rgb(v, err) < 0) {
        av_frame_unref(v->frm);
        return -1;
    }
    int64_t pts = v->frm->best_effort_timestamp;
    *f = (vid_frame){.rgb = v->rgb, .w = v->rgb_w, .h = v->rgb_h, .number = v->decoded};
    if (pts != AV_NOPTS_VALUE) {
        if (v->first_pts == INT64_MIN)
            v->first_pts = pts;
        f->has_pts = 1, f->pts = pts;
        f->time = (double)(pts - v->first_pts) * v->tb;
    } else {
        f->time = v->fps > 0 ? (double)v->decoded / v->fps : 0;
    }
    av_frame_unref(v->frm);
    v->decoded++;
    v->last_time = f->time;
    return 1;
}

static void note_bad(vid_in *v, int averr)
{
    if (v->bad_packets++ == 0) {
        char w[200];
        why(v, averr, w, sizeof w);
        snprintf(v->first_bad, sizeof v->first_bad, "after frame %lld: %s",
                 (long long)v->decoded, w);
    }
    v->last_log[0] = 0;
}

/* Why a file's frames stopped short, when they did: fewer than its index
 * announces, or (no count) well before its stated duration. */
static void check_truncated(vid_in *v)
{
    if (v->live || v->end != VID_END_EOF)
        return;
    if (v->expected > 0 && v->decoded < v->expected) {
        v->end = VID_END_TRUNCATED;
        snprintf(v->end_msg, sizeof v->end_msg, "the file ends after %lld of the %lld frames "
                 "its index announces: truncated", (long long)v->decoded,
                 (long long)v->expected);
    } else if (v->expected == 0 && v->duration > 0 && v->fps > 0 &&
               v->last_time + 2.0 / v->fps < v->duration - 0.5) {
        v->end = VID_END_TRUNCATED;
        snprintf(v->end_msg, sizeof v->end_msg, "the file ends at %.2f s of the %.2f s its "
                 "header announces: truncated", v->last_time, v->duration);
    }
}

/* The input ended (av_read_frame's rc): how, and the decoder told to give
 * what it still holds. */
static void input_done(vid_in *v, int rc)
{
    char w[400];
    v->draining = 1;
    avcodec_send_packet(v->dec, NULL);
    if (stop_signal) {
        v->end = VID_END_STOPPED;
        snprintf(v->end_msg, sizeof v->end_msg, "stopped by signal %d", (int)stop_signal);
    } else if (rc == AVERROR_EOF) {
        v->end = VID_END_EOF;
        snprintf(v->end_msg, sizeof v->end_msg, v->live ? "the stream ended" : "end of file");
    } else if (rc == AVERROR_EXIT && v->live) {
        v->end = VID_END_TIMEOUT;
        snprintf(v->end_msg, sizeof v->end_msg, "nothing came for %g s (--timeout): the "
                 "connection is taken as lost", v->cfg.timeout);
    } else {
        why(v, rc, w, sizeof w);
        v->end = v->live ? VID_END_LOST : VID_END_TRUNCATED;
        snprintf(v->end_msg, sizeof v->end_msg, "%s: %s", v->live ? "the stream was cut" :
                 "reading stopped", w);
    }
}

/* The next packet of the video stream into the decoder; 0, or the
 * input's end handled. */
static void feed(vid_in *v)
{
    for (;;) {
        arm(v);
        int rc = av_read_frame(v->fmt, v->pkt);
        if (rc < 0) {
            input_done(v, rc);
            return;
        }
        if (v->pkt->stream_index != v->stream) {
            av_packet_unref(v->pkt);
            continue;
        }
        rc = avcodec_send_packet(v->dec, v->pkt);
        av_packet_unref(v->pkt);
        if (rc < 0 && rc != AVERROR(EAGAIN))
            note_bad(v, rc);
        return;
    }
}

int vid_next(vid_in *v, vid_frame *f, yerr *err)
{
    for (int errors = 0; errors < 1000;) {
        int rc = avcodec_receive_frame(v->dec, v->frm);
        if (rc == 0)
            return give(v, f, err);
        if (rc == AVERROR(ENOMEM))
            return yerr_set(err, YOLO_EIO, "%s: out of memory decoding", v->cfg.source);
        if (rc == AVERROR_EOF || (v->draining && rc == AVERROR(EAGAIN)))
            break;
        if (rc != AVERROR(EAGAIN)) {    /* a frame the decoder gave up on */
            note_bad(v, rc);
            errors++;
            if (!v->draining)
                feed(v);
            continue;
        }
        feed(v);
    }
    check_truncated(v);
    return 0;
}

/* ---- thinning ---------------------------------------------------------------- */

void vid_thin_init(vid_thin *t, long every, double fps)
{
    *t = (vid_thin){.every = every > 0 ? every : 1, .fps = fps, .last_slot = INT64_MIN};
}

int vid_thin_keep(vid_thin *t, const vid_frame *f)
{
    if (f->number % t->every != 0)
        return 0;
    if (t->fps <= 0)
        return 1;
    int64_t slot = (int64_t)floor(f->time * t->fps + 1e-6);
    if (t->last_slot != INT64_MIN && slot <= t->last_slot)
        return 0;
    t->last_slot = slot;
    return 1;
}

double vid_thin_rate(const vid_thin *t, double source_fps)
{
    double r = source_fps / (double)t->every;
    if (t->fps > 0 && (r <= 0 || t->fps < r))
        r = t->fps;
    return r;
}

/* ---- records ------------------------------------------------------------------- */

int vid_frame_record(rec *r, const vid_frame *f, double out_fps, yerr *err)
{
    char id[32];
    int n = snprintf(id, sizeof id, "%lld", (long long)f->number);
    rec_clear(r);
    if (rec_set_str(r, "id", id, (size_t)n, err) < 0 ||
        (f->has_pts && rec_set_i64(r, "pts", f->pts, err) < 0) ||
        rec_set_f64(r, "time", f->time, err) < 0 ||
        (out_fps > 0 && rec_set_f64(r, "fps", out_fps, err) < 0) ||
        rec_set_i64(r, "width", f->w, err) < 0 || rec_set_i64(r, "height", f->h, err) < 0)
        return -1;
    tensor_view t = {.dtype = TENSOR_U8};
    int64_t dims[3] = {f->h, f->w, 3};
    const char *bad;
    if (tensor_set_shape(&t, 3, dims, &bad) < 0)
        return yerr_set(err, YOLO_EINPUT, "frame %lld: %s", (long long)f->number, bad);
    t.data = f->rgb;
    return rec_set_tensor(r, "frame", &t, err);
}
