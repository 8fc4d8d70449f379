/* The moving average of a network's parameters (include/yolo/net/ema.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "yolo/net/ema.h"
#include "yolo/net/weights.h"

/* Arrays longer than this are averaged by all threads (element by element:
 * the same bits for any number), as the optimiser's updates are. */
#define EMA_PAR_MIN 65536

int ema_init(net_ema *e, const network *net, double decay, double tau, yerr *err)
{
    memset(e, 0, sizeof *e);
    if (!(decay > 0 && decay < 1) || !(tau >= 0))
        return yerr_set(err, YOLO_EUSAGE, "EMA decay %g, tau %g: the decay must be above 0 "
                        "and below 1, tau 0 or more", decay, tau);
    e->avg = malloc((net->nparams ? net->nparams : 1) * sizeof *e->avg);
    if (!e->avg)
        return yerr_set(err, YOLO_EIO, "out of memory for the EMA of %zu parameters",
                        net->nparams);
    memcpy(e->avg, net->params, net->nparams * sizeof *e->avg);
    e->n = net->nparams, e->decay = decay, e->tau = tau;
    return 0;
}

double ema_factor(const net_ema *e, uint64_t updates)
{
    return e->tau > 0 ? e->decay * (1 - exp(-(double)updates / e->tau)) : e->decay;
}

void ema_update(net_ema *e, const network *net)
{
    double d = ema_factor(e, ++e->updates);
    float keep = (float)d, take = (float)(1 - d);
    float *avg = e->avg;            /* [n] */
    const float *p = net->params;   /* [n] */
    size_t n = e->n;
#pragma omp parallel for schedule(static) if (n > EMA_PAR_MIN)
    for (size_t i = 0; i < n; i++)
        avg[i] = keep * avg[i] + take * p[i];
}

int ema_write(const net_ema *e, const network *net, const char *path, yerr *err)
{
    if (e->n != net->nparams)
        return yerr_set(err, YOLO_EUSAGE, "%s: the EMA has %zu parameters, the network %zu",
                        path, e->n, net->nparams);
    return weights_write_params(net, e->avg, path, err);
}

void ema_free(net_ema *e)
{
    free(e->avg);
    memset(e, 0, sizeof *e);
}
