"""The simulated cluster: a Kubernetes API server over HTTP on loopback, backed by an in-memory store.

A package of its own beside the product: `cronjob_doctor` never imports it except in `demo`. `Sandbox` wires
the store, the log buffers, the API server and the controllers of `cluster.py`, so the real kubernetes client
and kubectl can drive it. Used by `demo` and by the tests; it never talks to a real cluster. Its answers are
kept honest by a differential test against a real control plane (tests/controlplane/).
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType

from . import kubeconfig, routes, seeds
from .cluster import Cluster
from .handlers import Api
from .logstore import LogStore
from .server import ApiServer, OpenRequest, RecordedRequest
from .store import Store
from .testing.authz import Authorizer
from .testing.faults import Faults

__all__ = ["OpenRequest", "RecordedRequest", "Sandbox"]


class Sandbox:
    """An API server, its store and its controllers, started and stopped together.

    `seed` names a seed from `sandbox.seeds` (None: an empty store, no namespaces); `time_scale` is passed to
    the controllers (simulated seconds per real second, so runs finish fast); `bookmark_interval` the seconds
    between two watch BOOKMARKs (a real apiserver's minute by default; one also comes 2 s before a timeout).
    """

    def __init__(self, seed: str | None = "incident", time_scale: float = 0.02, *, port: int = 0,
                 bookmark_interval: float = 60.0, controllers: bool = True) -> None:
        self.seed = seed
        self.controllers = controllers
        self.time_scale = time_scale
        self.store = Store()
        self.logs = LogStore()
        self.faults = Faults()
        self.authz = Authorizer()
        self.cluster: Cluster | None = None
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

    # -- observability for tests: wait on what the server is doing, never on the clock ---------------------

    @property
    def received(self) -> list[OpenRequest]:
        """Every request in the order it arrived, including those still being answered. `requests` lists a
        request only once its answer begins, so a followed log of a silent container (the kubelet sends the
        headers with the first line) shows up here first."""
        return list(self._server.received)

    @property
    def open_requests(self) -> list[OpenRequest]:
        """The requests being answered right now: open watch and log streams, and requests still handled."""
        return self._server.open

    def open_watches(self, resource: str) -> int:
        """How many watch streams of `resource` (a plural: "jobs", "pods") are open right now. Once one is
        open, every later change of that resource reaches its client."""
        return sum(1 for request in self._server.open if self.watched(request) == resource)

    @staticmethod
    def watched(request: OpenRequest) -> str | None:
        """The resource a request watches (`?watch=true` or a /watch/ path), else None. A client that lists
        then watches has its list once its watch request arrives, and gets every later change from then on."""
        if request.method != "GET":
            return None
        route = routes.parse(request.path)
        if not isinstance(route, routes.Route) or route.subresource:
            return None
        if route.watch or request.query.get("watch") in ("true", "1"):
            return route.resource.plural
        return None

    def start(self) -> Sandbox:
        """Seed the store, start the controllers (unless `controllers=False`), then listen on 127.0.0.1."""
        if self.seed is not None:
            self._seed(self.seed)
        self.cluster = self._make_cluster() if self.controllers else None
        if self.cluster is not None:
            self.cluster.start()
        self._server.start()
        self._started = True
        return self

    def _seed(self, name: str) -> None:
        seeds.apply(self.store, name)

    def _make_cluster(self) -> Cluster:
        """The controllers and kubelet (`controllers=False`: the API server only serves what is in the store)."""
        return Cluster(self.store, self.logs, time_scale=self.time_scale)

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

