"""The `network` family: DNS, timeouts, refused connections, TLS, HTTP errors, and egress blocked by a
NetworkPolicy (detail `netpol` for in-cluster peers, `egress` for outside ones).

Evidence is log signatures (weaker than pod status) plus, for the policy check, networkpolicies.json matched
against the pod's labels. It must not claim a policy blocks traffic it cannot see (unresolvable selectors).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from cronjob_doctor.bundle import Bundle
from cronjob_doctor.rules import remediation
from cronjob_doctor.rules._shared import (
    download_commands,
    during,
    is_download,
    match_evidence,
    step_for,
    term_evidence,
    trace_evidence,
)
from cronjob_doctor.rules.base import Evidence, Finding
from cronjob_doctor.rules.facts import Facts, Match, facts_of

_TAIL = 8
_WHAT = {
    "dns": "DNS lookup failed",
    "timeout": "the connection timed out",
    "refused": "the connection was refused",
    "tls": "the TLS handshake failed",
    "http": "the server answered with an HTTP error",
}


@dataclass(frozen=True)
class Peer:
    """Where the failed connection went, as far as the log says."""

    host: str | None
    ip: str | None
    port: int | None
    protocol: str = "TCP"

    @property
    def in_cluster(self) -> bool:
        if self.host and (self.host.endswith((".svc", ".svc.cluster.local", ".cluster.local"))
                          or "." not in self.host):
            return True
        if self.ip:
            try:
                return ipaddress.ip_address(self.ip.strip("[]")).is_private
            except ValueError:
                return False
        return False

    @property
    def namespace_hint(self) -> str | None:
        """`svc.ns.svc.cluster.local` -> `ns`; a bare name lives in the pod's own namespace (None here)."""
        if not self.host or "." not in self.host:
            return None
        parts = self.host.split(".")
        return parts[1] if len(parts) >= 2 and parts[1] not in ("svc",) else None

    def describe(self) -> str:
        where = self.host or self.ip or "the peer"
        return f"{where}:{self.port}/{self.protocol}" if self.port else where


_SERVICE_HOST = re.compile(r"\b[a-z0-9]([-a-z0-9]*[a-z0-9])?\.[a-z0-9]([-a-z0-9]*[a-z0-9])?\.svc(\.cluster\.local)?\b")


def _peer(match: Match) -> Peer:
    groups = match.groups
    host, ip, port = groups.get("host"), groups.get("ip"), groups.get("port")
    url = groups.get("url")
    if url and not host:
        parsed = urlparse(url)
        host = parsed.hostname
        port = port or (str(parsed.port) if parsed.port else ("443" if parsed.scheme == "https" else "80"))
    if host and re.fullmatch(r"[0-9.]+", host):
        ip, host = host, None
    if host is None:
        # Go clients (mc, kubectl) name the URL and then the dialled IP: the service name says where it lives.
        named = _SERVICE_HOST.search(match.text)
        if named:
            host = named.group(0)
    if match.signature.detail == "dns":
        # A failed lookup is a failed conversation with the cluster DNS (kube-dns, port 53 UDP).
        return Peer(host=host, ip=None, port=53, protocol="UDP")
    if port is None and match.signature.id.startswith("curl-") and host:
        port = "443"
    return Peer(host=host, ip=ip, port=int(port) if port and port.isdigit() else None)


# ---------------------------------------------------------------------------------------------- policies


def _selects(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool | None:
    """Whether a label selector selects these labels; None when it cannot be evaluated."""
    if selector is None:
        return True
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
        if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            return None
    return True


def _namespace_selects(selector: dict[str, Any], namespace: str | None) -> bool | None:
    if not (selector.get("matchLabels") or selector.get("matchExpressions")):
        return True
    labels = selector.get("matchLabels") or {}
    if set(labels) == {"kubernetes.io/metadata.name"} and not selector.get("matchExpressions"):
        if namespace is None:
            return None
        return bool(labels["kubernetes.io/metadata.name"] == namespace)
    return None  # other namespace labels are not in the bundle: cannot tell


def _port_ok(rule: dict[str, Any], peer: Peer) -> bool | None:
    ports = rule.get("ports") or []
    if not ports:
        return True
    unknown = False
    for entry in ports:
        if (entry.get("protocol") or "TCP") != peer.protocol:
            continue
        port = entry.get("port")
        if port is None:
            return True
        if not isinstance(port, int):
            unknown = True  # a named port resolves against the destination pod, which we cannot see
            continue
        if peer.port is None:
            unknown = True
            continue
        end = entry.get("endPort") or port
        if port <= peer.port <= end:
            return True
    return None if unknown else False


def _peer_ok(rule: dict[str, Any], peer: Peer, pod_namespace: str | None) -> bool | None:
    targets = rule.get("to") or []
    if not targets:
        return True
    dns_peer = peer.port == 53 and peer.protocol == "UDP"
    # The peer's namespace: kube-dns for lookups, `svc.ns...` from the host, the pod's own for a bare service
    # name; a bare IP could be anywhere.
    bare = bool(peer.host) and "." not in (peer.host or "")
    target_ns = "kube-system" if dns_peer else (peer.namespace_hint or (pod_namespace if bare else None))
    unknown = False
    for entry in targets:
        block = entry.get("ipBlock")
        if block:
            try:
                net = ipaddress.ip_network(block.get("cidr", ""), strict=False)
            except ValueError:
                continue
            if net.prefixlen == 0:
                return True
            if peer.ip:
                try:
                    addr = ipaddress.ip_address(peer.ip.strip("[]"))
                except ValueError:
                    unknown = True
                    continue
                excluded = any(addr in ipaddress.ip_network(e, strict=False) for e in block.get("except") or [])
                if addr in net and not excluded:
                    return True
            elif not peer.in_cluster and net.is_private:
                continue  # a public host name never resolves into a private range
            else:
                unknown = True  # a host name may resolve into the block: cannot tell offline
            continue
        if not (peer.in_cluster or dns_peer):
            continue  # namespace and pod selectors only ever match pods, never outside hosts
        ns_sel = entry.get("namespaceSelector")
        if ns_sel is not None:
            verdict = _namespace_selects(ns_sel, target_ns)
        else:
            verdict = target_ns == pod_namespace if target_ns else None
        if verdict is True:
            return True  # the pod selector picks pods we cannot see; the namespace is allowed
        if verdict is None:
            unknown = True
    return None if unknown else False


def _pod_labels(bundle: Bundle, facts: Facts) -> dict[str, str]:
    for labels in facts.pod_labels.values():
        if labels:
            return labels
    for source in (bundle.job, bundle.cronjob):
        if not source:
            continue
        spec = source.get("spec") or {}
        template = (spec.get("jobTemplate") or {}).get("spec", {}).get("template") if "jobTemplate" in spec \
            else spec.get("template")
        found = ((template or {}).get("metadata") or {}).get("labels")
        if isinstance(found, dict) and found:
            return {str(k): str(v) for k, v in found.items()}
    return {}


@dataclass(frozen=True)
class Blocked:
    policies: tuple[str, ...]
    peer: Peer


def blocking_policies(bundle: Bundle, facts: Facts, peer: Peer) -> Blocked | None:
    """The Egress policies that select the pod when none of them allows the peer (None: allowed or unknown)."""
    labels = _pod_labels(bundle, facts)
    selecting = []
    for policy in bundle.networkpolicies:
        meta = policy.get("metadata") or {}
        spec = policy.get("spec") or {}
        if facts.namespace and meta.get("namespace") not in (None, facts.namespace):
            continue
        types = spec.get("policyTypes") or (["Ingress", "Egress"] if "egress" in spec else ["Ingress"])
        if "Egress" not in types:
            continue
        if _selects(spec.get("podSelector") or {}, labels) is not True:
            continue
        selecting.append(policy)
    if not selecting:
        return None
    for policy in selecting:
        for rule in (policy.get("spec") or {}).get("egress") or []:
            ports, peers = _port_ok(rule, peer), _peer_ok(rule, peer, facts.namespace)
            if ports is not False and peers is not False:
                return None  # allowed, or possibly allowed: do not accuse the policy
    names = tuple(str((p.get("metadata") or {}).get("name")) for p in selecting)
    return Blocked(names, peer)


# ---------------------------------------------------------------------------------------------- the rule


def _fixes(detail: str, peer: Peer, facts: Facts, command: str | None) -> list[str]:
    out: list[str] = []
    if detail == "dns":
        out.append(f"check cluster DNS from the namespace: kubectl -n {facts.namespace or 'NAMESPACE'} run dnscheck "
                   f"--rm -it --restart=Never --image=busybox -- nslookup {peer.host or 'HOST'}")
        out.append("check CoreDNS: kubectl -n kube-system logs -l k8s-app=kube-dns --tail=100")
    elif detail == "refused":
        out.append(f"nothing listens at {peer.describe()}: check the Service and its endpoints "
                   "(kubectl get endpoints) or the address in the script")
    elif detail == "tls":
        out.append("install or mount the CA that signed the server certificate (ca-certificates, or a CA bundle "
                   "from a ConfigMap with SSL_CERT_FILE); do not disable verification")
    elif detail == "http":
        out.append("the URL answered with an HTTP error: pin a version/URL that exists, or mirror the file "
                   "(429/403 from a CDN means rate limiting)")
    if is_download(command) or (detail in ("timeout", "dns", "http") and download_commands(facts)):
        out += remediation.download_fixes(image=facts.image, commands=download_commands(facts),
                                          failed_command=command)
    return out


class NetworkRule:
    id = "network"

    def evaluate(self, bundle: Bundle) -> Iterable[Finding]:
        facts = facts_of(bundle)
        matches = [m for m in facts.matches if m.signature.verdict == "network"]
        if not matches:
            return
        failed = facts.workload_failed()
        match = matches[-1]
        step = step_for(facts, match)
        command = step.command if step else None
        detail = match.signature.detail or "network"
        peer = _peer(match)
        lines = facts.log_line_counts.get(match.log_key, 0)
        confidence = match.signature.weight
        if failed and lines - match.number <= _TAIL:
            confidence += 0.05  # the error is among the last lines before the failure
        if not failed:
            confidence = 0.3
        evidence = [match_evidence(m) for m in matches[-3:]]
        if step is not None:
            evidence.append(trace_evidence(step))
        evidence += [term_evidence(t) for t in facts.failed_terminations()[:2]]
        what = _WHAT.get(detail, match.signature.label)
        summary = f"{what} reaching {peer.describe()}{during(step)} ({match.signature.label})"
        if not failed:
            summary = f"network errors in the log of a run that did not fail ({match.signature.label})"
        blocked = blocking_policies(bundle, facts, peer) if failed and detail in ("dns", "timeout", "refused") \
            else None
        if blocked is not None:
            in_cluster = peer.in_cluster or peer.port == 53
            pol = ", ".join(blocked.policies)
            ns = "kube-system" if peer.port == 53 and peer.protocol == "UDP" else (
                peer.namespace_hint or (facts.namespace if peer.in_cluster else None))
            rule_yaml = remediation.egress_rule_yaml(
                namespace=ns if in_cluster else None, port=peer.port, protocol=peer.protocol,
                cidr=None if in_cluster else (f"{peer.ip}/32" if peer.ip else "0.0.0.0/0"))
            policy_ev = [Evidence("networkpolicies.json",
                                  f"NetworkPolicy {name} selects the pod, has policyTypes Egress and no egress rule "
                                  f"allowing {peer.describe()}") for name in blocked.policies]
            yield Finding(
                verdict="network", detail="netpol" if in_cluster else "egress",
                confidence=0.88,
                summary=f"egress to {peer.describe()} is blocked by NetworkPolicy {pol}: {what}{during(step)}",
                evidence=tuple(policy_ev + evidence),
                remediation=(f"add an egress rule to NetworkPolicy {blocked.policies[0]} "
                             f"(namespace {facts.namespace or 'NAMESPACE'}) allowing {peer.describe()}:\n{rule_yaml}",
                             f"apply: kubectl -n {facts.namespace or 'NAMESPACE'} edit networkpolicy "
                             f"{blocked.policies[0]}"),
            )
            return
        yield Finding(
            verdict="network", detail=detail, confidence=min(confidence, 0.85), summary=summary,
            evidence=tuple(evidence), remediation=tuple(_fixes(detail, peer, facts, command)),
        )
