"""Redaction covers Secret values however they reach a log: read from env or from a mounted Secret volume
(plain or projected), as they are, base64-encoded (standard or URL-safe, behind a prefix of any length),
URL- or JSON-escaped, in another case; a value cut in two by a line break is flagged with its lines.
Values are the incident seed's and random ones."""

from __future__ import annotations

import base64
import copy
import json
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cronjob_doctor.capture.secrets import redactor_for, split_value_notes, volume_refs
from cronjob_doctor.kube.client import Kube, RetryPolicy
from cronjob_doctor.redact import MIN_SECRET_LENGTH, Redactor
from cronjob_doctor_sandbox import Sandbox
from cronjob_doctor_sandbox.seeds import apply
from cronjob_doctor_sandbox.store import Store

FAST = RetryPolicy(attempts=3, max_seconds=2, wait_initial=0, wait_max=0)


def seed_values() -> dict[str, str]:
    """Every Secret value of the incident seed, as `secret/key` -> decoded value."""
    store = Store()
    apply(store, "incident")
    secrets, _version = store.list("secrets")
    return {
        f"{s['metadata']['name']}/{key}": base64.b64decode(value).decode()
        for s in secrets for key, value in (s.get("data") or {}).items()
    }


SEED = seed_values()
LONG_ENOUGH = {name: value for name, value in SEED.items() if len(value) >= MIN_SECRET_LENGTH}


def encodings(value: str, prefix: str) -> dict[str, str]:
    """The ways a script prints a value: as is, in another case, escaped, encoded behind a prefix."""
    data = (prefix + value).encode()
    return {
        "plain": prefix + value,
        "upper": prefix + value.upper(),
        "lower": prefix + value.lower(),
        "swapped": prefix + value.swapcase(),
        "json": json.dumps(prefix + value)[1:-1],
        "url": quote(prefix + value, safe=""),
        "url-lower-hex": re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), quote(prefix + value, safe="")),
        "form": quote_plus(prefix + value),
        "base64": base64.b64encode(data).decode(),
        "base64-echo": base64.b64encode(data + b"\n").decode(),
        "base64-url": base64.urlsafe_b64encode(data).decode(),
        "base64-unpadded": base64.b64encode(data).decode().rstrip("="),
    }


def recoverable(value: str, text: str) -> bool:
    """Whether `value` can be read back from `text`: in any case, URL-decoded, or base64-decoded from any run of
    the base64 alphabet at any alignment. The name in a mark (`<redacted:tf-backup-s3-creds/access-key>`) names
    the Secret, not its value."""
    from urllib.parse import unquote, unquote_plus

    text = re.sub(r"<redacted:[^<>\s]*>", "<redacted>", text)
    folded = value.casefold()
    for candidate in (text, unquote(text), unquote_plus(text), text.replace('\\"', '"').replace("\\\\", "\\")):
        if folded in candidate.casefold():
            return True
    needle = value.encode()
    for run in re.findall(r"[A-Za-z0-9+/_-]{4,}", text):
        run = run.translate(str.maketrans("-_", "+/"))
        for skip in range(4):
            piece = run[skip:]
            piece = piece[: len(piece) - 1] if len(piece) % 4 == 1 else piece
            piece += "=" * (-len(piece) % 4)
            try:
                if needle in base64.b64decode(piece):
                    return True
            except ValueError:
                continue
    return False


@pytest.mark.parametrize("name", sorted(LONG_ENOUGH))
@pytest.mark.parametrize("prefix", ["", "u:", "user:", "backup:", "AWS4-HMAC "])
def test_the_seed_values_cannot_be_read_back_in_any_form(name: str, prefix: str) -> None:
    value = LONG_ENOUGH[name]
    redactor = Redactor({name: value})
    for form, text in encodings(value, prefix).items():
        line = f"+ curl -H 'X-Key: {text}' https://minio.minio.svc:9000/"
        assert recoverable(value, line), f"the test's own decoder misses the {form} form"
        out = redactor.redact(line)
        assert not recoverable(value, out), f"{form}: {out}"
        assert f"<redacted:{name}>" in out


def test_a_value_too_short_to_redact_is_left_alone() -> None:
    short = {name: value for name, value in SEED.items() if len(value) < MIN_SECRET_LENGTH}
    redactor = Redactor(short)
    assert all(redactor.redact(f"x {value} y") == f"x {value} y" for value in short.values())


printable = st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="<>*")
values = st.text(printable, min_size=MIN_SECRET_LENGTH, max_size=40)
"""ASCII without <, > and * (a value cannot then be formed across a mark or a mask)."""


@settings(max_examples=150, deadline=None)
@given(value=values, prefix=st.text(printable, max_size=7), form=st.sampled_from(sorted(encodings("x", ""))),
       before=st.text(max_size=30), after=st.text(max_size=30))
def test_a_random_value_cannot_be_read_back_in_any_form(
    value: str, prefix: str, form: str, before: str, after: str
) -> None:
    text = encodings(value, prefix)[form]
    line = f"{before} {text} {after}"
    assume(recoverable(value, line))
    assume(not recoverable(value, f"{before} {after}"))
    out = Redactor({"X": value}).redact(line)
    assert not recoverable(value, out), out


@settings(max_examples=150, deadline=None)
@given(value=values, cut=st.integers(1, 39), before=st.text(printable, max_size=20),
       after=st.text(printable, max_size=20))
def test_a_value_split_across_two_lines_is_flagged(value: str, cut: int, before: str, after: str) -> None:
    assume(0 < cut < len(value))
    first, second = before + value[:cut], value[cut:] + after
    assume(value.casefold() not in first.casefold() and value.casefold() not in second.casefold())
    assert (2, 3, "X") in Redactor({"X": value}).splits(["start", first, second])


def test_a_wrapped_base64_blob_holding_a_value_is_flagged_at_its_lines(tmp_path: Path) -> None:
    secret = LONG_ENOUGH["tf-backup-s3-creds/secret-key"]
    redactor = Redactor({"S3_SECRET_KEY": secret})
    for padding in range(80):  # where the wrap cuts the value's own characters in two
        blob = base64.b64encode(json.dumps({"pad": "x" * padding, "key": secret}).encode()).decode()
        lines = textwrap.wrap(blob, 76)  # what `base64` prints
        if not any("<redacted:" in redactor.redact(line) for line in lines):
            break
    else:
        raise AssertionError("no padding puts the line break inside the value")
    log = tmp_path / "run" / "logs" / "backup-x7k2p" / "backup.log"
    log.parent.mkdir(parents=True)
    traced = ["+ base64 -w 76", *lines]
    log.write_text("".join(f"2026-03-21T08:00:0{i}.000000000Z {line}\n" for i, line in enumerate(traced)))
    (found,) = redactor.splits(lines)
    notes = split_value_notes(redactor, tmp_path)
    assert notes == [
        f"a secret value (S3_SECRET_KEY) may be split across lines {found[0] + 1}-{found[1] + 1} of "
        "run/logs/backup-x7k2p/backup.log: neither part is redacted; check those lines before sharing"
    ]


def test_nothing_is_flagged_in_logs_without_a_split(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "pod" / "c.log"
    log.parent.mkdir(parents=True)
    log.write_text("+ mc alias set store http://minio:9000 <redacted:A> <redacted:B>\nVq3n8sLk2PzR7wYt\n")
    assert split_value_notes(Redactor({"B": "Vq3n8sLk2PzR7wYt"}), tmp_path) == []


# -- Secrets mounted as volumes, read through the API ------------------------------------------------------


@pytest.fixture
def incident() -> Iterator[Sandbox]:
    running = Sandbox(seed="incident", controllers=False).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def kube(incident: Sandbox, tmp_path: Path) -> Iterator[Kube]:
    client = Kube.connect(str(incident.write_kubeconfig(tmp_path / "kubeconfig")), retry=FAST)
    try:
        yield client
    finally:
        client.close()


def mounted_only(cronjob: dict[str, Any], volumes: list[dict[str, Any]]) -> dict[str, Any]:
    """The CronJob with its Secret env replaced by volumes: the values reach the script only as files."""
    changed = copy.deepcopy(cronjob)
    pod = changed["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    for container in pod["containers"]:
        container.pop("env", None)
        container["volumeMounts"] = [{"name": v["name"], "mountPath": f"/etc/{v['name']}"} for v in volumes]
    pod["volumes"] = volumes
    return changed


@pytest.mark.parametrize(
    ("volume", "names"),
    [
        ({"name": "creds", "secret": {"secretName": "tf-backup-s3-creds"}},
         {"tf-backup-s3-creds/access-key", "tf-backup-s3-creds/secret-key"}),
        ({"name": "creds", "secret": {"secretName": "tf-backup-s3-creds",
                                      "items": [{"key": "secret-key", "path": "sk"}]}},
         {"tf-backup-s3-creds/secret-key"}),
        ({"name": "all", "projected": {"sources": [
            {"configMap": {"name": "unrelated"}},
            {"secret": {"name": "tf-backup-s3-creds", "items": [{"key": "secret-key", "path": "sk"}]}},
        ]}}, {"tf-backup-s3-creds/secret-key"}),
    ],
    ids=["secret-volume", "secret-volume-items", "projected"],
)
def test_values_of_a_mounted_secret_are_redacted(
    incident: Sandbox, kube: Kube, volume: dict[str, Any], names: set[str]
) -> None:
    cronjob = mounted_only(incident.store.get("cronjobs", "tofu-state", "tf-state-backup"), [volume])
    assert {secret for secret, _key, _volume in volume_refs(cronjob)} == {"tf-backup-s3-creds"}
    redactor, notes = redactor_for(kube, "tofu-state", cronjob, enabled=True)
    assert notes == []
    out = redactor.redact("+ echo tf-backup Vq3n8sLk2PzR7wYt")
    assert set(re.findall(r"<redacted:([^>]+)>", out)) == names
    assert "Vq3n8sLk2PzR7wYt" not in out
    assert [r.path for r in incident.requests if "/secrets" in r.path] == [
        "/api/v1/namespaces/tofu-state/secrets/tf-backup-s3-creds"
    ]


def test_an_unreadable_mounted_secret_is_said(incident: Sandbox, kube: Kube) -> None:
    incident.deny("get", "secrets", namespace="tofu-state")
    cronjob = mounted_only(incident.store.get("cronjobs", "tofu-state", "tf-state-backup"),
                           [{"name": "creds", "secret": {"secretName": "tf-backup-s3-creds"}}])
    redactor, notes = redactor_for(kube, "tofu-state", cronjob, enabled=True)
    assert notes == ["not allowed to get secrets in tofu-state: the values of Secret tf-backup-s3-creds are not "
                     "redacted by value, only credential patterns are"]
    assert redactor.redact("echo Vq3n8sLk2PzR7wYt") == "echo Vq3n8sLk2PzR7wYt"
