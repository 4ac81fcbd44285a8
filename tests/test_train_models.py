"""Training the model family (mesasym.models.training), ``mesasym train`` on every engine, model files.

Tolerances: the JAX and the kernel trajectories (complex128, the same sample and start) by
1e-10 relative (the issue's bar; the two sum the same terms in different orders, each step
amplifying rounding by at most the GD map's Lipschitz constant, here below 2 over 150 steps).
"""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from mesasym.cli import main
from mesasym.errors import InvalidInputError
from mesasym.models import init_model, predict
from mesasym.models.io import VERSION, load_model, save_model
from mesasym.models.training import train
from mesasym.tasks import parse_task

SMALL = ("--d", "2", "--T", "6", "--samples", "40", "--test-samples", "20", "--lr", "5e-3", "--dtype", "complex128")


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["train", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_jax_and_kernel_engines_give_the_same_trajectory(capsys):
    runs = {}
    for engine in ("kernel", "jax"):
        code, out, err = _run(capsys, *SMALL, "--steps", "150", "--a0", "0.5", "--b0", "1.5", "--engine", engine, "--json")
        assert code == 0, err
        runs[engine] = json.loads(out)
    kernel, jax_run = runs["kernel"], runs["jax"]
    assert (kernel["engine"], jax_run["engine"]) == ("kernel", "jax")
    assert [r["step"] for r in kernel["history"]] == [r["step"] for r in jax_run["history"]] == list(range(151))
    for key in ("ab", "a", "b", "off_manifold", "train_loss"):
        expected = np.array([r[key] for r in kernel["history"]])
        got = np.array([r[key] for r in jax_run["history"]])
        assert np.max(np.abs(got - expected)) <= 1e-10 * np.max(np.abs(expected)), key
    assert jax_run["final"]["test_loss"] == pytest.approx(kernel["final"]["test_loss"], rel=1e-10)
    assert jax_run["derived_ab"] == kernel["derived_ab"] and jax_run["task"] == "ar"
    assert kernel["model"]["layers"] == 1 and set(kernel) >= {"settings", "final", "trajectory", "derived_ab"}


def test_a_deep_family_member_trains_and_its_loss_decreases():
    task = parse_task("unitary")
    rng = np.random.default_rng(0)
    batch = task.sample(rng, 64, d=2, length=6)
    model = init_model("layers=3,heads=2,attention=softmax,mlp=gelu,norm=layer,init=[random:scale=0.3]", task, 2, seed=0)
    run = train(model, batch, steps=30, lr=1e-2, optimizer="adam", record_every=10)
    losses = run.history["train_loss"]
    assert list(run.history["step"]) == [0, 10, 20, 30]
    assert losses[-1] < 0.9 * losses[0]  # a clear decrease, not rounding
    assert {"a_3", "b_3", "ab_3", "off_manifold_3"} <= set(run.history)


def test_fresh_samples_and_divergence():
    task = parse_task("regression:linear")
    rng = np.random.default_rng(1)
    model = init_model("paper", task, 2)
    run = train(model, lambda step: task.sample(rng, 32, d=2, length=5), steps=5, lr=1e-2)
    assert len(set(np.round(run.history["train_loss"], 12))) == 6  # a new sample every step
    from mesasym.errors import DivergenceError

    with pytest.raises(DivergenceError, match="training diverged at step"):
        train(init_model("paper:a=1,b=1", "ar", 2), parse_task("ar").sample(rng, 16, d=2, length=6), steps=50, lr=10.0)


def test_save_and_load_round_trip(tmp_path):
    model = init_model("layers=2,heads=2,mlp=relu,norm=layer,init=[random:scale=0.2]", "rotation", 2, seed=3)
    path = tmp_path / "m.npz"
    save_model(path, model, task="rotation", seed=3, settings={"lr": 0.1})
    loaded = load_model(path)
    batch = parse_task("rotation").sample(np.random.default_rng(0), 2, d=2, length=5)
    assert np.array_equal(np.asarray(predict(loaded.model, batch)), np.asarray(predict(model, batch)))
    assert (loaded.task, loaded.d, loaded.header["version"], loaded.header["settings"]) == ("rotation", 2, VERSION, {"lr": 0.1})


def _rewrite_header(source, target, **changes):
    with np.load(source, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    header = json.loads(str(arrays["__mesasym__"]))
    header.update(changes)
    arrays["__mesasym__"] = np.array(json.dumps(header))
    np.savez(target, **arrays)


def test_model_files_that_are_refused(tmp_path):
    good = tmp_path / "good.npz"
    save_model(good, init_model("paper", "ar", 2), task="ar")
    cases = {}
    (tmp_path / "text.npz").write_text("not a model")
    cases["text.npz"] = "not a mesasym model file (not an .npz archive)"
    data = good.read_bytes()
    (tmp_path / "truncated.npz").write_bytes(data[: len(data) // 2])
    cases["truncated.npz"] = "is corrupt or truncated"
    np.savez(tmp_path / "plain.npz", x=np.zeros(3))
    cases["plain.npz"] = "no __mesasym__ header"
    _rewrite_header(good, tmp_path / "newer.npz", version=VERSION + 1)
    cases["newer.npz"] = f"format version {VERSION + 1}, newer than this mesasym reads"
    _rewrite_header(good, tmp_path / "other.npz", format="mesasym-sweep")
    cases["other.npz"] = "is a 'mesasym-sweep' file"
    _rewrite_header(good, tmp_path / "shapes.npz", d=3)
    cases["shapes.npz"] = "is corrupt"
    cases["missing.npz"] = "does not exist"
    for name, message in cases.items():
        with pytest.raises(InvalidInputError) as info:
            load_model(tmp_path / name)
        assert message in str(info.value), name
        assert "\n" not in str(info.value), name
    assert zipfile.is_zipfile(tmp_path / "plain.npz")


def test_cli_saves_and_starts_from_a_model_file(tmp_path, capsys):
    target = tmp_path / "model.npz"
    code, out, err = _run(capsys, *SMALL, "--steps", "3", "--model", "layers=2,attention=softmax", "--task", "unitary", "--save", str(target), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["engine"] == "jax" and data["saved"] == str(target) and data["model"]["layers"] == 2
    assert [r["step"] for r in data["history"]] == [0, 1, 2, 3] and "ab_2" in data["history"][0]
    code, out, err = _run(capsys, *SMALL, "--steps", "2", "--model", str(target), "--task", "unitary", "--json")
    assert code == 0, err
    again = json.loads(out)
    assert again["history"][0]["train_loss"] == pytest.approx(data["final"]["train_loss"], rel=1e-12)


@pytest.mark.parametrize(
    "argv, message",
    [
        (("--model", "layers=2,colour=red"), "unknown key 'colour'"),
        (("--model", "layers=0"), "layers=0 must be an integer in [1, 64]"),
        (("--model", "width=5"), "width=5 is below the task's minimum 6"),
        (("--model", "attention=softmax,score=abs"), "score=abs is not valid"),
        (("--task", "noisy:sigma=-0.5"), "sigma=-0.5 must be a finite number >= 0"),
        (("--optimizer", "adam:b1=1"), "b1=1 must be a number in [0, 1)"),
        (("--model", "layers=2", "--engine", "kernel"), "--engine kernel runs the paper's model"),
        (("--engine", "jax", "--clip"), "--clip is the authors' variant"),
        (("--model", "missing.npz"), "does not exist"),
        (("--model", "layers=2", "--a0", "0.5"), "--a0/--b0 set the paper's start"),
        (("--task", "regression:linear", "--process", "roots:k=4"), "--process applies to AR tasks"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, capsys, argv, message):
    target = tmp_path / "never.npz"
    code, out, err = _run(capsys, *SMALL, "--steps", "2", *argv, "--save", str(target))
    assert code == 2 and out == "" and message in err and len(err.strip().splitlines()) == 1, err
    assert not target.exists()


def test_a_diverging_run_writes_no_model_file(tmp_path, capsys):
    target = tmp_path / "never.npz"
    code, _, err = _run(capsys, *SMALL, "--steps", "60", "--lr", "20", "--a0", "1", "--b0", "1", "--engine", "jax", "--save", str(target))
    assert code == 2 and "training diverged at step" in err and not target.exists()


def _one_step_gd(batch) -> np.ndarray:
    """``(1/(p-1)) sum_{j<p} y_j x_j . x_p`` for p = 2..P: one GD step from 0 with step size 1/(p-1)."""
    u, v = batch.inputs, batch.outputs
    return np.stack(
        [np.einsum("njo,nj->no", v[:, : p - 1], np.einsum("njd,nd->nj", u[:, : p - 1], u[:, p - 1])) / (p - 1) for p in range(2, batch.positions + 1)],
        axis=1,
    )


def test_one_layer_linear_model_on_regression_reaches_the_best_one_step_gd_loss():
    """The trained model's test loss is within 5 % of the best one-step GD predictor's.

    The best step size eta* = <f, y>/<f, f> is fitted on the test set itself (so it is the best
    GD can do there). The model class contains every one-step GD predictor (the paper's
    initialization with ab = eta), so its loss can exceed L_GD only by what training on 2000
    problems leaves (observed below 1 %), and its extra terms can beat it slightly (observed
    -1.6 %); 5 % covers both, and the untrained start (+120 %) fails it.
    """
    task = parse_task("regression:linear")
    rng = np.random.default_rng(0)
    train_batch, test_batch = task.sample(rng, 2000, d=2, length=10), task.sample(rng, 4000, d=2, length=10)
    f, y = _one_step_gd(test_batch), test_batch.targets
    eta = np.sum(f * y) / np.sum(f * f)
    best_gd = 0.5 * np.sum((eta * f - y) ** 2) / test_batch.n
    from mesasym.models.training import evaluate

    model = init_model("paper", task, 2)
    assert evaluate(model, test_batch) / best_gd - 1 > 0.05  # the can-fail side: the start is far off
    run = train(model, train_batch, steps=150, lr=2e-2, optimizer="adam", record_every=50)
    assert abs(evaluate(run.model, test_batch) / best_gd - 1) < 0.05
