"""Network details beyond the basics: reset, unreachable, and egress dropped by a Cilium policy."""

from __future__ import annotations

from typing import Any

from tests.builders import container, log, pod, terminated
from tests.rules._bundles import FAILED, answer

ERR = container("backup", terminated(exit_code=1))


def _cilium(name: str, egress: list[dict[str, Any]]) -> dict[str, Any]:
    return {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy", "metadata": {"name": name, "namespace":
            "tofu-state"}, "spec": {"endpointSelector": {}, "egress": egress}}


def test_connection_reset_is_reset() -> None:
    text = log("read tcp 10.1.2.3:5123->10.4.5.6:443: read: connection reset by peer")
    assert answer(pod(ERR), job_=FAILED, logs={"backup": text}) == ("network", "reset")


def test_no_route_to_host_is_unreachable() -> None:
    text = log("dial tcp 10.0.0.9:443: connect: no route to host")
    assert answer(pod(ERR), job_=FAILED, logs={"backup": text}) == ("network", "unreachable")


def test_cilium_default_deny_without_an_fqdn_rule_blocks_an_outside_host() -> None:
    policies = [_cilium("default-deny", [{}]),
                _cilium("allow-dns", [{"toEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace":
                                                                        "kube-system"}}],
                                       "toPorts": [{"ports": [{"port": "53", "protocol": "ANY"}]}]}])]
    text = log('ERROR: Could not connect to the endpoint URL: "https://x.r2.cloudflarestorage.com/b?list-type=2"')
    assert answer(pod(ERR), job_=FAILED, logs={"backup": text}, networkpolicies=policies) == ("network", "egress")


def test_cilium_fqdn_rule_for_the_host_is_not_blamed() -> None:
    policies = [_cilium("allow-r2", [{"toFQDNs": [{"matchPattern": "*.r2.cloudflarestorage.com"}],
                                      "toPorts": [{"ports": [{"port": "443", "protocol": "TCP"}]}]}])]
    text = log('ERROR: Could not connect to the endpoint URL: "https://x.r2.cloudflarestorage.com/b?list-type=2"')
    assert answer(pod(ERR), job_=FAILED, logs={"backup": text}, networkpolicies=policies) == ("network", "timeout")


def test_a_missing_package_after_a_failed_index_fetch_is_the_network() -> None:
    text = log("+ apk add --no-cache curl",
               "WARNING: fetching https://dl-cdn.alpinelinux.org/alpine/v3.20/main: temporary error (try again later)",
               "ERROR: https://dl-cdn.alpinelinux.org/alpine/v3.20/main: temporary error (try again later)",
               "ERROR: unable to select packages:", "  curl (no such package):")
    assert answer(pod(ERR), job_=FAILED, logs={"backup": text})[0] == "network"


def test_a_mesh_proxy_not_ready_is_refused() -> None:
    text = log("upstream connect error or disconnect/reset before headers. reset reason: connection failure")
    assert answer(pod(ERR), job_=FAILED, logs={"backup": text}) == ("network", "refused")
