"""The models. Importing this package makes the CPU flush denormal floats to zero.

Why: in long training runs some gradients underflow into the denormal range, and a CPU convolution
on denormals runs about 34x slower (measured: a 32->64 conv's backward took 491 ms instead of 14.5).
The VAE then lost a quarter of its throughput after 2-3 minutes (docs/RESULTS.md, "Throughput").
The setting is per thread and torch's worker threads copy it when they start, so it must be made
before the first parallel torch operation: here, before any model is built. Values below 1.2e-38
become 0, which changes nothing this project measures.
"""

import torch

torch.set_flush_denormal(True)
