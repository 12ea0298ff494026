"""`diagnose --dry-run` as something `kubectl apply -f -` accepts: a YAML stream (what would change and why in
YAML comments) or, with `-o json`, a v1 List. Nothing here is prose that kubectl would choke on.
"""

from __future__ import annotations

import json

from cronjob_doctor.debugjob import build as debugjob
from cronjob_doctor.diagnose.model import DryRun


def _comment(text: str) -> str:
    return "".join(f"# {line}".rstrip() + "\n" for line in text.splitlines())


def render_yaml(result: DryRun) -> str:
    """One YAML document per debug Job; the diff against the jobTemplate as comments under it."""
    docs = []
    for job in result.jobs:
        head = [f"debug Job {job.manifest['metadata']['name']} for cronjob {result.cronjob}: variant {job.variant}, "
                f"run {job.run}"]
        if result.via:
            head.append(result.via)
        head += [f"warning: {w}" for w in job.warnings]
        diff = "diff against the CronJob's jobTemplate:\n" + job.diff if job.diff else ""
        docs.append(_comment("\n".join(head)) + debugjob.to_yaml(job.manifest) + _comment(diff))
    return "---\n".join(docs)


def render_json(result: DryRun) -> str:
    """A v1 List of the Jobs (`kubectl apply -f -` takes it); no diff (it is on stderr)."""
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": [j.manifest for j in result.jobs]}, indent=2)


RENDERERS = {"text": render_yaml, "yaml": render_yaml, "json": render_json}
