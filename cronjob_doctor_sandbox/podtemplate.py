"""Objects as the real controllers plus API-server defaulting produce them: a Job created by the CronJob
controller and a Pod created by the Job controller, every defaulted field filled in.

Pure functions from dicts to dicts; they never read or write the store.
"""

from __future__ import annotations

import copy
import random
from typing import Any

from .containers import qos_class

Obj = dict[str, Any]

# k8s.io/apimachinery/pkg/util/rand: generated names avoid vowels and look-alike characters.
_ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"


def random_suffix(length: int = 5) -> str:
    return "".join(random.choice(_ALPHANUMS) for _ in range(length))


def default_job(job: Obj) -> Obj:
    """Fill what the API server defaults on a batch/v1 Job: selector, the four job labels, counts, policies."""
    job = copy.deepcopy(job)
    meta, spec = job["metadata"], job.setdefault("spec", {})
    uid, name = meta["uid"], meta["name"]
    spec.setdefault("parallelism", 1)
    spec.setdefault("completions", 1)
    spec.setdefault("backoffLimit", 6)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    spec.setdefault("podReplacementPolicy", "TerminatingOrFailed")
    spec.setdefault("manualSelector", None)
    if spec.get("manualSelector") is None:
        del spec["manualSelector"]
    spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    template = spec.setdefault("template", {})
    labels = template.setdefault("metadata", {}).setdefault("labels", {})
    labels.update({
        "batch.kubernetes.io/controller-uid": uid,
        "batch.kubernetes.io/job-name": name,
        "controller-uid": uid,
        "job-name": name,
    })
    template["metadata"].setdefault("creationTimestamp", None)
    default_pod_spec(template.setdefault("spec", {}), with_token_volume=False)
    return job


def default_pod_spec(spec: Obj, *, with_token_volume: bool = True) -> Obj:
    """Defaults of a v1 PodSpec (in place); pods also get the projected service-account token volume."""
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("securityContext", {})
    spec.setdefault("terminationGracePeriodSeconds", 30)
    for container in (spec.get("initContainers") or []) + spec.get("containers", []):
        image = str(container.get("image", ""))
        tag = image.rsplit("/", 1)[-1]
        # imagePullPolicy defaults to Always for :latest or an untagged image, else IfNotPresent.
        always = "@" not in tag and (":" not in tag or tag.endswith(":latest"))
        container.setdefault("imagePullPolicy", "Always" if always else "IfNotPresent")
        container.setdefault("terminationMessagePath", "/dev/termination-log")
        container.setdefault("terminationMessagePolicy", "File")
        container.setdefault("resources", {})
    if with_token_volume:
        account = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
        spec["serviceAccountName"] = spec["serviceAccount"] = account
        spec.setdefault("enableServiceLinks", True)
        spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
        spec.setdefault("priority", 0)
        spec.setdefault(
            "tolerations",
            [
                {
                    "key": "node.kubernetes.io/not-ready",
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": 300,
                },
                {
                    "key": "node.kubernetes.io/unreachable",
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": 300,
                },
            ],
        )
        if spec.get("automountServiceAccountToken", True):
            volume = f"kube-api-access-{random_suffix()}"
            spec.setdefault("volumes", []).append(_token_volume(volume))
            for container in (spec.get("initContainers") or []) + spec.get("containers", []):
                container.setdefault("volumeMounts", []).append(
                    {"name": volume, "readOnly": True, "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}
                )
    return spec


def pod_for_job(job: Obj) -> Obj:
    """A new Pod for `job`, as the Job controller creates it (generateName `<job>-`, controller reference)."""
    meta = job["metadata"]
    template = copy.deepcopy(job["spec"]["template"])
    name = f"{meta['name']}-{random_suffix()}"
    pod_meta: Obj = {
        "name": name,
        "generateName": f"{meta['name']}-",
        "namespace": meta.get("namespace", ""),
        "labels": dict((template.get("metadata") or {}).get("labels") or {}),
        "ownerReferences": [{
            "apiVersion": "batch/v1", "kind": "Job", "name": meta["name"], "uid": meta["uid"],
            "controller": True, "blockOwnerDeletion": True,
        }],
    }
    annotations = (template.get("metadata") or {}).get("annotations")
    if annotations:
        pod_meta["annotations"] = dict(annotations)
    spec = default_pod_spec(template.get("spec") or {})
    return {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": spec,
            "status": {"phase": "Pending", "qosClass": qos_class(spec)}}


def _token_volume(name: str) -> Obj:
    return {
        "name": name,
        "projected": {
            "defaultMode": 420,
            "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {
                    "downwardAPI": {
                        "items": [
                            {"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}
                        ]
                    }
                },
            ],
        },
    }
