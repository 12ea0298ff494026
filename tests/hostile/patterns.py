"""Every regular expression that runs on log text, by a stable id, and a worker process that times one of them
on a long line and can be killed when it never finishes (`re` holds the GIL: a runaway match cannot be
interrupted from a thread of the same process).

Log text reaches: the redactor (capture, every line), the signatures table and the module-level patterns of
rules/ (analysis), the module-level patterns of capture/ and debugjob/ (the sampler's marker lines), the
bundle reader (timestamps) and the report's cleaning of untrusted text.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import pkgutil
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

PACKAGES = ("cronjob_doctor.rules", "cronjob_doctor.capture", "cronjob_doctor.debugjob")
MODULES = ("cronjob_doctor.bundle", "cronjob_doctor.report.parts", "cronjob_doctor.redact")
REDACTOR = "redact:Redactor.redact"
REDACTOR_SECRETS = {"S3_SECRET_KEY": "Vq3n8sLk2PzR7wYt", "S3_ACCESS_KEY": "tf-backup", "PEM": "MIIBVQIBADANBgkq"}


@cache
def patterns() -> dict[str, re.Pattern[str]]:
    """Every compiled pattern in scope by id: `signatures:<id>` for the log signatures table, `<module>.<name>`
    for a module-level compiled regex."""
    from cronjob_doctor.rules.signatures import SIGNATURES

    found: dict[str, re.Pattern[str]] = {f"signatures:{sig.id}": sig.pattern for sig in SIGNATURES}
    names = list(MODULES)
    for package in PACKAGES:
        module = importlib.import_module(package)
        names.append(package)
        names += [info.name for info in pkgutil.walk_packages(module.__path__, prefix=f"{package}.")]
    for name in sorted(set(names)):
        module = importlib.import_module(name)
        for attribute, value in sorted(vars(module).items()):
            if isinstance(value, re.Pattern) and isinstance(value.pattern, str):
                found.setdefault(f"{name}.{attribute}", value)
    return found


def ids() -> list[str]:
    """The ids of every pattern in scope, then the redactor as a whole."""
    return [*patterns(), REDACTOR]


def literals(pattern_id: str) -> list[str]:
    """The literal pieces of a pattern's source (`curl: (7) Failed to connect to `): repeated, a near-miss of
    the pattern is the classic input that makes a backtracking regex retry from every position."""
    if pattern_id == REDACTOR:
        return ["password=", "--password ", "mc alias set ", "authorization: bearer ", "https://u:", "-u a:",
                "eyJabcdefghij.", "Vq3n8sLk2P", "api_key.", "ghp_", "xoxb-", "AKIA"]
    source = patterns()[pattern_id].pattern
    source = re.sub(r"\(\?P<\w+>|\(\?[:=!]|\(\?<[=!]|\(\?i\)", "", source)
    pieces = re.split(r"(?<!\\)[\[\](){}?*+|^$.]|\\[sSdDwWbB]", source)
    out = []
    for piece in pieces:
        text = re.sub(r"\\(.)", r"\1", piece)
        if len(text) >= 2 and text not in out:
            out.append(text)
    return out or ["x"]


def line(unit: str, size: int, prefix: str = "", suffix: str = "") -> str:
    """`prefix`, then `unit` repeated, then `suffix`: `size` characters in all."""
    body = size - len(prefix) - len(suffix)
    return prefix + (unit * (body // max(1, len(unit)) + 1))[: max(0, body)] + suffix


def _runner(pattern_id: str) -> Callable[[str], object]:
    if pattern_id == REDACTOR:
        from cronjob_doctor.redact import Redactor

        return Redactor(REDACTOR_SECRETS).redact
    pattern = patterns()[pattern_id]
    if pattern_id.startswith("signatures:"):
        from cronjob_doctor.rules.signatures import seen

        # As facts.py applies them: a signature only ever sees a line's first and last MAX_LINE characters.
        def head_match(text: str) -> int:
            return sum(1 for _ in pattern.finditer(seen(text)))

        return head_match

    def every_match(text: str) -> int:
        return sum(1 for _ in pattern.finditer(text))

    return every_match


def _serve(connection: Connection) -> None:
    while True:
        request = connection.recv()
        if request is None:
            return
        pattern_id, unit, size, prefix, suffix = request
        text = line(unit, size, prefix, suffix)
        run = _runner(pattern_id)
        started = time.process_time()
        run(text)
        connection.send(time.process_time() - started)


def _cpu_seconds(pid: int) -> float | None:
    """CPU seconds a process has used so far (Linux /proc), or None where that cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Timer:
    """A worker process that runs one pattern on one line at a time and answers with the CPU seconds it took
    (its own CPU time: other processes loading the machine do not count). A worker that has spent
    `cpu_limit` seconds of CPU on a line without answering (or `wall_limit` seconds where CPU time cannot be
    read) is killed and replaced: a quadratic pattern on a megabyte would run for hours."""

    cpu_limit: float = 3.0
    wall_limit: float = 120.0
    _process: Any = None
    _connection: Connection | None = None

    def _start(self) -> Connection:
        if self._connection is None:
            context = multiprocessing.get_context("spawn")
            ours, theirs = context.Pipe()
            self._process = context.Process(target=_serve, args=(theirs,), daemon=True)
            self._process.start()
            self._connection = ours
        return self._connection

    def seconds(self, pattern_id: str, unit: str, *, size: int, prefix: str = "", suffix: str = "") -> float | None:
        """CPU seconds for one pass over the line, or None when the worker was killed before it finished."""
        connection = self._start()
        before = _cpu_seconds(self._process.pid)
        connection.send((pattern_id, unit, size, prefix, suffix))
        deadline = time.monotonic() + self.wall_limit
        while not connection.poll(0.05):
            used = _cpu_seconds(self._process.pid)
            over_cpu = before is not None and used is not None and used - before > self.cpu_limit
            if over_cpu or time.monotonic() > deadline:
                self.close()
                return None
        return float(connection.recv())

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
        if self._process is not None:
            self._process.kill()
            self._process.join()
        self._process, self._connection = None, None
