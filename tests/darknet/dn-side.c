/* See dn-side.h. */
#include <darknet.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dn-side.h"

const char *dn_name(void) { return "libdarknet (Debian 0.0.0+git20180914.61c9d02e)"; }

void *dn_load(const char *cfg_path)
{
    network *net = parse_network_cfg((char *)cfg_path);
    set_batch_network(net, 1);
    return net;
}

int dn_layers(void *dn) { return ((network *)dn)->n; }

dn_layer dn_get(void *dn, int i)
{
    layer *l = &((network *)dn)->layers[i];
    return (dn_layer){l->out_c, l->out_h, l->out_w, l->outputs, l->nweights, l->nbiases,
                      l->output};
}

long dn_params(void *dn, const char *tmp)
{
    save_weights(dn, (char *)tmp);
    struct stat st;
    long n = stat(tmp, &st) == 0 ? (long)((st.st_size - 20) / 4) : -1;
    remove(tmp);
    return n;
}

void dn_load_weights(void *dn, const char *path) { load_weights(dn, (char *)path); }

void dn_predict(void *dn, float *input) { network_predict(dn, input); }

void dn_free(void *dn) { free_network(dn); }

/* pjreddie's yolo heads have no scale_x_y */
#define DN_SCALE_XY(l) 1.0f
#include "dn-common.c.inc"

float dn_diou(void *dn)
{
    (void)dn;
    return 0;
}

int dn_boxes(void *dn, int imw, int imh, int letterbox, float thresh, float nms, dn_box **out)
{
    (void)letterbox;    /* pjreddie's undoes a letterbox always */
    network *net = dn;
    int n = 0, k = 0, classes = 0;
    for (int i = 0; i < net->n; i++)
        if (is_head(net->layers[i].type))
            classes = net->layers[i].classes;
    detection *d = get_network_boxes(net, imw, imh, thresh, .5, 0, 0, &n);
    if (nms > 0)
        do_nms_sort(d, n, classes, nms);
    *out = malloc(((size_t)n * classes + 1) * sizeof **out);
    for (int i = 0; *out && i < n; i++)
        for (int j = 0; j < classes; j++)
            if (d[i].prob[j] > 0)
                (*out)[k++] = (dn_box){j, d[i].prob[j], d[i].objectness, d[i].bbox.x,
                                       d[i].bbox.y, d[i].bbox.w, d[i].bbox.h};
    free_detections(d, n);
    return *out ? k : -1;
}
