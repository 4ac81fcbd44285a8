"""The exit-code table of every ``mesasym`` command (defined once; see docs/cli.md).

======  =====================================================================
code    meaning
======  =====================================================================
0       everything checked was verified / the command did what was asked
1       a check failed (the numbers disagree beyond the stated tolerance)
2       bad input or usage (including a step size that diverges), or a missing optional
        dependency (one line on stderr)
3       the input is valid but violates the hypotheses (results still printed)
4       inconclusive: a check could not be evaluated (e.g. a run did not converge in
        ``--steps``); nothing failed, the verdict line says what to change
70      an unexpected internal error (one line; ``--debug`` shows the traceback)
130     interrupted (Ctrl-C)
======  =====================================================================
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2
EXIT_HYPOTHESES_VIOLATED = 3
EXIT_INCONCLUSIVE = 4
EXIT_INTERNAL_ERROR = 70
EXIT_INTERRUPTED = 130

#: ``code -> meaning``, in the order the commands' ``--help`` lists them.
EXIT_CODES: dict[int, str] = {
    EXIT_OK: "verified / ok",
    EXIT_CHECK_FAILED: "a check failed",
    EXIT_USAGE: "bad input or usage (including a diverging step size), or a missing optional dependency",
    EXIT_HYPOTHESES_VIOLATED: "the input violates the theorem's hypotheses (results still shown)",
    EXIT_INCONCLUSIVE: "inconclusive: a check could not be evaluated (e.g. not converged in --steps); nothing failed",
    EXIT_INTERNAL_ERROR: "unexpected internal error (rerun with --debug for the traceback)",
}


def exit_code_epilog() -> str:
    """The exit-code table as the text every command's ``--help`` ends with."""
    return "exit status: " + "; ".join(f"{code} {meaning}" for code, meaning in EXIT_CODES.items())
