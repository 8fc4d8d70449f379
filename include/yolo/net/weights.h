/* darknet .weights files: a header (major, minor, revision as int32, then
 * `seen`: uint64 from version 0.2 on, uint32 before) and every layer's
 * parameters as little-endian float32, in layer order:
 *   convolutional: biases[n], (batch norm: scales[n], mean[n], variance[n]),
 *                  weights[n, c/groups, size, size] (transposed if flipped=1)
 *   connected:     biases[out], weights[out, in] (stored [in, out] when major
 *                  or minor > 1000), (batch norm: scales, mean, variance)
 *   local:         biases[out_c*out_h*out_w], weights[locations, n, c*size*size]
 * network.c lays net->params out in this order, so the body is one read.
 * Unlike darknet, the file must hold exactly the floats the cfg needs. */
#ifndef YOLO_WEIGHTS_H
#define YOLO_WEIGHTS_H

#include <stdint.h>

#include "yolo/net/network.h"

/* Reads path into net's parameters. A file whose size is not exactly the
 * header plus the cfg's floats is refused, naming both counts and, when
 * short, the layer it ends in. On error the header fields are unchanged
 * (the parameters are too, unless the read itself failed). */
int weights_read(network *net, const char *path, yerr *err);
/* The same for a file that may hold only the first layers (a backbone cut
 * by darknet's `partial` or weights_write_upto): it must end at a layer
 * boundary; *nlayers is how many layers it holds (layers without
 * parameters right after the last one read count as held), and the layers
 * after those keep the values they had. A file that ends inside a layer or
 * holds more than the cfg needs is refused as by weights_read. */
int weights_read_partial(network *net, const char *path, int *nlayers, yerr *err);
/* Writes what weights_read read back byte for byte (same header, same seen
 * width, transposed parts transposed back); a built network never read
 * gets darknet's current header: 0.2.0, 64-bit seen. Written to PATH.tmp,
 * fsynced, renamed over path, the folder fsynced (a durable yfile): a
 * crash or a power loss leaves the old file or the new one. */
int weights_write(const network *net, const char *path, yerr *err);
/* The same file with params [net->nparams], laid out as net->params, as its
 * body (net's header and seen): another set of values for the same
 * network, such as an average of its parameters (net/ema.h). */
int weights_write_params(const network *net, const float *params, const char *path, yerr *err);
/* Layers [0, nlayers) as darknet's `partial` writes them: header 0.2.0,
 * seen 0 (64-bit), then those layers' parameters in file order. */
int weights_write_upto(const network *net, const char *path, int nlayers, yerr *err);

/* Fills every parameter from the seed so a forward pass is meaningful:
 * weights He-normal (sd sqrt(2/fan_in)) as darknet initialises them, biases
 * N(0, 0.1), batch-norm scales U[0.5, 1.5), means N(0, 0.1), variances
 * U[0.5, 1.5) (darknet starts variances at 0, which only training fixes).
 * Same seed, same network: same numbers. */
void weights_random(network *net, uint64_t seed);

#endif
