"""The live view at 3 a.m.: the changes a variant makes are listed once (not once per run), every line the
view writes itself fits 100 columns, a wait says what it waits for, and a kubelet flipping between retry
states is one wait, not a line per flip."""

from __future__ import annotations

import io

from rich.console import Console

from cronjob_doctor.report.live import LiveView

CHANGES = [
    "container backup: memory limit 128Mi -> 512Mi",
    "container backup: set -x and the memory sampler prepended to the shell script",
    "ttlSecondsAfterFinished unset -> 3600 (safety net if cronjob-doctor dies before cleaning up, e.g. when "
    "the laptop running it loses its network)",
]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def view(width: int = 200) -> tuple[LiveView, io.StringIO, FakeClock]:
    buffer, clock = io.StringIO(), FakeClock()
    console = Console(file=buffer, width=width, color_system=None)
    return LiveView(console, plain=True, clock=clock, wait_note_seconds=15), buffer, clock


def test_the_changes_of_a_variant_are_listed_once_for_all_its_runs() -> None:
    live, buffer, _ = view()
    for run in (1, 2, 3):
        live.header("tofu-state/tf-state-backup", f"512Mi (run {run}/3)", CHANGES)
    live.header("tofu-state/tf-state-backup", "1Gi (run 1/1)", ["container backup: memory limit 128Mi -> 1Gi"])
    live.close()
    lines = buffer.getvalue().splitlines()
    assert sum(line.startswith("  changed: container backup: memory limit 128Mi -> 512Mi") for line in lines) == 1
    assert "  changed: container backup: memory limit 128Mi -> 1Gi" in lines
    assert [line for line in lines if line.startswith("diagnose ")] == [
        "diagnose tofu-state/tf-state-backup: variant 512Mi (run 1/3)",
        "diagnose tofu-state/tf-state-backup: variant 512Mi (run 2/3)",
        "diagnose tofu-state/tf-state-backup: variant 512Mi (run 3/3)",
        "diagnose tofu-state/tf-state-backup: variant 1Gi (run 1/1)",
    ]


def test_every_line_of_the_view_fits_100_columns_even_on_a_wide_terminal() -> None:
    live, buffer, _ = view(width=200)
    live.header("tofu-state/tf-state-backup", "512Mi (run 1/1)", CHANGES)
    live.note("deleted job tf-state-backup-doctor-j3w36 (still running) was left by a diagnose that is gone: "
              "its diagnose (pid 4127 on build-runner-17) is no longer running (--delete-orphans)")
    live.phase("tf-state-backup-doctor-j3w36-abcde", "Failed (OOMKilled, exit 137)")
    live.close()
    lines = buffer.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 100, lines
    # a wrapped change continues under its text, not under "changed:"
    wrapped = lines[lines.index(next(x for x in lines if x.startswith("  changed: ttlSeconds"))) + 1]
    assert wrapped.startswith("           ") and not wrapped.startswith("            ")


def test_log_lines_stay_verbatim_on_one_line() -> None:
    live, buffer, _ = view(width=80)
    text = "x" * 150
    live.log_line("pod", "backup", "2026-03-21T02:00:03.123456789Z", text)
    assert buffer.getvalue() == f"02:00:03.123 pod/backup {text}\n"


def test_a_pod_that_waits_says_what_it_waits_for_in_plain_mode() -> None:
    live, buffer, clock = view()
    live.phase("backup-x7", "Pending")
    clock.now += 10
    live.tick()
    assert "waiting:" not in buffer.getvalue()
    clock.now += 6
    live.tick()
    clock.now += 1
    live.tick()  # said once per interval, not once per tick
    clock.now += 15
    live.tick()
    live.close()
    assert [line for line in buffer.getvalue().splitlines() if line.startswith("waiting:")] == [
        "waiting: pod backup-x7 Pending for 0:16",
        "waiting: pod backup-x7 Pending for 0:32",
    ]


def test_a_running_pod_is_not_a_wait() -> None:
    live, buffer, clock = view()
    live.phase("backup-x7", "Running")
    clock.now += 60
    live.tick()
    live.close()
    assert "waiting:" not in buffer.getvalue()


def test_image_pull_retries_are_one_wait_not_a_line_per_flip() -> None:
    live, buffer, clock = view()
    live.phase("report-gen-x7", "Pending")
    for _ in range(12):  # the kubelet flips between the two while it backs off
        clock.now += 2
        live.phase("report-gen-x7", "ErrImagePull")
        clock.now += 3
        live.phase("report-gen-x7", "ImagePullBackOff")
    live.tick()
    live.close()
    lines = buffer.getvalue().splitlines()
    assert lines[:3] == [
        "pod report-gen-x7: Pending",
        "pod report-gen-x7: ErrImagePull (after 0:02 Pending)",
        "pod report-gen-x7: ImagePullBackOff (after 0:03 ErrImagePull)",
    ]
    assert lines[3:] == ["waiting: pod report-gen-x7 ImagePullBackOff for 0:58"]


def test_a_hint_keeps_its_command_whole_however_narrow_the_terminal() -> None:
    live, buffer, _ = view(width=60)
    command = """kubectl patch cronjob -n tofu-state tf-state-backup -p '{"spec":{"suspend":false}}'"""
    live.hint(f"resume it once the failure is understood and fixed: {command}")
    live.close()
    lines = buffer.getvalue().splitlines()
    assert lines[0].startswith("hint: resume it once") and max(len(line) for line in lines[:-1]) <= 60
    assert lines[-1] == f"  {command}"
