# A stand-in loss stage for tests/stage/test_train.sh: reads darknet-forward
# --train's records on stdin and writes each back on stdout, flushed at once
# (a loss stage must, or it and darknet-forward wait on each other).
#   loss.py l2              grad = output (the gradient of 1/2 sum output^2),
#                           loss {"l2": ..., "max": ...}
#   loss.py MODE K          the same, but record K (from 0) comes back broken:
#     missing   without grad          count  one tensor too many
#     size      a value short         dtype  f64 instead of f32
#     nan       a NaN in grad[0]      id     another id
#     stop      nothing more: exit after K records
#     cut       half of record K, then exit
# Records with `error` come back as they are. Standard input is read
# unbuffered: a buffered read would wait for more bytes than a batch has.
import os
import sys
import msgpack
import numpy as np

mode = sys.argv[1]
bad = int(sys.argv[2]) if len(sys.argv) > 2 else -1
out = sys.stdout.buffer


def tensor(a, dtype='f32'):
    a = np.ascontiguousarray(a, '<f4' if dtype == 'f32' else '<f8')
    return {'dtype': dtype, 'shape': list(a.shape), 'data': a.tobytes()}


for k, r in enumerate(msgpack.Unpacker(os.fdopen(0, 'rb', buffering=0), raw=False, max_buffer_size=1 << 30)):
    if k == bad and mode == 'stop':
        break
    if 'error' not in r:
        outs = [np.frombuffer(h['tensor']['data'], '<f4').reshape(h['tensor']['shape'])
                for h in r['output']]
        grads = [tensor(o) for o in outs]
        r['loss'] = {'l2': float(sum(0.5 * np.square(o.astype(np.float64)).sum() for o in outs)),
                     'max': float(max(np.abs(o).max() for o in outs))}
        if k == bad:
            if mode == 'missing':
                grads = None
            elif mode == 'count':
                grads.append(grads[0])
            elif mode == 'size':
                grads[0] = tensor(outs[0].reshape(-1)[:-1])
            elif mode == 'dtype':
                grads[0] = tensor(outs[0], 'f64')
            elif mode == 'nan':
                g = outs[0].copy().reshape(-1)
                g[7] = np.nan
                grads[0] = tensor(g.reshape(outs[0].shape))
            elif mode == 'id':
                r['id'] = 'someone-else'
        if grads is not None:
            r['grad'] = grads
        del r['output']
    b = msgpack.packb(r, use_bin_type=True)
    if k == bad and mode == 'cut':
        out.write(b[:len(b) // 2])
        out.flush()
        break
    out.write(b)
    out.flush()
