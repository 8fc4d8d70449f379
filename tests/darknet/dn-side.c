/* See dn-side.h. */
#include <darknet.h>
#include <math.h>
#include <sys/stat.h>

#include "dn-side.h"

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

int dn_image_rgb(const char *path, int w, int h, unsigned char *rgb)
{
    image im = load_image_color((char *)path, 0, 0);
    if (!im.data)
        return -1;
    image sized = resize_image(im, w, h);
    for (int c = 0; c < 3; c++)          /* darknet's images are [c, h, w] in [0, 1] */
        for (int i = 0; i < w * h; i++) {
            float v = sized.data[c * w * h + i] * 255.0f;
            rgb[i * 3 + c] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : lrintf(v));
        }
    free_image(im);
    free_image(sized);
    return 0;
}

int dn_load_color(const char *path, int w, int h, float *out)
{
    image im = load_image_color((char *)path, 0, 0);
    int ok = im.data && im.w == w && im.h == h && im.c == 3;
    for (int i = 0; ok && i < w * h * 3; i++)
        out[i] = im.data[i];
    free_image(im);
    return ok ? 0 : -1;
}

int dn_resize(const float *data, int sw, int sh, int c, int w, int h, int letterbox,
              float *out)
{
    image im = make_image(sw, sh, c);
    if (!im.data)
        return -1;
    for (int i = 0; i < sw * sh * c; i++)
        im.data[i] = data[i];
    image r = letterbox ? letterbox_image(im, w, h) : resize_image(im, w, h);
    int ok = r.data && r.w == w && r.h == h && r.c == c;
    for (int i = 0; ok && i < w * h * c; i++)
        out[i] = r.data[i];
    free_image(im);
    free_image(r);
    return ok ? 0 : -1;
}
