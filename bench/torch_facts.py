# What the PyTorch anchor runs on, for `npm run bench`: its version, CPU
# capability, build config, and the BLAS shared object this process really
# mapped (Debian picks libblas.so.3 through alternatives: reference or OpenBLAS).
import json, os, sys, time
import numpy as np
import torch
torch.set_num_threads(1)

torch.mm(torch.ones(64, 64), torch.ones(64, 64))  # makes sure the BLAS is loaded
torch.nn.functional.linear(torch.ones(8, 64), torch.ones(32, 64))
maps = open('/proc/self/maps').read().split('\n')
libs = sorted({os.path.realpath(l.split()[-1]) for l in maps if l.split() and '/' in l.split()[-1]
               and any(k in os.path.basename(l.split()[-1]) for k in ('blas', 'mkl', 'blis', 'openblas'))})
name = ' '.join(libs) or 'none mapped'
# libtorch links libblas.so.3 and takes sgemm_ from it, even when LAPACK maps OpenBLAS too.
provider = next((l for l in libs if os.path.basename(l).startswith('libblas.so')), name)
kind = ('openblas' if 'openblas' in provider else 'mkl' if 'mkl' in provider else 'blis' if 'blis' in provider
        else 'reference' if '/blas/' in provider else 'other')
# And by speed: a 256³ sgemm on one thread (reference BLAS ~1–3 GFLOP/s, an optimised one tens).
a, b = torch.rand(256, 256), torch.rand(256, 256)
best = float('inf')
for _ in range(20):
    t0 = time.perf_counter(); torch.mm(a, b); best = min(best, time.perf_counter() - t0)
gemm = 2 * 256 ** 3 / best / 1e9
capability = torch.backends.cpu.get_cpu_capability() if hasattr(torch.backends, 'cpu') and hasattr(torch.backends.cpu, 'get_cpu_capability') else \
    next((l.split(':', 1)[1].strip() for l in torch.__config__.show().split('\n') if 'CPU capability usage' in l), 'unknown')
print(json.dumps({'python': sys.executable, 'version': torch.__version__, 'blas': name, 'blasProvider': provider, 'blasKind': kind, 'gemmGflops': gemm,
                  'cpuCapability': capability, 'config': torch.__config__.show()}))
