"""``mesasym train``: one training run of the full model on a fixed sample, as the authors train.

Draws ``--samples`` training and ``--test-samples`` test sequences (``x_1`` from
``--dist``, phases uniform; seed ``--seed``, training sample first), starts from
Assumption 1 (``W^KQ_32 = a0 I``, ``W^PV_12 = b0 I``, every other entry 0; all
``18 d^2`` complex entries free) and runs ``--steps`` full-batch gradient-descent
steps of size ``--lr`` on the empirical loss
``(1/n) sum_seq sum_{t=2}^{T-1} 1/2 ||yhat_t - x_{t+1}||^2`` (gradient convention
``d/dRe + i d/dIm``, PyTorch's, so the authors' step sizes carry over; gradient-flow
time ``tau = steps * lr``), in ``--dtype`` (complex64 by default, as the authors).
``--clip`` zeroes the red blocks' off-diagonal entries after every step (the
authors' variant).

Prints the trajectory at the steps ``--at`` (``ab`` = mean of ``Re a_j Re b_j``,
``a``, ``b``, off-manifold norm, training loss, test loss) and the derived fixed
point ``a~b~`` (the minimiser of the loss on the Assumption-1 manifold; Theorem
1's product under Assumption 2) for orientation; ``--json`` prints the same as
JSON, ``--history FILE`` writes every step as CSV. A diverging run stops with the
step, the loss and the largest stable step size (``2 / largest Hessian
eigenvalue`` where the loss last decreased).

Exit status: 0; 2 for invalid input, including a step size that diverges (docs/cli.md).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import resource
import sys
import time
from typing import Any

import numpy as np

from mesasym.commands import options as O

NAME = "train"
HELP = "Train the full model on a fixed sample by full-batch gradient descent, as the authors do."

DTYPES = {"complex64": np.complex64, "complex128": np.complex128}
SUMMARY_ROWS = 6


def steps_list(text: str) -> list[int]:
    """An argparse ``type``: comma-separated step numbers ``>= 0``."""
    parse = O.integer(0)
    try:
        return sorted({parse(part) for part in str(text).split(",") if part.strip()}) or [0]
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"{text!r} must be comma-separated integers >= 0, e.g. 0,50,150") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The run's settings (defaults: the authors' sigma = 1 Gaussian run) and the outputs."""
    O.add_dist(parser, default="gaussian:sigma=1", help="law of x_1 (default gaussian:sigma=1)")
    O.add_d(parser, default=5, maximum=64)
    O.add_T(parser, default=100, maximum=100_000)
    O.add_int(parser, "--samples", minimum=1, maximum=10**7, default=10_000, help="training sequences (fixed sample)")
    O.add_int(parser, "--test-samples", minimum=0, maximum=10**7, default=10_000, help="fresh test sequences (0: no test loss)")
    O.add_int(parser, "--steps", minimum=0, maximum=10**7, default=150, help="gradient-descent steps")
    O.add_real(parser, "--lr", minimum=0, default=1e-4, help="step size (> 0; default 1e-4)")
    O.add_start(parser)
    O.add_seed(parser, default=0, help="seed of the training and test samples")
    O.add_process(parser)
    parser.add_argument("--dtype", choices=sorted(DTYPES), default="complex64", help="arithmetic precision (default complex64)")
    parser.add_argument("--clip", action="store_true", help="zero the red blocks' off-diagonal entries after every step")
    parser.add_argument(
        "--at", type=steps_list, metavar="STEPS",
        help=f"steps shown in the summary, e.g. 0,50,150 (default: {SUMMARY_ROWS} evenly spaced, first and last included)",
    )
    O.add_output_file(parser, "--history", suffixes=(".csv",), help="write every step (a, b, ab, losses) to this CSV file")


def _summary_steps(steps: int, chosen: list[int] | None) -> list[int]:
    if chosen is not None:
        bad = [k for k in chosen if k > steps]
        if bad:
            from mesasym.errors import InvalidInputError

            raise InvalidInputError(f"--at {bad[0]} is beyond the last step {steps}")
        return chosen
    return sorted({round(k * steps / (SUMMARY_ROWS - 1)) for k in range(SUMMARY_ROWS)})


def _derived_product(law: Any, d: int, T: int) -> tuple[float | None, str]:
    """The derived minimiser of the loss on the Assumption-1 manifold (Theorem 1's product under Assumption 2)."""
    from mesasym.precise import as_float
    from mesasym.symbolic.capability import manifold_minimiser, manifold_sums

    value = manifold_minimiser(manifold_sums(law, d), T)
    if value is None:
        return None, "no unique minimiser on the manifold"
    satisfied = law.check_assumption2(d).satisfied
    note = (
        "Theorem 1's fixed point a~b~ (derived), for orientation"
        if satisfied
        else "minimiser on the Assumption-1 manifold (derived); the law violates Assumption 2, so training may leave the manifold"
    )
    return float(as_float(value)), note


def _process_product(process: Any, law: Any, d: int, T: int) -> tuple[float | None, str]:
    """The minimiser of the loss on the manifold for another law of W (mesasym.symbolic.phase_laws)."""
    from mesasym.symbolic.phase_laws import invariance_condition, manifold_fixed_point

    if T > 60:
        return None, "the closed form for --process is summed up to T = 60"
    value = float(manifold_fixed_point(process, law, d, T))
    holds = invariance_condition(process).holds
    note = (
        f"closed-form limit for {process.spec()} (the manifold stays invariant)"
        if holds
        else f"best point on the manifold for {process.spec()}; the manifold is not invariant, training leaves it"
    )
    return value, note


def run(args: argparse.Namespace) -> int:
    """Sample, train, report."""
    from mesasym.numeric.model import Parameters
    from mesasym.numeric.sequences import sample_sequences
    from mesasym.numeric.training import SampleObjective, train

    begin = time.perf_counter()
    law, d = O.law_and_dimension(args.dist, args.d, 5)
    steps, lr, dtype = args.steps, args.lr, DTYPES[args.dtype]
    shown = _summary_steps(steps, args.at)
    O.require_sequence_budget(args.samples, args.T, d, "--samples")
    O.require_sequence_budget(args.test_samples, args.T, d, "--test-samples")
    O.require_training_budget(args.samples, args.T, d, steps, "--samples with --steps")
    rng = np.random.default_rng(args.seed)
    from mesasym.laws import is_uniform_process, parse_process

    process = parse_process(getattr(args, "process", None))
    process = None if is_uniform_process(process) else process
    X_train = sample_sequences(law, args.samples, args.T, d, rng, dtype, process=process).X
    X_test = sample_sequences(law, args.test_samples, args.T, d, rng, dtype, process=process).X if args.test_samples else None
    objective = SampleObjective(X_train)
    tester = SampleObjective(X_test) if X_test is not None else None
    prepared = time.perf_counter()
    test_loss: dict[int, float] = {}
    wanted = set(shown)

    with O.progress(args, "training", total=steps + 1, unit="step") as bar:

        def on_step(step: int, params: Parameters, value: float) -> None:
            if tester is not None and step in wanted:
                test_loss[step] = tester.loss_and_gradient(params)[0]
            bar.set_postfix_str(f"ab={params.ab:.5f} loss={value:.5g}", refresh=False)
            bar.update(1)

        start = Parameters.assumption1(d, float(args.a0), float(args.b0), dtype)
        result = train(objective, start, lr, steps, clip=args.clip, on_step=on_step, estimate_stable_step=True)
    finished = time.perf_counter()
    if process is None:
        derived, derived_note = _derived_product(law, d, args.T)
    else:
        derived, derived_note = _process_product(process, law, d, args.T)
    history = result.history
    rows = [
        {
            "step": int(history.step[k]),
            "tau": float(history.tau[k]),
            "ab": float(history.ab[k]),
            "a": float(history.a[k]),
            "b": float(history.b[k]),
            "off_manifold": float(history.off_manifold[k]),
            "train_loss": float(history.loss[k]),
            "test_loss": test_loss.get(int(history.step[k])),
        }
        for k in range(history.step.size)
    ]
    if args.history is not None:
        with open(args.history, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            for row in rows:
                writer.writerow({key: ("" if value is None else value) for key, value in row.items()})
    final_ab = rows[-1]["ab"]
    payload = {
        "settings": {
            **({} if process is None else {"process": process.spec()}),
            "dist": law.spec(), "d": d, "T": args.T, "samples": args.samples, "test_samples": args.test_samples,
            "steps": steps, "lr": lr, "tau": steps * lr, "a0": O.decimal_text(args.a0), "b0": O.decimal_text(args.b0),
            "seed": args.seed, "dtype": args.dtype, "clip": args.clip, "objective": objective.method,
            "gradient_convention": "d/dRe + i d/dIm (PyTorch's), tau = steps * lr",
        },
        "final": rows[-1],
        "derived_ab": derived,
        "derived_ab_note": derived_note,
        "final_ab_relative_to_derived": None if derived in (None, 0) else final_ab / derived - 1,
        "trajectory": [row for row in rows if row["step"] in wanted],
        "history_file": None if args.history is None else str(args.history),
        "seconds": {"data": prepared - begin, "training": finished - prepared, "total": time.perf_counter() - begin},
        "peak_memory_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if args.json:
        print(json.dumps(payload, indent=2))
        return O.EXIT_OK
    _print_summary(payload)
    return O.EXIT_OK


def _number(value: float | None, width: int, spec: str) -> str:
    return f"{'-':>{width}}" if value is None or not math.isfinite(value) else f"{value:>{width}{spec}}"


def _print_summary(payload: dict[str, Any]) -> None:
    s = payload["settings"]
    out = sys.stdout
    print(
        f"mesasym train: {s['dist']}, d={s['d']}, T={s['T']}, {s['samples']} training / {s['test_samples']} test "
        f"sequences, {s['steps']} steps of lr={s['lr']:g} (tau={s['tau']:g}), a0={s['a0']}, b0={s['b0']}, "
        f"{s['dtype']}{', clip' if s['clip'] else ''}, seed {s['seed']}",
        file=out,
    )
    print(f"{'step':>7} {'tau':>9} {'ab':>10} {'a':>10} {'b':>10} {'off-manifold':>12} {'train loss':>12} {'test loss':>12}", file=out)
    for row in payload["trajectory"]:
        print(
            f"{row['step']:>7} {row['tau']:>9.4g} {row['ab']:>10.6f} {row['a']:>10.6f} {row['b']:>10.6f} "
            f"{row['off_manifold']:>12.4e} {_number(row['train_loss'], 12, '.6g')} {_number(row['test_loss'], 12, '.6g')}",
            file=out,
        )
    derived = payload["derived_ab"]
    if derived is not None:
        gap = payload["final_ab_relative_to_derived"]
        print(f"derived a~b~ = {derived:.6f} ({payload['derived_ab_note']}); final ab is {100 * gap:+.2f} % from it", file=out)
    seconds = payload["seconds"]
    print(
        f"time: {seconds['total']:.1f} s (data {seconds['data']:.1f} s, training {seconds['training']:.1f} s); "
        f"peak memory {payload['peak_memory_mb']:.0f} MB; objective: {s['objective']}",
        file=out,
    )
    if payload["history_file"]:
        print(f"history: {payload['history_file']}", file=out)
