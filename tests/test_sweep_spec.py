"""Sweep specifications: axes, zips, templates (exact, no eval), validation errors that name the key."""

from __future__ import annotations

from fractions import Fraction

import pytest

from mesasym.errors import InvalidInputError
from mesasym.laws import parse_distribution
from mesasym.sweep import expr
from mesasym.sweep.spec import parse_spec, render_template

SKEW = """
command = "check-fixed-point"
[options]
d = 2
T = 4
dist = "discrete:values=-1,{v};probs={v/(1+v)},{1/(1+v)}"
[axes]
v = [1, 1.5, 2]
[columns]
skew2 = "(v*(v-1))**2"
"""


def test_template_laws_are_exact_and_mean_zero() -> None:
    spec = parse_spec(SKEW)
    points = spec.points()
    assert [p.options["--dist"] for p in points] == [
        "discrete:values=-1,1;probs=1/2,1/2",
        "discrete:values=-1,3/2;probs=3/5,2/5",
        "discrete:values=-1,2;probs=2/3,1/3",
    ]
    for point in points:  # the template is the family of mean-zero two-point laws
        law = parse_distribution(point.options["--dist"])
        assert law.moment((0,), d=1) == 0
        v = expr.exact(point.axes["v"])
        assert law.moment((0, 0, 0), d=1) == (v * (v - 1))  # E x^3 = v (v - 1), derived by hand for -1, v
    assert points[0].argv() == ["--d=2", "--T=4", "--dist=discrete:values=-1,1;probs=1/2,1/2"]


def test_axes_product_zip_and_generated_values() -> None:
    spec = parse_spec(
        """
command = "check-fixed-point"
[options]
d = 2
[axes]
T = { linspace = [4, 10, 3], round = true }
samples = { logspace = [2, 4, 3] }
seed = { range = [0, 2] }
[[zip]]
a0 = [0.1, 0.5]
b0 = [0.1, 0.3]
"""
    )
    assert spec.axes["T"] == [4, 7, 10]
    assert spec.axes["samples"] == [100.0, 1000.0, 10000.0]
    assert spec.axes["seed"] == [0, 1]
    points = spec.points()
    assert len(points) == 3 * 3 * 2 * 2
    pairs = {(p.options["--a0"], p.options["--b0"]) for p in points}
    assert pairs == {("0.1", "0.1"), ("0.5", "0.3")}  # zipped, not crossed
    assert points[0].options["--samples"] == "100"  # integer-valued floats are passed as integers
    assert len({p.point_id for p in points}) == len(points)


def test_point_ids_depend_on_settings_and_code_only() -> None:
    a, b = parse_spec(SKEW), parse_spec(SKEW.replace("[columns]", "# a comment\n[columns]"))
    assert [p.point_id for p in a.points("1")] == [p.point_id for p in b.points("1")]
    assert [p.point_id for p in a.points("1")] != [p.point_id for p in a.points("2")]


def test_linspace_is_exact_in_decimals() -> None:
    spec = parse_spec('command = "check-fixed-point"\n[axes]\na0 = { linspace = [0.1, 0.3, 3] }\n')
    assert spec.axes["a0"] == [0.1, 0.2, 0.3]


@pytest.mark.parametrize(
    ("source", "named"),
    [
        ('command = "nope"', "command = 'nope'"),
        ('command = "sweep"', "command = 'sweep'"),
        ('command = "check-fixed-point"\n[options]\nfoo = 1', "options.foo"),
        ('command = "check-fixed-point"\n[options]\njson = true', "'json'"),
        ('command = "check-fixed-point"\n[axes]\nT = []', "axes.T"),
        ('command = "check-fixed-point"\n[axes]\nT = { linspace = [1, 2] }', "axes.T"),
        ('command = "check-fixed-point"\n[axes]\nw = [1, 2]', "axis 'w'"),
        ('command = "check-fixed-point"\n[axes]\nT = ["x"]', "--T"),  # the command's own parser
        ('command = "check-fixed-point"\n[[zip]]\na0 = [1, 2]\nb0 = [1]', "zip[0]"),
        ('command = "check-fixed-point"\nbogus = 1', "'bogus'"),
        ('command = "check-fixed-point"\n[options]\ndist = "gaussian:sigma={s}"\n[axes]\nT = [4]', "'s'"),
        ('command = "check-fixed-point"\n[options]\ndist = "nosuchlaw"', "nosuchlaw"),
        ('command = "check-fixed-point"\n[columns]\nx = "__import__(1)"', "columns.x"),
        ('command = "check-fixed-point"\n[[plot]]\nkind = "pie"', "plot[0]"),
        ('command = "check-fixed-point"\n[[plot]]\nkind = "line"\nx = "T"', "'y'"),
        ('command = "check-fixed-point"\ntimeout = -1', "timeout"),
        ("command = ", "not valid TOML"),
    ],
)
def test_bad_specs_name_the_key(source: str, named: str) -> None:
    with pytest.raises(InvalidInputError) as error:
        parse_spec(source)
    message = str(error.value)
    assert named in message and "\n" not in message


@pytest.mark.parametrize(
    "text",
    ["__import__('os').system('true')", "(1).__class__", "[1][0]", "lambda: 1", "open('x')", "'a' + 'b'", "x if 1 else 2"],
)
def test_expressions_reject_anything_but_arithmetic(text: str) -> None:
    with pytest.raises(InvalidInputError):
        expr.evaluate(expr.parse(text, "t"), {"x": 1}, "t")


def test_expressions_are_exact_and_read_dotted_columns() -> None:
    tree = expr.parse("(numeric.ab - fixed_point.ab) / fixed_point.ab", "c")
    assert expr.names(tree) == {"numeric.ab", "fixed_point.ab"}
    assert expr.evaluate(tree, {"numeric.ab": 0.3, "fixed_point.ab": 0.2}, "c") == Fraction(1, 2)
    assert expr.evaluate(expr.parse("1/3 + v", "c"), {"v": "1/6"}, "c") == Fraction(1, 2)
    assert expr.evaluate(expr.parse("x + 1", "c"), {"x": None}, "c") is None  # a missing result stays missing
    assert render_template("a={{v}};b={v**2}", {"v": 0.5}, "t") == "a={v};b=1/4"
    hyphen = expr.parse("checks.numeric_ab.value * 2", "c")  # a '-' in a column name is written '_'
    assert expr.evaluate(hyphen, {"checks.numeric-ab.value": 0.25}, "c") == Fraction(1, 2)
    with pytest.raises(InvalidInputError, match="close: numeric.ab"):
        expr.evaluate(expr.parse("numeric.abb", "c"), {"numeric.ab": 1, "zzz": 2}, "c")
    with pytest.raises(InvalidInputError, match="division by zero"):
        expr.evaluate(expr.parse("1/(v-1)", "c"), {"v": 1}, "c")
