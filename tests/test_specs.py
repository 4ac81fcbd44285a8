"""The one spec grammar (mesasym.specs): names with colons, default families, nesting, errors."""

import pytest

from mesasym.errors import InvalidInputError
from mesasym.specs import Key, parse_spec

FAMILIES = {
    "gaussian": [Key("sigma", "1")],
    "regression:linear": [],
    "regression:noisy": [Key("sigma")],
    "discrete": [Key("values", many=True), Key("probs", many=True)],
    "custom": [Key("layers", "1"), Key("init", "[paper]")],
}


def parse(text, **kw):
    return parse_spec(text, kind="thing", families=FAMILIES, **kw)


def test_longest_name_wins_and_defaults_fill_in():
    assert parse("regression:noisy:sigma=0.5").name == "regression:noisy"
    assert parse("Regression:Linear").name == "regression:linear"
    assert dict(parse("gaussian").values) == {"sigma": "1"}


def test_default_family_nesting_and_lists():
    spec = parse("layers=3, init=[paper:a=1,b=2]", default="custom")
    assert spec.name == "custom" and dict(spec.values) == {"layers": "3", "init": "[paper:a=1,b=2]"}
    assert parse("", default="custom").values["layers"] == "1"
    assert parse("discrete:values=-1,2;probs=1/3,2/3").values["values"] == ("-1", "2")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("foo", "unknown thing name 'foo'"),
        ("regression:noisy", "missing key 'sigma'"),
        ("gaussian:s=1", "unknown key 's'"),
        ("gaussian:sigma=1,sigma=2", "given twice"),
        ("gaussian:sigma=", "has no value"),
        ("gaussian:sigma=1,,", "empty parameter"),
        ("gaussian:sigma=1,2", "not of the form key=value"),
        ("custom:init=[paper", "unbalanced brackets"),
        (3, "must be a string"),
    ],
)
def test_errors_are_one_line_and_name_the_problem(text, words):
    with pytest.raises(InvalidInputError) as info:
        parse(text)
    assert words in str(info.value) and "\n" not in str(info.value)
