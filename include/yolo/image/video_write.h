/* Video out: RGB pictures encoded and muxed with FFmpeg's libraries into a
 * file, or a stream on standard output (for ffplay, or an ffmpeg command).
 *
 *     vidw w;
 *     vidw_cfg c = {.path = "out.mp4"};
 *     vidw_open(&w, &c, 640, 480, 25.0, &err);
 *     vidw_write(&w, rgb, 640, 480, &err);   ... one call per frame
 *     vidw_close(&w, &err);                  flushes the encoder, ends the file
 *
 * Frames are numbered 0, 1, 2, ... at the constant rate given: every
 * picture written is one frame of the video. */
#ifndef YOLO_VIDEO_WRITE_H
#define YOLO_VIDEO_WRITE_H

#include "yolo/base/err.h"
#include "yolo/image/video.h"

typedef struct vidw_cfg {
    const char *path;     /* a file, or "-": standard output */
    const char *format;   /* FFmpeg's muxer (mp4, matroska, avi, mjpeg, nut, rawvideo, ...);
                             NULL: told by the path's extension, "-": mjpeg */
    const char *codec;    /* an encoder (libx264, mpeg4, mjpeg, rawvideo, ...); NULL: the
                             muxer's usual one (libx264 gets preset veryfast) */
    const char *options[VID_MAX_OPTIONS]; /* KEY=VALUE for the encoder (crf=20, ...) */
    int noptions;
} vidw_cfg;

typedef struct vidw {
    vidw_cfg cfg;
    struct AVFormatContext *mux;
    struct AVCodecContext *enc;
    struct AVStream *st;
    struct SwsContext *sws;
    struct AVFrame *frm;
    struct AVPacket *pkt;
    int w, h;             /* the video's size */
    int in_w, in_h;       /* the pictures' size the converter is set for */
    int64_t frames;       /* written so far */
    int header, open;     /* the header is written; the writer holds resources */
    char last_log[VID_LOG_LEN];
} vidw;

/* Opens path and an encoder for w x h pictures at fps frames a second.
 * 0, or -1 with err: YOLO_EUSAGE for an unknown format, codec or option,
 * or a format that cannot go to a pipe; YOLO_EIO when the file cannot be
 * made or the encoder cannot start. */
int vidw_open(vidw *v, const vidw_cfg *cfg, int w, int h, double fps, yerr *err);

/* Encodes one picture rgb [h][w][3] as the next frame; a picture of
 * another size than the video's is scaled to it. 0, or -1 with err
 * (YOLO_EIO: a write failed, out of memory). */
int vidw_write(vidw *v, const unsigned char *rgb, int w, int h, yerr *err);

/* Flushes the encoder and ends the file (its index, for mp4). 0, or -1.
 * Frees everything either way; a closed or never opened vidw is a no-op. */
int vidw_close(vidw *v, yerr *err);

#endif
