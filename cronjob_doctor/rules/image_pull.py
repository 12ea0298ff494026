"""The `image-pull` family: ErrImagePull, ImagePullBackOff, InvalidImageName, ErrImageNeverPull; `detail` from the
kubelet's message: `not-found`, `auth`, `rate-limit`, `registry` (unreachable, TLS), `invalid-name`.

Evidence: container waiting reasons in pod status, then kubelet `Failed` / `BackOff` events ("Failed to pull
image ..."). It must not confuse a pull failure with a crash of a started container.
"""

from __future__ import annotations

from collections.abc import Iterable

from cronjob_doctor.bundle import Bundle
from cronjob_doctor.rules.base import Evidence, Finding
from cronjob_doctor.rules.facts import facts_of

PULL_REASONS = ("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull", "RegistryUnavailable",
                "ImageInspectError")


def _cause(text: str) -> str:
    low = text.lower()
    if "toomanyrequests" in low or "too many requests" in low or "rate limit" in low or " 429 " in f" {low} ":
        return "rate-limit"
    if "x509" in low or "certificate" in low or "tls:" in low:
        return "registry"
    if "not found" in low or "manifest unknown" in low or "404" in low or "no matching manifest" in low:
        return "not-found"
    if any(s in low for s in ("unauthorized", "authentication required", "pull access denied", "403",
                              "denied: requested access")):
        return "auth"
    if any(s in low for s in ("i/o timeout", "dial tcp", "no such host", "connection refused", "tls handshake",
                              "context deadline exceeded", "request canceled", "connection reset", ": eof")):
        return "registry"
    return "pull"


_FIX = {
    "invalid-name": "fix the image reference in the CronJob (registry/repository:tag or @sha256:digest, lowercase)",
    "not-found": "the tag or repository does not exist (or has no variant for the node's architecture): push it or "
                 "point the CronJob at one that does (check with `crane ls REPO` or `docker manifest inspect IMAGE`)",
    "auth": "give the pod pull credentials: an imagePullSecret in the pod spec or on its ServiceAccount "
            "(kubectl create secret docker-registry ...)",
    "registry": "the node cannot talk to the registry (unreachable, or a TLS certificate the node does not trust): "
                "check the registry's health and certificate (and the CA on the nodes), or mirror the image to a "
                "registry the nodes reach and pin it by digest",
    "never-pull": "imagePullPolicy Never needs the image preloaded on every node: use IfNotPresent",
    "rate-limit": "the registry rate-limits anonymous pulls (Docker Hub: 100 per 6 h per IP): pull with credentials "
                  "(an imagePullSecret), mirror the image to your own registry or a pull-through cache, and pin it "
                  "by digest with imagePullPolicy IfNotPresent",
    "pull": "run `kubectl describe pod` on a failing pod for the kubelet's pull error, then fix the image "
            "reference or credentials",
}


class ImagePullRule:
    id = "image-pull"

    def evaluate(self, bundle: Bundle) -> Iterable[Finding]:
        facts = facts_of(bundle)
        waits = [w for w in facts.waiting if w.reason in PULL_REASONS]
        pull_events = [e for e in facts.events if e.reason in ("Failed", "BackOff", "InspectFailed")
                       and ("pull" in e.message.lower() or "image" in e.message.lower())
                       and "Error: " not in e.message[:7]]
        pull_events = [e for e in pull_events if "container" not in e.message.lower()
                       or "image" in e.message.lower()]
        if not waits and not pull_events:
            return
        evidence = [Evidence("pods.json", w.describe()) for w in waits]
        evidence += [Evidence(e.source, e.describe()) for e in pull_events[:3]]
        reasons = {w.reason for w in waits}
        text = " ".join([w.message for w in waits] + [e.message for e in pull_events])
        if "InvalidImageName" in reasons:
            # The kubelet never tries to pull a reference it cannot parse: no registry is involved.
            detail = "invalid-name"
        elif "ErrImageNeverPull" in reasons:
            detail = "never-pull"
        else:
            detail = _cause(text)
        image = facts.image or "the image"
        state = "/".join(sorted(reasons)) or "image pull errors"
        confidence = 0.95 if waits else 0.8
        yield Finding(
            verdict="image-pull", detail=detail, confidence=confidence,
            summary=f"the container never started: {state} for {image} ({detail.replace('-', ' ')})",
            evidence=tuple(evidence), remediation=(_FIX[detail],),
        )
