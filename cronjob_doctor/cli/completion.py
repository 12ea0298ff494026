"""Shell completion of namespaces and CronJob names from the cluster (`cronjob-doctor --install-completion`).

Completion runs on every Tab: it asks the cluster once, with a short timeout and no retries, and answers
nothing rather than an error or a wait when the cluster cannot be asked.
"""

from __future__ import annotations

from typing import Any

import typer

_TIMEOUT = 2.0


def _kube(ctx: typer.Context) -> Any:
    from cronjob_doctor.kube.client import Kube
    from cronjob_doctor.kube.retry import RetryPolicy

    params: dict[str, Any] = {}
    for level in (ctx.find_root(), ctx):
        params.update({k: v for k, v in level.params.items() if v is not None})
    return Kube.connect(kubeconfig=params.get("kubeconfig"), context=params.get("context"),
                        retry=RetryPolicy(attempts=1, max_seconds=_TIMEOUT))


def _names(items: list[dict[str, Any]]) -> list[str]:
    return sorted(str((item.get("metadata") or {}).get("name") or "") for item in items)


def namespaces(ctx: typer.Context, incomplete: str) -> list[str]:
    """Namespaces that start with what was typed."""
    try:
        return [n for n in _names(_kube(ctx).list_namespaces()) if n.startswith(incomplete)]
    except Exception:  # noqa: BLE001  completion must never print a traceback into the shell
        return []


def complete_target(ctx: typer.Context, incomplete: str) -> list[str]:
    """`NS/` completes to the CronJobs of NS; anything else to namespaces (with a `/`) and the CronJobs of -n's
    namespace or the context's."""
    try:
        kube = _kube(ctx)
        if "/" in incomplete:
            namespace, _, prefix = incomplete.partition("/")
            return [f"{namespace}/{n}" for n in _names(kube.list_cronjobs(namespace)) if n.startswith(prefix)]
        namespace = ctx.params.get("namespace") or (ctx.find_root().params.get("namespace")) or kube.default_namespace
        local = [n for n in _names(kube.list_cronjobs(namespace)) if n.startswith(incomplete)]
        spaces = [f"{n}/" for n in _names(kube.list_namespaces()) if n.startswith(incomplete)]
        return local + spaces
    except Exception:  # noqa: BLE001  completion must never print a traceback into the shell
        return []
