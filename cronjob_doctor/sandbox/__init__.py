"""The simulated cluster: a Kubernetes API server over HTTP on loopback, backed by an in-memory store.

`Sandbox` wires the store, the log buffers, the API server and (when available) the controllers of
`sandbox.cluster`, so the real kubernetes client and kubectl can drive it. Used by `demo` and by the tests;
it never talks to a real cluster.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from types import TracebackType
from typing import Any

from . import kubeconfig
from .authz import Authorizer
from .faults import Faults
from .handlers import Api
from .logstore import LogStore
from .server import ApiServer, RecordedRequest
from .store import Store

__all__ = ["RecordedRequest", "Sandbox"]


def _optional(module: str) -> Any:
    """Import a sandbox module that a build may lack (controllers, seeds); a missing sibling means None.

    Only modules of this package count as missing: a broken third-party import still raises.
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        if error.name is not None and error.name.startswith(__name__ + "."):
            return None
        raise


class Sandbox:
    """An API server, its store and its controllers, started and stopped together.

    `seed` names a seed from `sandbox.seeds` (None: an empty store, no namespaces); `time_scale` is passed to
    the controllers (simulated seconds per real second, so runs finish fast).
    """

    def __init__(self, seed: str | None = "incident", time_scale: float = 0.02, *, port: int = 0,
                 bookmark_interval: float = 1.0, controllers: bool = True) -> None:
        self.seed = seed
        self.controllers = controllers
        self.time_scale = time_scale
        self.store = Store()
        self.logs = LogStore()
        self.faults = Faults()
        self.authz = Authorizer()
        self.cluster: Any = None
        self.api = Api(store=self.store, logs=self.logs, authz=self.authz, faults=self.faults,
                       cluster=lambda: self.cluster, bookmark_interval=bookmark_interval)
        self._server = ApiServer(self.api, port=port)
        self.faults.register(self._server.stop, self._server.start)
        self._started = False

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request served so far: (method, path, query, status, body of writes)."""
        return self._server.requests

    def start(self) -> Sandbox:
        """Seed the store, start the controllers if their module is present, then listen on 127.0.0.1."""
        if self.seed is not None:
            self._seed(self.seed)
        self.cluster = self._make_cluster() if self.controllers else None
        if self.cluster is not None:
            self.cluster.start()
        self._server.start()
        self._started = True
        return self

    def _seed(self, name: str) -> None:
        seeds = _optional(f"{__name__}.seeds")
        if seeds is not None:
            seeds.apply(self.store, name)

    def _make_cluster(self) -> Any:
        """The controllers and kubelet; without them the API server still serves what is in the store."""
        module = _optional(f"{__name__}.cluster")
        if module is None:
            return None
        return module.Cluster(self.store, self.logs, time_scale=self.time_scale)

    def stop(self) -> None:
        """Stop the controllers, end every stream and close the listener; safe to call twice."""
        if self.cluster is not None:
            self.cluster.stop()
        self.store.close()
        self.logs.close()
        self._server.stop()
        self._started = False

    def deny(self, verb: str, resource: str, namespace: str | None = None, group: str | None = None,
             subresource: str | None = None) -> None:
        """Answer 403 to matching requests, and `allowed: false` to matching access reviews."""
        self.authz.deny(verb, resource, namespace, group, subresource)

    def write_kubeconfig(self, path: str | os.PathLike[str], context: str = "sandbox",
                         namespace: str | None = None) -> Path:
        return kubeconfig.write(path, self.url, context=context, namespace=namespace)

    def __enter__(self) -> Sandbox:
        return self if self._started else self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
