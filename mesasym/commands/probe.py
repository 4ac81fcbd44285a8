"""``mesasym probe TARGET``: which in-context algorithm does a model (or an algorithm) compute?

``TARGET`` is a saved model file (``mesasym train --save``), a model spec (``layers=2``,
``construction=gd,steps=3``, ``init=[random:scale=1]``) or an algorithm spec (``gd:k=3``,
``ols``; free hyperparameters are first fitted to the task's truth on the probe batch).
The zoo's hyperparameters are fitted on ``--problems`` probe problems of the target's task,
and the comparison (:mod:`mesasym.compare.probe`) is made on ``--held-out`` fresh ones.

Exit status: 0 when the probe ran (whatever the verdict), 2 for invalid input.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from mesasym.commands import options as O
from mesasym.errors import InvalidInputError, require
from mesasym.specs import split_top_level

NAME = "probe"
HELP = "Compare a model or algorithm with GD, preconditioned GD, OLS, ridge and baselines; name the closest."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """TARGET, ``--task``, ``--dist``, ``--d``, ``--length``, ``--problems``, ``--held-out``, ``--algorithm``, ``--seed``, ``--plot``."""
    parser.add_argument("target", metavar="TARGET", nargs="?", default=None, help="a model file, a model spec or an algorithm spec")
    parser.add_argument("--model", metavar="SPEC", default=None, help="the target as an option (for sweeps): a model spec or file")
    parser.add_argument("--task", metavar="SPEC", default=None, help="task spec (default: the model file's task, else ar)")
    O.add_dist(parser, default="gaussian", help="law of x_1 (AR tasks) or of the inputs (regression); default gaussian")
    O.add_d(parser, default=None, maximum=32, help="dimension (default: the model file's, else 3)")
    O.add_int(parser, "--length", default=12, minimum=3, maximum=200, help="T (AR tasks) or N context examples (regression); default 12")
    O.add_int(parser, "--problems", default=200, minimum=1, maximum=100_000, help="probe problems the hyperparameters are fitted on")
    O.add_int(parser, "--held-out", default=200, minimum=2, maximum=100_000, help="fresh problems the comparison is reported on")
    O.add_int(parser, "--jacobian-problems", default=8, minimum=0, maximum=1000, help="held-out problems for the sensitivity cosine (0: skip)")
    parser.add_argument(
        "--algorithm", metavar="SPEC", action="append", default=None,
        help="an algorithm of the zoo (repeatable, or several joined by ';'; default: the shipped zoo)",
    )
    O.add_int(parser, "--train-steps", default=0, minimum=0, maximum=100_000, help="first train a model target for N steps on its task (0: probe it as it is)")
    O.add_int(parser, "--train-samples", default=2000, minimum=1, maximum=1_000_000, help="training problems (a fixed sample) for --train-steps")
    O.add_real(parser, "--lr", default=1e-3, minimum=0, help="training step size for --train-steps (default 1e-3)")
    parser.add_argument("--optimizer", metavar="SPEC", default="adam", help="optimizer for --train-steps: gd, momentum, adam (default)")
    parser.add_argument("--fresh", action="store_true", help="train on a fresh sample of --train-samples problems at every step (online)")
    O.add_seed(parser, help="seed of the probe and held-out problems (and of a random model's weights)")
    O.add_output_file(parser, "--plot", suffixes=O.PLOT_SUFFIXES, help="write distance per position and fitted steps here")


def resolve_target(text: str, task_text: str | None, d: int | None, seed: int) -> tuple[str, Any, str, int]:
    """``(name, predict_fn or Algorithm, task spec, d)`` of a file, model spec or algorithm spec (one-line errors)."""
    from mesasym.algorithms import parse_algorithm

    path = Path(text)
    if path.exists():
        from mesasym.models.io import load_model

        loaded = load_model(path)
        require(
            task_text is None or task_text == loaded.task,
            f"model file {text!r} was trained on task {loaded.task!r}; --task {task_text!r} differs (omit --task)",
        )
        require(d is None or d == loaded.d, f"model file {text!r} has d={loaded.d}; --d {d} differs (omit --d)")
        return f"{text} ({loaded.model.spec.spec()})", loaded.model, loaded.task, loaded.d
    task, dim = task_text or "ar", 3 if d is None else d
    try:
        return text, parse_algorithm(text), task, dim
    except InvalidInputError as algorithm_error:
        from mesasym.models import build_construction, init_model, is_construction, parse_model

        try:
            spec = parse_model(text)
        except InvalidInputError as model_error:
            raise InvalidInputError(
                f"TARGET {text!r} is neither a file nor a spec: as an algorithm, {algorithm_error}; as a model, {model_error}"
            ) from None
        model = build_construction(spec, task, dim) if is_construction(spec) else init_model(spec, task, dim, seed=seed % 2**32)
        return text, model, task, dim


def train_target(model: Any, task: Any, law: Any, d: int, args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """Train ``model`` on ``--train-samples`` problems of the task (their own generator, from ``--seed + 1``),
    one fixed sample or (``--fresh``) a new one at every step."""
    from mesasym.models.training import train

    O.require_sequence_budget(args.train_samples, args.length, d, "--train-samples")
    rng = np.random.default_rng(args.seed + 1)

    def draw(_: int = 0) -> Any:
        return task.sample(rng, args.train_samples, d=d, length=args.length, dist=law)

    sample = draw if args.fresh else draw()
    run = train(model, sample, steps=args.train_steps, lr=args.lr, optimizer=args.optimizer, record_every=max(1, args.train_steps))
    losses = np.asarray(run.history["train_loss"])
    info = {"steps": args.train_steps, "lr": args.lr, "optimizer": args.optimizer, "samples": args.train_samples, "fresh": args.fresh}
    return run.model, {**info, "initial_loss": float(losses[0]), "final_loss": run.final_loss}


def target_function(target: Any, probe_batch: Any, task: Any, law: Any, d: int, args: argparse.Namespace) -> tuple[Any, Any, dict | None]:
    """``(fn, target, training)``: the target's prediction as a JAX function of the context.

    An algorithm's free hyperparameters are first fitted to the truth on the probe batch (the
    best such algorithm for the task); a model is first trained when ``--train-steps`` is set.
    """
    from mesasym.algorithms import Algorithm, fit_algorithm
    from mesasym.models import predict
    from mesasym.tasks import Batch

    if isinstance(target, Algorithm):
        require(target.family != "oracle", "TARGET 'oracle' has no Jacobian with respect to the context; probe another target")
        require(args.train_steps == 0, "--train-steps trains a model target, not an algorithm")
        fitted = fit_algorithm(target, probe_batch, probe_batch.targets)
        return fitted.predict_arrays, fitted, None
    model, training = train_target(target, task, law, d, args) if args.train_steps else (target, None)
    return (lambda inputs, outputs: predict(model, Batch(inputs, outputs, None))), model, training


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from mesasym.algorithms import parse_algorithm
    from mesasym.compare.probe import default_zoo, probe, step_agreement, trained_ab
    from mesasym.tasks import parse_task

    if args.plot is not None:
        from mesasym.report.plots import require_matplotlib

        require_matplotlib()
    require((args.target is None) != (args.model is None), "give the target either as TARGET or as --model, exactly once")
    name, target, task_text, d = resolve_target(args.target or args.model, args.task, args.d, args.seed)
    task = parse_task(task_text)
    law, d = O.law_and_dimension(args.dist, d, default_d=d)
    zoo_specs = [s.strip() for text in args.algorithm for s in split_top_level(text, ";")] if args.algorithm else default_zoo(task.layout)
    zoo = [parse_algorithm(spec) for spec in zoo_specs]
    O.require_sequence_budget(args.problems + args.held_out, args.length, d, "--problems + --held-out")
    rng = np.random.default_rng(args.seed)
    probe_batch = task.sample(rng, args.problems, d=d, length=args.length, dist=law)
    held_out = task.sample(rng, args.held_out, d=d, length=args.length, dist=law)
    fn, target, training = target_function(target, probe_batch, task, law, d, args)
    with O.progress(args, "probing", total=len(zoo)) as bar:
        report = probe(name, fn, probe_batch, held_out, zoo, jacobian_problems=args.jacobian_problems, on_algorithm=lambda _: bar.update(1))
    ab = trained_ab(target)
    one_step = next((row for row in report.rows if row.name == "gd:k=1"), None)
    if ab and one_step is not None:
        fitted = float(np.real(one_step.hyperparameters["steps"][0]))
        report = replace(report, step=step_agreement(fn, probe_batch, ab, fitted, report.threshold))
    report.settings.update({"task": task.spec(), "dist": args.dist, "d": d, "length": args.length, "seed": args.seed, "training": training})
    if args.plot is not None:
        from mesasym.report.probe_plot import plot_probe

        plot_probe(report, args.plot)
    print(json.dumps(report.as_json(), indent=2) if args.json else render(report))
    return O.EXIT_OK


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}"


def render(report: Any) -> str:
    """The table: one algorithm a line (distance ± SE, cosine, own error, fitted hyperparameters), then the verdict."""
    lines = [f"target: {report.target}   (held-out problems: {report.settings['held_out_problems']}, positions: {report.settings['positions']})"]
    lines.append(f"  {'algorithm':24s} {'distance':>10s} {'± SE':>9s} {'cosine':>8s} {'error':>8s}  hyperparameters")
    for row in sorted(report.rows, key=lambda r: r.distance):
        hyper = json.dumps(row.hyperparameters) if row.hyperparameters else ""
        hyper = hyper if len(hyper) <= 70 else hyper[:67] + "..."
        lines.append(f"  {row.name:24s} {row.distance:10.3g} {row.distance_se:9.2g} {_number(row.cosine):>8s} {row.error:8.3g}  {hyper}")
    lines.append(f"  {'(target itself)':24s} {'':>10s} {'':>9s} {'':>8s} {report.target_error:8.3g}")
    if report.step is not None:
        s = report.step
        lines.append(
            f"paper's trained ab = {s['trained_step']:.6g}; fitted gd:k=1 step = {s['fitted_step']:.6g} (relative difference "
            f"{s['relative_difference']:.2g}); distance to one GD step of size ab: {s['distance_at_trained_step']:.3g} "
            f"{'<=' if s['within'] else '>'} threshold {s['threshold']:.3g}, so |step - ab|/ab <= {s['tolerance']:.2g}"
            + ("" if s["within"] else " does NOT hold")
        )
    lines.append(f"verdict: {report.verdict} ({report.reason})")
    return "\n".join(lines)
