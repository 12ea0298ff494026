"""Writes a kubeconfig pointing at a sandbox, so the real kubernetes client and kubectl use it unmodified.

Plain HTTP on loopback with a static bearer token: nothing secret, nothing that could reach a real cluster.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

USER = "sandbox-user"
TOKEN = "sandbox-token"


def render(url: str, *, context: str = "sandbox", namespace: str | None = None) -> dict[str, object]:
    ctx: dict[str, str] = {"cluster": "sandbox", "user": USER}
    if namespace:
        ctx["namespace"] = namespace
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "sandbox", "cluster": {"server": url}}],
        "users": [{"name": USER, "user": {"token": TOKEN}}],
        "contexts": [{"name": context, "context": ctx}],
        "current-context": context,
        "preferences": {},
    }


def write(path: str | os.PathLike[str], url: str, *, context: str = "sandbox",
          namespace: str | None = None) -> Path:
    """Write the kubeconfig (0600, as kubectl does) and return its path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(render(url, context=context, namespace=namespace), sort_keys=False))
    target.chmod(0o600)
    return target
