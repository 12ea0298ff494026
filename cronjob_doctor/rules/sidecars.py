"""Which containers of a Job's pod are sidecars (a native sidecar, a known proxy or log shipper, a container
that outlived the job's own), and whether one ended at shutdown or still holds the pod open.

A sidecar's ending once the job's own containers have ended is not the failure, and its log is not the job's.
Pure: it reads a pod and its terminations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from cronjob_doctor.k8s import pods as podlib
from cronjob_doctor.k8s import templates
from cronjob_doctor.k8s.objects import as_dict, name_of
from cronjob_doctor.k8s.pods import Termination
from cronjob_doctor.k8s.time import parse_time, seconds_between


@dataclass(frozen=True)
class Sidecar:
    """A container that runs beside the job's own: a native sidecar (init container with restartPolicy Always),
    a known proxy or log shipper, or a container that outlived the job's own containers."""

    pod: str
    container: str
    why: str
    """`native`, `image` (a known proxy or log shipper), `held` (still running after the job's own containers
    succeeded) or `outlived` (stopped by a signal right after they succeeded)."""
    running: bool
    termination: Termination | None = None


# Proxies and log shippers that run beside a job and are stopped when it ends (the repository, not the tag).
_SIDECAR_IMAGE = re.compile(
    r"(?:^|/)(?:proxyv2|linkerd2?-proxy|proxy-init|cloud-sql-proxy|gce-proxy|fluent-bit|fluentd|filebeat|"
    r"promtail|vector|opentelemetry-collector(?:-contrib)?|otelcol(?:-contrib)?|oauth2-proxy|"
    r"consul-dataplane|kuma-dp|envoy|vault-agent|datadog/agent|aws-otel-collector)(?:[:@]|$)")
_SHUTDOWN_WINDOW_SECONDS = 120.0
"""A regular container stopped by a signal this soon after the job's own containers succeeded was stopped
because they were done (a sidecar), not because it failed."""


def _repository(image: Any) -> str:
    text = str(image or "")
    return text.split("@", 1)[0].rsplit(":", 1)[0] if ":" in text.rsplit("/", 1)[-1] else text.split("@", 1)[0]


def classify(pod: dict[str, Any], terminations: list[Termination]) -> dict[tuple[str, str], Sidecar]:
    """The pod's sidecars by (pod, container), from its spec and statuses (init containers with restartPolicy
    Always, known proxies and shippers, containers that outlived the job's own), and how each ended."""
    name = name_of(pod) or "?"
    spec = templates.pod_spec(pod)
    images = {str(c.get("name")): _repository(c.get("image")) for c in templates.containers(spec)}
    statuses = {str(item.get("name")): (as_dict(item), init) for item, init in podlib.container_statuses(pod)}
    regular = [c for c, (_, init) in statuses.items() if not init]
    terms = {t.container: t for t in terminations if t.pod == name and not t.last_state}
    out: dict[tuple[str, str], Sidecar] = {}
    why: dict[str, str] = {}
    for container, (_, init) in statuses.items():
        if init and podlib.is_native_sidecar(pod, container):
            why[container] = "native"
        elif not init and len(regular) > 1 and _SIDECAR_IMAGE.search(images.get(container, "")):
            why[container] = "image"
    own = [c for c in regular if c not in why]
    succeeded = [terms[c] for c in own if c in terms and terms[c].exit_code == 0]
    if succeeded and len(succeeded) < len(own):
        # Some of the job's own containers succeeded: one still running holds the pod open, one stopped by a
        # signal right after them was stopped because they were done. Any other ending is a real failure.
        finished = max((t for t in (parse_time(t.finished_at) for t in succeeded) if t), default=None)
        rest = [c for c in own if c not in {t.container for t in succeeded}]
        kinds: dict[str, str] = {}
        for container in rest:
            state = as_dict(statuses[container][0].get("state"))
            term = terms.get(container)
            if "running" in state:
                kinds[container] = "held"
            elif term is not None and term.exit_code in (137, 143) and term.reason != "OOMKilled":
                # Stopped because the job's own containers were done: it ended after them, never before (the
                # kubelet stamps both), and not by the kernel's OOM killer, which kills for memory, not shutdown.
                stopped = parse_time(term.finished_at)
                gap = seconds_between(finished, stopped)
                if gap is not None and finished is not None and stopped is not None and stopped >= finished \
                        and gap <= _SHUTDOWN_WINDOW_SECONDS:
                    kinds[container] = "outlived"
        if len(kinds) == len(rest):
            why.update(kinds)
    ended_own = any(c in terms for c in regular if c not in why)
    for container, kind in why.items():
        state = as_dict(statuses[container][0].get("state"))
        term = terms.get(container)
        # A sidecar's ending is not the job's failure once the job's own containers have ended.
        ended = term if term is not None and ended_own and "running" not in state else None
        out[(name, container)] = Sidecar(name, container, kind, "running" in state, ended)
    return out
