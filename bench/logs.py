"""Log capture throughput and memory: a container writing ~1 GiB of log lines (and one writing multi-megabyte
single lines), followed by the real capture (`JobFollower`, as diagnose and record use it) in a child process.

The sandbox runs in this process with a producer log store: lines are generated as the stream asks for them
and never kept, so neither process holds the log in memory. The child writes the bundle into a temporary
directory, which is checked (line count and a checksum of the text, so no line is lost, doubled or cut) and
removed. Reported: MB/s over the child's follow time, its peak RSS, the sandbox's share (CPU this process
spent serving, over the follow time) and MB per CPU second of the child: when the sandbox's share nears a full
core, the sandbox sets the pace, and that last figure is what the capture itself can sustain.
Targets: >= 50 MB/s, <= 150 MB peak RSS, no line lost.
Usage: python bench/logs.py [--mib N] [--line BYTES] [--runs N]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

from common import PYTHON, Figure, child_env, print_table, run_child

from cronjob_doctor_sandbox import Sandbox
from cronjob_doctor_sandbox.logstore import LogStore, NoSuchLog, rfc3339nano

NAMESPACE, JOB, POD, CONTAINER = "bench", "bulk-log", "bulk-log-x7k2p", "writer"
BATCH_BYTES = 256 * 1024
"""Lines handed to the server per wake-up; the stream sends them as one chunk."""
_T0 = datetime(2026, 3, 17, 9, 0, 0, tzinfo=timezone.utc)

CHILD = r'''
import json, sys, threading, time
from pathlib import Path
from cronjob_doctor.kube.client import Kube
from cronjob_doctor.capture.follow import JobFollower
config, namespace, job, root = sys.argv[1:5]
kube = Kube.connect(kubeconfig=config)
started = time.monotonic()
follower = JobFollower(kube, namespace=namespace, job_name=job, bundle_dir=Path(root), stop=threading.Event())
capture = follower.run(deadline=time.monotonic() + 600)
print(json.dumps({"seconds": time.monotonic() - started, "partial": capture.partial, "notes": capture.notes,
                  "lines": {"/".join(map(str, k)): v for k, v in capture.lines.items()}}))
'''


_FILLERS: dict[int, str] = {}


def line_text(index: int, length: int) -> str:
    """Line `index` of the log: its number, then filler to `length` characters (deterministic, checkable).
    The filler is built once per length so the producer costs the sandbox as little as possible."""
    filler = _FILLERS.get(length)
    if filler is None:
        filler = _FILLERS[length] = ("abcdefghijklmnopqrstuvwxyz0123456789-_ " * (length // 38 + 1))[
            : max(0, length - 13)
        ]
    return f"{index:012d} {filler}"


_SECONDS: dict[int, str] = {}


def stamp(index: int) -> str:
    """Line `index`'s kubelet timestamp: one microsecond after the line before (fixed-width RFC3339Nano)."""
    second, micro = divmod(index, 1_000_000)
    base = _SECONDS.get(second)
    if base is None:
        base = _SECONDS[second] = rfc3339nano(_T0 + timedelta(seconds=second))[:19]
    return f"{base}.{micro:06d}000Z"


def expected_digest(lines: int, length: int) -> str:
    digest = hashlib.sha256()
    for index in range(lines):
        digest.update(line_text(index, length).encode() + b"\n")
    return digest.hexdigest()


class ProducerLogs(LogStore):
    """A LogStore whose one container generates `lines` lines of `length` characters on demand, then
    terminates (pod status and Job condition updated through `on_done`)."""

    def __init__(self, *, lines: int, length: int) -> None:
        super().__init__()
        self.lines, self.length = lines, length
        self.on_done: list[object] = []

    def read_batches(self, namespace: str, pod: str, container: str, *, previous: bool = False,
                     follow: bool = False, since: datetime | None = None, tail: int | None = None,
                     poll: float = 0.5) -> Iterator[list[tuple[str, str]]]:
        if (namespace, pod, container) != (NAMESPACE, POD, CONTAINER) or previous:
            raise NoSuchLog(f'previous terminated container "{container}" in pod "{pod}" not found')
        per_batch = max(1, BATCH_BYTES // (self.length + 1))
        floor = rfc3339nano(since) if since is not None else None
        # a kubelet seeks: sinceTime starts at that second's first line, tailLines at the last N lines
        index = 0 if since is None else min(self.lines, max(0, int((since - _T0).total_seconds())) * 1_000_000)
        if tail is not None:
            index = max(index, self.lines - tail)
        while index < self.lines and not self.closed:
            end = min(self.lines, index + per_batch)
            if index // 1_000_000 == (end - 1) // 1_000_000:  # one second: the common case, inlined (hot loop)
                base, filler = stamp(index)[:19], line_text(0, self.length)[13:]
                batch = [(f"{base}.{i % 1_000_000:06d}000Z", f"{i:012d} {filler}") for i in range(index, end)]
            else:
                batch = [(stamp(i), line_text(i, self.length)) for i in range(index, end)]
            if floor is not None:
                batch = [item for item in batch if item[0] >= floor]
            index = end
            if batch:
                yield batch
        for callback in self.on_done:
            callback()  # type: ignore[operator]


def _objects(sandbox: Sandbox) -> None:
    """A namespace, a running Job and its running pod, as the Job controller and kubelet would leave them."""
    store = sandbox.store
    store.create("namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
    job = store.create("jobs", {
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": JOB, "namespace": NAMESPACE},
        "spec": {"template": {"spec": {"restartPolicy": "Never",
                                       "containers": [{"name": CONTAINER, "image": "alpine:3.20"}]}}},
        "status": {"active": 1, "startTime": "2026-03-17T09:00:00Z"},
    })
    labels = {"batch.kubernetes.io/job-name": JOB, "job-name": JOB,
              "batch.kubernetes.io/controller-uid": job["metadata"]["uid"]}
    store.create("pods", {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": POD, "namespace": NAMESPACE, "labels": labels},
        # bound to a node: the apiserver answers 204 (no log) for a pod no node runs yet
        "spec": {"restartPolicy": "Never", "nodeName": "sandbox-node-1",
                 "containers": [{"name": CONTAINER, "image": "alpine:3.20"}]},
        "status": {"phase": "Running", "containerStatuses": [{
            "name": CONTAINER, "ready": True, "restartCount": 0, "image": "alpine:3.20",
            "containerID": "containerd://bench0001", "state": {"running": {"startedAt": "2026-03-17T09:00:00Z"}}}]},
    })


def _finish(sandbox: Sandbox) -> None:
    """The container exits 0 and the Job completes, after its last line was handed to the stream."""
    def pod(obj: dict) -> None:  # type: ignore[type-arg]
        obj["status"]["phase"] = "Succeeded"
        obj["status"]["containerStatuses"][0]["state"] = {"terminated": {
            "exitCode": 0, "reason": "Completed", "containerID": "containerd://bench0001",
            "startedAt": "2026-03-17T09:00:00Z", "finishedAt": "2026-03-17T09:01:00Z"}}

    def job(obj: dict) -> None:  # type: ignore[type-arg]
        obj["status"] = {"succeeded": 1, "startTime": "2026-03-17T09:00:00Z",
                         "completionTime": "2026-03-17T09:01:00Z",
                         "conditions": [{"type": "Complete", "status": "True",
                                         "lastTransitionTime": "2026-03-17T09:01:00Z"}]}

    sandbox.store.mutate("pods", NAMESPACE, POD, pod)
    sandbox.store.mutate("jobs", NAMESPACE, JOB, job)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def once(total_bytes: int, length: int, digest: str, root: Path) -> tuple[float, float, float, bool, float]:
    """(MB/s, peak RSS MB, sandbox share %, complete, MB per client CPU second) of one capture."""
    lines = total_bytes // (length + 1)
    sandbox = Sandbox(seed=None, controllers=False)
    logs = ProducerLogs(lines=lines, length=length)
    sandbox.logs = sandbox.api.logs = logs
    logs.on_done.append(lambda: threading.Thread(target=_finish, args=(sandbox,), daemon=True).start())
    _objects(sandbox)
    with sandbox.start():
        config = sandbox.write_kubeconfig(root / "kubeconfig")
        cpu = _cpu()
        result = run_child([PYTHON, "-c", CHILD, str(config), NAMESPACE, JOB, str(root / "bundle")],
                           env=child_env(), timeout=900)
        served_cpu = _cpu() - cpu
    if result.returncode != 0:
        raise RuntimeError(f"capture child exited {result.returncode}: {result.stderr[-3000:]}")
    report = json.loads(result.stdout.strip().splitlines()[-1])
    path = root / "bundle" / "logs" / POD / f"{CONTAINER}.log"
    check, count = hashlib.sha256(), 0
    with path.open("rb") as handle:
        for raw in handle:
            check.update(raw.split(b" ", 1)[1])  # drop the kubelet timestamp
            count += 1
    complete = count == lines and check.hexdigest() == digest and not report["partial"]
    size_mb = path.stat().st_size / 1e6
    shutil.rmtree(root / "bundle", ignore_errors=True)
    return (size_mb / report["seconds"], result.max_rss_mb, served_cpu / report["seconds"] * 100, complete,
            size_mb / result.cpu_seconds)


def run(mib: int = 1024, length: int = 200, runs: int = 3, label: str = "") -> list[Figure]:
    total = mib * 1024 * 1024
    lines = total // (length + 1)
    digest = expected_digest(lines, length)
    rates, rss, shares, complete, client = [], [], [], [], []
    for _ in range(runs):
        root = Path(tempfile.mkdtemp(prefix="bench-logs-"))
        try:
            rate, peak, share, ok, per_cpu = once(total, length, digest, root)
        finally:
            shutil.rmtree(root, ignore_errors=True)
        rates.append(rate)
        rss.append(peak)
        shares.append(share)
        complete.append(ok)
        client.append(per_cpu)
    name = label or f"{mib} MiB in {length}-byte lines"
    lost = (
        "every line captured, in order"
        if all(complete)
        else f"**lines lost or altered in {complete.count(False)} run(s)**"
    )
    return [Figure(f"capture {name}: throughput", "MB/s", rates, 50.0, higher_is_better=True, note=lost),
            Figure(f"capture {name}: peak RSS", "MB", rss, 150.0),
            Figure(f"capture {name}: sandbox share (server CPU / follow time)", "%", shares),
            Figure(f"capture {name}: MB captured per client CPU second (start-up included)", "MB/s", client,
                   note="what the capture sustains when the server is not the limit")]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--line", type=int, default=200, help="characters per line")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv[1:])
    print_table("Log capture", run(args.mib, args.line, args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
