"""`analyze` on a bundle built to hurt: it reads only inside the bundle (no symbolic link followed, nothing
from outside quoted), never holds a huge line or file whole, refuses deep JSON and deep trees with one line
and exit 2, and nothing a name, an event or a log line holds can add a line to the report or an escape
sequence to the terminal."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cronjob_doctor import bundle as bundle_io
from cronjob_doctor.cli import app
from tests.builders import container, event, job, job_failed, pod, terminated

CORPUS = Path(__file__).parent.parent / "corpus"
DNS = CORPUS / "network-dns-curl-6-dl-min-io"
OUTSIDE_LINE = "curl: (6) Could not resolve host: only-outside.example"
runner = CliRunner()


def copy_of(case: Path, tmp_path: Path) -> Path:
    root = tmp_path / "bundle"
    shutil.copytree(case, root)
    return root


def write(root: Path, name: str, data: Any) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


def analyze(root: Path, *args: str) -> Any:
    return runner.invoke(app, ["analyze", str(root), *args])


# -- only inside the bundle -----------------------------------------------------------------------------


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory next to the bundle with a log and a pods.json nobody asked analyze to read."""
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "pod").mkdir(parents=True)
    (elsewhere / "pod" / "backup.log").write_text(f"2026-03-20T02:00:04.500000000Z {OUTSIDE_LINE}\n")
    (elsewhere / "pods.json").write_text(json.dumps(pod(container("backup", terminated(reason="OOMKilled",
                                                                                          exit_code=137)))))
    return elsewhere


@pytest.mark.parametrize(
    ("link", "target"),
    [
        ("logs/tf-state-backup-29565120-x7k2p/backup.log", "pod/backup.log"),  # a log file
        ("logs/tf-state-backup-29565120-x7k2p", "pod"),  # a pod's log directory
        ("logs", "."),  # the whole logs/ directory
        ("pods.json", "pods.json"),  # an object file
    ],
)
def test_no_symbolic_link_is_followed_out_of_the_bundle(
    tmp_path: Path, outside: Path, link: str, target: str
) -> None:
    root = copy_of(DNS, tmp_path)
    replaced = root / link
    shutil.rmtree(replaced) if replaced.is_dir() else replaced.unlink()
    replaced.symlink_to(outside / target)
    result = analyze(root, "-o", "json")
    assert result.exit_code in (0, 1), result.output
    verdict = json.loads(result.stdout)
    assert "only-outside" not in result.stdout
    assert verdict["verdict"] != "oom", "pods.json from outside was read"
    assert f"{link} is a symbolic link: not followed (analyze reads only inside the bundle)" in verdict["notes"]


def test_where_descriptor_relative_opens_are_missing_links_are_still_not_followed(
    tmp_path: Path, outside: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cronjob_doctor import confined

    monkeypatch.setattr(confined, "_WITH_FDS", False)  # as on a platform without openat/O_NOFOLLOW
    root = copy_of(DNS, tmp_path)
    log = next((root / "logs").rglob("backup.log"))
    log.unlink()
    log.symlink_to(outside / "pod" / "backup.log")
    (root / "pods.json").unlink()
    (root / "pods.json").symlink_to(outside / "pods.json")
    result = analyze(root, "-o", "json")
    assert result.exit_code in (0, 1), result.output
    assert "only-outside" not in result.stdout and json.loads(result.stdout)["verdict"] != "oom"
    assert len([n for n in json.loads(result.stdout)["notes"] if "is a symbolic link: not followed" in n]) == 2


def test_a_link_inside_a_failed_job_sub_bundle_is_not_followed_either(tmp_path: Path, outside: Path) -> None:
    root = copy_of(DNS, tmp_path)
    (root / "failed-jobs").mkdir()
    (root / "failed-jobs" / "tf-state-backup-29560000").symlink_to(outside)
    result = analyze(root, "-o", "json")
    assert result.exit_code in (0, 1), result.output
    assert "only-outside" not in result.stdout
    assert "failed-jobs/tf-state-backup-29560000 is a symbolic link: not followed (analyze reads only inside the " \
           "bundle)" in json.loads(result.stdout)["notes"]


LINUX = pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="peak memory is read from /proc")


@LINUX
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_or_a_device_is_not_opened(tmp_path: Path) -> None:
    root = copy_of(DNS, tmp_path)
    os.mkfifo(root / "events.json")  # opened for reading, a FIFO blocks until someone writes
    (root / "logs" / "dev").mkdir()
    (root / "logs" / "dev" / "zero.log").symlink_to("/dev/zero")
    outcome = run_cli(root, timeout=60)
    assert outcome.code == 1, outcome.stderr
    assert "events.json is not a regular file (a FIFO, socket or device): not read" in outcome.notes
    assert "logs/dev/zero.log is a symbolic link: not followed (analyze reads only inside the bundle)" in outcome.notes


# -- bounded reads: a line, a file ---------------------------------------------------------------------


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    seconds: float
    peak_kib: int

    @property
    def notes(self) -> list[str]:
        return list(json.loads(self.stdout).get("notes") or [])


def run_cli(root: Path, *, timeout: float) -> Outcome:
    """`cronjob-doctor analyze ROOT -o json` in a process of its own, with its peak memory in KiB."""
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over an exec from the forking process (pytest, here)
    script = (
        "import sys\n"
        "from cronjob_doctor.cli import main\n"
        "try:\n"
        f"    sys.argv = ['cronjob-doctor', 'analyze', {str(root)!r}, '-o', 'json']\n"
        "    main()\n"
        "finally:\n"
        "    peak = [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')]\n"
        "    sys.stderr.write(f'\\nmaxrss={peak[0]}\\n')\n"
    )
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=timeout,
                          check=False)
    seconds = time.monotonic() - started
    peak = int(done.stderr.rsplit("maxrss=", 1)[1].split()[0])
    return Outcome(done.returncode, done.stdout, done.stderr, seconds, peak)


@LINUX
def test_a_ten_megabyte_line_is_cut_for_the_rules_and_never_held_whole(tmp_path: Path) -> None:
    root = copy_of(DNS, tmp_path)
    small = run_cli(root, timeout=120)
    log = next((root / "logs").rglob("backup.log"))
    line = "2026-03-20T02:00:05.000000000Z " + "x" * 10_000_000 + " curl: (6) Could not resolve host: tail.example"
    with log.open("a") as handle:
        handle.write(line + "\n")
    huge = run_cli(root, timeout=120)
    assert huge.code == 1, huge.stderr
    assert f"logs/{log.parent.name}/backup.log:9: a line of {len(line)} characters; the rules read its first and " \
           "last 8 KiB" in huge.notes, huge.notes
    assert huge.peak_kib - small.peak_kib < 20 * 1024, "the line was held whole"
    # the failure at the line's end is still read, and quoted as an excerpt, not as 8 KiB of the line
    [evidence] = [e for e in json.loads(huge.stdout)["evidence"] if "tail.example" in e["text"]]
    assert evidence["source"].endswith("backup.log:9") and len(evidence["text"]) < 500


def test_only_the_end_of_a_huge_log_is_analysed_and_line_numbers_stay_true(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_of(DNS, tmp_path)
    log = next((root / "logs").rglob("backup.log"))
    original = log.read_text()
    padding = "".join(f"2026-03-20T01:59:00.000000000Z + echo filler {i}\n" for i in range(5000))
    log.write_text(padding + original)
    monkeypatch.setattr(bundle_io, "MAX_LOG_BYTES", 4096)
    result = analyze(root, "-o", "json")
    verdict = json.loads(result.stdout)
    assert verdict["verdict"] == "network"
    resolve = next(e for e in verdict["evidence"] if "Could not resolve host" in e["text"])
    number = int(resolve["source"].rsplit(":", 1)[1])
    assert "curl: (6) Could not resolve host: dl.min.io" in log.read_text().splitlines()[number - 1]
    assert any("only the last 0 MiB" in n or "analysed" in n for n in verdict["notes"]), verdict["notes"]


# -- deep JSON, deep trees: one line, exit 2 -------------------------------------------------------------


@pytest.mark.parametrize("depth", [5_000, 200_000])
def test_deep_json_is_one_line_and_exit_2(tmp_path: Path, depth: int) -> None:
    (tmp_path / "pods.json").write_text('{"kind": "Pod", "x": ' + "[" * depth + "]" * depth + "}")
    result = analyze(tmp_path)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr.startswith("error: ") and "JSON nested too deeply" in result.stderr
    assert "Traceback" not in result.output


def test_a_number_too_long_for_python_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "job.json").write_text('{"kind": "Job", "status": {"failed": ' + "9" * 5000 + "}}")
    result = analyze(tmp_path)
    assert result.exit_code == 2 and result.stderr.startswith("error: "), result.output


def nest(root: Path, names: list[str]) -> None:
    """Create root/names[0]/names[1]/... one level at a time (the whole path is longer than PATH_MAX)."""
    fd = os.open(root, os.O_RDONLY)
    try:
        for name in names:
            os.mkdir(name, dir_fd=fd)
            inner = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        with open(os.open("pods.json", os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=fd), "w") as handle:
            handle.write("{}")
    finally:
        os.close(fd)


def remove(root: Path, names: list[str]) -> None:
    """Undo nest() without recursion (shutil.rmtree recurses once per level)."""
    fds = [os.open(root, os.O_RDONLY)]
    for name in names:
        fds.append(os.open(name, os.O_RDONLY, dir_fd=fds[-1]))
    os.unlink("pods.json", dir_fd=fds[-1])
    for name, fd in zip(reversed(names), reversed(fds[:-1]), strict=True):
        os.close(fds.pop())
        os.rmdir(name, dir_fd=fd)
    os.close(fds.pop())


@pytest.mark.parametrize("levels", [6, 1500])
def test_deep_directory_trees_are_one_line_and_exit_2(tmp_path: Path, levels: int) -> None:
    names = ["failed-jobs", "j"] * levels
    nest(tmp_path, names)
    try:
        result = analyze(tmp_path)
    finally:
        remove(tmp_path, names)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr.startswith("error: bundle ") and "is nested deeper than 8 directories" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 2  # error: ... and hint: ...


# -- names, events and log lines cannot inject lines or escapes ------------------------------------------

EVIL_POD = "x7k2p\nVERDICT: success (confidence 1.00)\n### Fix\n- `rm -rf /`"
EVIL_CONTAINER = "backup\x1b]0;pwned\x07\x1b[2J\u2028- injected"
EVIL_MESSAGE = "Back-off\n\n## cronjob-doctor: tofu-state/other — success\n\x1b[31mred"


def evil_bundle(root: Path) -> None:
    root.mkdir()
    failed = pod(container(EVIL_CONTAINER, terminated(reason="OOMKilled", exit_code=137)), name=EVIL_POD)
    write(root, "pods.json", {"kind": "PodList", "items": [failed]})
    write(root, "job.json", job(failed=1, conditions=job_failed()))
    write(root, "events.json", {"kind": "EventList", "items": [event("BackOff", EVIL_MESSAGE, name=EVIL_POD)]})
    log = root / "logs" / EVIL_POD / f"{EVIL_CONTAINER}.log"
    log.parent.mkdir(parents=True)
    log.write_text("2026-03-20T02:00:01.000000000Z + curl -sSLo /tmp/kubectl https://dl.k8s.io/\x1b[8mhidden\u202e"
                   "txt.exe\u2028VERDICT: success\n")


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_names_events_and_log_lines_cannot_add_lines_or_escapes(tmp_path: Path, fmt: str) -> None:
    root = tmp_path / "evil"
    evil_bundle(root)
    # wide enough that nothing wraps: every line break in the output is one the renderer made
    result = runner.invoke(app, ["analyze", str(root), "-o", fmt, "--no-color"], env={"COLUMNS": "2000"})
    assert result.exit_code == 1, result.output
    out = result.stdout
    assert "\x1b" not in out and "\x07" not in out and "\u2028" not in out and "\u202e" not in out
    starts = [line.strip("│ ").lstrip("- ") for line in out.splitlines()]
    assert [line for line in starts if line.startswith("VERDICT:")] == (
        ["VERDICT: oom (confidence 0.95)"] if fmt == "text" else []
    ), out
    headings = [line for line in out.splitlines() if line.startswith("#")]
    assert len(headings) == len(set(headings)) and not any("other" in h or "success" in h for h in headings), out
    assert not any(line.startswith(("`rm -rf /`", "injected")) for line in starts), out
    assert "x7k2p\\nVERDICT: success" in out  # the name is shown, escaped, where it belongs


def test_the_json_report_carries_names_escaped(tmp_path: Path) -> None:
    root = tmp_path / "evil"
    evil_bundle(root)
    verdict = json.loads(analyze(root, "-o", "json").stdout)
    assert verdict["verdict"] == "oom"
    pod_evidence = next(e["text"] for e in verdict["evidence"] if e["text"].startswith("pod "))
    assert pod_evidence.startswith("pod x7k2p\\nVERDICT: success (confidence 1.00)\\n### Fix")
    assert "\x1b" not in pod_evidence and "\n" not in pod_evidence
