"""``mesasym property-test``: run the shipped Hypothesis property suite.

Runs the properties of :mod:`mesasym.testing.properties` from the installed
package (no repository needed) under a settings profile, and prints, per
property, how many examples were tried and the verdict; a falsified property
prints its minimal counterexample and a ready-to-run ``mesasym
check-fixed-point`` command.

``--broken NAME`` runs a deliberately broken variant of mesasym instead and
reports whether each targeted property catches it.

Exit status: 0 every property behaved as expected (held, or -- for a documented
finding -- was falsified; with ``--broken``: every targeted property caught the
bug), 1 otherwise, 2 bad usage or hypothesis not installed.
"""

from __future__ import annotations

import argparse
import json

from mesasym.errors import MissingDependencyError

from mesasym.commands import options as O
from mesasym.commands.exit_codes import EXIT_CHECK_FAILED, EXIT_OK

NAME = "property-test"
HELP = "run the shipped Hypothesis property suite (Theorem 1 over generated laws, sizes and starts)"

_PROFILES = ("dev", "ci", "thorough")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profile",
        choices=_PROFILES,
        help="Hypothesis profile: dev (quick), ci (derandomized), thorough (many examples); "
        "default: $MESASYM_HYPOTHESIS_PROFILE, else dev",
    )
    O.add_int(
        parser, "--examples", minimum=1, maximum=10_000,
        help="examples per cheap property instead of the profile's number (expensive properties run "
        "a tenth or a twentieth of it, at least 2)",
    )
    parser.add_argument(
        "--property",
        action="append",
        dest="properties",
        metavar="NAME",
        help="run only this property (repeatable; see --list)",
    )
    parser.add_argument(
        "--broken",
        metavar="VARIANT",
        help="run a deliberately broken variant of mesasym and check that its target properties catch it (see --list)",
    )
    parser.add_argument("--skip-slow", action="store_true", help="skip the properties that train models (flows, Monte Carlo)")
    parser.add_argument("--list", action="store_true", help="list the properties and broken variants, then exit")


def _require_hypothesis() -> None:
    try:
        import hypothesis  # noqa: F401
    except ImportError:
        raise MissingDependencyError(
            "the property suite needs hypothesis, which is not installed (pip install hypothesis)"
        ) from None


def run(args: argparse.Namespace) -> int:
    _require_hypothesis()

    from mesasym.testing.properties import PROPERTIES, get_property, run_property
    from mesasym.testing.subject import BROKEN_VARIANTS, DEFAULT_SUBJECT, broken_subject

    if args.list:
        if args.json:
            listing = {
                "properties": [
                    {"name": p.name, "summary": p.summary, "slow": p.slow, "expect": p.expect} for p in PROPERTIES
                ],
                "broken_variants": [
                    {"name": v.name, "description": v.description, "targets": list(v.targets)}
                    for v in BROKEN_VARIANTS.values()
                ],
            }
            print(json.dumps(listing, indent=2))
        else:
            print(_listing(PROPERTIES, BROKEN_VARIANTS))
        return EXIT_OK

    subject = DEFAULT_SUBJECT
    variant = None
    if args.broken is not None:
        subject = broken_subject(args.broken)
        variant = BROKEN_VARIANTS[args.broken]
    if args.properties:
        chosen = [get_property(name) for name in args.properties]
    elif variant is not None:
        chosen = [get_property(name) for name in variant.targets]
    else:
        chosen = list(PROPERTIES)
    if args.skip_slow:
        chosen = [prop for prop in chosen if not prop.slow]

    from mesasym.testing.profiles import PROFILE_ENV_VAR, resolve_profile

    profile = resolve_profile(args.profile)
    if not args.json:
        header = f"mesasym property-test: profile {profile}"
        if args.profile is None:
            header += f" (from {PROFILE_ENV_VAR} or the default)"
        if args.examples is not None:
            header += f", --examples {args.examples}"
        if variant is not None:
            header += f"\n  BROKEN VARIANT {variant.name}: {variant.description}"
        print(header, flush=True)

    results = []
    with O.progress(args, "property-test", total=len(chosen), unit="property") as bar:
        for prop in chosen:
            bar.set_postfix_str(prop.name)
            result = run_property(prop, subject=subject, profile=profile, max_examples=args.examples, database=None)
            results.append(result)
            bar.update(1)
            if not args.json:
                bar.clear()
                print(_render(result, broken=variant is not None), flush=True)

    if variant is not None:
        good = [r.verdict == "falsified" for r in results]
    else:
        good = [r.as_expected for r in results]
    total_seconds = sum(r.seconds for r in results)
    if args.json:
        print(
            json.dumps(
                {
                    "profile": profile,
                    "broken_variant": None if variant is None else variant.name,
                    "ok": all(good),
                    "seconds": round(total_seconds, 3),
                    "properties": [r.to_dict() for r in results],
                },
                indent=2,
            )
        )
    else:
        n_ok = sum(good)
        if variant is not None:
            summary = f"{n_ok} of {len(results)} properties caught the broken variant {variant.name}"
        else:
            summary = f"{n_ok} of {len(results)} properties behaved as expected"
        print(f"\n{summary} ({total_seconds:.1f} s)")
    return EXIT_OK if all(good) else EXIT_CHECK_FAILED


def _render(result, broken: bool) -> str:
    text = result.report()
    if broken:
        tag = "[caught]" if result.verdict == "falsified" else "[NOT CAUGHT]"
        first, _, rest = text.partition("\n")
        first = first.rsplit("  [", 1)[0] + "  " + tag
        rest = rest.replace("    reproduce: ", "    same setting with the unbroken mesasym: ")
        text = first + ("\n" + rest if rest else "")
    return text


def _listing(properties, variants) -> str:
    lines = ["properties (run in this order):"]
    width = max(len(p.name) for p in properties) + 2
    for prop in properties:
        flags = []
        if prop.slow:
            flags.append("slow")
        if prop.expect == "falsified":
            flags.append("expected falsified")
        suffix = f" [{', '.join(flags)}]" if flags else ""
        lines.append(f"  {prop.name.ljust(width)}{prop.summary}{suffix}")
    lines.append("")
    lines.append("broken variants (--broken NAME) and the properties that should catch them:")
    width = max(len(v) for v in variants) + 2
    for name, variant in variants.items():
        lines.append(f"  {name.ljust(width)}{variant.description}")
        lines.append(f"  {''.ljust(width)}-> {', '.join(variant.targets)}")
    return "\n".join(lines)
