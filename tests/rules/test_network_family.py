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


def test_a_reset_during_the_tls_handshake_is_reset_not_tls() -> None:
    text = log("curl: (35) OpenSSL SSL_connect: Connection reset by peer in connection to registry.example:443")
    assert answer(pod(ERR), job_=FAILED, logs={"backup": text}) == ("network", "reset")


def _proxied(p: dict[str, Any], no_proxy: str = ".svc,.cluster.local") -> dict[str, Any]:
    p["spec"]["containers"][0]["env"] = [{"name": "HTTPS_PROXY", "value": "http://proxy.corp.example:3128"},
                                         {"name": "NO_PROXY", "value": no_proxy}]
    return p


def test_a_direct_connection_out_that_times_out_beside_a_proxy_setting_is_egress() -> None:
    text = log('Get "https://api.github.com/orgs/x/repos": dial tcp 140.82.121.6:443: connect: connection timed out')
    assert answer(_proxied(pod(ERR)), job_=FAILED, logs={"backup": text}) == ("network", "egress")


def test_the_proxy_itself_not_answering_is_a_timeout_not_a_bypass() -> None:
    text = log("curl: (28) Failed to connect to proxy.corp.example port 3128 after 10001 ms: Timeout was reached")
    assert answer(_proxied(pod(ERR)), job_=FAILED, logs={"backup": text}) == ("network", "timeout")


def test_a_no_proxy_destination_is_meant_to_go_direct() -> None:
    text = log('dial tcp 140.82.121.6:443: connect: connection timed out (api.corp.internal)')
    p = _proxied(pod(ERR), no_proxy="140.82.121.6")
    assert answer(p, job_=FAILED, logs={"backup": text}) == ("network", "timeout")
