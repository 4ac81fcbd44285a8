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

Every model of the family and every task (``--model SPEC``, ``--task SPEC``, docs/models.md,
docs/tasks.md) trains through the JAX engine (:mod:`mesasym.models.training`), with any
optimizer (``--optimizer gd|momentum|adam:...``) and a fixed or a fresh sample per step
(``--fresh``). ``--engine auto`` keeps the compiled kernel for the paper's model (``paper``, the
default) on the ``ar`` task with plain ``gd``: today's run, output and JSON keys; ``--engine
jax`` runs the same model through JAX. ``--model FILE.npz`` starts from a saved model;
``--save FILE.npz`` writes the trained model (:mod:`mesasym.models.io`). The JSON adds ``model``,
``task``, ``engine`` and ``history`` (every ``--record-every``-th step).

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
from dataclasses import dataclass
from typing import Any

import numpy as np

from mesasym.commands import options as O

NAME = "train"
HELP = "Train the full model on a fixed sample by full-batch gradient descent, as the authors do."

DTYPES = {"complex64": np.complex64, "complex128": np.complex128}
ENGINES = ("auto", "kernel", "jax")
SUMMARY_ROWS = 6


def steps_list(text: str) -> list[int]:
    """An argparse ``type``: comma-separated step numbers ``>= 0``."""
    parse = O.integer(0)
    try:
        return sorted({parse(part) for part in str(text).split(",") if part.strip()}) or [0]
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"{text!r} must be comma-separated integers >= 0, e.g. 0,50,150") from None


def _spec_type(parse: Any, what: str) -> Any:
    """An argparse ``type`` that checks a spec with ``parse`` (its one-line error on failure)."""

    def check(text: str) -> str:
        from mesasym.errors import InvalidInputError

        try:
            parse(text)
        except InvalidInputError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
        return text

    check.__name__ = what
    return check


def _model_or_file(text: str) -> str:
    from mesasym.models import parse_model

    return text if text.lower().endswith(".npz") else _spec_type(parse_model, "model spec")(text)


def _parse_task(text: str) -> Any:
    from mesasym.tasks import parse_task

    return parse_task(text)


def _parse_optimizer(text: str) -> Any:
    from mesasym.models.optimizers import parse_optimizer

    return parse_optimizer(text)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The run's settings (defaults: the authors' sigma = 1 Gaussian run) and the outputs."""
    O.add_dist(parser, default="gaussian:sigma=1", help="law of x_1, or of the inputs of a regression task (default gaussian:sigma=1)")
    O.add_d(parser, default=5, maximum=64)
    O.add_T(parser, default=100, maximum=100_000)
    parser.add_argument(
        "--model", type=_model_or_file, metavar="SPEC|FILE.npz", default=None,
        help="the model (docs/models.md; default: the paper's, started at --a0, --b0), or a saved model file to start from",
    )
    parser.add_argument(
        "--task", type=_spec_type(_parse_task, "task spec"), metavar="SPEC", default="ar",
        help="the task (docs/tasks.md; default ar, the paper's); for regression tasks --T is the number N of context examples",
    )
    parser.add_argument(
        "--optimizer", type=_spec_type(_parse_optimizer, "optimizer spec"), metavar="SPEC", default="gd",
        help="gd (default), momentum:beta=..., adam:b1=..,b2=..; every one takes schedule=, warmup=, clip=",
    )
    parser.add_argument(
        "--engine", choices=ENGINES, default="auto",
        help="kernel: the compiled NumPy kernel (paper model, ar task, plain gd only); jax: the model family; auto (default): kernel where it applies",
    )
    parser.add_argument("--fresh", action="store_true", help="a fresh training sample at every step (jax engine)")
    O.add_int(parser, "--record-every", minimum=1, maximum=10**7, default=1, help="record the history every K steps (default 1)")
    O.add_output_file(parser, "--save", suffixes=(".npz",), help="write the trained model to this .npz file (docs/models.md)")
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


@dataclass
class _Setup:
    """What both engines need: the parsed specs, the engine, the law, the dimension."""

    law: Any
    d: int
    process: Any
    task: Any
    model_spec: Any
    start: Any  # a loaded Model, or None (start from the spec)
    optimizer: Any
    engine: str


def _setup(args: argparse.Namespace) -> _Setup:
    """Parse and cross-check the options (one-line errors, before any work)."""
    from mesasym.errors import InvalidInputError, require
    from mesasym.laws import is_uniform_process, parse_process
    from mesasym.models import parse_model
    from mesasym.models.optimizers import parse_optimizer
    from mesasym.tasks import parse_task

    law, d = O.law_and_dimension(args.dist, args.d, 5)
    process = parse_process(getattr(args, "process", None))
    process = None if is_uniform_process(process) else process
    task = parse_task(args.task)
    start = None
    default_start = float(args.a0) == 0.1 and float(args.b0) == 0.1
    if args.model is None:
        model_spec = parse_model(f"paper:a={float(args.a0)!r},b={float(args.b0)!r}")
    else:
        require(default_start, "--a0/--b0 set the paper's start; with --model give it as init=[paper:a=..,b=..]")
        if args.model.lower().endswith(".npz"):
            from mesasym.models.io import load_model

            loaded = load_model(args.model)
            require(loaded.d == d, f"the model file {args.model!r} is for d={loaded.d}, not --d {d}")
            require(
                parse_task(loaded.task).layout == task.layout and loaded.model.dtype == np.dtype(task.data_dtype(args.dtype)),
                f"the model file {args.model!r} was trained on {loaded.task!r} in {loaded.model.dtype}; "
                f"--task {task.spec()} with --dtype {args.dtype} needs another model",
            )
            start, model_spec = loaded.model, loaded.model.spec
        else:
            model_spec = parse_model(args.model)
    optimizer = parse_optimizer(args.optimizer)
    why_not = [
        reason
        for reason, applies in (
            (f"the model is not the paper's ({model_spec.spec()})", not model_spec.is_paper or model_spec.init.name != "paper"),
            (f"the task is {task.spec()!r}, not 'ar'", task.spec() != "ar"),
            (f"the optimizer is {optimizer.spec()!r}, not plain gd", not optimizer.is_plain_gd),
            ("--fresh draws a new sample every step", args.fresh),
            ("it starts from a model file", start is not None),
        )
        if applies
    ]
    engine = args.engine if args.engine != "auto" else ("jax" if why_not else "kernel")
    if engine == "kernel" and why_not:
        raise InvalidInputError(f"--engine kernel runs the paper's model on 'ar' with plain gd only, but {why_not[0]}; use --engine jax")
    require(not (args.clip and engine == "jax"), "--clip is the authors' variant of the paper's model; it needs --engine kernel")
    require(task.layout == "ar" or process is None, f"--process applies to AR tasks, not {task.spec()!r}")
    return _Setup(law, d, process, task, model_spec, start, optimizer, engine)


def run(args: argparse.Namespace) -> int:
    """Sample, train, report."""
    begin = time.perf_counter()
    setup = _setup(args)
    d, steps = setup.d, args.steps
    shown = _summary_steps(steps, args.at)
    O.require_sequence_budget(args.samples, args.T, d, "--samples")
    O.require_sequence_budget(args.test_samples, args.T, d, "--test-samples")
    O.require_training_budget(args.samples, args.T, d, steps, "--samples with --steps")
    runner = _run_kernel if setup.engine == "kernel" else _run_jax
    rows, final_model, method, prepared = runner(args, setup, set(shown))
    finished = time.perf_counter()
    derived, derived_note = None, "no derived fixed point for this model and task"
    if setup.model_spec.is_paper and setup.task.spec() == "ar" and setup.optimizer.is_plain_gd:
        if setup.process is None:
            derived, derived_note = _derived_product(setup.law, d, args.T)
        else:
            derived, derived_note = _process_product(setup.process, setup.law, d, args.T)
    if args.history is not None:
        with open(args.history, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            for row in rows:
                writer.writerow({key: ("" if value is None else value) for key, value in row.items()})
    final_ab = rows[-1].get("ab")
    settings = {
        **({} if setup.process is None else {"process": setup.process.spec()}),
        "dist": setup.law.spec(), "d": d, "T": args.T, "samples": args.samples, "test_samples": args.test_samples,
        "steps": steps, "lr": args.lr, "tau": steps * args.lr, "a0": O.decimal_text(args.a0), "b0": O.decimal_text(args.b0),
        "seed": args.seed, "dtype": args.dtype, "clip": args.clip, "objective": method,
        "gradient_convention": "d/dRe + i d/dIm (PyTorch's), tau = steps * lr",
        "optimizer": setup.optimizer.spec(), "fresh": args.fresh, "record_every": args.record_every,
    }
    payload = {
        "settings": settings,
        "model": setup.model_spec.to_dict(),
        "task": setup.task.spec(),
        "engine": setup.engine,
        "final": rows[-1],
        "derived_ab": derived,
        "derived_ab_note": derived_note,
        "final_ab_relative_to_derived": None if derived in (None, 0) or final_ab is None else final_ab / derived - 1,
        "trajectory": [row for row in rows if row["step"] in shown],
        "history": [row for row in rows if row["step"] % args.record_every == 0 or row["step"] == steps],
        "history_file": None if args.history is None else str(args.history),
        "saved": None if args.save is None else str(args.save),
        "seconds": {"data": prepared - begin, "training": finished - prepared, "total": time.perf_counter() - begin},
        "peak_memory_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if args.save is not None:
        from mesasym.models.io import save_model

        save_model(args.save, final_model, task=setup.task.spec(), seed=args.seed, settings=settings)
    if args.json:
        print(json.dumps(payload, indent=2))
        return O.EXIT_OK
    _print_summary(payload)
    return O.EXIT_OK


def _run_kernel(args: argparse.Namespace, setup: _Setup, wanted: set[int]) -> tuple[list[dict], Any, str, float]:
    """Today's run: the compiled kernel (:class:`mesasym.numeric.training.SampleObjective`)."""
    from mesasym.numeric.model import Parameters
    from mesasym.numeric.sequences import sample_sequences
    from mesasym.numeric.training import SampleObjective, train

    d, dtype, steps = setup.d, DTYPES[args.dtype], args.steps
    rng = np.random.default_rng(args.seed)
    X_train = sample_sequences(setup.law, args.samples, args.T, d, rng, dtype, process=setup.process).X
    X_test = sample_sequences(setup.law, args.test_samples, args.T, d, rng, dtype, process=setup.process).X if args.test_samples else None
    objective = SampleObjective(X_train)
    tester = SampleObjective(X_test) if X_test is not None else None
    prepared = time.perf_counter()
    test_loss: dict[int, float] = {}

    with O.progress(args, "training", total=steps + 1, unit="step") as bar:

        def on_step(step: int, params: Parameters, value: float) -> None:
            if tester is not None and step in wanted:
                test_loss[step] = tester.loss_and_gradient(params)[0]
            bar.set_postfix_str(f"ab={params.ab:.5f} loss={value:.5g}", refresh=False)
            bar.update(1)

        start = Parameters.assumption1(d, float(args.a0), float(args.b0), dtype)
        result = train(objective, start, args.lr, steps, clip=args.clip, on_step=on_step, estimate_stable_step=True)
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
    from mesasym.models import from_parameters

    model = from_parameters(result.params, setup.model_spec) if args.save is not None else None
    return rows, model, objective.method, prepared


def _run_jax(args: argparse.Namespace, setup: _Setup, wanted: set[int]) -> tuple[list[dict], Any, str, float]:
    """Any model and task through :func:`mesasym.models.training.train` (training sample, then test sample)."""
    from mesasym.models import init_model
    from mesasym.models.training import train

    d, steps, task = setup.d, args.steps, setup.task
    rng = np.random.default_rng(args.seed)

    def draw(n: int) -> Any:
        return task.sample(rng, n, d=d, length=args.T, dist=setup.law, process=setup.process, dtype=DTYPES[args.dtype])

    model = setup.start if setup.start is not None else init_model(setup.model_spec, task, d, seed=args.seed, dtype=DTYPES[args.dtype])
    train_batch = None if args.fresh else draw(args.samples)
    test_batch = draw(args.test_samples) if args.test_samples else None
    sample = (lambda step: draw(args.samples)) if args.fresh else train_batch
    prepared = time.perf_counter()
    with O.progress(args, "training", total=steps + 1, unit="step") as bar:

        def on_step(step: int, value: float) -> None:
            bar.set_postfix_str(f"loss={value:.5g}", refresh=False)
            bar.update(1)

        run = train(
            model, sample, steps=steps, lr=args.lr, optimizer=setup.optimizer, test=test_batch, test_at=wanted,
            record_every=1 if args.history else args.record_every, on_step=on_step,
        )
    columns = run.history
    layers = [name[3:] for name in columns if name.startswith("ab_")]
    rows = []
    for k, step in enumerate(columns["step"]):
        row: dict[str, Any] = {"step": int(step), "tau": float(step) * args.lr}
        if len(layers) == 1:  # one block: the paper's columns
            row.update({key: float(columns[f"{key}_1"][k]) for key in ("ab", "a", "b", "off_manifold")})
        row["train_loss"] = float(columns["train_loss"][k])
        test = float(columns["test_loss"][k])
        row["test_loss"] = None if math.isnan(test) else test
        if len(layers) > 1:
            row.update({f"{key}_{l}": float(columns[f"{key}_{l}"][k]) for l in layers for key in ("ab", "a", "b", "off_manifold")})
        rows.append(row)
    return rows, run.model, "jax", prepared


def _number(value: float | None, width: int, spec: str) -> str:
    return f"{'-':>{width}}" if value is None or not math.isfinite(value) else f"{value:>{width}{spec}}"


def _print_summary(payload: dict[str, Any]) -> None:
    s = payload["settings"]
    out = sys.stdout
    model = payload["model"]
    what = "" if payload["engine"] == "kernel" else f"; model {model['spec']}, task {payload['task']}, {s['optimizer']}, engine jax"
    print(
        f"mesasym train: {s['dist']}, d={s['d']}, T={s['T']}, {s['samples']} training / {s['test_samples']} test "
        f"sequences, {s['steps']} steps of lr={s['lr']:g} (tau={s['tau']:g}), a0={s['a0']}, b0={s['b0']}, "
        f"{s['dtype']}{', clip' if s['clip'] else ''}, seed {s['seed']}{what}",
        file=out,
    )
    first = payload["trajectory"][0]
    if "ab" in first:
        print(f"{'step':>7} {'tau':>9} {'ab':>10} {'a':>10} {'b':>10} {'off-manifold':>12} {'train loss':>12} {'test loss':>12}", file=out)
        for row in payload["trajectory"]:
            print(
                f"{row['step']:>7} {row['tau']:>9.4g} {row['ab']:>10.6f} {row['a']:>10.6f} {row['b']:>10.6f} "
                f"{row['off_manifold']:>12.4e} {_number(row['train_loss'], 12, '.6g')} {_number(row['test_loss'], 12, '.6g')}",
                file=out,
            )
    else:  # several layers: the product of the red diagonals per layer (the first four)
        layers = [key[3:] for key in first if key.startswith("ab_")][:4]
        print(f"{'step':>7} {'tau':>9} " + " ".join(f"{'ab_' + l:>10}" for l in layers) + f" {'train loss':>12} {'test loss':>12}", file=out)
        for row in payload["trajectory"]:
            cells = " ".join(f"{row['ab_' + l]:>10.6f}" for l in layers)
            print(
                f"{row['step']:>7} {row['tau']:>9.4g} {cells} {_number(row['train_loss'], 12, '.6g')} {_number(row['test_loss'], 12, '.6g')}",
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
    if payload["saved"]:
        print(f"model saved: {payload['saved']}", file=out)
