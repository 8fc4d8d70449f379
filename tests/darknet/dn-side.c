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

#include "dn-images.c.inc"

static void head_of(network *net, int i, dn_head *h)
{
    layer *l = &net->layers[i], *in = &net->layers[i - 1];
    memset(h, 0, sizeof *h);
    h->type = l->type == REGION ? DN_REGION : l->type == YOLO ? DN_YOLO : DN_DETECTION;
    h->raw = in->output;    /* forward_network passes each layer's output on */
    h->n = l->inputs;
    h->c = l->c, h->h = l->h, h->w = l->w;
    h->classes = l->classes, h->coords = l->coords, h->num = l->n, h->total = l->total;
    h->side = l->side, h->softmax = l->softmax, h->sqrt_wh = l->sqrt;
    h->scale_xy = 1;
    int pairs = h->type == DN_YOLO ? l->total : h->type == DN_REGION ? l->n : 0;
    for (int k = 0; k < 2 * pairs && k < 128; k++)
        h->anchors[k] = l->biases[k];
    for (int k = 0; h->type == DN_YOLO && k < l->n && k < 64; k++)
        h->mask[k] = l->mask[k];
}

int dn_detect(void *dn, const char *jpg, int letterbox, int *imw, int *imh, dn_head *heads,
              int *nheads)
{
    network *net = dn;
    image im = load_image_color((char *)jpg, 0, 0);
    if (!im.data)
        return -1;
    image sized = letterbox ? letterbox_image(im, net->w, net->h)
                            : resize_image(im, net->w, net->h);
    network_predict(net, sized.data);
    *imw = im.w, *imh = im.h, *nheads = 0;
    for (int i = 1; i < net->n && *nheads < DN_MAX_HEADS; i++) {
        LAYER_TYPE t = net->layers[i].type;
        if (t == REGION || t == YOLO || t == DETECTION)
            head_of(net, i, &heads[(*nheads)++]);
    }
    free_image(im);
    free_image(sized);
    return 0;
}

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
        if (net->layers[i].type == REGION || net->layers[i].type == YOLO ||
            net->layers[i].type == DETECTION)
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
