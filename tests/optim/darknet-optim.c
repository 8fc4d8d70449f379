/* The libdarknet side of tests/optim/make-darknet-fixtures.sh (not built by
 * the Makefile: it needs Debian's libdarknet).
 *   darknet-optim rate CFG IT...  prints "rate IT RATE": get_current_rate
 *                                 with seen = IT * batch (its batch_num = IT)
 *   darknet-optim sgd CFG         fills every parameter from the stream below
 *                                 in weights-file order, then 3 times adds
 *                                 -G (a stream of gradient sums, file order)
 *                                 to the *_updates arrays, sets seen to
 *                                 k * batch as train_network_datum leaves it
 *                                 and calls update_network; prints "param V"
 *                                 for every parameter in file order.
 * test_optim.c replays the same stream. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "darknet.h"

static unsigned long long lcg = 12345;

/* uniform in [-0.5, 0.5): 24 bits of a 64-bit LCG (Knuth's MMIX constants) */
static float next(void)
{
    lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((lcg >> 40) / 16777216.0) - 0.5f;
}

/* What to do with one array of the file-order walk. */
enum { FILL, GRAD, SKIP, PUT };

static void walk_array(float *p, int n, int op)
{
    for (int i = 0; i < n; i++) {
        if (op == FILL)
            p[i] = next();
        else if (op == GRAD)
            p[i] += -8 * next();
        else if (op == SKIP)
            next();
        else
            printf("param %.9g\n", p[i]);
    }
}

/* Every parameter in weights-file order: for each array, its values (op) or
 * its update buffer (GRAD; rolling statistics skipped). */
static void walk(network *net, int op)
{
    int g = op == GRAD, roll = g ? SKIP : op;
    for (int i = 0; i < net->n; i++) {
        layer *l = &net->layers[i];
        if (l->type == CONVOLUTIONAL) {
            walk_array(g ? l->bias_updates : l->biases, l->n, op);
            walk_array(g ? l->scale_updates : l->scales, l->n, op);
            walk_array(l->rolling_mean, l->n, roll);
            walk_array(l->rolling_variance, l->n, roll);
            walk_array(g ? l->weight_updates : l->weights, l->nweights, op);
        } else if (l->type == LOCAL) {
            int nw = l->size * l->size * l->c * l->n * l->out_w * l->out_h;
            walk_array(g ? l->bias_updates : l->biases, l->outputs, op);
            walk_array(g ? l->weight_updates : l->weights, nw, op);
        } else if (l->type == CONNECTED) {
            walk_array(g ? l->bias_updates : l->biases, l->outputs, op);
            walk_array(g ? l->weight_updates : l->weights, l->inputs * l->outputs, op);
            walk_array(g ? l->scale_updates : l->scales, l->outputs, op);
            walk_array(l->rolling_mean, l->outputs, roll);
            walk_array(l->rolling_variance, l->outputs, roll);
        }
    }
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: darknet-optim rate CFG IT... | sgd CFG\n");
        return 1;
    }
    network *net = parse_network_cfg(argv[2]);
    size_t per_update = (size_t)net->batch * net->subdivisions;
    if (!strcmp(argv[1], "rate")) {
        for (int k = 3; k < argc; k++) {
            long it = atol(argv[k]);
            *net->seen = (size_t)it * per_update;
            printf("rate %ld %.9g\n", it, get_current_rate(net));
        }
        return 0;
    }
    walk(net, FILL);
    for (int k = 1; k <= 3; k++) {
        walk(net, GRAD);
        *net->seen = (size_t)k * per_update;
        update_network(net);
    }
    walk(net, PUT);
    return 0;
}
