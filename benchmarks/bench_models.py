"""The JAX model family: time and memory per training step, against the compiled kernel.

Run from the repository root::

    python benchmarks/bench_models.py [--quick] [--no-scaling]

Prints the JAX device, then

1. at the authors' size (``d = 5``, ``T = 100``, 10,000 sequences, complex64, the paper's
   model at an Assumption-1 start): one step of the compiled kernel (loss and gradient,
   ``SampleObjective(method="compiled")``, the baseline, plus the parameter update in
   NumPy) and one step of the JAX engine (loss, gradient and the ``gd`` update in one
   jitted function, :func:`mesasym.models.training.step_function`), both the best of 3
   after a warm-up, measured in this run; the ratios JAX / kernel of the wall and of the
   CPU times (the kernel uses both cores); JAX's compile time
   apart; the JAX step's peak temporary memory (XLA's ``memory_analysis`` of the compiled
   step);
2. (unless ``--no-scaling``) at a smaller size (1,000 sequences, ``d = 5``, ``T = 50``,
   complex64, ``init=[random:scale=0.1]``): time and memory per step as ``layers`` goes 1, 2,
   4, 8 and ``heads`` 1, 2, 4, softmax against linear, against ``T`` and against ``d``;
   each with the ratios (wall, CPU) to the ``layers=1`` linear row measured in the same run.

``--quick`` uses 1,000 sequences in (1) and 200 in (2). Absolute times on a shared 2-core
machine are noisy (CPU time is printed beside wall time); the ratios come from one run.
"""

from __future__ import annotations

import argparse
import time

import equinox as eqx
import jax
import numpy as np

from mesasym.models import init_model
from mesasym.models.gradient import Chunks
from mesasym.models.optimizers import parse_optimizer
from mesasym.models.training import step_function
from mesasym.numeric.model import Parameters
from mesasym.numeric.training import SampleObjective
from mesasym.tasks import parse_task


def _best(fn, repeat: int = 3) -> tuple[float, float]:
    """Best wall and CPU seconds of ``fn()`` over ``repeat`` calls."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def jax_step(spec: str, task: str, n: int, d: int, T: int, lr: float = 1e-4) -> dict[str, float]:
    """Compile time, best step time and XLA temporary memory of one JAX training step."""
    batch = parse_task(task).sample(np.random.default_rng(0), n, d=d, length=T, dtype=np.complex64)
    model = init_model(spec, task, d, seed=0, dtype=np.complex64)
    transform = parse_optimizer("gd").build(lr, 10)
    state = transform.init(eqx.filter(model, eqx.is_array))
    step = step_function(transform)
    chunks = Chunks.of(model, batch)
    start = time.perf_counter()
    compiled = step.lower(model, state, chunks).compile()
    compile_s = time.perf_counter() - start
    memory = compiled.compiled.memory_analysis()  # equinox wraps jax.stages.Compiled
    temp = float(getattr(memory, "temp_size_in_bytes", float("nan"))) if memory is not None else float("nan")
    jax.block_until_ready(step(model, state, chunks))  # warm-up
    wall, cpu = _best(lambda: jax.block_until_ready(step(model, state, chunks)))
    return {"compile": compile_s, "wall": wall, "cpu": cpu, "memory_mb": temp / 2**20}


def kernel_step(n: int, d: int, T: int, lr: float = 1e-4) -> tuple[float, float]:
    """Best wall and CPU seconds of one step of the compiled kernel (loss, gradient, update)."""
    batch = parse_task("ar").sample(np.random.default_rng(0), n, d=d, length=T, dtype=np.complex64)
    objective = SampleObjective(batch.sequences, method="compiled")
    params = Parameters.assumption1(d, 0.1, 0.1, np.complex64)
    objective.loss_and_gradient(params)  # compile (numba) and warm up

    def step() -> None:
        _, gradient = objective.loss_and_gradient(params)
        params.step(gradient, lr)

    return _best(step)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 sequences in (1), 200 in (2)")
    parser.add_argument("--no-scaling", action="store_true", help="only (1)")
    args = parser.parse_args()
    print(f"JAX {jax.__version__}, device: {jax.devices()[0].device_kind} ({jax.default_backend()}), {len(jax.devices())} device(s)")

    n = 1_000 if args.quick else 10_000
    print(f"\n1. the paper's model, d=5, T=100, {n} sequences, complex64: one training step")
    kernel_wall, kernel_cpu = kernel_step(n, 5, 100)
    paper = jax_step("paper", "ar", n, 5, 100)
    print(f"   {'engine':<28} {'wall s':>9} {'cpu s':>9} {'ratio wall':>10} {'ratio cpu':>10} {'compile s':>10} {'memory MB':>10}")
    print(f"   {'compiled kernel (baseline)':<28} {kernel_wall:>9.4f} {kernel_cpu:>9.4f} {1.0:>10.1f} {1.0:>10.1f} {'-':>10} {'-':>10}")
    print(
        f"   {'jax':<28} {paper['wall']:>9.4f} {paper['cpu']:>9.4f} {paper['wall'] / kernel_wall:>10.1f} "
        f"{paper['cpu'] / kernel_cpu:>10.1f} {paper['compile']:>10.1f} {paper['memory_mb']:>10.0f}"
    )
    if args.no_scaling:
        return

    m = 200 if args.quick else 1_000
    print(f"\n2. scaling, {m} sequences, complex64, init=[random:scale=0.1] (ratios: against the first row)")
    rows = [("layers=1", 5, 50)] + [(f"layers={L}", 5, 50) for L in (2, 4, 8)]
    rows += [(f"heads={H}", 5, 50) for H in (2, 4)]
    rows += [("attention=softmax", 5, 50), ("layers=4,attention=softmax,mlp=gelu,norm=layer", 5, 50)]
    rows += [("layers=1", 5, T) for T in (25, 100)] + [("layers=1", d, 50) for d in (2, 10)]
    print(f"   {'model':<46} {'d':>3} {'T':>4} {'wall s':>9} {'cpu s':>9} {'ratio wall':>10} {'ratio cpu':>10} {'compile s':>10} {'memory MB':>10}")
    base = None
    for spec, d, T in rows:
        result = jax_step(spec + ",init=[random:scale=0.1]", "ar", m, d, T)
        base = base or result
        print(
            f"   {spec:<46} {d:>3} {T:>4} {result['wall']:>9.4f} {result['cpu']:>9.4f} {result['wall'] / base['wall']:>10.2f} "
            f"{result['cpu'] / base['cpu']:>10.2f} {result['compile']:>10.1f} {result['memory_mb']:>10.1f}"
        )


if __name__ == "__main__":
    main()
