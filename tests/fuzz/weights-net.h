/* The small network whose weights files fuzz_weights reads (and seedgen
 * writes seeds for): every layer type that has parameters, and every part
 * of the weights file layout: batch norm, a flipped (transposed) conv, a
 * local layer, a connected layer with batch norm (transposed in files of
 * version major or minor > 1000). 349 floats. */
#ifndef YOLO_FUZZ_WEIGHTS_NET_H
#define YOLO_FUZZ_WEIGHTS_NET_H

#include "yolo/net/cfg.h"
#include "yolo/net/network.h"

static const char fuzz_weights_cfg[] =
    "[net]\nwidth=6\nheight=6\nchannels=3\n"
    "[convolutional]\nbatch_normalize=1\nfilters=2\nsize=3\nstride=1\npad=1\n"
    "activation=leaky\n"
    "[convolutional]\nfilters=3\nsize=1\nstride=1\nflipped=1\nactivation=linear\n"
    "[local]\nfilters=1\nsize=3\nstride=2\npad=1\nactivation=linear\n"
    "[connected]\noutput=2\nbatch_normalize=1\nactivation=linear\n";

/* The network, parameters zero. 0, or -1 with err. */
static inline int fuzz_weights_net(cfg *c, network *net, yerr *err)
{
    if (cfg_parse(c, "fuzz-weights.cfg", fuzz_weights_cfg, sizeof fuzz_weights_cfg - 1, err) < 0)
        return -1;
    if (net_load(c, net, err) < 0) {
        cfg_free(c);
        return -1;
    }
    return 0;
}

#endif
