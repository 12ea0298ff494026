"""When it is certain that a debug pod will never start, so diagnose stops following at once instead of waiting
for the debug Job's deadline (30 minutes by default) to give the same verdict.

"Certain" is defined per waiting reason (StartPolicy; docs/reliability.md lists the rules):
- InvalidImageName, ErrImageNeverPull: at first sight. The kubelet never retries them: the reference does not
  parse, or imagePullPolicy Never names an image the node does not have.
- ErrImagePull / ImagePullBackOff whose message says the image does not exist or access is refused (not found,
  manifest unknown, pull access denied, unauthorized, 401, 403, ...): once the kubelet has failed the pull
  `pull_attempts` times (each ErrImagePull after a back-off is a new attempt), or after `pull_seconds` of it.
  Any other pull error (a timeout, DNS, a registry's 5xx, TLS) may pass: the deadline decides.
- CreateContainerConfigError (a Secret, ConfigMap or key missing): after `config_seconds`. The kubelet retries
  it at every sync, and a Secret created meanwhile (by a controller, an operator at 3 a.m.) heals it; the
  window covers the kubelet's one-minute sync period and a back-off step.
Pure: pod dicts and a monotonic clock in, a reason out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from cronjob_doctor.k8s.pods import container_statuses

Obj = dict[str, Any]

PERMANENT_PULL = re.compile(
    r"not found|manifest unknown|repository does not exist|pull access denied|unauthorized|authentication "
    r"required|\b401\b|\b403\b|forbidden|access denied|denied: |invalid reference format|no matching manifest",
    re.IGNORECASE,
)
"""A pull error the next attempt will meet too: the image (or tag, or platform) is not there, or the
credentials are refused."""
TRANSIENT_PULL = re.compile(
    r"timeout|timed out|no such host|temporary failure|connection refused|connection reset|i/o timeout|"
    r"\b50[0-4]\b|too many requests|\b429\b|tls handshake|\beof\b",
    re.IGNORECASE,
)
"""A pull error that may pass (the network, DNS, a busy or broken registry): never certain."""
AT_ONCE = frozenset({"InvalidImageName", "ErrImageNeverPull"})
PULL_FAILURES = frozenset({"ErrImagePull", "ImagePullBackOff"})


@dataclass(frozen=True)
class StartPolicy:
    """How long a never-starting pod is watched before diagnose calls it certain and stops."""

    pull_attempts: int = 2
    """Failed pulls with a not-found / refused message before it is certain."""
    pull_seconds: float = 60.0
    """...or seconds since the first such failure."""
    config_seconds: float = 120.0
    """Seconds of CreateContainerConfigError before it is certain (one sync period and a back-off step)."""


@dataclass
class _Waiting:
    reason: str
    message: str
    since: float
    pulls: int = 0


@dataclass
class StartWatch:
    """Follows the waiting states of a Job's pods and says when one can no longer start."""

    policy: StartPolicy = field(default_factory=StartPolicy)
    _waiting: dict[tuple[str, str], _Waiting] = field(default_factory=dict)

    def update(self, pod: Obj, now: float) -> str | None:
        """Take a pod's new state; the reason it will never start, if that is now certain."""
        name = str((pod.get("metadata") or {}).get("name", ""))
        for status, _init in container_statuses(pod):
            container = str(status.get("name", ""))
            key = (name, container)
            waiting = (status.get("state") or {}).get("waiting") or {}
            reason, message = str(waiting.get("reason") or ""), str(waiting.get("message") or "")
            if reason not in AT_ONCE | PULL_FAILURES | {"CreateContainerConfigError"}:
                self._waiting.pop(key, None)
                continue
            seen = self._waiting.get(key)
            same_kind = seen is not None and (seen.reason == reason or {seen.reason, reason} <= PULL_FAILURES)
            if seen is None or not same_kind:
                # a back-off already follows one failed pull
                seen = self._waiting[key] = _Waiting(reason, message, now, 1 if reason == "ImagePullBackOff" else 0)
            if reason == "ErrImagePull" and (seen.reason != "ErrImagePull" or seen.pulls == 0):
                seen.pulls += 1  # a new attempt: the first, or one after an ImagePullBackOff
            seen.reason, seen.message = reason, message or seen.message
        return self.due(now)

    def due(self, now: float) -> str | None:
        """The reason a pod will never start, once certain by the policy (also when no new event came)."""
        for (pod, container), seen in sorted(self._waiting.items()):
            reason = self._certain(seen, now)
            if reason:
                return f"container {container} in pod {pod} will never start: {reason}"
        return None

    def _certain(self, seen: _Waiting, now: float) -> str | None:
        policy = self.policy
        detail = f"{seen.reason}: {seen.message}" if seen.message else seen.reason
        waited = now - seen.since
        if seen.reason in AT_ONCE:
            return f"{detail} (the kubelet does not retry it)"
        if seen.reason in PULL_FAILURES:
            if not PERMANENT_PULL.search(seen.message) or TRANSIENT_PULL.search(seen.message):
                return None
            if seen.pulls >= policy.pull_attempts:
                return f"{detail} (the pull failed {seen.pulls} times with the same answer)"
            if waited >= policy.pull_seconds:
                return f"{detail} (for {waited:.0f}s)"
            return None
        if waited >= policy.config_seconds:
            return f"{detail} (for {waited:.0f}s, longer than the kubelet's retry window)"
        return None
