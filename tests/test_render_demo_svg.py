"""scripts/render_demo_svg.py: what varies between demo runs is replaced, so docs/demo.svg only changes when the
output does; and the SVG is a terminal picture of the text it was given."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("render_demo_svg", ROOT / "scripts" / "render_demo_svg.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(job_ids: tuple[str, str], pods: tuple[str, str], port: int, start: str) -> str:
    a, b = job_ids
    return (
        f"simulated cluster at http://127.0.0.1:{port} (kubeconfig /tmp/cronjob-doctor-demo-k2j4_x/kubeconfig)\n"
        f"created job tf-state-backup-doctor-{a}\n"
        f"created job tf-state-backup-doctor-{b}\n"
        f"\x1b[2m{start}\x1b[0m tf-state-backup-doctor-{b}-{pods[1]}/backup + set -e\n"
        f"00:10:01.100 tf-state-backup-doctor-{a}-{pods[0]}/backup + apk add --no-cache curl\n"
    )


def test_two_runs_normalise_to_the_same_text() -> None:
    script = _script()
    first = script.normalise(_run(("i0xbf", "vb325"), ("ttvlk", "2xt44"), 41135, "00:10:01.000"), time_scale=0.1)
    second = script.normalise(_run(("q1w2e", "r4t5y"), ("zz9zz", "ab1cd"), 39001, "07:33:12.000")
                              .replace("00:10:01.100", "07:33:12.100"), time_scale=0.1)
    assert first == second
    assert "http://127.0.0.1:6443" in first
    assert "/tmp/cronjob-doctor-demo/kubeconfig" in first
    assert "created job tf-state-backup-doctor-aaaaa\ncreated job tf-state-backup-doctor-aaaab" in first
    # pods are named after their Job's creation order, whatever order their lines come in
    assert "tf-state-backup-doctor-aaaab-q9z4m/backup + set -e" in first
    assert "tf-state-backup-doctor-aaaaa-x7k2p/backup + apk" in first
    # 100 ms of real time at time_scale 0.1 is one simulated second after the 02:00 schedule
    assert "02:00:00\x1b[0m" in first and "02:00:01 " in first


def test_svg_is_a_terminal_window_with_the_text() -> None:
    svg = _script().render_svg("\x1b[1mVERDICT: oom\x1b[0m\nplain line")
    assert svg.startswith("<svg")
    # rich writes spaces as &#160; so the terminal's spacing survives SVG whitespace rules
    assert ">cronjob-doctor&#160;demo<" in svg
    assert ">VERDICT:&#160;oom<" in svg and ">plain&#160;line<" in svg
