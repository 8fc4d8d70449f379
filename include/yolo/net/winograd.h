/* Winograd F(4x4, 3x3) convolution for inference: 3x3 kernel, stride 1,
 * pad 1 ("same"), groups 1, any h and w. Each 4x4 block of output ("tile")
 * comes from a 6x6 block of input; both are moved into a 36-point transform
 * domain where the convolution is an element-wise product, summed over input
 * channels: for each of the 36 points e, one matrix product
 *   M_e [kout, tiles] = U_e [kout, cin] . V_e [cin, tiles]
 * through gemm_f32. 36 multiplications per 16 outputs per channel pair
 * instead of 144: 4x fewer than direct convolution.
 *
 * Interpolation points 0, 1, -1, 2, -2 and infinity (Lavin's matrices). The
 * result equals conv.c's im2col + GEMM up to float rounding, which is ~10x
 * larger than direct convolution's: max |error| / max |output| <= 7.3e-6
 * on the 3x3 layers of yolov2-voc with random weights (bench/forward/wino.c
 * --accuracy), against <= 1e-6 for im2col + GEMM.
 *
 * Tiles of every image of the batch are numbered together (image, tile row,
 * tile column) and processed in blocks of `block` tiles: transform the
 * input of a block into V [36, cin, block], 36 products into M [36, kout,
 * block], transform M back into the output (bias and activation fused).
 * U is read once per block, so a batch reads it fewer times per image
 * than one image does. U takes 4x the memory of the 3x3 weights.
 *
 * Threads: wino_forward opens its own OpenMP parallel region: the input
 * transform split by channel (and 16-tile segment), the 36 products among
 * the threads (each product on one thread: gemm_f32 inside a parallel
 * region), the output transform split by filter (and segment). Call it
 * outside a parallel region (inside one, with nested parallelism off as
 * by default, it runs on the calling thread).
 * No state is kept between calls; all memory is the caller's.
 *
 * Shapes: batch, cin, kout, h, w >= 1. */
#ifndef YOLO_WINOGRAD_H
#define YOLO_WINOGRAD_H

#include <stddef.h>

#include "yolo/net/network.h"

#define WINO_POINTS 36   /* 6x6 transform points per tile */

typedef struct {
    int batch, cin, kout;     /* images, input channels, filters */
    int h, w;                 /* input size = output size */
    int block;                /* tiles per block; 0: wino_block's choice */
    int portable;             /* 1: the plain C transforms even on an AVX-512 CPU (tests) */
    int accumulate;           /* 1: out += the result (a gradient), 0: out = it */
    int back;                 /* u from wino_transform_weights_back: [36, cin, kout] */
} wino_conv;

/* Floats of the transformed weights U: 36 * kout * cin. */
size_t wino_weights_floats(int kout, int cin);

/* u [36, kout, cin] = G w G^T per filter and channel, from w [kout, cin, 3, 3]
 * (darknet's layout, batch norm already folded in), in float. Inference:
 * once, after the fold; training: after every step. */
void wino_transform_weights(int kout, int cin, const float *w, float *u);
/* The same for the input's gradient, a "same" 3x3 convolution of dL/d out
 * [kout, h, w] with each kernel turned by 180 degrees, filters and channels
 * swapped: u [36, kout, cin] of the turned kernels, for wino_forward with
 * cin and kout swapped and back = 1 (its products read u transposed, so
 * this transform streams through w and u in order). */
void wino_transform_weights_back(int kout, int cin, const float *w, float *u);

/* Tiles of the whole batch: batch * ceil(h/4) * ceil(w/4). */
long wino_tiles(const wino_conv *cv);

/* Tiles per block the layer runs with: cv->block if set (clamped to
 * [1, wino_tiles]), else a choice that keeps V and M ([36, cin + kout,
 * block] floats) near a cache-sized budget, but large enough that U is
 * read few times. */
int wino_block(const wino_conv *cv);

/* Floats of workspace wino_forward needs: 36 * (cin + kout) * wino_block. */
size_t wino_work_floats(const wino_conv *cv);

/* out [batch, kout, h, w] = act(conv3x3(in [batch, cin, h, w], w) + bias
 * [kout] (NULL: none)), or out += it (accumulate), zero padding 1, stride 1; u from wino_transform_weights; work
 * [wino_work_floats(cv)], its contents ignored. in, out and work must not
 * overlap. */
void wino_forward(const wino_conv *cv, const float *u, const float *bias, act_type act,
                  const float *in, float *out, float *work);

/* 1 if Winograd beats im2col + GEMM for this layer, 0 if not, from
 * bench/forward/wino.c on this project's machine (AMD Zen 5, 2 cores,
 * gemm_f32's AVX-512 kernel): cin >= 16 and kout >= 16. With fewer input
 * channels (the first layer, cin = 3) the transforms cost more than the
 * products they save (0.9x to 1.0x); every other 3x3 layer of yolov2-voc,
 * yolov2-tiny-voc and yolov3-tiny at 416 ran 1.1x (16 -> 32 at 208) to
 * 2.5x faster, batch 1 and 8. */
int wino_worth_it(const wino_conv *cv);

#endif
