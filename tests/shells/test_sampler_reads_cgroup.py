"""What the sampler reads, run by real shells over a directory laid out like /sys/fs/cgroup.

`snippet(cgroup_root=...)` points it at a test directory; the debug Job always reads the real /sys/fs/cgroup.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cronjob_doctor.debugjob.sampler import parse_sample, snippet

from ._harness import SHELLS, run, sampler_reads_memory, shell_params

TOKEN = "cg1-abc"


def _samples(shell: str, root: Path, script: str = "sleep 0.1") -> list[tuple[int | None, int | None]]:
    done = run([*SHELLS[shell], "-c", snippet(TOKEN, cgroup_root=str(root)) + "; " + script])
    assert done.code == 0 and done.leftovers == []
    found = [parse_sample(line, TOKEN) for line in done.stdout.splitlines()]
    return [(s.current, s.peak) for s in found if s is not None]


def _own(controller: str) -> str:
    """This process's cgroup path for a v1 controller, or the v2 path for `""` (a shell it starts shares it)."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _id, controllers, path = line.split(":", 2)
        if controller in controllers.split(",") or (controller == controllers == ""):
            return path
    pytest.skip(f"no {controller or 'v2'} line in /proc/self/cgroup")


def _write(directory: Path, **files: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, value in files.items():
        (directory / name.replace("_", ".", 1)).write_text(value + "\n")


@pytest.mark.parametrize("shell", shell_params())
def test_no_cgroup_memory_file_gives_one_line_of_question_marks_and_the_sampler_stops(shell: str,
                                                                                     tmp_path: Path) -> None:
    assert _samples(shell, tmp_path / "missing") == [(None, None)]


@pytest.mark.parametrize("shell", shell_params())
def test_cgroup_v2_current_and_peak_each_second(shell: str, tmp_path: Path) -> None:
    _write(tmp_path, memory_current="1048576", memory_peak="4194304")
    assert _samples(shell, tmp_path, "sleep 1.3") == [(1048576, 4194304)] * 2


@pytest.mark.parametrize("shell", shell_params())
def test_cgroup_v2_without_memory_peak_before_linux_5_19(shell: str, tmp_path: Path) -> None:
    _write(tmp_path, memory_current="1048576")
    assert _samples(shell, tmp_path)[0] == (1048576, None)


@pytest.mark.parametrize("shell", shell_params())
def test_cgroup_v1_usage_and_max_usage(shell: str, tmp_path: Path) -> None:
    _write(tmp_path / "memory", memory_usage_in_bytes="2097152", memory_max_usage_in_bytes="3145728")
    assert _samples(shell, tmp_path)[0] == (2097152, 3145728)


@pytest.mark.parametrize("shell", shell_params("dash", "bash", "busybox"))
def test_the_containers_own_cgroup_wins_over_the_hierarchys_root(shell: str, tmp_path: Path) -> None:
    # Without a cgroup namespace /sys/fs/cgroup shows the host's tree: its root files count every container.
    own = _own("memory")
    _write(tmp_path / "memory", memory_usage_in_bytes="999999999999", memory_max_usage_in_bytes="999999999999")
    _write(tmp_path / "memory" / own.lstrip("/"), memory_usage_in_bytes="2097152",
           memory_max_usage_in_bytes="3145728")
    assert _samples(shell, tmp_path)[0] == (2097152, 3145728)


@pytest.mark.parametrize("shell", shell_params("dash", "bash", "busybox"))
def test_the_containers_own_cgroup_v2_directory_wins(shell: str, tmp_path: Path) -> None:
    own = _own("")
    if own == "/":
        pytest.skip("this process sits at the root of its cgroup v2 namespace")
    _write(tmp_path, memory_current="999999999999", memory_peak="999999999999")
    _write(tmp_path / own.lstrip("/"), memory_current="1048576", memory_peak="4194304")
    assert _samples(shell, tmp_path)[0] == (1048576, 4194304)


@pytest.mark.parametrize("shell", shell_params())
def test_on_this_machines_real_cgroup_the_sampler_measures_the_script(shell: str) -> None:
    if not sampler_reads_memory():
        pytest.skip("no readable cgroup memory file here: the sampler prints one `current=? peak=?` and stops")
    samples = _samples(shell, Path("/sys/fs/cgroup"), "sleep 1.3")
    assert len(samples) == 2
    assert all(current and current > 0 for current, _peak in samples)
