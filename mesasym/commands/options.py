"""Shared command-line options: one parsing, one set of limits, one progress bar for every command.

Use it from a command module (``NAME``, ``HELP``, ``add_arguments(parser)``, ``run(args)``)::

    from mesasym.commands import options as O

    def add_arguments(parser):
        O.add_T(parser, default=50)                 # --T, int in [3, T_MAX]      -> args.T
        O.add_d(parser, default=5, maximum=8)       # --d, int in [1, maximum]    -> args.d
        O.add_start(parser)                         # --a0/--b0, exact Rationals  -> args.a0, args.b0
        O.add_seed(parser); O.add_dps(parser)       # --seed, --dps
        O.add_int(parser, "--samples", default=10_000, minimum=2, maximum=10**6, help="...")
        O.add_real(parser, "--lr", minimum=0, help="...")   # finite float > minimum
        O.add_output_file(parser, "--plot", suffixes=O.PLOT_SUFFIXES, help="...")
        O.add_output_dir(parser, "--out", required=True, help="...")

    def run(args):
        law, d = O.law_and_dimension(args.dist, args.d, default_d=5)
        O.require_sequence_budget(args.samples, args.T, d, "--samples")       # memory, up front
        O.require_training_budget(args.samples, args.T, d, steps, "--steps")  # time, up front
        with O.progress(args, "training", total=steps) as bar:   # tqdm; silent unless useful
            ... bar.update(1) ...  or  callback=O.message_sink(bar)
        return O.EXIT_OK

Every value is converted and checked while the command line is parsed, before any work
starts: a bad value ends the command with one line ``mesasym CMD: error: argument --T:
'2' must be an integer >= 3 and <= 1000000000000`` and exit status 2. ``--json``,
``--quiet`` and ``--debug`` are added to every command by :mod:`mesasym.cli` (do not add
them yourself); the exit-code table is :mod:`mesasym.commands.exit_codes`, re-exported here.

Limits: each has a default (``T_MAX``, ``D_MAX``, ...) that is what the most permissive
command can compute; a command narrows it (``maximum=``) to what its engine can do and
says why in the help text. The type factories (:func:`integer`, :func:`real`,
:func:`exact_real`) can also be used directly as ``type=`` of any other option.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from mesasym.commands.exit_codes import (  # noqa: F401 - re-exported for the commands
    EXIT_CHECK_FAILED,
    EXIT_CODES,
    EXIT_HYPOTHESES_VIOLATED,
    EXIT_INCONCLUSIVE,
    EXIT_INTERNAL_ERROR,
    EXIT_OK,
    EXIT_USAGE,
)

#: Largest sequence length any command accepts (``capability`` evaluates closed forms in T).
T_MAX = 10**12
#: Largest dimension any command accepts (the symbolic side; numeric engines narrow it).
D_MAX = 64
#: Range of ``--dps`` (decimal digits of the high-precision parts; the checks' tolerances
#: are 10^-(dps-5), so fewer than 15 digits would be coarser than double precision).
DPS_MIN, DPS_MAX = 15, 1000
#: Largest seed (numpy accepts more, but 63 bits is what a JSON reader round-trips).
SEED_MAX = 2**63 - 1
#: Largest ``|a0|``, ``|b0|``: beyond it the reduced flow's and the trainers' scales overflow doubles
#: (the loss is a polynomial of degree 4 in (a, b) and the model's outputs carry (ab)^2 x^6).
START_MAX = 1000
#: Smallest non-zero ``|a0|``, ``|b0|``: measured, check-fixed-point verifies from a0 = b0 = 1e-20, but from
#: 1e-50 the product ab = 1e-100 is lost against the loss's O(1) terms in double precision.
START_MIN = 1e-20
#: Largest number of decimal digits (numerator or denominator) in an exact start value.
START_DIGITS_MAX = 60
#: File suffixes a plot can be written as.
PLOT_SUFFIXES = (".png", ".pdf", ".svg")


def _fail(text: str) -> argparse.ArgumentTypeError:
    return argparse.ArgumentTypeError(text)


def integer(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse ``type``: an integer in ``[minimum, maximum]`` (plain digits, ``_`` allowed, ``1e6`` too)."""
    valid = f"an integer >= {minimum}" + (f" and <= {maximum}" if maximum is not None else "")

    def parse(text: Any) -> int:
        raw = str(text).strip()
        try:
            value = int(raw)
        except ValueError:
            try:  # scientific notation for integers, e.g. 1e6, read exactly
                number = Decimal(raw.replace("_", ""))
            except ArithmeticError:
                raise _fail(f"{text!r} must be {valid}") from None
            if not number.is_finite() or number != number.to_integral_value() or abs(number.adjusted()) > 30:
                raise _fail(f"{text!r} must be {valid}") from None
            value = int(number)
        if value < minimum or (maximum is not None and value > maximum):
            raise _fail(f"{text!r} must be {valid}")
        return value

    parse.__name__ = "integer"  # argparse names the type in some messages
    return parse


def real(minimum: float | None = None, maximum: float | None = None, *, inclusive: bool = False) -> Callable[[str], float]:
    """An argparse ``type``: a finite float, ``> minimum`` (``>=`` if ``inclusive``) and ``<= maximum``."""
    parts = ["a finite number"]
    if minimum is not None:
        parts.append(f"{'>=' if inclusive else '>'} {minimum:g}")
    if maximum is not None:
        parts.append(f"<= {maximum:g}")
    valid = " ".join(parts[:1]) + (" " + " and ".join(parts[1:]) if len(parts) > 1 else "")

    def parse(text: Any) -> float:
        try:
            value = float(str(text).strip())
        except ValueError:
            raise _fail(f"{text!r} must be {valid}") from None
        bad = value != value or value in (float("inf"), float("-inf"))
        if minimum is not None:
            bad = bad or (value < minimum if inclusive else value <= minimum)
        if maximum is not None:
            bad = bad or value > maximum
        if bad:
            raise _fail(f"{text!r} must be {valid}")
        return value

    parse.__name__ = "real"
    return parse


def exact_real(
    max_abs: float = START_MAX, max_digits: int = START_DIGITS_MAX, min_abs: float = START_MIN
) -> Callable[[str], Any]:
    """An argparse ``type``: a decimal or fraction read exactly as a SymPy ``Rational`` (``"0.1" -> 1/10``).

    Accepted: 0, or ``min_abs <= |value| <= max_abs``, with at most ``max_digits`` digits in numerator
    and denominator.
    """
    valid = (
        f"a finite real number, 0 or with {min_abs:g} <= |value| <= {max_abs:g} "
        f"(a decimal or p/q, at most {max_digits} digits)"
    )

    def parse(text: Any) -> Any:
        import sympy as sp

        raw = str(text).strip()
        if not raw or len(raw) > 2 * max_digits + 10 or any(c not in "0123456789+-./eE_" for c in raw):
            raise _fail(f"{text!r} must be {valid}")
        try:
            value = sp.Rational(raw.replace("_", ""))
        except (TypeError, ValueError, ZeroDivisionError, sp.SympifyError):
            raise _fail(f"{text!r} must be {valid}") from None
        if (
            not value.is_finite
            or abs(value) > max_abs
            or (value != 0 and abs(value) < sp.Rational(repr(min_abs)))
            or len(str(abs(value.p))) > max_digits
            or len(str(value.q)) > max_digits
        ):
            raise _fail(f"{text!r} must be {valid}")
        return value

    parse.__name__ = "exact real"
    return parse


def decimal_text(value: Any) -> str:
    """An exact rational as the shortest exact decimal (``1/10 -> "0.1"``), else ``p/q``."""
    import sympy as sp

    value = sp.Rational(value)
    q = int(value.q)
    for prime in (2, 5):
        while q % prime == 0:
            q //= prime
    if q != 1:
        return f"{value.p}/{value.q}"
    text = format(Decimal(int(value.p)) / Decimal(int(value.q)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


#: Largest number of sequence entries ``n * T * d`` held in memory at once: a complex128 sample and its
#: training objective take 48 bytes per entry at their peak (measured, ``benchmarks/bench_budgets.py``),
#: so 2 * 10^7 entries is about 0.9 GiB.
SEQUENCE_ENTRIES_MAX = 2 * 10**7


#: Measured speed of Monte Carlo training on the reference machine class, in sequence entries times
#: gradient steps per second of an idle core: one loss + gradient evaluation of the compiled kernel at
#: the authors' size, complex128 (the slower dtype), 6.3-6.6e7 per CPU second; ``benchmarks/bench_budgets.py``.
TRAINING_RATE = 6e7
#: Largest training work ``n * T * d * steps`` (sequence entries times gradient steps): about 1.4 hours
#: at :data:`TRAINING_RATE`. The authors' Figure 1 (--sequences 10000) is 1.6 * 10^10.
TRAINING_WORK_MAX = 3 * 10**11


def expected_training_seconds(work: float) -> float:
    """The expected time of training ``work = n * T * d * steps`` at :data:`TRAINING_RATE`."""
    return work / TRAINING_RATE


def _duration(seconds: float) -> str:
    return f"{seconds / 3600:.1f} hours" if seconds >= 5400 else f"{seconds / 60:.0f} minutes"


def require_training_budget(n: int, T: int, d: int, steps: int, what: str) -> None:
    """Refuse training whose work ``n * T * d * steps`` exceeds :data:`TRAINING_WORK_MAX`."""
    from mesasym.errors import InvalidInputError

    work = n * T * d * steps
    if work > TRAINING_WORK_MAX:
        raise InvalidInputError(
            f"{what}: n*T*d*steps = {n}*{T}*{d}*{steps} = {work:.3g} exceeds {TRAINING_WORK_MAX:.0e}; it would take "
            f"about {_duration(expected_training_seconds(work))} at the measured {TRAINING_RATE:.0e} entries*steps "
            f"per second (the limit is {_duration(expected_training_seconds(TRAINING_WORK_MAX))}); "
            "use fewer sequences or steps"
        )


def require_sequence_budget(n: int, T: int, d: int, what: str) -> None:
    """Refuse ``n`` sequences of length ``T`` in dimension ``d`` beyond :data:`SEQUENCE_ENTRIES_MAX` entries."""
    from mesasym.errors import InvalidInputError

    if n * T * d > SEQUENCE_ENTRIES_MAX:
        raise InvalidInputError(
            f"{what}={n} sequences of length T={T} in dimension d={d} hold n*T*d = {n * T * d:.3g} entries; "
            f"at most {SEQUENCE_ENTRIES_MAX:.0e} fit in memory (use fewer sequences, a smaller T or d)"
        )


# --------------------------------------------------------------------------- options


def add_int(
    parser: argparse.ArgumentParser,
    flag: str,
    *,
    minimum: int,
    maximum: int | None,
    default: int | None = None,
    help: str,
    **kwargs: Any,
) -> None:
    """An integer option in ``[minimum, maximum]``; the range is appended to the help."""
    limits = f"integer >= {minimum}" + (f" and <= {maximum}" if maximum is not None else "")
    shown = "" if default is None else f"; default {default}"
    parser.add_argument(
        flag, type=integer(minimum, maximum), default=default, metavar="N", help=f"{help} ({limits}{shown})", **kwargs
    )


def add_real(
    parser: argparse.ArgumentParser,
    flag: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    inclusive: bool = False,
    default: float | None = None,
    help: str,
    **kwargs: Any,
) -> None:
    """A finite real option in ``(minimum, maximum]`` (``[minimum, ...`` if ``inclusive``)."""
    parser.add_argument(flag, type=real(minimum, maximum, inclusive=inclusive), default=default, metavar="X", help=help, **kwargs)


def add_T(
    parser: argparse.ArgumentParser, *, default: int | None, minimum: int = 3, maximum: int = T_MAX, help: str | None = None
) -> None:
    """``--T``: the sequence length (``args.T``; ``None`` when ``default`` is ``None``)."""
    add_int(parser, "--T", dest="T", minimum=minimum, maximum=maximum, default=default, help=help or "sequence length")


def add_d(
    parser: argparse.ArgumentParser, *, default: int | None, maximum: int = D_MAX, help: str | None = None
) -> None:
    """``--d``: the token dimension (``args.d``)."""
    add_int(parser, "--d", dest="d", minimum=1, maximum=maximum, default=default, help=help or "token dimension")


def add_seed(parser: argparse.ArgumentParser, *, default: int = 0, help: str | None = None) -> None:
    """``--seed``: the seed of every random draw (``numpy.random.default_rng(seed)``)."""
    add_int(parser, "--seed", minimum=0, maximum=SEED_MAX, default=default, help=help or "seed of every random draw")


def add_dps(
    parser: argparse.ArgumentParser, *, default: int = 50, maximum: int = DPS_MAX, help: str | None = None
) -> None:
    """``--dps``: decimal digits of the high-precision parts, in ``[DPS_MIN, maximum]``."""
    add_int(
        parser, "--dps", minimum=DPS_MIN, maximum=maximum, default=default,
        help=help or "decimal digits of the high-precision parts",
    )


def add_start(parser: argparse.ArgumentParser, *, default: tuple[str, str] = ("0.1", "0.1")) -> None:
    """``--a0`` and ``--b0``: the Assumption-1 start ``W^KQ_32 = a0 I``, ``W^PV_12 = b0 I``, read exactly.

    ``args.a0``/``args.b0`` are SymPy ``Rational`` (``float(args.a0)`` for the numeric side;
    :func:`decimal_text` prints them back as typed).
    """
    for flag, block, value in (("--a0", "W^KQ_32 = a0 I", default[0]), ("--b0", "W^PV_12 = b0 I", default[1])):
        parser.add_argument(
            flag,
            type=exact_real(),
            default=value,
            metavar="X",
            help=f"initial {block}, read exactly (0 or {START_MIN:g} <= |{flag[2:]}| <= {START_MAX}; default {value})",
        )


def _can_create_in(directory: Path) -> bool:
    """Whether a file can be created in ``directory`` now (tried, since permissions alone do not tell root)."""
    import tempfile

    try:
        with tempfile.TemporaryFile(dir=directory):
            return True
    except OSError:
        return False


def writable_file(suffixes: Sequence[str] | None = None) -> Callable[[str], Path]:
    """An argparse ``type``: a file path that can be written now (its directory exists and is writable)."""

    def parse(text: Any) -> Path:
        path = Path(str(text)).expanduser()
        if suffixes and path.suffix.lower() not in suffixes:
            raise _fail(f"{str(text)!r} must end in one of {', '.join(suffixes)}")
        if path.is_dir():
            raise _fail(f"{str(text)!r} is a directory, not a file")
        parent = path.parent if str(path.parent) else Path(".")
        if not parent.is_dir():
            raise _fail(f"{str(text)!r}: the directory {str(parent)!r} does not exist")
        if not _can_create_in(parent) or (path.exists() and not os.access(path, os.W_OK)):
            raise _fail(f"{str(text)!r} is not writable")
        return path

    parse.__name__ = "file path"
    return parse


def writable_dir(text: Any) -> Path:
    """An argparse ``type``: a directory that exists and is writable, or can be created (nothing is created yet)."""
    path = Path(str(text)).expanduser()
    if path.exists() and not path.is_dir():
        raise _fail(f"{str(text)!r} exists and is not a directory")
    existing = path
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        raise _fail(f"{str(text)!r}: {str(existing)!r} is not a directory")
    if existing == path:
        probe_ok = _can_create_in(path)
    else:  # the directory will be created inside `existing`
        probe_ok = _can_create_in(existing)
    if not probe_ok:
        raise _fail(f"{str(text)!r} is not writable ({str(existing)!r} is not)")
    return path


def add_output_file(parser: argparse.ArgumentParser, flag: str, *, suffixes: Sequence[str] | None = None, help: str, **kwargs: Any) -> None:
    """An output file option, checked for writability while parsing (``args.<flag>`` is a ``Path``)."""
    parser.add_argument(flag, type=writable_file(suffixes), metavar="PATH", help=help, **kwargs)


def add_output_dir(parser: argparse.ArgumentParser, flag: str, *, help: str, **kwargs: Any) -> None:
    """An output directory option, checked for writability while parsing (``args.<flag>`` is a ``Path``)."""
    parser.add_argument(flag, type=writable_dir, metavar="DIR", help=help, **kwargs)


def law_spec(text: Any) -> str:
    """An argparse ``type``: a law specification that parses (:func:`mesasym.laws.parse_distribution`)."""
    from mesasym.errors import InvalidInputError
    from mesasym.laws import parse_distribution

    try:
        parse_distribution(str(text))
    except InvalidInputError as error:
        raise _fail(str(error)) from None
    return str(text)


def family_list(kind: str = "dist") -> str:
    """The family names of ``--dist`` (``kind="dist"``) or ``--process``, from the registry of :mod:`mesasym.laws`."""
    from mesasym.laws import DISTRIBUTION_NAMES, PROCESS_NAMES

    return ", ".join(DISTRIBUTION_NAMES if kind == "dist" else PROCESS_NAMES)


def add_dist(parser: argparse.ArgumentParser, *, default: str | None = None, required: bool = False, help: str) -> None:
    """``--dist SPEC``: the law of ``x_1``, checked while parsing (``args.dist`` stays the text).

    The help ends with the family names, generated from the registry (so it cannot go stale).
    """
    help = f"{help}; families: {family_list('dist')} (parameters: docs/distributions.md)"
    parser.add_argument("--dist", metavar="SPEC", type=law_spec, default=default, required=required, help=help)


def process_spec(text: Any) -> str:
    """An argparse ``type``: a transition-law spec of ``W`` that parses (:func:`mesasym.laws.parse_process`)."""
    from mesasym.errors import InvalidInputError
    from mesasym.laws import parse_process

    try:
        parse_process(str(text))
    except InvalidInputError as error:
        raise _fail(str(error)) from None
    return str(text)


def add_process(parser: argparse.ArgumentParser, *, help: str | None = None) -> None:
    """``--process SPEC``: the law of the eigenvalues of ``W`` (default ``uniform``, the paper's).

    The help ends with the family names, generated from the registry (so it cannot go stale).
    """
    text = help or "law of the eigenvalues of W, e.g. roots:k=4 (default uniform, the paper's)"
    text += f"; families: {family_list('process')} (parameters: docs/processes.md)"
    parser.add_argument("--process", metavar="SPEC", type=process_spec, default="uniform", help=text)


def require_process_budget(process: Any, T: int) -> None:
    """Refuse, before any work, a transition law other than the paper's whose population phase tables
    at ``T`` exceed their measured budget (:func:`mesasym.numeric.population.process_tables.require_process_tables`)."""
    from mesasym.laws import is_uniform_process, parse_process

    if not is_uniform_process(parse_process(process)):
        from mesasym.numeric.population.process_tables import require_process_tables

        require_process_tables(T)


def law_and_dimension(spec: str, d_given: int | None, default_d: int) -> tuple[Any, int]:
    """The parsed ``--dist`` and the dimension: ``--d``, else the law's own, else ``default_d``."""
    from mesasym.laws import parse_distribution

    law = parse_distribution(spec)
    d = (law.fixed_dimension or default_d) if d_given is None else d_given
    law.validate_dimension(d)
    return law, d


def add_common(parser: argparse.ArgumentParser) -> None:
    """``--json``, ``--quiet``, ``--debug``: added to every command by :mod:`mesasym.cli`."""
    group = parser.add_argument_group("common options (every command)")
    group.add_argument("--json", action="store_true", help="print only JSON on stdout (no progress)")
    group.add_argument("--quiet", action="store_true", help="no progress on stderr")
    group.add_argument("--debug", action="store_true", help="show the traceback of an unexpected internal error")


# --------------------------------------------------------------------------- progress


def progress_enabled(args: argparse.Namespace) -> bool:
    """A progress bar is shown only on a terminal, and never under ``--quiet`` or ``--json``."""
    if getattr(args, "quiet", False) or getattr(args, "json", False):
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


@contextmanager
def progress(args: argparse.Namespace, description: str, total: int | None = None, unit: str = "it") -> Iterator[Any]:
    """A ``tqdm`` bar on stderr for long work (disabled, i.e. a no-op, unless :func:`progress_enabled`).

    While it is shown, a background thread refreshes it every half second, so the elapsed time moves
    even when the work reports nothing; use ``bar.update(n)`` or :func:`message_sink` for more.
    """
    import threading

    from tqdm import tqdm

    enabled = progress_enabled(args)
    bar = tqdm(total=total, desc=description, unit=unit, file=sys.stderr, leave=False, disable=not enabled, dynamic_ncols=True)
    stop = threading.Event()
    ticker = None
    if enabled:

        def tick() -> None:
            while not stop.wait(0.5):
                bar.refresh()

        ticker = threading.Thread(target=tick, daemon=True)
        ticker.start()
    try:
        yield bar
    finally:
        stop.set()
        if ticker is not None:
            ticker.join()
        bar.close()


def message_sink(bar: Any, advance: bool = True) -> Callable[[str], None]:
    """A ``progress(message)`` callback (the compare layer's convention) that shows the message on ``bar``."""

    def show(message: str) -> None:
        bar.set_postfix_str(message, refresh=False)
        if advance:
            bar.update(1)
        else:
            bar.refresh()

    return show
