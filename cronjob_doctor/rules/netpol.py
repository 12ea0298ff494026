"""Whether a NetworkPolicy (networking.k8s.io/v1) or a Cilium policy (cilium.io/v2 CiliumNetworkPolicy,
CiliumClusterwideNetworkPolicy) selecting the job's pod leaves no egress path to the peer a failed connection went
to. Pure: it reads the policies in the bundle and the pod's labels.

It must not accuse a policy of blocking traffic it cannot judge (a selector on labels the bundle does not
carry, a named port, a host name that may resolve into an allowed block): then it answers None.
"""

from __future__ import annotations

import fnmatch
import ipaddress
from dataclasses import dataclass
from typing import Any

from cronjob_doctor.bundle import Bundle
from cronjob_doctor.rules.facts import Facts

CILIUM_KINDS = ("CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy")


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
    cilium = [p for p in bundle.networkpolicies if p.get("kind") in CILIUM_KINDS]
    if cilium:
        names = _cilium_blocks(cilium, labels, peer, facts.namespace)
        if names is not None:
            return Blocked(names, peer)
    selecting = []
    for policy in bundle.networkpolicies:
        if policy.get("kind") in CILIUM_KINDS:
            continue
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


# ---------------------------------------------------------------------------------------------- Cilium


def _cilium_labels(selector: dict[str, Any] | None) -> dict[str, Any]:
    """A Cilium endpoint selector with its `k8s:`/`any:` source prefixes dropped."""
    selector = selector if isinstance(selector, dict) else {}
    labels = {str(k).split(":", 1)[1] if str(k).startswith(("k8s:", "any:")) else str(k): v
              for k, v in (selector.get("matchLabels") or {}).items()}
    return {"matchLabels": labels, "matchExpressions": selector.get("matchExpressions") or []}


_NAMESPACE_LABEL = "io.kubernetes.pod.namespace"


def _cilium_port_ok(rule: dict[str, Any], peer: Peer) -> bool | None:
    entries = rule.get("toPorts") or []
    if not entries:
        return True
    unknown = False
    for entry in entries:
        for port in (entry or {}).get("ports") or []:
            protocol = str(port.get("protocol") or "ANY").upper()
            if protocol not in ("ANY", peer.protocol):
                continue
            value = str(port.get("port") or "0")
            if value == "0":
                return True
            if not value.isdigit() or peer.port is None:
                unknown = True
                continue
            end = int(port.get("endPort") or value)
            if int(value) <= peer.port <= end:
                return True
    return None if unknown else False


def _cilium_peer_ok(rule: dict[str, Any], peer: Peer, pod_namespace: str | None,
                    policy_namespace: str | None) -> bool | None:
    unknown = False
    entities = {str(e) for e in rule.get("toEntities") or []}
    if entities & {"all"}:
        return True
    if not peer.in_cluster and entities & {"world", "world-ipv4", "world-ipv6"}:
        return True
    if peer.in_cluster and entities & {"cluster"}:
        return True
    for cidr in [*(rule.get("toCIDR") or []), *[(c or {}).get("cidr") for c in rule.get("toCIDRSet") or []]]:
        try:
            net = ipaddress.ip_network(str(cidr), strict=False)
        except ValueError:
            continue
        if net.prefixlen == 0:
            return True
        if peer.ip:
            try:
                if ipaddress.ip_address(peer.ip.strip("[]")) in net:
                    return True
            except ValueError:
                unknown = True
        elif peer.in_cluster or not net.is_private:
            unknown = True  # a host name may resolve into the block
    for fqdn in rule.get("toFQDNs") or []:
        name = str((fqdn or {}).get("matchName") or "").rstrip(".").lower()
        pattern = str((fqdn or {}).get("matchPattern") or "").rstrip(".").lower()
        host = (peer.host or "").lower()
        if not host:
            unknown = unknown or bool(name or pattern)
            continue
        if (name and host == name) or (pattern and fnmatch.fnmatchcase(host, pattern)):
            return True
    dns_peer = peer.port == 53 and peer.protocol == "UDP"
    if peer.in_cluster or dns_peer:
        bare = bool(peer.host) and "." not in (peer.host or "")
        target_ns = "kube-system" if dns_peer else (peer.namespace_hint or (pod_namespace if bare else None))
        for endpoints in rule.get("toEndpoints") or []:
            selector = _cilium_labels(endpoints)
            wanted = selector["matchLabels"].get(_NAMESPACE_LABEL) or policy_namespace
            if target_ns is None:
                unknown = True
            elif wanted == target_ns:
                return True
        if rule.get("toServices"):
            unknown = True
    return None if unknown else False


def _cilium_rules(policy: dict[str, Any]) -> list[dict[str, Any]]:
    specs = [policy.get("spec")] if policy.get("spec") else []
    specs += list(policy.get("specs") or [])
    return [s for s in specs if isinstance(s, dict)]


def _cilium_blocks(policies: list[dict[str, Any]], labels: dict[str, str], peer: Peer,
                   namespace: str | None) -> tuple[str, ...] | None:
    """The Cilium policies putting the pod's egress in default-deny when none of them allows the peer."""
    selecting: list[tuple[str, dict[str, Any], str | None]] = []
    for policy in policies:
        meta = policy.get("metadata") or {}
        policy_ns = meta.get("namespace")
        if policy.get("kind") == "CiliumNetworkPolicy" and namespace and policy_ns not in (None, namespace):
            continue
        for spec in _cilium_rules(policy):
            if "egress" not in spec and "egressDeny" not in spec:
                continue
            if _selects(_cilium_labels(spec.get("endpointSelector")), labels) is not True:
                continue
            selecting.append((str(meta.get("name")), spec, policy_ns))
    if not selecting:
        return None
    for _, spec, policy_ns in selecting:
        for rule in spec.get("egress") or []:
            if not isinstance(rule, dict):
                continue
            ports, peers = _cilium_port_ok(rule, peer), _cilium_peer_ok(rule, peer, namespace, policy_ns)
            if ports is not False and peers is not False:
                return None
    return tuple(dict.fromkeys(name for name, _, _ in selecting))
