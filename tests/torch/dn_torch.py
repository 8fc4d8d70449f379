"""A darknet .cfg as a PyTorch module, with darknet .weights in and out.

The layer semantics follow this project's common/net/network.c and
common/net/layers/*.c (which follow darknet's src/): the same shapes, the same
parameter order in the weights file, the same arithmetic where it matters
(batch norm divides by sqrt(var) + 1e-6, maxpool's total padding, reorg's
permutation). Heads (region, yolo, detection) hand on their input raw, as
bin/darknet-forward's `output` does; forward() returns one tensor per head.

Used by tests/torch/check_forward.py (agreement with bin/darknet-forward),
bench/forward/torch_bench.py (the PyTorch column of bench/forward.sh) and
tests/torch/make-grad-fixtures.py (gradients for tests/unit/test_backward.c).

    net = DarknetNet("yolov3-tiny.cfg")        # optional width=, height=
    net.load_weights("yolov3-tiny.weights")    # or net.random_init(seed)
    heads = net(x)                             # x: [N, 3, H, W] float32

Training (common/net/network.c with net_opts.train): net(x, train=True) runs
batch norm on the batch's mean and UNBIASED variance, x_norm = (x - mean) /
(sqrt(var) + 1e-6), and moves the rolling statistics .01 towards the
batch's (darknet's CPU forward); dropout stays the identity (no random
state: the C side's net->rng NULL). For autograd, net.trainable() first
makes every parameter a leaf tensor (float64 by default):

    leaves = net.trainable()                   # [(layer, name, tensor)]
    heads, outs = net(x.double(), every=True, train=True)

AlexeyAB's dialect (a cfg with one of the keys only his darknet reads, or
one of his activations: AB_KEYS, as common/net/cfg.c lists them): every
batch norm divides by sqrt(var + 1e-5) (net.bn_ab), [route] groups and
group_id, [maxpool] maxpool_depth, the activations mish, swish and
hard_mish; [yolo] scale_x_y is the decoder's (heads stay raw).

Needs numpy and torch (Debian: python3-numpy, python3-torch).
"""
import numpy as np
import torch
import torch.nn.functional as F

BN_EPS = .000001    # darknet: (x - mean) / (sqrt(var) + .000001)
BN_EPS_AB = .00001  # AlexeyAB's: (x - mean) / sqrt(var + .00001)
# The keys only AlexeyAB's darknet reads, per section (common/net/cfg.c's
# lists); one of them, or one of AB_ACTS, puts a cfg in his dialect.
AB_KEYS = {
    "net": "adversarial_lr attention augment_speed badlabels_rejection_percentage blur "
           "contrastive contrastive_color contrastive_jit_flip cutmix dynamic_minibatch "
           "ema_alpha equidistant_point flip gaussian_noise label_smooth_eps "
           "learning_rate_min letter_box loss_scale max_chart_loss mixup mosaic "
           "mosaic_bound num_sigmas_reject_badlabels optimized_memory resize_step "
           "seq_scales sequential_subdivisions sgdr_cycle sgdr_mult track try_fix_nan "
           "unsupervised use_cuda_graph weights_reject_freq workspace_size_limit_MB",
    "convolutional": "angle antialiasing assisted_excitation bin_output cbn coordconv "
                     "dilation grad_centr reverse rotate share_index stretch stretch_sway "
                     "stride_x stride_y sway",
    "maxpool": "antialiasing maxpool_depth maxpool_zero_nonmax out_channels stride_x stride_y",
    "route": "group_id groups",
    "shortcut": "weights_normalization weights_type",
    "region": "focal_loss resize",
    "yolo": "beta_nms cls_normalizer counters_per_class delta_normalizer dets_for_show "
            "dets_for_track embedding_layer focal_loss iou_loss iou_normalizer iou_thresh "
            "iou_thresh_kind label_smooth_eps max_delta new_coords nms_kind obj_normalizer "
            "objectness_smooth resize scale_x_y show_details sim_thresh track_ciou_norm "
            "track_history_size"}
AB_ACTS = ("mish", "swish", "hard_mish")
HEADS = ("region", "yolo", "detection")
ALIASES = {"conv": "convolutional", "network": "net", "max": "maxpool",
           "conn": "connected", "avg": "avgpool", "soft": "softmax"}


class CfgError(ValueError):
    pass


def parse_cfg(path):
    """[(section type, {key: value str}, line number)], darknet's syntax."""
    sections = []
    with open(path) as f:
        for no, raw in enumerate(f, 1):
            line = "".join(raw.split())    # darknet strips every blank
            if not line or line[0] in "#;":
                continue
            if line[0] == "[":
                if not line.endswith("]"):
                    raise CfgError(f"{path}:{no}: bad section header {raw.strip()!r}")
                name = line[1:-1]
                sections.append((ALIASES.get(name, name), {}, no))
            elif "=" in line and sections:
                k, v = line.split("=", 1)
                sections[-1][1][k] = v
            else:
                raise CfgError(f"{path}:{no}: expected key=value or [section]: {raw.strip()!r}")
    if not sections or sections[0][0] != "net":
        raise CfgError(f"{path}: the first section must be [net]")
    return sections


def _ints(s):
    return [int(v) for v in s.split(",") if v != ""]


def _floats(s):
    return [float(v) for v in s.split(",") if v != ""]


def is_ab(sections):
    """Is the cfg (parse_cfg's sections) in AlexeyAB's dialect?"""
    for kind, opts, _ in sections:
        keys = AB_KEYS.get(kind, "").split()
        if any(k in keys for k in opts) or opts.get("activation") in AB_ACTS:
            return True
    return False


def _softplus_ab(x):
    """AlexeyAB's softplus in mish: x above 20, e^x below -20."""
    return torch.where(x > 20, x, torch.where(x < -20, torch.exp(x), torch.log1p(torch.exp(x))))


def activate(x, act):
    """darknet's activation by name (src/activations.h; mish, swish and
    hard_mish: AlexeyAB's src/activations.c)."""
    if act == "linear":
        return x
    if act == "mish":
        return x * torch.tanh(_softplus_ab(x))
    if act == "swish":
        return x * torch.sigmoid(x)
    if act == "hard_mish":
        return torch.where(x > 0, x, torch.where(x > -2, x * x / 2 + x, torch.zeros_like(x)))
    if act == "leaky":
        return F.leaky_relu(x, .1)
    if act == "logistic":
        return torch.sigmoid(x)
    if act == "relu":
        return F.relu(x)
    if act == "relie":
        return torch.where(x > 0, x, .01 * x)
    if act == "ramp":
        return F.relu(x) + .1 * x
    if act == "tanh":
        return torch.tanh(x)
    if act == "elu":
        return torch.where(x >= 0, x, torch.expm1(x))
    if act == "loggy":
        return 2 * torch.sigmoid(x) - 1
    if act == "hardtan":
        return torch.clamp(x, -1, 1)
    if act == "selu":
        return torch.where(x >= 0, 1.0507 * x, 1.0507 * 1.6732 * torch.expm1(x))
    if act == "plse":
        return torch.where(x < -4, .01 * (x + 4), torch.where(x > 4, .01 * (x - 4) + 1,
                                                              .125 * x + .5))
    if act == "stair":
        n = torch.floor(x)
        return torch.where(torch.fmod(n, 2) == 0, torch.floor(x / 2), (x - n) + torch.floor(x / 2))
    if act == "lhtan":
        return torch.where(x < 0, .001 * x, torch.where(x > 1, .001 * (x - 1) + 1, x))
    raise CfgError(f"activation {act!r} is not implemented in dn_torch")


class Layer:
    """One layer: its type, cfg options, input and output shapes (c, h, w),
    parameters as named numpy arrays in weights-file order, and a forward."""

    def __init__(self, kind, opts, line, index):
        self.kind, self.opts, self.line, self.index = kind, opts, line, index
        self.params = []     # [(name, numpy float32 array)], file order
        self.t = {}          # name -> torch tensor, made by to_torch()

    def get(self, key, default):
        v = self.opts.get(key)
        if v is None:
            return default
        return type(default)(float(v)) if isinstance(default, (int, float)) else v

    def fail(self, msg):
        raise CfgError(f"layer {self.index} [{self.kind}] (cfg line {self.line}): {msg}")


def _conv(l, c, h, w, prev):
    l.n = l.get("filters", 1)
    l.size = l.get("size", 1)
    l.stride = l.get("stride", 1)
    l.pad = l.size // 2 if l.get("pad", 0) else l.get("padding", 0)
    l.groups = l.get("groups", 1)
    l.bn = l.get("batch_normalize", 0)
    l.flipped = l.get("flipped", 0)
    l.act = l.get("activation", "logistic")
    if c % l.groups or l.n % l.groups:
        l.fail(f"{l.groups} groups do not divide {c} channels and {l.n} filters")
    out_h = (h + 2 * l.pad - l.size) // l.stride + 1
    out_w = (w + 2 * l.pad - l.size) // l.stride + 1
    l.wshape = (l.n, c // l.groups, l.size, l.size)
    l.params = [("biases", l.n)]
    if l.bn:
        l.params += [("scales", l.n), ("mean", l.n), ("var", l.n)]
    l.params.append(("weights", int(np.prod(l.wshape))))
    l.flops = 2.0 * np.prod(l.wshape) * out_h * out_w
    return l.n, out_h, out_w


def _maxpool(l, c, h, w, prev):
    l.stride = l.get("stride", 1)
    l.size = l.get("size", l.stride)
    l.pad = l.get("padding", l.size - 1)     # darknet's TOTAL padding
    l.depth = l.get("maxpool_depth", 0)
    if l.depth:                # across channels: out_channels of them, same map
        l.out_channels = l.get("out_channels", 1)
        if l.out_channels > c:
            l.fail(f"{l.out_channels} output channels from {c} input channels")
        return l.out_channels, h, w
    return c, (h + l.pad - l.size) // l.stride + 1, (w + l.pad - l.size) // l.stride + 1


def _route(l, c, h, w, prev):
    l.srcs = []
    for v in _ints(l.opts.get("layers", "")):
        i = l.index + v if v < 0 else v
        if not 0 <= i < l.index:
            l.fail(f"layers={v} refers to layer {i}; 0..{l.index - 1} come before")
        l.srcs.append(i)
    if not l.srcs:
        l.fail("route needs layers=")
    shapes = [prev[i] for i in l.srcs]
    if any(s[1:] != shapes[0][1:] for s in shapes):
        l.fail(f"cannot concatenate shapes {shapes}")
    l.groups, l.group_id = l.get("groups", 1), l.get("group_id", 0)
    l.src_c = [s[0] for s in shapes]      # plain ints: the ONNX export's slices are constant
    if any(s[0] % l.groups for s in shapes) or not 0 <= l.group_id < l.groups:
        l.fail(f"groups={l.groups} group_id={l.group_id} on channels {[s[0] for s in shapes]}")
    return sum(s[0] // l.groups for s in shapes), shapes[0][1], shapes[0][2]


def _reorg(l, c, h, w, prev):
    st = l.stride = l.get("stride", 1)
    l.reverse = l.get("reverse", 0)
    if l.reverse:
        shape = (c // (st * st), h * st, w * st)
    else:
        if h % st or w % st or c % (st * st):
            l.fail(f"input {c}x{h}x{w} does not divide by stride {st}")
        shape = (c * st * st, h // st, w // st)
    l.perm = torch.from_numpy(reorg_index(c, h, w, st, l.reverse))
    return shape


def reorg_index(c, h, w, st, reverse):
    """Flat gather index of darknet's reorg_cpu on an input of shape
    [c, h, w]: out.flat = x.flat[index]. darknet walks the output as if it
    were [c, h, w] and reads the input as if it were [c/st^2, h*st, w*st]."""
    wide_c = c // (st * st)
    k, j, i = np.meshgrid(np.arange(c), np.arange(h), np.arange(w), indexing="ij")
    c2, off = k % wide_c, k // wide_c
    wide = (i * st + off % st) + w * st * ((j * st + off // st) + h * st * c2)
    wide = wide.reshape(-1)
    if not reverse:
        return wide              # out[narrow] = x[wide]
    inv = np.empty_like(wide)    # out[wide] = x[narrow]
    inv[wide] = np.arange(wide.size)
    return inv


def _shortcut(l, c, h, w, prev):
    if "from" not in l.opts:
        l.fail("shortcut needs from=")
    v = int(l.opts["from"])
    l.src = l.index + v if v < 0 else v
    if not 0 <= l.src < l.index:
        l.fail(f"from={v} refers to layer {l.src}")
    l.alpha, l.beta = l.get("alpha", 1.0), l.get("beta", 1.0)
    l.act = l.get("activation", "linear")
    return c, h, w


def _upsample(l, c, h, w, prev):
    st = l.get("stride", 2)
    l.scale = l.get("scale", 1.0)
    l.reverse, l.stride = st < 0, abs(st)
    if l.reverse:
        return c, h // l.stride, w // l.stride
    return c, h * l.stride, w * l.stride


def _connected(l, c, h, w, prev):
    l.n = l.get("output", 1)
    l.bn = l.get("batch_normalize", 0)
    l.act = l.get("activation", "logistic")
    l.inputs = c * h * w
    l.params = [("biases", l.n), ("weights", l.n * l.inputs)]
    if l.bn:
        l.params += [("scales", l.n), ("mean", l.n), ("var", l.n)]
    l.flops = 2.0 * l.n * l.inputs
    return l.n, 1, 1


def _local(l, c, h, w, prev):
    l.n = l.get("filters", 1)
    l.size = l.get("size", 1)
    l.stride = l.get("stride", 1)
    l.pad = l.get("pad", 0)          # darknet uses the flag as the padding
    l.act = l.get("activation", "logistic")
    out_h = ((h - 1) if l.pad else (h - l.size)) // l.stride + 1
    out_w = ((w - 1) if l.pad else (w - l.size)) // l.stride + 1
    if (h + 2 * l.pad - l.size) // l.stride + 1 != out_h:
        l.fail("pad=1 works only with size=3 (as in this project)")
    l.loc = out_h * out_w
    l.k = c * l.size * l.size
    l.params = [("biases", l.n * l.loc), ("weights", l.loc * l.n * l.k)]
    l.flops = 2.0 * l.loc * l.n * l.k
    return l.n, out_h, out_w


def _softmax(l, c, h, w, prev):
    l.groups = l.get("groups", 1)
    l.temperature = l.get("temperature", 1.0)
    if (c * h * w) % l.groups:
        l.fail(f"{l.groups} groups do not divide {c * h * w} inputs")
    return c * h * w, 1, 1


def _same(l, c, h, w, prev):
    return c, h, w


def _avgpool(l, c, h, w, prev):
    return c, 1, 1


SHAPES = {"convolutional": _conv, "maxpool": _maxpool, "route": _route, "reorg": _reorg,
          "shortcut": _shortcut, "upsample": _upsample, "connected": _connected,
          "local": _local, "softmax": _softmax, "avgpool": _avgpool, "dropout": _same,
          "region": _same, "yolo": _same, "detection": _same}


def _batchnorm_train(l, y):
    """Training batch norm of y [N, n, ...] (no bias): the batch's mean and
    unbiased variance per channel; the rolling ones in l.t move .01 towards
    them (new tensors, outside autograd; l.params is left alone)."""
    t = l.t
    dims = [0] + list(range(2, y.dim()))
    shape = (1, -1) + (1,) * (y.dim() - 2)
    mean, var = y.mean(dims), y.var(dims, unbiased=True)
    with torch.no_grad():
        t["mean"] = .99 * t["mean"] + .01 * mean.to(t["mean"].dtype)
        t["var"] = .99 * t["var"] + .01 * var.to(t["var"].dtype)
    x_norm = (y - mean.view(shape)) * _bn_inv(l, var.view(shape))
    return x_norm * t["scales"].view(shape)


def _bn_inv(l, var):
    """1 / (sqrt(var) + 1e-6), or AlexeyAB's 1 / sqrt(var + 1e-5)."""
    if l.bn_ab:
        return 1 / torch.sqrt(var + BN_EPS_AB)
    return 1 / (torch.sqrt(var) + BN_EPS)


def _conv_fwd(l, x, outs):
    t = l.t
    y = F.conv2d(x, t["weights"], t.get("fused_bias"), l.stride, l.pad, 1, l.groups)
    if getattr(l, "train", False) and l.bn:
        return activate(_batchnorm_train(l, y) + t["biases"].view(1, -1, 1, 1), l.act)
    if "fused_bias" not in t:
        if l.bn:
            inv = _bn_inv(l, t["var"])
            y = (y - t["mean"].view(1, -1, 1, 1)) * (inv * t["scales"]).view(1, -1, 1, 1)
        y = y + t["biases"].view(1, -1, 1, 1)
    return activate(y, l.act)


def _maxpool_fwd(l, x, outs):
    if l.depth:    # channel g: the max of input channels g, g + out_channels, ...
        g = l.out_channels
        parts = [x[:, k:k + g] for k in range(0, x.shape[1] - g + 1, g)]
        rest = x.shape[1] % g
        y = torch.stack(parts).amax(0) if parts else None
        if rest:       # the last, partial group reaches the first `rest` channels
            tail = torch.maximum(y[:, :rest], x[:, x.shape[1] - rest:])
            y = torch.cat([tail, y[:, rest:]], 1)
        return y
    h, w = x.shape[2:]
    out_h, out_w = l.out[1], l.out[2]
    before = l.pad // 2
    # what the windows cover: [before, needed - before) around the image
    need_h, need_w = (out_h - 1) * l.stride + l.size, (out_w - 1) * l.stride + l.size
    x = F.pad(x, (before, max(0, need_w - w - before), before, max(0, need_h - h - before)),
              value=float("-inf"))
    return F.max_pool2d(x[:, :, :need_h, :need_w], l.size, l.stride)


def _route_fwd(l, x, outs):
    if l.groups == 1:
        return torch.cat([outs[i] for i in l.srcs], 1)
    parts = []
    for i, c in zip(l.srcs, l.src_c):
        c //= l.groups
        parts.append(outs[i][:, c * l.group_id:c * (l.group_id + 1)])
    return torch.cat(parts, 1)


def _reorg_fwd(l, x, outs):
    n = x.shape[0]
    return x.reshape(n, -1)[:, l.perm].reshape(n, *l.out)


def _shortcut_fwd(l, x, outs):
    src = outs[l.src]
    (c1, h1, w1), (c2, h2, w2) = src.shape[1:], x.shape[1:]
    stride, sample = max(w1 // w2, 1), max(w2 // w1, 1)
    mc, mh, mw = min(c1, c2), min(h1, h2), min(w1, w2)
    if (stride, sample, c1) == (1, 1, c2):
        y = l.alpha * x + l.beta * src
    else:
        y = x.clone()
        o = y[:, :mc, :mh * sample:sample, :mw * sample:sample]
        a = src[:, :mc, :mh * stride:stride, :mw * stride:stride]
        y[:, :mc, :mh * sample:sample, :mw * sample:sample] = l.alpha * o + l.beta * a
    return activate(y, l.act)


def _upsample_fwd(l, x, outs):
    n, c, h, w = x.shape
    st = l.stride
    if l.reverse:    # darknet's downsample: the SUM of each block, times scale
        oh, ow = h // st, w // st
        blocks = x[:, :, :oh * st, :ow * st].reshape(n, c, oh, st, ow, st)
        return (l.scale * blocks).sum((3, 5))
    y = x[:, :, :, None, :, None].expand(n, c, h, st, w, st).reshape(n, c, h * st, w * st)
    return y * l.scale if l.scale != 1 else y


def _connected_fwd(l, x, outs):
    t = l.t
    y = x.reshape(x.shape[0], -1) @ t["weights"].t()
    if getattr(l, "train", False) and l.bn:
        y = _batchnorm_train(l, y)
    elif l.bn:
        y = (y - t["mean"]) * _bn_inv(l, t["var"]) * t["scales"]
    y = activate(y + t["biases"], l.act)
    return y.reshape(x.shape[0], l.n, 1, 1)


def _local_fwd(l, x, outs):
    t = l.t
    col = F.unfold(x, l.size, padding=l.pad, stride=l.stride)        # [N, k, loc]
    w = t["weights"].view(l.loc, l.n, l.k)                            # [loc, n, k]
    y = torch.einsum("lnk,bkl->bnl", w, col) + t["biases"].view(1, l.n, l.loc)
    return activate(y, l.act).reshape(x.shape[0], *l.out)


def _softmax_fwd(l, x, outs):
    n = x.shape[0]
    y = torch.softmax(x.reshape(n, l.groups, -1) / l.temperature, -1)
    return y.reshape(n, -1, 1, 1)


def _avgpool_fwd(l, x, outs):
    return x.mean((2, 3), keepdim=True)


def _identity(l, x, outs):
    return x


FORWARD = {"convolutional": _conv_fwd, "maxpool": _maxpool_fwd, "route": _route_fwd,
           "reorg": _reorg_fwd, "shortcut": _shortcut_fwd, "upsample": _upsample_fwd,
           "connected": _connected_fwd, "local": _local_fwd, "softmax": _softmax_fwd,
           "avgpool": _avgpool_fwd, "dropout": _identity, "region": _identity,
           "yolo": _identity, "detection": _identity}


class DarknetNet(torch.nn.Module):
    """The layer graph of a darknet cfg. width/height override [net]'s."""

    def __init__(self, cfg_path, width=None, height=None):
        super().__init__()
        sections = parse_cfg(cfg_path)
        net = sections[0][1]
        self.w = int(width or net.get("width", 0))
        self.h = int(height or net.get("height", 0))
        self.c = int(net.get("channels", 0))
        if self.w <= 0 or self.h <= 0 or self.c <= 0:
            raise CfgError(f"{cfg_path}: [net] needs width, height and channels")
        self.layers, shapes = [], []
        self.bn_ab = is_ab(sections)
        shape = (self.c, self.h, self.w)
        for i, (kind, opts, line) in enumerate(sections[1:]):
            if kind not in SHAPES:
                raise CfgError(f"{cfg_path}:{line}: [{kind}] is not implemented in dn_torch")
            l = Layer(kind, opts, line, i)
            l.bn_ab = self.bn_ab
            l.inp = shape
            shape = l.out = tuple(int(v) for v in SHAPES[kind](l, *shape, shapes))
            if min(shape) <= 0:
                l.fail(f"empty output {shape}")
            shapes.append(shape)
            l.params = [(name, np.zeros(n, np.float32)) for name, n in l.params]
            self.layers.append(l)
        self.major, self.minor, self.revision, self.seen = 0, 2, 0, 0
        self._to_torch()

    def bflops(self):
        return sum(getattr(l, "flops", 0.0) for l in self.layers) / 1e9

    def nparams(self):
        return sum(a.size for l in self.layers for _, a in l.params)

    def _to_torch(self):
        for l in self.layers:
            l.t = {name: torch.from_numpy(a) for name, a in l.params}
            if l.kind == "convolutional":
                l.t["weights"] = l.t["weights"].view(l.wshape)
            elif l.kind == "connected":
                l.t["weights"] = l.t["weights"].view(l.n, l.inputs)

    def _transposed(self, l):
        """(rows, cols) of a weight matrix stored transposed in the file:
        flipped convs [c*size*size, n], old connected [inputs, outputs]."""
        if l.kind == "convolutional" and l.flipped:
            return l.params[-1][1].size // l.n, l.n
        if l.kind == "connected" and (self.major > 1000 or self.minor > 1000):
            return l.inputs, l.n
        return None

    def load_weights(self, path):
        """darknet's load_weights: header, then every layer's floats in
        order; the file must hold exactly what the cfg needs."""
        with open(path, "rb") as f:
            data = f.read()
        if len(data) < 16:
            raise ValueError(f"{path}: {len(data)} bytes: too short for a header")
        major, minor, revision = np.frombuffer(data, "<i4", 3)
        wide = major * 10 + minor >= 2 and major < 1000 and minor < 1000
        hdr = 20 if wide else 16
        self.major, self.minor, self.revision = int(major), int(minor), int(revision)
        self.seen = int(np.frombuffer(data, "<u8" if wide else "<u4", 1, 12)[0])
        want = self.nparams()
        if len(data) - hdr != 4 * want:
            raise ValueError(f"{path}: the cfg needs {want} floats after the {hdr}-byte "
                             f"header, the file has {(len(data) - hdr) / 4:g}")
        body = np.frombuffer(data, "<f4", want, hdr)
        at = 0
        for l in self.layers:
            for k, (name, a) in enumerate(l.params):
                v = body[at:at + a.size].copy()
                at += a.size
                rc = self._transposed(l) if name == "weights" else None
                if rc:
                    v = v.reshape(rc).T.reshape(-1).copy()
                l.params[k] = (name, v)
        self._to_torch()

    def save_weights(self, path):
        with open(path, "wb") as f:
            f.write(np.array([self.major, self.minor, self.revision], "<i4").tobytes())
            wide = self.major * 10 + self.minor >= 2 and self.major < 1000 and self.minor < 1000
            f.write(np.array([self.seen], "<u8" if wide else "<u4").tobytes())
            for l in self.layers:
                for name, a in l.params:
                    rc = self._transposed(l) if name == "weights" else None
                    if rc:    # memory [cols, rows] -> file [rows, cols]
                        a = a.reshape(rc[1], rc[0]).T
                    f.write(np.ascontiguousarray(a, "<f4").tobytes())

    def random_init(self, seed):
        """He-normal weights, small biases, batch norm with positive
        variances (not the same numbers as darknet-forward --random)."""
        rng = np.random.default_rng(seed)
        for l in self.layers:
            if not l.params:
                continue
            fan = (l.k if l.kind == "local" else l.inputs if l.kind == "connected"
                   else int(np.prod(l.wshape[1:])))
            draw = {"weights": lambda n: rng.normal(0, np.sqrt(2 / fan), n),
                    "biases": lambda n: rng.normal(0, .1, n),
                    "scales": lambda n: rng.uniform(.5, 1.5, n),
                    "mean": lambda n: rng.normal(0, .1, n),
                    "var": lambda n: rng.uniform(.5, 1.5, n)}
            l.params = [(name, draw[name](a.size).astype(np.float32)) for name, a in l.params]
        self._to_torch()

    def fold_batchnorm(self):
        """Inference speed-up: batch norm into each conv's weights and a bias
        (rounding differs from the unfolded form by ~1e-7 relative)."""
        for l in self.layers:
            if l.kind != "convolutional":
                continue
            t = l.t
            if l.bn:
                g = t["scales"] * _bn_inv(l, t["var"])
                t["weights"] = t["weights"] * g.view(-1, 1, 1, 1)
                t["fused_bias"] = t["biases"] - t["mean"] * g
            else:
                t["fused_bias"] = t["biases"]

    def trainable(self, dtype=torch.float64):
        """Every parameter as a leaf tensor of dtype for autograd (the
        rolling mean and variance as plain tensors): [(layer, name, leaf)]
        in weights-file order. Their .grad after a backward is dL/d param;
        .grad.reshape(-1) is laid out as the weights file (flipped convs and
        old connected files aside)."""
        leaves = []
        for l in self.layers:
            for name, a in l.params:
                v = torch.from_numpy(a).to(dtype).view(l.t[name].shape).clone()
                if name not in ("mean", "var"):
                    v.requires_grad_(True)
                    leaves.append((l, name, v))
                l.t[name] = v
        return leaves

    def forward(self, x, every=False, train=False):
        """x: [N, c, h, w]. The heads' raw inputs, in layer order ([N, C, H,
        W] for region/yolo, [N, L] for detection); with every=True, also the
        list of every layer's output. train=True: training batch norm (see
        the module's doc), and layers that hand on their input (dropout,
        heads) hand on a copy, so every output has its own .grad."""
        outs, heads = [], []
        for l in self.layers:
            l.train = train
            y = FORWARD[l.kind](l, x, outs)
            x = y.clone() if train and y is x else y
            outs.append(x)
            if l.kind == "detection":
                heads.append(x.reshape(x.shape[0], -1))
            elif l.kind in HEADS:
                heads.append(x)
        return (heads, outs) if every else heads
