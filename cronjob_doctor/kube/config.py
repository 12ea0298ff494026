"""Find and load cluster credentials the way kubectl does: --kubeconfig, else KUBECONFIG (merged list), else
~/.kube/config, else the pod's service account (in-cluster).

Builds a private client Configuration; never touches the process-wide default (load_kube_config() without a
client_configuration would). Every failure becomes a one-line InputError, never a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import urllib3
import yaml
from kubernetes.client import ApiClient, Configuration
from kubernetes.config.config_exception import ConfigException
from kubernetes.config.incluster_config import InClusterConfigLoader
from kubernetes.config.kube_config import KubeConfigMerger, new_client_from_config

from cronjob_doctor.errors import InputError

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
DEFAULT_KUBECONFIG = "~/.kube/config"


@dataclass(frozen=True)
class Loaded:
    """A ready ApiClient and what the messages need to say about where it points."""

    api_client: ApiClient
    context: str | None
    """The context in use; None in-cluster."""
    server: str
    """API server URL."""
    default_namespace: str
    """The context's namespace (in-cluster: the pod's), else "default"."""
    source: str
    """`kubeconfig ~/.kube/config` or `in-cluster config`, for messages."""


def _fresh_configuration() -> Configuration:
    """A Configuration with urllib3's retries off: tenacity in retry.py is the only retry layer."""
    configuration = Configuration()
    configuration.retries = urllib3.Retry(
        total=0, connect=0, read=0, redirect=0, status=0, raise_on_status=False
    )
    return configuration


def _display(paths: str) -> str:
    """Paths as the user would write them (~ for home) for messages."""
    home = os.path.expanduser("~")
    parts = [
        p.replace(home, "~", 1) if home != "~" and p.startswith(home) else p for p in paths.split(os.pathsep)
    ]
    return os.pathsep.join(p for p in parts if p)


def _existing(paths: str) -> list[str]:
    return [p for p in paths.split(os.pathsep) if p and os.path.exists(os.path.expanduser(p))]


def _in_cluster(environ: Mapping[str, str]) -> bool:
    return bool(environ.get("KUBERNETES_SERVICE_HOST") and environ.get("KUBERNETES_SERVICE_PORT"))


def load(
    kubeconfig: str | None = None,
    context: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    service_account_dir: Path = SERVICE_ACCOUNT_DIR,
) -> Loaded:
    """Resolve credentials in kubectl's order and return a client for them."""
    env = os.environ if environ is None else environ
    if kubeconfig:
        if not os.path.exists(os.path.expanduser(kubeconfig)):
            raise InputError(f"kubeconfig {kubeconfig} not found", hint="check the --kubeconfig path")
        return _from_kubeconfig(os.path.expanduser(kubeconfig), context)
    listed = env.get("KUBECONFIG", "")
    if listed and _existing(listed):
        return _from_kubeconfig(os.pathsep.join(os.path.expanduser(p) for p in _existing(listed)), context)
    if not listed and os.path.exists(os.path.expanduser(DEFAULT_KUBECONFIG)):
        return _from_kubeconfig(os.path.expanduser(DEFAULT_KUBECONFIG), context)
    if _in_cluster(env):
        if context:
            raise InputError(
                f'context "{context}" not found: no kubeconfig, running with the in-cluster service account',
                hint="drop --context, or pass --kubeconfig",
            )
        return _from_service_account(env, service_account_dir)
    where = (
        f"KUBECONFIG={listed} names no existing file" if listed else f"{DEFAULT_KUBECONFIG} does not exist"
    )
    raise InputError(
        f"no cluster configuration: {where} and this is not a pod in a cluster",
        hint="pass --kubeconfig PATH or set KUBECONFIG",
    )


def _from_kubeconfig(paths: str, context: str | None) -> Loaded:
    shown = _display(paths)
    try:
        merger = KubeConfigMerger(paths)  # type: ignore[no-untyped-call]
    except (ConfigException, yaml.YAMLError, OSError, TypeError, AttributeError, KeyError) as exc:
        raise InputError(f"invalid kubeconfig {shown}: {_first_line(exc)}") from exc
    merged = merger.config
    document = getattr(merged, "value", merged)
    if not isinstance(document, Mapping):
        raise InputError(f"invalid kubeconfig {shown}: not a kubeconfig document")
    by_name: dict[str, Mapping[str, Any]] = {}
    for node in document.get("contexts") or []:
        entry = getattr(node, "value", node)
        if isinstance(entry, Mapping) and entry.get("name"):
            by_name[str(entry["name"])] = entry
    names = ", ".join(sorted(by_name)) or "none"
    if context is None:
        # kubectl: the first file that sets current-context wins (the Python merger lets the last one win)
        current = next(
            (
                str(doc["current-context"])
                for doc in (merger.config_files.get(path) for path in merger.paths)
                if isinstance(doc, Mapping) and doc.get("current-context")
            ),
            None,
        )
        if not current:
            raise InputError(
                f"kubeconfig {shown} sets no current-context", hint=f"pass --context NAME (contexts: {names})"
            )
        context = str(current)
        if context not in by_name:
            raise InputError(
                f'current-context "{context}" not found in kubeconfig {shown}',
                hint=f"pass --context NAME (contexts: {names})",
            )
    if context not in by_name:
        raise InputError(
            f'context "{context}" not found in kubeconfig {shown}', hint=f"known contexts: {names}"
        )
    configuration = _fresh_configuration()
    try:
        api_client = new_client_from_config(  # type: ignore[no-untyped-call]
            config_file=paths, context=context, persist_config=False, client_configuration=configuration
        )
    except (ConfigException, yaml.YAMLError, OSError, TypeError, KeyError, ValueError) as exc:
        raise InputError(
            f'cannot use context "{context}" from kubeconfig {shown}: {_first_line(exc)}'
        ) from exc
    entry = by_name[context].get("context") or {}
    namespace = str(entry.get("namespace") or "default") if isinstance(entry, Mapping) else "default"
    return Loaded(
        api_client=api_client,
        context=context,
        server=str(configuration.host),
        default_namespace=namespace,
        source=f"kubeconfig {shown}",
    )


def _from_service_account(environ: Mapping[str, str], directory: Path) -> Loaded:
    configuration = _fresh_configuration()
    try:
        InClusterConfigLoader(  # type: ignore[no-untyped-call]
            token_filename=str(directory / "token"),
            cert_filename=str(directory / "ca.crt"),
            environ=environ,
        ).load_and_set(configuration)
    except (ConfigException, OSError) as exc:
        raise InputError(
            f"cannot use the in-cluster service account ({directory}): {_first_line(exc)}",
            hint="outside a cluster, pass --kubeconfig PATH or set KUBECONFIG",
        ) from exc
    try:
        namespace = (directory / "namespace").read_text().strip() or "default"
    except OSError:
        namespace = "default"
    return Loaded(
        api_client=ApiClient(configuration=configuration),
        context=None,
        server=str(configuration.host),
        default_namespace=namespace,
        source="in-cluster config",
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
