"""The live diagnose view, rendered into StringIO consoles in plain mode and with a (forced) terminal."""

from __future__ import annotations

import io
import threading

import pytest
from rich.console import Console

from cronjob_doctor.report import live as live_module
from cronjob_doctor.report.live import LiveView, clock_time
from tests.waiting import wait_until


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def plain_view(**console_kwargs: object) -> tuple[LiveView, io.StringIO, FakeClock]:
    buffer = io.StringIO()
    clock = FakeClock()
    console = Console(file=buffer, width=100, color_system=None, **console_kwargs)  # type: ignore[arg-type]
    return LiveView(console, plain=True, clock=clock), buffer, clock


def wait_for(buffer: io.StringIO, needle: str) -> None:
    """Wait for rich's refresh thread to draw `needle` (it redraws 8 times a second)."""
    wait_until(lambda: needle in buffer.getvalue(), timeout=10, what=f"{needle!r} drawn")


def started_since(before: set[threading.Thread]) -> list[threading.Thread]:
    """The threads alive now that were not in `before`: a spinner redraws from a thread of its own (rich's)."""
    return [thread for thread in threading.enumerate() if thread not in before]


@pytest.mark.parametrize(
    ("timestamp", "shown"),
    [
        ("2024-05-01T02:00:03.123456789Z", "02:00:03.123"),
        ("2024-05-01T02:00:03Z", "02:00:03.000"),
        ("2024-05-01T02:00:03.5+02:00", "02:00:03.500"),
        ("", "--:--:--.---"),
        ("yesterday", "yesterday"),
    ],
)
def test_clock_time(timestamp: str, shown: str) -> None:
    assert clock_time(timestamp) == shown


def test_header_lists_every_change() -> None:
    view, buffer, _ = plain_view()
    view.header(
        "tofu-state/tf-state-backup", "512Mi (run 1/1)", ["memory limit 128Mi → 512Mi", "set -x prepended"]
    )
    assert buffer.getvalue().splitlines() == [
        "diagnose tofu-state/tf-state-backup: variant 512Mi (run 1/1)",
        "  changed: memory limit 128Mi → 512Mi",
        "  changed: set -x prepended",
    ]


def test_plain_phases_are_lines_with_time_spent_in_the_previous_phase() -> None:
    view, buffer, clock = plain_view()
    view.phase("backup-x7", "Pending")
    clock.now += 4
    view.phase("backup-x7", "Running")
    clock.now += 75
    view.phase("backup-x7", "Failed (OOMKilled, exit 137)")
    view.close()
    assert buffer.getvalue().splitlines() == [
        "pod backup-x7: Pending",
        "pod backup-x7: Running (after 0:04 Pending)",
        "pod backup-x7: Failed (OOMKilled, exit 137) (after 1:15 Running)",
    ]


def test_plain_mode_draws_no_spinner_even_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    spinners: list[object] = []
    monkeypatch.setattr(live_module, "Live", lambda *args, **kwargs: spinners.append(args))  # a spinner is a Live
    view, buffer, _ = plain_view(force_terminal=True)
    view.phase("backup-x7", "Running")
    assert spinners == []
    view.close()
    assert buffer.getvalue() == "pod backup-x7: Running\n"


def test_log_lines_show_time_pod_container_and_text_verbatim() -> None:
    view, buffer, _ = plain_view()
    view.log_line(
        "backup-x7", "backup", "2024-05-01T02:00:03.123456789Z", "[INFO] mc: <ERROR> [red]x[/red] :boom:\n"
    )
    view.log_line("backup-x7", "backup", "2024-05-01T02:00:04.5Z", "\x1b[31mred\x1b[0m \x1b]0;title\x07done")
    assert buffer.getvalue().splitlines() == [
        "02:00:03.123 backup-x7/backup [INFO] mc: <ERROR> [red]x[/red] :boom:",
        "02:00:04.500 backup-x7/backup red done",
    ]


def test_long_log_lines_are_not_wrapped_in_a_pipe() -> None:
    view, buffer, _ = plain_view()
    view.log_line("p", "c", "2024-05-01T02:00:03Z", "x" * 300)
    assert buffer.getvalue() == f"02:00:03.000 p/c {'x' * 300}\n"


def test_trace_lines_are_dimmed_and_output_lines_are_not() -> None:
    buffer = io.StringIO()
    view = LiveView(Console(file=buffer, width=100, color_system="standard", force_terminal=True), plain=True)
    view.log_line("p", "c", "2024-05-01T02:00:03Z", "+ apk add --no-cache curl")
    view.log_line("p", "c", "2024-05-01T02:00:04Z", "fetch https://dl-cdn.alpinelinux.org/alpine/v3.20/main")
    trace, output = buffer.getvalue().splitlines()
    assert "\x1b[2m+ apk add --no-cache curl" in trace
    assert "\x1b[2mfetch" not in output and "fetch https://dl-cdn" in output


def test_notes_are_printed_as_given() -> None:
    view, buffer, _ = plain_view()
    view.note("created job tf-state-backup-doctor-a1b2c [debug]")
    assert buffer.getvalue() == "created job tf-state-backup-doctor-a1b2c [debug]\n"


def test_rich_spinner_shows_each_running_pod_with_elapsed_time() -> None:
    buffer = io.StringIO()
    clock = FakeClock()
    view = LiveView(
        Console(file=buffer, width=100, force_terminal=True, color_system=None), plain=False, clock=clock
    )
    before = set(threading.enumerate())
    view.phase("backup-x7", "Running")
    view.phase("backup-q9", "Pending")
    clock.now += 5
    wait_for(buffer, "backup-x7: Running 0:05")
    wait_for(buffer, "backup-q9: Pending 0:05")
    assert started_since(before)  # the spinner's refresh thread
    view.phase("backup-x7", "Succeeded")
    view.phase("backup-q9", "Failed (ImagePullBackOff)")
    drawn = len(buffer.getvalue())
    # no pod active: the spinner has stopped, its refresh thread ends, nothing can redraw any more
    wait_until(lambda: started_since(before) == [], timeout=10, what="the spinner's refresh thread to end")
    assert len(buffer.getvalue()) == drawn
    assert "pod backup-x7: Succeeded (after 0:05 Running)" in buffer.getvalue()
    assert "pod backup-q9: Failed (ImagePullBackOff) (after 0:05 Pending)" in buffer.getvalue()
    view.close()


def test_close_stops_the_spinner_and_later_calls_print_plainly() -> None:
    buffer = io.StringIO()
    view = LiveView(Console(file=buffer, width=100, force_terminal=True, color_system=None), plain=False)
    before = set(threading.enumerate())
    view.phase("backup-x7", "Running")
    wait_for(buffer, "backup-x7: Running 0:0")
    view.close()
    view.close()
    drawn = buffer.getvalue()
    wait_until(lambda: started_since(before) == [], timeout=10, what="the spinner's refresh thread to end")
    view.phase("backup-q9", "Running")
    assert started_since(before) == []  # no spinner again: nothing will redraw
    assert buffer.getvalue() == drawn + "pod backup-q9: Running\n"


def test_the_view_never_writes_or_redirects_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    view = LiveView(Console(stderr=True, force_terminal=True, width=100, color_system=None), plain=False)
    view.header("ns/job", "512Mi", ["memory limit 128Mi → 512Mi"])
    view.phase("pod-a", "Running")
    print("report on stdout")  # while the spinner runs, stdout stays the report's
    view.log_line("pod-a", "main", "2024-05-01T02:00:03Z", "+ echo hi")
    view.note("created job x")
    view.close()
    captured = capsys.readouterr()
    assert captured.out == "report on stdout\n"
    assert "pod pod-a: Running" in captured.err and "+ echo hi" in captured.err


def test_follower_threads_may_call_it_concurrently() -> None:
    buffer = io.StringIO()
    view = LiveView(Console(file=buffer, width=100, force_terminal=True, color_system=None), plain=False)

    def follow(pod: str) -> None:
        view.phase(pod, "Running")
        for n in range(50):
            view.log_line(pod, "c", "2024-05-01T02:00:03Z", f"line {n}")
        view.phase(pod, "Succeeded")

    threads = [threading.Thread(target=follow, args=(f"pod-{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    view.close()
    out = buffer.getvalue()
    for i in range(4):
        assert f"pod-{i}/c line 49" in out and f"pod pod-{i}: Succeeded" in out
