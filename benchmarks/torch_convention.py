"""Check that PyTorch's complex ``.grad`` equals mesasym's gradient convention.

mesasym uses ``grad = dL/dRe + i dL/dIm`` for complex parameters (THEORY §3).
This script builds the authors' model literally in PyTorch (their
``AutoregressiveLSA``: ``W^{PV} E_t E_t^H W^{KQ} e_t / (t-1)`` on the 2d-dimensional
embedding, loss ``0.5 * sum |out - label|^2 / m``), lets autograd compute
``.grad``, and compares it with :func:`mesasym.numeric.model.loss_and_gradient`
at random complex parameters. PyTorch is not a dependency of mesasym; run it
where torch is installed::

    pip install torch && python benchmarks/torch_convention.py

Result on 2026-11-25 (torch 2.13.0, CPU): relative difference ~1e-16 for both
matrices, i.e. PyTorch's ``.grad`` is exactly our gradient, so the authors'
learning rates are ours and ``tau = steps * lr``.
"""

from __future__ import annotations

import numpy as np

from mesasym.numeric.sequences import sample_phases, sequences_from
from mesasym.numeric.model import Parameters, loss_and_gradient


def main() -> None:
    try:
        import torch
    except ImportError:
        print("torch is not installed; nothing to compare")
        return
    rng = np.random.default_rng(0)
    n, T, d = 16, 9, 3
    X = sequences_from(rng.standard_normal((n, d)), sample_phases(rng, n, d), T)
    params = Parameters.random(d, rng, scale=0.3)
    value, gradient = loss_and_gradient(params, X)

    # The authors' parametrization: only the 2d x 2d lower-right block of W^KQ and
    # the d x 2d top-right block of W^PV exist; the embedding is (x_t; x_{t-1}).
    WKQ = torch.tensor(params.Q, dtype=torch.complex128, requires_grad=True)
    WPV = torch.tensor(params.P, dtype=torch.complex128, requires_grad=True)
    seq = torch.tensor(X.transpose(0, 2, 1))  # (n, d, T) as in the authors' code
    embed = torch.zeros((n, 2 * d, T), dtype=torch.complex128)
    embed[:, :d, :] = seq
    embed[:, d:, 1:] = seq[:, :, :-1]
    outputs = []
    for t in range(2, T):
        E_t = embed[:, :, :t]
        e_t = E_t[:, :, -1][:, :, None]
        outputs.append(WPV @ E_t @ E_t.mH @ WKQ @ e_t / (t - 1))
    out = torch.cat(outputs, dim=2)
    labels = embed[:, :d, 2:]
    loss = 0.5 * ((out - labels).conj() * (out - labels)).sum().real / n
    loss.backward()
    rel = lambda a, b: float(np.abs(a - b).max() / np.abs(b).max())  # noqa: E731
    print(f"loss: torch {loss.item():.15g}  mesasym {value:.15g}")
    print(f"relative difference, grad W^KQ block: {rel(WKQ.grad.numpy(), gradient.Q):.2e}")
    print(f"relative difference, grad W^PV block: {rel(WPV.grad.numpy(), gradient.P):.2e}")


if __name__ == "__main__":
    main()
