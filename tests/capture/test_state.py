"""The capture marker: a bundle whose writer was killed says so; one finished (complete or partial) does not."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from cronjob_doctor.capture import state

NOW = datetime(2026, 3, 21, 2, 0, tzinfo=timezone.utc)


def test_a_bundle_still_marked_capturing_was_cut_short(tmp_path: Path) -> None:
    state.begin(tmp_path, command="diagnose", session="abcd1234", host="laptop", pid=4242, now=NOW)
    note = state.cut_short(tmp_path)
    assert note is not None and note.startswith("the capture was cut short: diagnose (pid 4242 on laptop)")
    assert (tmp_path / state.STATE_FILE).stat().st_mode & 0o777 == 0o600


def test_a_finished_bundle_is_not_cut_short(tmp_path: Path) -> None:
    state.begin(tmp_path, command="diagnose", session="abcd1234", host="laptop", pid=4242, now=NOW)
    state.finish(tmp_path, state=state.PARTIAL, now=NOW, reason="a log could not be read to its end")
    assert state.cut_short(tmp_path) is None
    data = json.loads((tmp_path / state.STATE_FILE).read_text())
    assert (data["state"], data["pid"], data["reason"]) == ("partial", 4242, "a log could not be read to its end")


def test_bundles_without_a_marker_are_not_cut_short(tmp_path: Path) -> None:
    assert state.cut_short(tmp_path) is None
    (tmp_path / state.STATE_FILE).write_text("not json")
    assert state.cut_short(tmp_path) is None


def test_a_record_bundle_left_while_following_was_cut_short(tmp_path: Path) -> None:
    (tmp_path / "meta.json").write_text(json.dumps({"command": "record", "state": "following", "job": "x-1"}))
    note = state.cut_short(tmp_path)
    assert note is not None and "record stopped while following job x-1" in note
