# The heavy ops of an epoch's profile (bench/op-bench.ts specs: TF.js kernel
# names, NHWC shapes) run as the same ops in PyTorch CPU on one thread.
# Usage: python3 bench/torch_ops.py <specs.json>; prints a JSON list of median ms per call.
import json, sys, time
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
specs = json.load(open(sys.argv[1]))


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def conv_pad(attrs, x_hw, k_hw, stride):
    """TF padding as torch's: symmetric ints, or the explicit pad to apply first."""
    pad = attrs.get('pad')
    if pad == 'valid' or pad == 0:
        return (0, 0), None
    if pad == 'same':
        outs = [-(-x // s) for x, s in zip(x_hw, stride)]
        total = [max((o - 1) * s + k - x, 0) for o, s, k, x in zip(outs, stride, k_hw, x_hw)]
        t, l = total[0] // 2, total[1] // 2
        b, r = total[0] - t, total[1] - l
    elif isinstance(pad, int):
        t = b = l = r = pad
    else:
        (t, b), (l, r) = pad[1], pad[2]
    return ((t, l), None) if (t == b and l == r) else ((0, 0), (l, r, t, b))


def make(spec):
    k, i, a = spec['kernel'], spec['inputs'], spec['attrs']
    r = lambda shape: torch.rand(*shape) * 2 - 1
    if k in ('BatchMatMul', '_FusedMatMul'):
        A, B = r(i['a']), r(i['b'])
        A = A.transpose(-1, -2) if a.get('transposeA') else A   # a view: BLAS takes it as a transposed operand
        B = B.transpose(-1, -2) if a.get('transposeB') else B
        return lambda: torch.matmul(A, B)
    depthwise = k.startswith('Depthwise') or k == 'FusedDepthwiseConv2D'
    stride = pair(a.get('strides', 1))
    dil = pair(a.get('dilations', 1) or 1)
    if k in ('Conv2D', 'FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2D'):
        x = r(i['x']).permute(0, 3, 1, 2).contiguous()
        f = i['filter']
        w = (r(f).permute(2, 3, 0, 1).reshape(f[2] * f[3], 1, f[0], f[1]) if depthwise else r(f).permute(3, 2, 0, 1)).contiguous()
        padding, explicit = conv_pad(a, x.shape[2:], f[:2], stride)
        groups = f[2] if depthwise else 1
        return lambda: F.conv2d(F.pad(x, explicit) if explicit else x, w, stride=stride, padding=padding, dilation=dil, groups=groups)
    # Gradients through aten's convolution_backward, which autograd calls.
    fshape = a.get('filterShape') or i['filter']
    xshape = a.get('inputShape') or i['x']
    x = r(xshape).permute(0, 3, 1, 2).contiguous()
    dy = r(i['dy']).permute(0, 3, 1, 2).contiguous()
    groups = fshape[2] if depthwise else 1
    w = (r(fshape).permute(2, 3, 0, 1).reshape(fshape[2] * fshape[3], 1, fshape[0], fshape[1]) if depthwise else r(fshape).permute(3, 2, 0, 1)).contiguous()
    padding, explicit = conv_pad(a, x.shape[2:], fshape[:2], stride)
    if explicit:
        x = F.pad(x, explicit)
    mask = [False, False, True] if k.endswith('Filter') else [True, False, False]
    return lambda: torch.ops.aten.convolution_backward(dy, x, w, None, stride, padding, dil, False, [0, 0], groups, mask)


def median_ms(spec):
    """Each call on inputs it has not seen (as in training, and as the wasm side measures)."""
    size = sum(4 * int(torch.tensor(shape).prod()) for shape in spec['inputs'].values())
    reps = max(5, min(60, (256 << 20) // size))
    fns = [make(spec) for _ in range(reps + 1)]
    times = []
    with torch.no_grad():
        fns[-1]()
        for fn in fns[:-1]:
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
    times.sort()
    return 1000 * times[len(times) // 2]


print(json.dumps([median_ms(s) for s in specs]))
