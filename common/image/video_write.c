/* Video out through FFmpeg's libraries (include/yolo/image/video_write.h),
 * and the FFmpeg glue both directions share (video.h: vid_quiet_ffmpeg,
 * vid_av_error, vid_dict). It lives here, not in video.c, so that a stage
 * that only writes video (draw) does not link video.c's libavdevice, which
 * brings libavfilter and a second BLAS with it (Debian's OpenBLAS for
 * pthreads, whose start-up spins forever under a small ulimit -v). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>

#include "yolo/image/video.h"
#include "yolo/image/video_write.h"

/* ---- FFmpeg's messages ------------------------------------------------- */

/* av_log's callback: a message about a format or codec context whose
 * opaque is a VID_LOG_LEN buffer (ours: a vid_in's or vidw's last_log) is
 * kept there, errors and warnings only; everything else is dropped, so the
 * libraries never write on the terminal. */
static void keep_log(void *avcl, int level, const char *fmt, va_list vl)
{
    if (!avcl || level > AV_LOG_WARNING)
        return;
    const AVClass *cls = *(const AVClass **)avcl;
    char *buf = NULL;
    if (cls == avformat_get_class())
        buf = ((AVFormatContext *)avcl)->opaque;
    else if (cls == avcodec_get_class())
        buf = ((AVCodecContext *)avcl)->opaque;
    if (!buf)
        return;
    vsnprintf(buf, VID_LOG_LEN, fmt, vl);
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' ' || buf[n - 1] == '.'))
        buf[--n] = 0;
}

void vid_quiet_ffmpeg(void) { av_log_set_callback(keep_log); }

void vid_av_error(int averr, char *buf, size_t n)
{
    if (av_strerror(averr, buf, n) < 0)
        snprintf(buf, n, "FFmpeg error %d", averr);
}

int vid_dict(const char *const *kv, int n, struct AVDictionary **d, const char *what, yerr *err)
{
    for (int i = 0; i < n; i++) {
        const char *eq = strchr(kv[i], '=');
        char key[128];
        if (!eq || eq == kv[i] || (size_t)(eq - kv[i]) >= sizeof key)
            return yerr_set(err, YOLO_EUSAGE, "%s option '%s': expected KEY=VALUE", what, kv[i]);
        memcpy(key, kv[i], (size_t)(eq - kv[i]));
        key[eq - kv[i]] = 0;
        if (av_dict_set(d, key, eq + 1, 0) < 0)
            return yerr_set(err, YOLO_EIO, "out of memory");
    }
    return 0;
}


static int to_stdout(const vidw_cfg *c) { return strcmp(c->path, "-") == 0; }

/* "message (FFmpeg's last words)" into err. */
static int av_failed(vidw *v, int code, int averr, yerr *err, const char *what)
{
    char e[128];
    vid_av_error(averr, e, sizeof e);
    if (v->last_log[0] && strcmp(v->last_log, e) != 0)
        return yerr_set(err, code, "%s: %s: %s (%s)", v->cfg.path, what, v->last_log, e);
    return yerr_set(err, code, "%s: %s: %s", v->cfg.path, what, e);
}

static const AVOutputFormat *pick_format(const vidw_cfg *c, yerr *err)
{
    const char *name = c->format ? c->format : to_stdout(c) ? "mjpeg" : NULL;
    const AVOutputFormat *of = av_guess_format(name, to_stdout(c) ? NULL : c->path, NULL);
    if (!of && name)
        yerr_set(err, YOLO_EUSAGE, "video format '%s': FFmpeg has no such muxer (ffmpeg "
                 "-muxers lists them)", name);
    else if (!of)
        yerr_set(err, YOLO_EUSAGE, "%s: no video format goes by this file name's extension: "
                 "give one (--video-format)", c->path);
    return of;
}

static const AVCodec *pick_codec(const vidw_cfg *c, const AVOutputFormat *of, yerr *err)
{
    const AVCodec *codec = NULL;
    if (c->codec && !(codec = avcodec_find_encoder_by_name(c->codec)))
        yerr_set(err, YOLO_EUSAGE, "video codec '%s': this FFmpeg has no such encoder "
                 "(ffmpeg -encoders lists them)", c->codec);
    else if (!c->codec && (of->video_codec == AV_CODEC_ID_NONE ||
                           !(codec = avcodec_find_encoder(of->video_codec))))
        yerr_set(err, YOLO_EUSAGE, "%s: the %s format has no video encoder here: give one "
                 "(--video-codec)", c->path, of->name);
    else if (codec && codec->type != AVMEDIA_TYPE_VIDEO)
        yerr_set(err, YOLO_EUSAGE, "'%s' is not a video encoder", codec->name);
    else
        return codec;
    return NULL;
}

/* 4:2:0 when the encoder takes it (what players expect), else its best
 * match for RGB; rawvideo: RGB itself. */
static enum AVPixelFormat pick_pix_fmt(const AVCodec *codec)
{
    const enum AVPixelFormat *p = codec->pix_fmts;
    if (!p)    /* rawvideo takes any: the pictures' own bytes */
        return codec->id == AV_CODEC_ID_RAWVIDEO ? AV_PIX_FMT_RGB24 : AV_PIX_FMT_YUV420P;
    for (int i = 0; p[i] != AV_PIX_FMT_NONE; i++)
        if (p[i] == AV_PIX_FMT_YUV420P || p[i] == AV_PIX_FMT_YUVJ420P)
            return p[i];
    return avcodec_find_best_pix_fmt_of_list(p, AV_PIX_FMT_RGB24, 0, NULL);
}

static int full_range(enum AVPixelFormat f)
{
    return f == AV_PIX_FMT_YUVJ420P || f == AV_PIX_FMT_YUVJ422P || f == AV_PIX_FMT_YUVJ444P;
}

/* Options FFmpeg did not take: a usage error naming the first. */
static int leftover(const vidw *v, AVDictionary *d, const char *whose, yerr *err)
{
    const AVDictionaryEntry *e = av_dict_get(d, "", NULL, AV_DICT_IGNORE_SUFFIX);
    if (!e)
        return 0;
    return yerr_set(err, YOLO_EUSAGE, "%s: option '%s' is not one of the %s's", v->cfg.path,
                    e->key, whose);
}

static int open_encoder(vidw *v, const AVCodec *codec, AVRational rate, yerr *err)
{
    AVCodecContext *e = v->enc = avcodec_alloc_context3(codec);
    if (!e)
        return yerr_set(err, YOLO_EIO, "out of memory");
    e->opaque = v->last_log;
    e->width = v->w, e->height = v->h;
    e->time_base = av_inv_q(rate);
    e->framerate = rate;
    e->pix_fmt = pick_pix_fmt(codec);
    e->color_range = full_range(e->pix_fmt) ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
    e->colorspace = AVCOL_SPC_SMPTE170M;   /* swscale's RGB to YUV: BT.601 */
    e->thread_count = 1;                    /* the network wants the cores */
    if (v->mux->oformat->flags & AVFMT_GLOBALHEADER)
        e->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    AVDictionary *d = NULL;
    int rc = vid_dict(v->cfg.options, v->cfg.noptions, &d, "encoder", err);
    if (rc == 0 && strcmp(codec->name, "libx264") == 0 && !av_dict_get(d, "preset", NULL, 0))
        av_dict_set(&d, "preset", "veryfast", 0);
    if (rc == 0 && (rc = avcodec_open2(e, codec, &d)) < 0)
        rc = av_failed(v, YOLO_EIO, rc, err, "cannot start the encoder");
    if (rc == 0)
        rc = leftover(v, d, "encoder", err);
    av_dict_free(&d);
    return rc;
}

static int open_output(vidw *v, AVRational rate, yerr *err)
{
    AVFormatContext *m = v->mux;
    if (!(v->st = avformat_new_stream(m, NULL)))
        return yerr_set(err, YOLO_EIO, "out of memory");
    int rc = avcodec_parameters_from_context(v->st->codecpar, v->enc);
    if (rc < 0)
        return av_failed(v, YOLO_EIO, rc, err, "encoder parameters");
    v->st->time_base = v->enc->time_base;
    v->st->avg_frame_rate = rate;
    const char *url = to_stdout(&v->cfg) ? "pipe:1" : v->cfg.path;
    if (!(m->oformat->flags & AVFMT_NOFILE) &&
        (rc = avio_open(&m->pb, url, AVIO_FLAG_WRITE)) < 0)
        return av_failed(v, YOLO_EIO, rc, err, "cannot write");
    AVDictionary *d = NULL;
    /* mp4 and mov on a pipe: fragments, since the index cannot be written back */
    if (to_stdout(&v->cfg) && (!strcmp(m->oformat->name, "mp4") || !strcmp(m->oformat->name, "mov")))
        av_dict_set(&d, "movflags", "frag_keyframe+empty_moov", 0);
    rc = avformat_write_header(m, &d);
    av_dict_free(&d);
    if (rc < 0)
        return av_failed(v, YOLO_EIO, rc, err, "cannot start the video");
    v->header = 1;
    return 0;
}

int vidw_open(vidw *v, const vidw_cfg *cfg, int w, int h, double fps, yerr *err)
{
    memset(v, 0, sizeof *v);
    v->cfg = *cfg;
    v->w = w, v->h = h;
    vid_quiet_ffmpeg();
    AVRational rate = av_d2q(fps, 100000);
    const AVOutputFormat *of = pick_format(cfg, err);
    const AVCodec *codec = of ? pick_codec(cfg, of, err) : NULL;
    if (!codec)
        return -1;
    v->open = 1;
    int rc = avformat_alloc_output_context2(&v->mux, of, NULL, to_stdout(cfg) ? "pipe:1" : cfg->path);
    if (rc < 0 || !v->mux)
        rc = yerr_set(err, YOLO_EIO, "out of memory");
    else
        v->mux->opaque = v->last_log;
    if (rc >= 0)
        rc = open_encoder(v, codec, rate, err);
    if (rc >= 0)
        rc = open_output(v, rate, err);
    if (rc >= 0 && (!(v->frm = av_frame_alloc()) || !(v->pkt = av_packet_alloc())))
        rc = yerr_set(err, YOLO_EIO, "out of memory");
    if (rc >= 0) {
        v->frm->format = v->enc->pix_fmt;
        v->frm->width = w, v->frm->height = h;
        if ((rc = av_frame_get_buffer(v->frm, 0)) < 0)
            rc = av_failed(v, YOLO_EIO, rc, err, "frame buffer");
    }
    if (rc < 0) {
        v->header = 0;       /* nothing worth a trailer */
        vidw_close(v, NULL);
        return -1;
    }
    return 0;
}

/* The encoder's packets so far into the file. */
static int drain(vidw *v, yerr *err)
{
    for (;;) {
        int rc = avcodec_receive_packet(v->enc, v->pkt);
        if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF)
            return 0;
        if (rc < 0)
            return av_failed(v, YOLO_EIO, rc, err, "encoding");
        av_packet_rescale_ts(v->pkt, v->enc->time_base, v->st->time_base);
        v->pkt->stream_index = v->st->index;
        rc = av_interleaved_write_frame(v->mux, v->pkt);
        if (rc < 0)
            return av_failed(v, YOLO_EIO, rc, err, "write error");
    }
}

static int convert(vidw *v, const unsigned char *rgb, int w, int h, yerr *err)
{
    v->sws = sws_getCachedContext(v->sws, w, h, AV_PIX_FMT_RGB24, v->w, v->h, v->enc->pix_fmt,
                                  SWS_BICUBIC, NULL, NULL, NULL);
    if (!v->sws)
        return yerr_set(err, YOLO_EIO, "%s: no conversion from RGB to %s", v->cfg.path,
                        av_get_pix_fmt_name(v->enc->pix_fmt));
    const int *cs = sws_getCoefficients(SWS_CS_ITU601);
    sws_setColorspaceDetails(v->sws, cs, 1, cs, full_range(v->enc->pix_fmt), 0, 1 << 16,
                             1 << 16);
    int rc = av_frame_make_writable(v->frm);
    if (rc < 0)
        return av_failed(v, YOLO_EIO, rc, err, "frame buffer");
    const uint8_t *src[4] = {rgb};
    int stride[4] = {w * 3};
    sws_scale(v->sws, src, stride, 0, h, v->frm->data, v->frm->linesize);
    return 0;
}

int vidw_write(vidw *v, const unsigned char *rgb, int w, int h, yerr *err)
{
    if (convert(v, rgb, w, h, err) < 0)
        return -1;
    v->frm->pts = v->frames;
    int rc = avcodec_send_frame(v->enc, v->frm);
    if (rc < 0)
        return av_failed(v, YOLO_EIO, rc, err, "encoding");
    v->frames++;
    return drain(v, err);
}

int vidw_close(vidw *v, yerr *err)
{
    if (!v->open)
        return 0;
    yerr ignored;
    yerr *e = err ? err : &ignored;
    int rc = 0;
    if (v->header) {
        int s = avcodec_send_frame(v->enc, NULL);
        rc = s < 0 ? av_failed(v, YOLO_EIO, s, e, "encoding") : drain(v, e);
        if ((s = av_write_trailer(v->mux)) < 0 && rc == 0)
            rc = av_failed(v, YOLO_EIO, s, e, "cannot end the video");
    }
    if (v->mux && !(v->mux->oformat->flags & AVFMT_NOFILE) && v->mux->pb) {
        int s = avio_closep(&v->mux->pb);
        if (s < 0 && rc == 0)
            rc = av_failed(v, YOLO_EIO, s, e, "write error");
    }
    avformat_free_context(v->mux);
    avcodec_free_context(&v->enc);
    sws_freeContext(v->sws);
    av_frame_free(&v->frm);
    av_packet_free(&v->pkt);
    v->mux = NULL, v->sws = NULL, v->open = 0, v->header = 0;
    return rc;
}
