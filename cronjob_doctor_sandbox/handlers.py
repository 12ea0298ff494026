"""Request handling for the sandbox API server: verbs on resources, mapped onto the Store.

Takes a parsed `Request`, returns a `Reply` (a JSON/text body) or a `StreamReply` (watch, log follow). Knows the
API's semantics (defaulting, validation, conflicts, propagation policies, status subresources, authorization)
but nothing about sockets or HTTP framing, which live in server.py.
"""

from __future__ import annotations

import contextlib
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from . import defaults, deletion, eventsview, routes, streams
from .listing import list_objects, object_filter
from .logstore import LogStore
from .patches import JSON_PATCH, MERGE_TYPES, json_patch, merge
from .routes import Resource, Route
from .status import (
    ApiError,
    already_exists,
    conflict,
    failure,
    forbidden,
    invalid,
    not_found,
    parse_resource_version,
    success,
)
from .store import GENERATION, AlreadyExistsError, ConflictError, NotFoundError, Store, now_rfc3339
from .testing.authz import Attributes, Authorizer
from .testing.faults import Faults

Obj = dict[str, Any]
_WITH_STATUS = {"jobs", "cronjobs", "pods", "namespaces", "nodes"}
_DEPENDENT_KEYS = ("pods", "jobs", "cronjobs", "events", "secrets", "serviceaccounts", "networkpolicies", "leases")
_GENERATE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""
    alive: Callable[[], bool] = lambda: True

    def json(self) -> Obj:
        try:
            data = json.loads(self.body or b"{}")
        except ValueError as error:
            raise ApiError(400, f"the object provided is unrecognized: {error}") from None
        if not isinstance(data, (dict, list)):
            raise ApiError(400, "the object provided is unrecognized")
        return data  # type: ignore[return-value]


@dataclass
class Reply:
    code: int
    body: Any
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class StreamReply:
    content_type: str
    chunks: Iterator[bytes]


class Api:
    """The REST semantics of the sandbox API server."""

    def __init__(self, *, store: Store, logs: LogStore, authz: Authorizer, faults: Faults,
                 cluster: Callable[[], Any], user: str = "sandbox-user", bookmark_interval: float = 60.0) -> None:
        self.store, self.logs, self.authz, self.faults = store, logs, authz, faults
        self._cluster = cluster
        self.user = user
        self.bookmark_interval = bookmark_interval

    # -- entry -----------------------------------------------------------------------------------------

    def handle(self, request: Request) -> Reply | StreamReply:
        injected = self.faults.take_failure(request.method, request.path)
        if injected is not None:
            code, retry_after = injected
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
            return Reply(code, failure(code, _INJECTED.get(code, "injected failure")), headers=headers)
        if request.path == "/version":
            return Reply(200, routes.version_info())
        if request.path in ("/healthz", "/livez", "/readyz"):
            return Reply(200, "ok", content_type="text/plain")
        target = routes.parse(request.path)
        if target is None:
            if request.path.startswith(("/api", "/openapi")):
                return Reply(404, failure(404, "the server could not find the requested resource"))
            return Reply(404, "404 page not found\n", content_type="text/plain; charset=utf-8")
        if not isinstance(target, Route):
            if request.method != "GET":
                raise ApiError(405, "the server does not allow this method on the requested resource")
            return Reply(200, target)
        return self._resource(request, target)

    def _resource(self, request: Request, route: Route) -> Reply | StreamReply:
        verb = self._verb(request, route)
        resource = route.resource
        if verb not in resource.verbs and not route.subresource:
            raise ApiError(405, "the server does not allow this method on the requested resource")
        attrs = Attributes(verb, resource.plural, route.namespace, resource.group, route.subresource, route.name)
        if not self.authz.allowed(attrs):
            raise forbidden(user=self.user, verb=verb, plural=resource.plural, group=resource.group,
                            namespace=route.namespace, name=route.name, subresource=route.subresource)
        if resource.plural == "selfsubjectaccessreviews":
            return self._access_review(request)
        if resource.group == "metrics.k8s.io":
            return self._metrics(request, route)
        if route.subresource == "log":
            chunks = streams.pod_log(store=self.store, logs=self.logs, namespace=route.namespace,
                                     name=route.name, query=request.query, faults=self.faults,
                                     alive=request.alive)
            if chunks is None:
                return Reply(204, b"", content_type="")  # no node to ask: no content, not even a type
            return StreamReply("text/plain", chunks)
        handler = getattr(self, "_" + verb)
        result: Reply | StreamReply = handler(request, route)
        return result

    @staticmethod
    def _verb(request: Request, route: Route) -> str:
        method = request.method
        if method == "GET":
            if route.watch or request.query.get("watch") in ("true", "1"):
                return "watch"
            return "get" if route.name else "list"
        if method == "POST" and not route.name:
            return "create"
        if method == "PUT" and route.name:
            return "update"
        if method == "PATCH" and route.name:
            return "patch"
        if method == "DELETE":
            return "delete" if route.name else "deletecollection"
        raise ApiError(405, "the server does not allow this method on the requested resource")

    # -- conversion between stored and served shapes ---------------------------------------------------

    @staticmethod
    def _served(resource: Resource, obj: Obj) -> Obj:
        if resource.group == "events.k8s.io":
            return eventsview.to_events_v1(obj)
        obj.setdefault("apiVersion", resource.api_version)
        obj.setdefault("kind", resource.kind)
        return defaults.served(resource, obj)

    @staticmethod
    def _stored(resource: Resource, obj: Obj) -> Obj:
        return eventsview.to_core(obj) if resource.group == "events.k8s.io" else obj

    def _load(self, route: Route) -> Obj:
        obj = self.store.find(route.resource.store_key, route.namespace, route.name)
        if obj is None:
            raise not_found(route.resource.plural, route.resource.group, route.name)
        return obj

    # -- reads -----------------------------------------------------------------------------------------

    def _get(self, request: Request, route: Route) -> Reply:
        return Reply(200, self._served(route.resource, self._load(route)))

    def _list(self, request: Request, route: Route) -> Reply:
        body = list_objects(self.store, route, request.query, self._served,
                            table="as=Table" in request.headers.get("accept", ""))
        return Reply(200, body)

    def _watch(self, request: Request, route: Route) -> StreamReply:
        resource, query = route.resource, dict(request.query)
        if route.name:
            query["fieldSelector"] = ",".join(filter(None, [query.get("fieldSelector"),
                                                            f"metadata.name={route.name}"]))
        matches = object_filter(route, query)
        since: int | None = None
        version = query.get("resourceVersion") or ""
        if version:
            try:
                since = parse_resource_version(version)
            except ValueError as error:
                raise ApiError(500, str(error), reason="") from None  # a real apiserver: 500, no reason
        # SetListOptionsDefaults (the WatchList feature, on by default): a watch from "" or "0" that does not
        # say otherwise sends the initial events, ended by a BOOKMARK when bookmarks are allowed
        explicit = query.get("sendInitialEvents")
        initial = explicit == "true" or (explicit is None and not query.get("resourceVersionMatch") and not since)
        bookmarks = query.get("allowWatchBookmarks") in ("true", "1")
        timeout = float(query.get("timeoutSeconds") or 1800)

        def bookmark(rv: str, initial_end: bool) -> Obj:
            metadata: Obj = {"resourceVersion": rv}
            if initial_end:
                metadata["annotations"] = {"k8s.io/initial-events-end": "true"}
            return defaults.zero_object(resource, metadata)

        chunks = streams.watch_events(
            store=self.store, key=resource.store_key, namespace=route.namespace or None,
            since=since or None, initial=initial, matches=matches,
            render=lambda obj: self._served(resource, obj), bookmark=bookmark if bookmarks else None,
            bookmark_interval=self.bookmark_interval, timeout=timeout, alive=request.alive, faults=self.faults)
        return StreamReply("application/json", chunks)

    # -- writes ----------------------------------------------------------------------------------------

    def _create(self, request: Request, route: Route) -> Reply:
        resource = route.resource
        obj = request.json()
        if not isinstance(obj, dict):
            raise ApiError(400, "the object provided is unrecognized")
        meta = obj.setdefault("metadata", {})
        if meta.get("resourceVersion"):
            raise ApiError(500, "Internal error occurred: resourceVersion should not be set on objects to be "
                                "created")
        if resource.namespaced:
            defaults.check_namespace(route.namespace, obj)
            meta["namespace"] = route.namespace
            if self.store.find("namespaces", "", route.namespace) is None:
                raise not_found("namespaces", "", route.namespace)
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + "".join(random.choices(_GENERATE_ALPHABET, k=5))
        for key in ("uid", "creationTimestamp", "deletionTimestamp", "generation", "managedFields"):
            meta.pop(key, None)
        if resource.plural in _WITH_STATUS:
            obj.pop("status", None)  # PrepareForCreate: the status is the controllers' to write
        defaults.apply_defaults(resource, obj)
        defaults.admit(resource, obj)
        defaults.validate(resource, obj)
        if request.query.get("dryRun") == "All":
            if self.store.find(resource.store_key, route.namespace, meta["name"]) is not None:
                raise already_exists(resource.plural, resource.group, meta["name"])
            # everything a create sets but the resourceVersion, which only storing gives
            meta["creationTimestamp"] = now_rfc3339()
            if resource.store_key in GENERATION:
                meta["generation"] = 1
            return Reply(201, self._served(resource, obj))
        try:
            created = self.store.create(resource.store_key, self._stored(resource, obj))
        except AlreadyExistsError:
            raise already_exists(resource.plural, resource.group, meta["name"]) from None
        return Reply(201, self._served(resource, created))

    def _update(self, request: Request, route: Route) -> Reply:
        body = request.json()
        if not isinstance(body, dict):
            raise ApiError(400, "the object provided is unrecognized")
        name = (body.get("metadata") or {}).get("name")
        if name != route.name:
            raise ApiError(400, f"the name of the object ({name}) does not match the name on the URL "
                                f"({route.name})")
        return self._replace(request, route, lambda current: body)

    def _patch(self, request: Request, route: Route) -> Reply:
        content_type = request.headers.get("content-type", "").split(";")[0].strip()
        patch = request.json()
        if content_type in MERGE_TYPES:
            return self._replace(request, route, lambda current: merge(current, patch), retry=True)
        if content_type == JSON_PATCH:
            return self._replace(request, route, lambda current: json_patch(current, patch), retry=True)
        raise ApiError(415, f'the body of the request was in an unknown format - accepted media types '
                            f'include: {JSON_PATCH}, {", ".join(MERGE_TYPES)}, application/apply-patch+yaml')

    def _replace(self, request: Request, route: Route, change: Callable[[Obj], Obj], *,
                 retry: bool = False) -> Reply:
        """PUT and PATCH: compute the new object from the current one and store it unless it moved on."""
        resource = route.resource
        for _attempt in range(5):
            stored = self._load(route)
            current = self._served(resource, json.loads(json.dumps(stored)))
            new = change(json.loads(json.dumps(current)))
            new.setdefault("metadata", {})
            new["metadata"]["name"], new["metadata"]["namespace"] = route.name, route.namespace
            if not resource.namespaced:
                new["metadata"].pop("namespace", None)
            if resource.plural in _WITH_STATUS:
                # The main resource ignores status changes; the status subresource ignores everything else
                if route.subresource == "status":
                    new = {**current, "status": new.get("status")}
                    new["metadata"] = {**current["metadata"],
                                       "resourceVersion": new["metadata"].get("resourceVersion")}
                elif "status" in current:
                    new["status"] = current["status"]
            if "spec" in stored and new.get("spec") == current.get("spec"):
                new["spec"] = stored["spec"]  # unchanged but for the served shape: no new generation
            defaults.apply_defaults(resource, new)
            defaults.validate(resource, new, old=current)
            defaults.validate_update(resource, current, new)
            if request.query.get("dryRun") == "All":
                return Reply(200, new)
            explicit = retry and new["metadata"].get("resourceVersion") != current["metadata"]["resourceVersion"]
            try:
                updated = self.store.update(resource.store_key, self._stored(resource, new), check_version=True)
            except NotFoundError:
                raise not_found(resource.plural, resource.group, route.name) from None
            except ConflictError:
                if retry and not explicit:
                    continue  # a patch applies to whatever is current, as the real server retries it
                raise conflict(resource.plural, resource.group, route.name) from None
            if resource.plural != "namespaces" and deletion.deleted_on_update(updated):
                self._delete_quietly(resource.store_key, updated, "Background")  # its last finalizer went
            return Reply(200, self._served(resource, updated))
        raise conflict(resource.plural, resource.group, route.name)

    def _delete(self, request: Request, route: Route) -> Reply:
        """The generic registry's Delete (deletion.py has its rules): preconditions; a pod's grace period; the
        garbage collector's finalizers (the object is answered, with deletionTimestamp, and goes once they are
        done: here at once); else deleted now, answered with a Status (pods: the object)."""
        resource = route.resource
        body = request.json() if request.body.strip() else {}
        opts = deletion.options(body if isinstance(body, dict) else {}, request.query)
        current = self._load(route)
        deletion.check_preconditions(resource, current, opts.preconditions)
        headers = {}
        if (resource.group, resource.plural) == ("batch", "jobs") and opts.policy is None and opts.orphan is None:
            headers["Warning"] = deletion.JOB_WARNING
        if resource.plural == "namespaces":
            return self._delete_namespace(route, current, opts)
        key, meta = resource.store_key, current["metadata"]
        finalizers = deletion.finalizers(resource, current, opts)
        grace = deletion.grace_period(resource, current, opts)
        if meta.get("deletionTimestamp") and not (grace == 0 and not meta.get("finalizers")):
            return Reply(200, self._served(resource, current), headers=headers)  # already being deleted
        if grace or finalizers:
            # pending: the kubelet ends a pod's grace period, the garbage collector (or whoever owns the other
            # finalizers) the rest
            deletion.mark(current, grace=grace or 0, finalizers=finalizers)
            if opts.dry_run:
                if key in GENERATION:
                    meta["generation"] = meta.get("generation", 1) + 1
                return Reply(200, self._served(resource, current), headers=headers)
            try:
                updated = self.store.update(key, current)
            except NotFoundError:
                raise not_found(resource.plural, resource.group, route.name) from None
            if not grace:
                self._finalize(key, updated)
            return Reply(200, self._served(resource, updated), headers=headers)
        if grace == 0:
            deletion.mark(current, grace=0, finalizers=None)  # a pod: answered with the deletion it went through
        if not opts.dry_run:
            try:
                if grace == 0:
                    current = self.store.update(key, current)
                current = self.store.delete(key, route.namespace, route.name)
            except NotFoundError:
                raise not_found(resource.plural, resource.group, route.name) from None
            if key == "pods":
                self.logs.forget_pod(route.namespace, route.name)
            self._collect(key, current, "Background")
        elif grace == 0 and key in GENERATION:
            meta["generation"] = meta.get("generation", 1) + 1
        if (resource.group, resource.plural) == ("", "pods"):
            return Reply(200, self._served(resource, current), headers=headers)  # pods return the object
        return Reply(200, success(name=route.name, group=resource.group, plural=resource.plural,
                                  uid=meta.get("uid") or ""), headers=headers)

    def _finalize(self, key: str, obj: Obj) -> None:
        """The garbage collector's part of a deletion, done at once: orphan or delete the dependents, drop its
        finalizer; the object goes when no finalizer is left."""
        meta = obj["metadata"]
        held = meta.get("finalizers") or []
        if deletion.ORPHAN in held:
            self._collect(key, obj, "Orphan")
        if deletion.FOREGROUND in held:
            self._collect(key, obj, "Background")
        remaining = [f for f in held if f not in (deletion.ORPHAN, deletion.FOREGROUND)]
        namespace, name = meta.get("namespace", ""), meta["name"]
        try:
            if remaining:
                self.store.mutate(key, namespace, name, lambda o: o["metadata"].__setitem__("finalizers", remaining))
            else:
                self.store.mutate(key, namespace, name, lambda o: o["metadata"].pop("finalizers", None))
                self._delete_quietly(key, self.store.get(key, namespace, name), "Background")
        except NotFoundError:
            return

    def _delete_namespace(self, route: Route, current: Obj, opts: deletion.Options) -> Reply:
        """A Namespace's own Delete: Terminating, answered as such; the namespace controller then empties it and
        removes it (here at once)."""
        meta = current["metadata"]
        if not meta.get("deletionTimestamp"):
            meta["deletionTimestamp"] = now_rfc3339()
        current.setdefault("status", {})["phase"] = "Terminating"
        if opts.dry_run:
            return Reply(200, self._served(route.resource, current))
        try:
            terminating = self.store.update("namespaces", current)
        except NotFoundError:
            raise not_found("namespaces", "", route.name) from None
        self._delete_quietly("namespaces", terminating, "Background")
        return Reply(200, self._served(route.resource, terminating))

    def _deletecollection(self, request: Request, route: Route) -> Reply:
        matches = object_filter(route, request.query)
        items, _ = self.store.list(route.resource.store_key, route.namespace or None)
        deleted = []
        for obj in items:
            if matches(obj):
                sub = Route(route.resource, namespace=obj["metadata"].get("namespace", ""),
                            name=obj["metadata"]["name"])
                try:
                    self._delete(Request("DELETE", request.path, request.query, request.headers), sub)
                except ApiError:
                    continue
                deleted.append(self._served(route.resource, obj))
        return Reply(200, {"kind": f"{route.resource.kind}List", "apiVersion": route.resource.api_version,
                           "metadata": {"resourceVersion": str(self.store.resource_version)}, "items": deleted})

    def _collect(self, key: str, owner: Obj, policy: str) -> None:
        """Garbage collection, done synchronously: delete or orphan the objects owned by `owner`."""
        uid = owner["metadata"].get("uid")
        namespace = owner["metadata"].get("namespace", "")
        if key == "namespaces":
            # The namespace controller empties a deleted namespace
            namespace = owner["metadata"]["name"]
            for dependent_key in _DEPENDENT_KEYS:
                for obj in self.store.list(dependent_key, namespace)[0]:
                    self._delete_quietly(dependent_key, obj, "Background")
            return
        for dependent_key in _DEPENDENT_KEYS:
            for obj in self.store.list(dependent_key, namespace or None)[0]:
                refs = obj["metadata"].get("ownerReferences") or []
                if not any(ref.get("uid") == uid for ref in refs):
                    continue
                if policy == "Orphan":
                    def strip(o: Obj) -> None:
                        kept = [r for r in o["metadata"].get("ownerReferences") or [] if r.get("uid") != uid]
                        if kept:
                            o["metadata"]["ownerReferences"] = kept
                        else:
                            o["metadata"].pop("ownerReferences", None)
                    with contextlib.suppress(NotFoundError):
                        self.store.mutate(dependent_key, obj["metadata"].get("namespace", ""),
                                          obj["metadata"]["name"], strip)
                else:
                    self._delete_quietly(dependent_key, obj, "Background")

    def _delete_quietly(self, key: str, obj: Obj, policy: str) -> None:
        try:
            deleted = self.store.delete(key, obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
        except NotFoundError:
            return
        if key == "pods":
            self.logs.forget_pod(obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
        self._collect(key, deleted, policy)

    # -- special resources -----------------------------------------------------------------------------

    def _access_review(self, request: Request) -> Reply:
        review = request.json()
        if not isinstance(review, dict):
            raise ApiError(400, "the object provided is unrecognized")
        spec = review.get("spec") or {}
        attributes = spec.get("resourceAttributes")
        if attributes:
            status = self.authz.review(Attributes(
                verb=attributes.get("verb", ""), resource=attributes.get("resource", ""),
                namespace=attributes.get("namespace", ""), group=attributes.get("group", ""),
                subresource=attributes.get("subresource", ""), name=attributes.get("name", "")))
        elif spec.get("nonResourceAttributes"):
            status = {"allowed": True}
        else:
            raise invalid("", "authorization.k8s.io", "", [{
                "reason": "FieldValueInvalid", "field": "spec",
                "message": "Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be "
                           "specified"}])
        # the typed round trip drops empty strings (omitempty) and writes an empty metadata
        spec = {key: {k: v for k, v in value.items() if v not in ("", None)} if isinstance(value, dict) else value
                for key, value in spec.items()}
        return Reply(201, {"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
                           "metadata": {}, "spec": spec, "status": status})

    def _metrics(self, request: Request, route: Route) -> Reply:
        cluster = self._cluster()
        if route.name:
            found = cluster.pod_metrics(route.namespace, route.name) if cluster is not None else None
            if found is None:
                raise not_found("pods", "metrics.k8s.io", route.name)
            return Reply(200, found)
        pods_route = Route(routes.find("", "v1", "pods"), namespace=route.namespace)  # type: ignore[arg-type]
        matches = object_filter(pods_route, {"labelSelector": request.query.get("labelSelector", "")})
        items = []
        for pod in self.store.list("pods", route.namespace or None)[0]:
            if cluster is not None and matches(pod):
                found = cluster.pod_metrics(pod["metadata"].get("namespace", ""), pod["metadata"]["name"])
                if found is not None:
                    items.append(found)
        return Reply(200, {"kind": "PodMetricsList", "apiVersion": "metrics.k8s.io/v1beta1",
                           "metadata": {}, "items": items})


_INJECTED = {
    429: "Too many requests, please try again later.",
    500: "Internal error occurred: injected failure",
    503: "The server is currently unable to handle the request",
    504: "Timeout: request did not complete within the allowed duration",
}
