"""Run one sweep point through the command's Python API and flatten its JSON into a row.

This is the function a Dask worker executes (:func:`run_point`). It never
raises for a failure of the point itself: an exception becomes a row with
``status = "error"`` and the message, so one bad setting never stops a sweep.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import socket
import threading
import time
from typing import Any

#: ``status`` of a row whose command ran to the end (whatever its verdict).
DONE = "done"
#: ``status`` of a row whose command raised, timed out, or whose worker died too often.
ERROR = "error"


def command_result(command: str, argv: list[str]) -> tuple[dict[str, Any], int]:
    """The JSON-ready dict that ``mesasym COMMAND ARGV --json`` prints, and its exit status.

    Uses the command module's ``json_result(args)`` when it has one; otherwise
    runs its ``run(args)`` in this process with ``args.json = True`` and reads
    the JSON it prints (no subprocess).
    """
    module, args = prepare(command, argv)
    return execute(module, args)


def prepare(command: str, argv: list[str]) -> tuple[Any, Any]:
    """The command's module and its parsed options (``--json`` and ``--quiet`` set)."""
    from mesasym.sweep.spec import command_module, command_parser

    module = command_module(command)
    args = command_parser(module).parse_args(argv)
    if hasattr(args, "json"):
        args.json = True
    if hasattr(args, "quiet"):
        args.quiet = True
    return module, args


def execute(module: Any, args: Any) -> tuple[dict[str, Any], int]:
    """Run a prepared command: its JSON dict and exit status."""
    if hasattr(module, "json_result"):
        payload, status = module.json_result(args)
        return payload, int(status)
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        status = module.run(args)
    return json.loads(buffer.getvalue()), int(status)


def flatten(payload: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts as dotted keys; lists of named dicts as ``key.NAME.field``; other lists as JSON text."""
    out: dict[str, Any] = {}
    if isinstance(payload, dict):
        for key, value in payload.items():
            out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(payload, list) and payload and all(isinstance(v, dict) and "name" in v for v in payload):
        for item in payload:
            rest = {k: v for k, v in item.items() if k != "name"}
            out.update(flatten(rest, f"{prefix}.{item['name']}"))
    elif isinstance(payload, list):
        out[prefix] = json.dumps(payload)
    elif payload is None or isinstance(payload, (bool, int, str)):
        out[prefix] = payload
    elif isinstance(payload, float):
        out[prefix] = payload if math.isfinite(payload) else repr(payload)
    else:
        out[prefix] = str(payload)
    return out


def run_point(command: str, argv: list[str], meta: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
    """Run one point and return its row: ``meta`` + status, error, exit status, verdict, wall time, worker, results."""
    from mesasym import __version__

    row: dict[str, Any] = {**meta, "command": command, "mesasym_version": __version__, "worker": _worker_name()}
    outcome: dict[str, Any] = {}
    try:  # imports and option parsing are not part of the point's time (nor of its timeout)
        prepared = prepare(command, argv)
    except BaseException as error:  # noqa: BLE001
        prepared, outcome["error"] = None, f"{type(error).__name__}: {error}".strip()
    start = time.perf_counter()

    def work() -> None:
        cpu = time.thread_time()
        try:
            outcome["value"] = execute(*prepared)
            outcome["cpu"] = time.thread_time() - cpu
        except BaseException as error:  # noqa: BLE001 - every failure becomes a row
            outcome["error"] = f"{type(error).__name__}: {error}".strip()

    if prepared is None:
        pass
    elif timeout is None:
        work()
    else:  # the client restarts this worker after a timeout row, which stops the thread (a task the
        # worker took meanwhile is rescheduled by Dask; a fresh worker pays its imports again)
        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        thread.join(timeout)
        if thread.is_alive():
            outcome = {"error": f"timeout: the point ran longer than {timeout:g} s", "timeout": True}
    row["wall_seconds"] = round(time.perf_counter() - start, 6)
    if "value" in outcome:
        payload, status = outcome["value"]
        results = flatten(payload)
        row.update({"status": DONE, "error": None, "exit_status": status, "verdict": _verdict(payload)})
        row["cpu_seconds"] = round(outcome["cpu"], 6)  # CPU time of the point's thread (less than wall when cores are shared)
        for key, value in results.items():
            if key != "verdict":
                row[key if key not in row else f"result.{key}"] = value
    else:
        row.update({"status": ERROR, "error": outcome["error"], "exit_status": None, "verdict": None})
        row["timed_out"] = bool(outcome.get("timeout", False))
    return row


def _verdict(payload: dict[str, Any]) -> Any:
    verdict = payload.get("verdict") if isinstance(payload, dict) else None
    return verdict if isinstance(verdict, (str, bool, int)) or verdict is None else str(verdict)


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return f"local:{socket.gethostname()}"
