/* Video in: frames decoded from a file, a camera or a network stream with
 * FFmpeg's libraries (libavformat, libavcodec, libswscale, libavdevice),
 * each as 8-bit RGB bytes [h][w][3] at the video's own size, and the
 * records the frames stage writes from them (docs/records.md: `frame`).
 *
 *     vid_in v;
 *     if (vid_open(&v, &(vid_in_cfg){.source = "in.mp4"}, &err) < 0) ...
 *     while ((rc = vid_next(&v, &f, &err)) == 1) ... f.rgb, f.number, f.time ...
 *     rc == 0: v.end says how it ended (the file's end, a stream cut)
 *     vid_close(&v);
 *
 * FFmpeg's own messages are not printed: the last error or warning it
 * logged about this video is kept (last_log) and goes into our messages. */
#ifndef YOLO_VIDEO_H
#define YOLO_VIDEO_H

#include <stddef.h>
#include <stdint.h>

#include "yolo/base/err.h"
#include "yolo/records/record.h"

#define VID_MAX_OPTIONS 16
#define VID_LOG_LEN 256       /* bytes of FFmpeg's last message kept */

/* FFmpeg's messages kept instead of printed: one about a format or codec
 * context whose opaque points to a VID_LOG_LEN buffer lands there (errors
 * and warnings), the rest are dropped. vid_open calls it; the writer too. */
void vid_quiet_ffmpeg(void);
/* FFmpeg's words for an AVERROR code. */
void vid_av_error(int averr, char *buf, size_t n);
/* KEY=VALUE strings kv [n] into FFmpeg's dictionary *d: 0, or -1 with err
 * (YOLO_EUSAGE "WHAT option 'x': expected KEY=VALUE"; YOLO_EIO). */
struct AVDictionary;
int vid_dict(const char *const *kv, int n, struct AVDictionary **d, const char *what, yerr *err);

/* SIGINT and SIGTERM end the frames cleanly (vid_next returns 0, "stopped
 * by signal N") instead of killing the process in the middle of a record;
 * vid_signalled() is the signal, 0 before one. */
void vid_catch_signals(void);
int vid_signalled(void);

/* Seconds on CLOCK_MONOTONIC, and on the wall clock (Unix time). */
double vid_clock(void);
double vid_wall_clock(void);
/* Sleeps until `start + t` on vid_clock (a file read at its own pace). */
void vid_pace(double start, double t);

typedef struct vid_in_cfg {
    const char *source;   /* a file, a V4L2 device (/dev/video0), a URL (rtsp://, http://) */
    const char *format;   /* FFmpeg's input format (v4l2, mjpeg, ...), NULL: probed (v4l2
                             for /dev/video*) */
    const char *options[VID_MAX_OPTIONS]; /* KEY=VALUE for the input (video_size=640x480,
                                             rtsp_transport=tcp, ...), [noptions] */
    int noptions;
    double timeout;       /* a camera or stream that gives nothing for this many seconds
                             is lost; 0: wait for ever */
} vid_in_cfg;

/* How the frames ended (vid_next returned 0). */
typedef enum {
    VID_END_EOF,          /* the file or stream ended normally */
    VID_END_TRUNCATED,    /* a file that ends before its own index or size says */
    VID_END_LOST,         /* a camera or network stream failed (connection dropped) */
    VID_END_TIMEOUT,      /* a camera or network stream gave nothing for `timeout` s */
    VID_END_STOPPED,      /* SIGINT or SIGTERM (vid_catch_signals) */
} vid_end;

typedef struct vid_frame {
    const unsigned char *rgb; /* [h][w][3], owned by the vid_in until the next vid_next */
    int w, h;
    int64_t number;       /* frames decoded before this one (0, 1, 2, ...) */
    int has_pts;
    int64_t pts;          /* in the stream's time base, when has_pts */
    double time;          /* seconds from the first frame (pts based; number / fps without) */
} vid_frame;

typedef struct vid_in {
    vid_in_cfg cfg;
    struct AVFormatContext *fmt;
    struct AVCodecContext *dec;
    struct SwsContext *sws;
    struct AVPacket *pkt;
    struct AVFrame *frm;
    int stream;           /* the video stream's index */
    int live;             /* a camera or a network stream, not a file */
    double fps;           /* the stream's frame rate, 0 when unknown */
    double tb;            /* seconds per pts tick */
    int64_t first_pts;    /* of the first frame, INT64_MIN before it */
    int64_t expected;     /* frames the file says it holds, 0 when unknown */
    double duration;      /* seconds the file says it lasts, 0 when unknown */
    const char *codec;    /* the decoder's name */
    unsigned char *rgb;   /* [h][w][3] of the last frame */
    int rgb_w, rgb_h, sws_w, sws_h, sws_fmt;
    int64_t decoded;      /* frames given so far */
    double last_time;     /* time of the last frame given */
    int64_t bad_packets;  /* packets the decoder refused (corrupt data), skipped */
    char first_bad[256];  /* what the first of them was */
    int draining;         /* the input is done: the decoder's last frames */
    vid_end end;
    char end_msg[512];    /* the reason, for the stage's closing message */
    double deadline;      /* CLOCK_MONOTONIC seconds a blocking read may last until */
    char last_log[VID_LOG_LEN];   /* FFmpeg's last error or warning about this video */
} vid_in;

/* Opens cfg->source and its first video stream's decoder. 0, or -1 with
 * err: YOLO_EIO when the source cannot be opened (no such file or camera, a
 * refused connection, no permission); YOLO_EINPUT when it opens but is not
 * a video FFmpeg decodes (an empty file, not a video, no video stream, a
 * codec this FFmpeg has no decoder for). The message names the source. */
int vid_open(vid_in *v, const vid_in_cfg *cfg, yerr *err);

/* The next frame: 1 with *f; 0 at the end (v->end, v->end_msg say how);
 * -1 with err when memory runs out (YOLO_EIO). Packets the decoder refuses
 * are counted in bad_packets and skipped. */
int vid_next(vid_in *v, vid_frame *f, yerr *err);

void vid_close(vid_in *v);

/* One line describing the open video: "h264 640x480, 25 fps, 50 frames (2.0 s)". */
void vid_describe(const vid_in *v, char *buf, size_t n);

/* ---- thinning ---------------------------------------------------------- */

/* Which frames the frames stage keeps: every `every`-th (1: all), and at
 * most `fps` a second (0: no limit) by their times: frame t is kept when it
 * falls in a later 1/fps slot (floor(t * fps)) than the last kept one. */
typedef struct vid_thin {
    long every;
    double fps;
    int64_t last_slot;    /* INT64_MIN before the first kept frame */
} vid_thin;

void vid_thin_init(vid_thin *t, long every, double fps);
int vid_thin_keep(vid_thin *t, const vid_frame *f);   /* 1 keep, 0 drop */
/* The rate of the kept frames, from the source's (0 when unknown). */
double vid_thin_rate(const vid_thin *t, double source_fps);

/* ---- records ----------------------------------------------------------- */

/* r cleared and filled as docs/records.md says a frame record is: id (the
 * frame number in decimal), pts (when the frame has one), time, fps (when
 * known: out_fps), width, height, frame (u8 [h, w, 3]). */
int vid_frame_record(rec *r, const vid_frame *f, double out_fps, yerr *err);

#endif
