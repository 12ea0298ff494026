"""The API surface: which groups, versions and resources the sandbox serves, and how a URL path maps to them.

Also renders the discovery documents (/api, /apis, APIResourceList) from the same table, so kubectl's
RESTMapper sees exactly what the handlers serve. Nothing here reads the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .status import ApiError

Obj = dict[str, Any]

_CRUD = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
_READ = ["get", "list"]


@dataclass(frozen=True)
class Resource:
    """One REST resource as discovery describes it; `key` is the Store's resource key holding its objects."""

    group: str
    version: str
    plural: str
    singular: str
    kind: str
    namespaced: bool
    verbs: tuple[str, ...] = tuple(_CRUD)
    short_names: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    key: str = ""

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def store_key(self) -> str:
        return self.key or self.plural


RESOURCES: tuple[Resource, ...] = (
    Resource("", "v1", "namespaces", "namespace", "Namespace", False, short_names=("ns",),
             subresources=("status",)),
    Resource("", "v1", "nodes", "node", "Node", False, short_names=("no",), subresources=("status",)),
    Resource("", "v1", "secrets", "secret", "Secret", True),
    Resource("", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", True, short_names=("sa",)),
    Resource("", "v1", "pods", "pod", "Pod", True, short_names=("po",), subresources=("log", "status"),
             categories=("all",)),
    Resource("", "v1", "events", "event", "Event", True, short_names=("ev",)),
    Resource("batch", "v1", "cronjobs", "cronjob", "CronJob", True, short_names=("cj",),
             subresources=("status",), categories=("all",)),
    Resource("batch", "v1", "jobs", "job", "Job", True, subresources=("status",), categories=("all",)),
    Resource("events.k8s.io", "v1", "events", "event", "Event", True, short_names=("ev",)),
    Resource("networking.k8s.io", "v1", "networkpolicies", "networkpolicy", "NetworkPolicy", True,
             short_names=("netpol",)),
    Resource("coordination.k8s.io", "v1", "leases", "lease", "Lease", True),
    Resource("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "selfsubjectaccessreview",
             "SelfSubjectAccessReview", False, verbs=("create",)),
    Resource("metrics.k8s.io", "v1beta1", "pods", "", "PodMetrics", True, verbs=tuple(_READ), key="podmetrics"),
)

_SUBRESOURCE_KINDS = {"log": ("Pod", ("get",)), "status": ("", ("get", "patch", "update"))}


def find(group: str, version: str, plural: str) -> Resource | None:
    for resource in RESOURCES:
        if (resource.group, resource.version, resource.plural) == (group, version, plural):
            return resource
    return None


def group_versions() -> list[tuple[str, str]]:
    """(group, version) pairs in the order discovery lists them, core first."""
    seen: list[tuple[str, str]] = []
    for resource in RESOURCES:
        if (resource.group, resource.version) not in seen:
            seen.append((resource.group, resource.version))
    return seen


@dataclass
class Route:
    """A parsed resource URL: /api/v1/namespaces/ns/pods/name/log and the like."""

    resource: Resource
    namespace: str = ""
    name: str = ""
    subresource: str = ""
    watch: bool = False
    extra: list[str] = field(default_factory=list)


def parse(path: str) -> Route | Obj | None:
    """A Route for resource paths, a discovery document for discovery paths, None when nothing is there."""
    parts = [p for p in path.split("/") if p]
    if parts == ["api"]:
        return {"kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}
    if parts == ["apis"]:
        return api_group_list()
    if parts[:2] == ["api", "v1"]:
        group, version, rest = "", "v1", parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    elif len(parts) == 2 and parts[0] == "apis":
        return api_group(parts[1])
    else:
        return None
    if (group, version) not in group_versions():
        return None
    if not rest:
        return resource_list(group, version)
    watch = False
    if rest[0] == "watch":
        watch, rest = True, rest[1:]
    namespace = ""
    if len(rest) >= 3 and rest[0] == "namespaces" and find(group, version, rest[2]) is not None:
        namespace, rest = rest[1], rest[2:]
    resource = find(group, version, rest[0]) if rest else None
    if resource is None or len(rest) > 3:
        return None
    if namespace and not resource.namespaced:
        return None
    route = Route(resource, namespace=namespace, watch=watch)
    if len(rest) >= 2:
        route.name = rest[1]
    if len(rest) == 3:
        route.subresource = rest[2]
        if route.subresource not in resource.subresources:
            return None
    return route


def _preferred(group: str) -> Obj:
    versions = [v for g, v in group_versions() if g == group]
    return {"groupVersion": f"{group}/{versions[0]}", "version": versions[0]}


def api_group(group: str) -> Obj | None:
    versions = [{"groupVersion": f"{group}/{v}", "version": v} for g, v in group_versions() if g == group]
    if not versions:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", "name": group, "versions": versions,
            "preferredVersion": _preferred(group)}


def api_group_list() -> Obj:
    groups = []
    for group in dict.fromkeys(g for g, _ in group_versions() if g):
        groups.append(api_group(group))
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def resource_list(group: str, version: str) -> Obj:
    """APIResourceList for one group/version, subresources included as `pods/log` entries."""
    entries: list[Obj] = []
    for resource in RESOURCES:
        if (resource.group, resource.version) != (group, version):
            continue
        entry: Obj = {
            "name": resource.plural,
            "singularName": resource.singular,
            "namespaced": resource.namespaced,
            "kind": resource.kind,
            "verbs": list(resource.verbs),
        }
        if resource.short_names:
            entry["shortNames"] = list(resource.short_names)
        if resource.categories:
            entry["categories"] = list(resource.categories)
        entries.append(entry)
        for sub in resource.subresources:
            kind, verbs = _SUBRESOURCE_KINDS[sub]
            entries.append({"name": f"{resource.plural}/{sub}", "singularName": "",
                            "namespaced": resource.namespaced, "kind": kind or resource.kind,
                            "verbs": list(verbs)})
    return {"kind": "APIResourceList", "apiVersion": "v1",
            "groupVersion": f"{group}/{version}" if group else version, "resources": entries}


def version_info() -> Obj:
    """/version: kubectl's dispatcher picks its client from gitVersion, so stay on 1.31 (JSON bodies)."""
    return {
        "major": "1",
        "minor": "31",
        "gitVersion": "v1.31.4",
        "gitCommit": "a78aa47129b8539636eb86a9d00e31b2720fe06b",
        "gitTreeState": "clean",
        "buildDate": "2024-12-10T11:36:55Z",
        "goVersion": "go1.22.9",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


def not_found_path() -> ApiError:
    return ApiError(404, "the server could not find the requested resource")
