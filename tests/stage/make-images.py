#!/usr/bin/python3
"""Makes PNG and BMP files of every kind the decoder reads, each with the
bytes it must decode to, for tests/stage/test_png.sh.

    make-images.py DIR     writes DIR/NAME.png (or .bmp) and DIR/NAME.rgb
                           (the expected pixels, bytes [h, w, 3]) and prints
                           the names, one a line

The 8-bit kinds are written by PIL and expected as PIL decodes them
(.convert("RGB"): alpha dropped, gray repeated, palette looked up). PIL
writes neither 16-bit colour, low bit depths other than 1, nor Adam7
interlacing, so those are written here by hand (zlib, the PNG chunk
layout), their expected pixels computed from the samples as darknet's
reader makes them (16-bit: the high byte; 1, 2, 4-bit gray scaled to 255),
and checked against PIL's decode where PIL agrees (8-bit interlaced)."""
import struct
import sys
import zlib

import numpy as np
from PIL import Image

ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
         (0, 1, 1, 2)]


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def pack_rows(samples, depth):
    """samples [h, w * channels] (ints) to filtered scanlines (filter 0)."""
    out = bytearray()
    for row in samples:
        out.append(0)
        if depth == 16:
            out += row.astype(">u2").tobytes()
        elif depth == 8:
            out += row.astype("u1").tobytes()
        else:
            per = 8 // depth
            padded = np.concatenate([row, np.zeros((-len(row)) % per, dtype=row.dtype)])
            for k in range(0, len(padded), per):
                b = 0
                for v in padded[k:k + per]:
                    b = b << depth | int(v)
                out.append(b)
    return bytes(out)


def write_png(path, samples, depth, ctype, interlace=0, palette=None, trns=None):
    """samples [h, w, channels]: the PNG's own sample values."""
    h, w, ch = samples.shape
    if interlace:
        raw = b""
        for x0, y0, dx, dy in ADAM7:
            sub = samples[y0::dy, x0::dx]
            if sub.shape[0] and sub.shape[1]:
                raw += pack_rows(sub.reshape(sub.shape[0], -1), depth)
    else:
        raw = pack_rows(samples.reshape(h, -1), depth)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ctype, 0,
                                                              0, interlace))
    if palette is not None:
        png += chunk(b"PLTE", bytes(palette.astype("u1").ravel()))
    if trns is not None:
        png += chunk(b"tRNS", trns)
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def picture(w, h, seed):
    """A smooth gradient with noise, [h, w, 3] bytes: compressible, but
    every byte value appears."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([x * 255 // max(w - 1, 1), y * 255 // max(h - 1, 1),
                     (x + y) * 255 // max(w + h - 2, 1)], -1)
    return ((base + rng.integers(0, 40, (h, w, 3))) % 256).astype(np.uint8)


def main(out):
    names = []

    def keep(name, ext, want):
        assert want.dtype == np.uint8 and want.ndim == 3 and want.shape[2] == 3, name
        with open(f"{out}/{name}.rgb", "wb") as f:
            f.write(want.tobytes())
        names.append(f"{name}.{ext}")

    def by_pil(name, im, ext="png", **kw):
        im.save(f"{out}/{name}.{ext}", **kw)
        keep(name, ext, np.asarray(Image.open(f"{out}/{name}.{ext}").convert("RGB")))

    rgb = picture(61, 37, 1)
    alpha = picture(61, 37, 2)[:, :, :1]
    by_pil("rgb8", Image.fromarray(rgb))
    by_pil("rgba8", Image.fromarray(np.concatenate([rgb, alpha], -1), "RGBA"))
    by_pil("gray8", Image.fromarray(rgb[:, :, 0]))
    by_pil("graya8", Image.fromarray(rgb[:, :, :2].copy(), "LA"))
    pal = Image.fromarray(rgb).quantize(200)
    by_pil("palette8", pal)
    pal.info["transparency"] = 3
    by_pil("palette-trns", pal, transparency=3)
    by_pil("one-bit", Image.fromarray(rgb[:, :, 0] > 128).convert("1"))

    rng = np.random.default_rng(3)
    s16 = rng.integers(0, 65536, (37, 61, 4))
    by_hand = [  # name, samples, depth, colour type, interlace, expected
        ("gray16", s16[:, :, :1], 16, 0, 0, np.repeat(s16[:, :, :1] >> 8, 3, -1)),
        ("rgb16", s16[:, :, :3], 16, 2, 0, s16[:, :, :3] >> 8),
        ("rgba16", s16, 16, 6, 0, s16[:, :, :3] >> 8),
        ("rgba16-adam7", s16, 16, 6, 1, s16[:, :, :3] >> 8),
        ("rgb8-adam7", rgb.astype(int), 8, 2, 1, rgb),
    ]
    for depth in (1, 2, 4):
        top = (1 << depth) - 1
        g = rng.integers(0, top + 1, (37, 61, 1))
        want = np.repeat(g * 255 // top, 3, -1)
        by_hand.append((f"gray{depth}", g, depth, 0, 0, want))
        by_hand.append((f"gray{depth}-adam7", g, depth, 0, 1, want))
    palette = picture(16, 1, 4)[0]
    idx = rng.integers(0, 16, (37, 61, 1))
    by_hand.append(("palette4-adam7", idx, 4, 3, 1, palette[idx[:, :, 0]]))
    tiny = rng.integers(0, 256, (1, 1, 3))
    by_hand.append(("one-pixel-adam7", tiny, 8, 2, 1, tiny))
    odd = rng.integers(0, 256, (3, 5, 3))   # passes 1 and 2 of Adam7 are empty
    by_hand.append(("three-by-five-adam7", odd, 8, 2, 1, odd))
    for name, samples, depth, ctype, lace, want in by_hand:
        write_png(f"{out}/{name}.png", samples, depth, ctype, lace,
                  palette if ctype == 3 else None)
        keep(name, "png", np.asarray(want, dtype=np.uint8))
    pil = np.asarray(Image.open(f"{out}/rgb8-adam7.png").convert("RGB"))
    assert (pil == rgb).all(), "PIL decodes the hand-written interlaced PNG otherwise"

    by_pil("bmp24", Image.fromarray(rgb), "bmp")
    by_pil("bmp32", Image.fromarray(np.concatenate([rgb, alpha], -1), "RGBA"), "bmp")
    by_pil("bmp8", Image.fromarray(rgb).quantize(100), "bmp")
    by_pil("bmp8-gray", Image.fromarray(rgb[:, :, 1]), "bmp")
    # the same 24-bit file stored top-down (a negative height)
    with open(f"{out}/bmp24.bmp", "rb") as f:
        b = bytearray(f.read())
    w, h = struct.unpack_from("<ii", b, 18)
    at, stride = struct.unpack_from("<I", b, 10)[0], (w * 3 + 3) // 4 * 4
    rows = [b[at + y * stride:at + (y + 1) * stride] for y in range(h)]
    b[at:at + h * stride] = b"".join(rows[::-1])
    struct.pack_into("<i", b, 22, -h)
    with open(f"{out}/bmp24-topdown.bmp", "wb") as f:
        f.write(b)
    keep("bmp24-topdown", "bmp", rgb)
    print("\n".join(names))


if __name__ == "__main__":
    main(sys.argv[1])
