"""The `network` family: DNS, timeouts, refused and reset connections, unreachable hosts, TLS, HTTP errors; egress
blocked by a NetworkPolicy or Cilium policy (`netpol` for in-cluster peers, `egress` for outside ones; netpol.py
judges the policies) or by a network that lets only the pod's egress proxy out while the client went direct.
Evidence is log signatures plus networkpolicies.json and the pod's env.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlparse

from cronjob_doctor.bundle import Bundle
from cronjob_doctor.rules import remediation
from cronjob_doctor.rules._shared import (
    decisive,
    download_commands,
    during,
    family_matches,
    is_download,
    log_confidence,
    match_evidence,
    step_for,
    term_evidence,
    trace_evidence,
)
from cronjob_doctor.rules.base import Evidence, Finding
from cronjob_doctor.rules.facts import Facts, Match, facts_of
from cronjob_doctor.rules.netpol import Peer, blocking_policies

_WHAT = {
    "dns": "DNS lookup failed",
    "timeout": "the connection timed out",
    "refused": "the connection was refused",
    "reset": "the connection was reset",
    "unreachable": "the host was unreachable",
    "tls": "the TLS handshake failed",
    "http": "the server answered with an HTTP error",
}
_SERVICE_HOST = re.compile(r"(?<![-a-z0-9.])[a-z0-9-]{1,63}\.[a-z0-9-]{1,63}\.svc(?:\.cluster\.local)?\b")
_URL = re.compile(r"https?://[^\s\"'<>]{1,500}")
_HOST_PORT = re.compile(r"(?<![\w.-])(?P<host>[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){1,8}):(?P<port>\d{1,5})\b")


def peer_of(match: Match) -> Peer:
    """Where the failed connection went, from the match's host/ip/port/url groups or a URL in the line."""
    groups = match.groups
    host, ip, port = groups.get("host"), groups.get("ip"), groups.get("port")
    url = groups.get("url")
    if not url and not host and not ip:
        found = _URL.search(match.text)
        url = found.group(0) if found else None
    if not url and not host and not ip:
        named = _HOST_PORT.search(match.text)  # `in connection to registry.example:443`
        if named:
            host, port = named.group("host"), named.group("port")
    if url and not host:
        parsed = urlparse(url)
        host = parsed.hostname
        try:
            explicit = parsed.port
        except ValueError:
            explicit = None
        port = port or (str(explicit) if explicit else ("443" if parsed.scheme == "https" else "80"))
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


_PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


def _proxy_bypassed(facts: Facts, peer: Peer) -> tuple[str, str] | None:
    """(variable, value) when the pod is configured with an egress proxy and the failed connection went straight
    to an outside host instead (not the proxy, not a NO_PROXY destination)."""
    if peer.in_cluster or not (peer.host or peer.ip):
        return None
    env = {str(e.get("name")): str(e.get("value") or "") for c in facts.containers for e in c.get("env") or []
           if isinstance(e, dict)}
    proxy = next(((name, env[name]) for name in _PROXY_VARIABLES if env.get(name)), None)
    if proxy is None:
        return None
    proxy_host = urlparse(proxy[1] if "://" in proxy[1] else f"http://{proxy[1]}").hostname
    if proxy_host and proxy_host in (peer.host, peer.ip):
        return None  # the proxy itself did not answer: that is not a bypass
    target = (peer.host or peer.ip or "").lower()
    no_proxy = [n.strip().lower().lstrip("*") for n in (env.get("NO_PROXY") or env.get("no_proxy") or "").split(",")]
    if any(n and (target == n.lstrip(".") or target.endswith(n if n.startswith(".") else f".{n}")) for n in no_proxy):
        return None  # meant to go direct
    return proxy


def _fixes(detail: str, peer: Peer, facts: Facts, command: str | None, match: Match) -> list[str]:
    out: list[str] = []
    if detail == "dns":
        out.append(f"check cluster DNS from the namespace: kubectl -n {facts.namespace or 'NAMESPACE'} run dnscheck "
                   f"--rm -it --restart=Never --image=busybox -- nslookup {peer.host or 'HOST'}")
        out.append("check CoreDNS (kubectl -n kube-system logs -l k8s-app=kube-dns --tail=100) and that the host "
                   "name in the job's configuration is spelled right and exists")
    elif detail == "refused":
        out.append(f"nothing listens at {peer.describe()}: check the Service and its endpoints "
                   "(kubectl get endpoints), that the server is up before the job starts (a mesh sidecar or "
                   "database not ready yet refuses too: wait for it), and the address in the job")
    elif detail == "reset":
        out.append(f"the peer ({peer.describe()}) closed the connection mid-transfer: retry with backoff, check "
                   "the server's and any proxy's idle/size limits, and resume large transfers in parts")
    elif detail == "unreachable":
        out.append(f"there is no route to {peer.describe()}: check the address, that the host is up, and any "
                   "NetworkPolicy or firewall that rejects traffic from the pod")
    elif detail == "timeout":
        out.append(f"nothing answered from {peer.describe()} in time: check that the server is up and reachable "
                   "from the pod's namespace (an egress NetworkPolicy or firewall drops packets silently, which "
                   "looks exactly like this), and raise the client's timeout if the server is just slow")
    elif detail == "tls":
        out.append("install or mount the CA that signed the server certificate (ca-certificates, or a CA bundle "
                   "from a ConfigMap with SSL_CERT_FILE), or fix the server's certificate; do not disable "
                   "verification")
    elif detail == "http":
        code = match.groups.get("code") or match.groups.get("code2") or match.groups.get("code3") or ""
        if code == "429" or "429" in match.text or "rate limit" in match.text.lower():
            out.append("the server rate-limited the job (429): authenticate, slow down and retry with backoff, or "
                       "mirror what it downloads")
        else:
            out.append(f"the server answered HTTP {code or 'with an error'}: the URL, version or object does not "
                       "exist or the server failed; pin a URL that exists, or mirror the file")
    if is_download(command) or (detail in ("timeout", "dns", "http", "reset") and download_commands(facts)):
        out += remediation.download_fixes(image=facts.image, commands=download_commands(facts),
                                          failed_command=command)
    return out


def fixes(match: Match, facts: Facts, bundle: Bundle) -> list[str]:
    """What to change for a network failure of this match's detail."""
    step = step_for(facts, match)
    return _fixes(match.signature.detail or "network", peer_of(match), facts, step.command if step else None, match)


class NetworkRule:
    id = "network"

    def evaluate(self, bundle: Bundle) -> Iterable[Finding]:
        facts = facts_of(bundle)
        matches = family_matches(facts, "network")
        if not matches:
            return
        failed = facts.workload_failed()
        match = decisive(facts, matches)
        step = step_for(facts, match)
        command = step.command if step else None
        detail = match.signature.detail or "network"
        peer = peer_of(match)
        confidence = log_confidence(facts, match, failed=failed) if failed else 0.3
        evidence = [match_evidence(m) for m in matches[-3:]]
        if step is not None:
            evidence.append(trace_evidence(step))
        evidence += [term_evidence(t) for t in facts.failed_terminations()[:2]]
        what = _WHAT.get(detail, match.signature.label)
        summary = f"{what} reaching {peer.describe()}{during(step)} ({match.signature.label})"
        if not failed:
            summary = f"network errors in the log of a run that did not fail ({match.signature.label})"
        blocked = blocking_policies(bundle, facts, peer) if failed and detail in (
            "dns", "timeout", "refused", "unreachable") else None
        if blocked is not None:
            in_cluster = peer.in_cluster or peer.port == 53
            pol = ", ".join(blocked.policies)
            ns = "kube-system" if peer.port == 53 and peer.protocol == "UDP" else (
                peer.namespace_hint or (facts.namespace if peer.in_cluster else None))
            rule_yaml = remediation.egress_rule_yaml(
                namespace=ns if in_cluster else None, port=peer.port, protocol=peer.protocol,
                cidr=None if in_cluster else (f"{peer.ip}/32" if peer.ip else "0.0.0.0/0"))
            policy_ev = [Evidence("networkpolicies.json",
                                  f"policy {name} selects the pod, restricts its egress and has no rule allowing "
                                  f"{peer.describe()}") for name in blocked.policies]
            yield Finding(
                verdict="network", detail="netpol" if in_cluster else "egress",
                confidence=0.9,
                summary=f"egress to {peer.describe()} is blocked by policy {pol}: {what}{during(step)}",
                evidence=tuple(policy_ev + evidence),
                remediation=(f"add an egress rule to policy {blocked.policies[0]} "
                             f"(namespace {facts.namespace or 'NAMESPACE'}) allowing {peer.describe()} (with Cilium, "
                             f"a toFQDNs or toCIDR rule for an outside host); as a NetworkPolicy:\n{rule_yaml}",),
            )
            return
        proxy = _proxy_bypassed(facts, peer) if failed and detail in ("timeout", "unreachable", "refused") else None
        if proxy is not None:
            variable, value = proxy
            yield Finding(
                verdict="network", detail="egress", confidence=0.88,
                summary=f"a direct connection to {peer.describe()} failed ({what}) although the pod is set to go out "
                        f"through a proxy ({variable}={value}): the network only lets the proxy out, and this client "
                        f"did not use it{during(step)}",
                evidence=(Evidence("pods.json", f"env {variable}={value}"), *evidence),
                remediation=("make the client use the proxy (it must honour HTTPS_PROXY/HTTP_PROXY and NO_PROXY; some "
                             "clients and libraries need their own proxy setting), or get direct egress to "
                             f"{peer.describe()} allowed",),
            )
            return
        yield Finding(
            verdict="network", detail=detail, confidence=min(confidence, 0.88), summary=summary,
            evidence=tuple(evidence), remediation=tuple(_fixes(detail, peer, facts, command, match)),
        )
