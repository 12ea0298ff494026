"""The `permission` family: the job was refused. Kubernetes RBAC (`rbac`) and authentication (`credentials`) from
any client, cloud IAM (`cloud-iam`), object stores (`object-store`), databases (`database`), and the file
system (`filesystem`: the container's user, which securityContext sets, cannot read or write a path).

Evidence is log signatures. A quota `forbidden` is scheduling, a pull refused for credentials is image-pull, and a
shell's `Permission denied` on the file it was told to run with exit 126 is config (`not-executable`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from cronjob_doctor.bundle import Bundle
from cronjob_doctor.rules import remediation
from cronjob_doctor.rules._shared import (
    decisive,
    during,
    family_matches,
    log_confidence,
    match_evidence,
    step_for,
    term_evidence,
    trace_evidence,
)
from cronjob_doctor.rules.base import Finding
from cronjob_doctor.rules.facts import Facts, Match, facts_of

# A traced command that talks to the Kubernetes API directly (curl with the ServiceAccount token).
_K8S_API = re.compile(r"KUBERNETES_SERVICE_HOST|kubernetes\.default|/api/v1/|/apis/[a-z0-9.-]{1,100}/v\d")
_PATH = re.compile(r"(?P<path>(?:/|\./|~/)[^\s:'\"()]{1,300})")


def service_account(bundle: Bundle) -> str | None:
    """The pod's ServiceAccount, from the pods, else the Job's or CronJob's template."""
    for pod in bundle.pods:
        sa = (pod.get("spec") or {}).get("serviceAccountName")
        if sa:
            return str(sa)
    for source in (bundle.job, bundle.cronjob):
        spec = (source or {}).get("spec") or {}
        template = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or spec.get("template") or {}
        sa = (template.get("spec") or {}).get("serviceAccountName")
        if sa:
            return str(sa)
    return None


def _detail(match: Match, facts: Facts) -> str | None:
    """The match's detail; an HTTP 401/403 from a traced call to the Kubernetes API is authentication/RBAC."""
    if match.signature.verdict == "network":
        return "credentials" if match.groups.get("code") == "401" else "rbac"
    if match.signature.id == "sh-not-executable":
        return "filesystem"
    return match.signature.detail


def fixes(match: Match, facts: Facts, bundle: Bundle) -> list[str]:
    """What to change for a permission denial of this detail."""
    detail = _detail(match, facts)
    ns = facts.namespace or "NAMESPACE"
    sa = service_account(bundle)
    if detail == "rbac":
        verb = match.groups.get("verb", "VERB")
        resource = match.groups.get("resource") or match.groups.get("resource2") or "RESOURCE"
        group = match.groups.get("group", "")
        if "." in resource and not group:
            resource, group = resource.split(".", 1)
        account = sa or "SERVICE_ACCOUNT"
        return [
            f"check: kubectl auth can-i {verb} {resource} -n {match.groups.get('namespace', ns)} "
            f"--as=system:serviceaccount:{ns}:{account}",
            f"add the rule to a Role (or ClusterRole) bound to ServiceAccount {account}, and set "
            f"serviceAccountName in the CronJob's pod template if it runs as `default`:\n"
            + remediation.role_rule_yaml(verb=verb, resource=resource, group=group),
        ]
    if detail == "credentials":
        return ["the credentials were refused or are missing: check the Secret (or the token, kubeconfig or "
                "workload identity) the job takes them from, that the key/user still exists on the server and has "
                "not expired, and that no stray newline or quote crept into the value; then rotate it"]
    if detail == "cloud-iam":
        what = match.groups.get("action") or match.groups.get("perm") or match.groups.get("perm2") or \
            match.groups.get("op")
        needed = f" (`{what}`)" if what else ""
        return [f"grant the permission the error names{needed} to the cloud identity the pod runs as (the IAM role "
                "of its ServiceAccount via IRSA/Pod Identity, the GCP service account via Workload Identity, or the "
                "Azure managed identity), and check that the role's trust policy admits the ServiceAccount"]
    if detail == "object-store":
        what = match.groups.get("action") or match.groups.get("perm") or match.groups.get("perm2") or \
            match.groups.get("op")
        needed = f" (`{what}`)" if what else ""
        return [f"the object-store identity lacks a permission on the bucket{needed}: grant it in the bucket or "
                "IAM policy (AWS: object actions on arn:aws:s3:::BUCKET/*, s3:ListBucket on the bucket ARN; GCS: "
                "roles/storage.objectAdmin or the named permission; Azure: Storage Blob Data Contributor; MinIO: "
                "mc admin policy attach)"]
    if detail == "filesystem":
        found = _PATH.search(match.text)
        path = f" {found.group('path')}" if found else " the path"
        return [f"the container's user cannot access{path}: set securityContext.runAsUser/runAsGroup to the user "
                "the image expects (and fsGroup for mounted volumes, so they are group-writable), or point the "
                "write at a writable emptyDir; a read-only file system means readOnlyRootFilesystem or a read-only "
                "mount: mount an emptyDir there",
                "this is not RBAC: no Role or ServiceAccount change helps a file-system denial"]
    return ["the database refused the login or the statement: check user, the password Secret (is it mounted "
            "and non-empty?), pg_hba/host grants, and the grants on the objects the job touches"]


def _kube_api_http(facts: Facts) -> list[Match]:
    """HTTP 401/403 answers to a traced call that goes to the Kubernetes API (curl with a token)."""
    out = []
    for match in family_matches(facts, "network"):
        if match.signature.detail != "http" or match.groups.get("code") not in ("401", "403"):
            continue
        step = step_for(facts, match)
        if step is not None and _K8S_API.search(step.command):
            out.append(match)
    return out


class PermissionRule:
    id = "permission"

    def evaluate(self, bundle: Bundle) -> Iterable[Finding]:
        facts = facts_of(bundle)
        matches = family_matches(facts, "permission") + _kube_api_http(facts)
        exec_denied = [m for m in facts.job_matches() if m.signature.id == "sh-not-executable"]
        if exec_denied and not any(t.exit_code == 126 for t in facts.failed_terminations()):
            matches += exec_denied  # a redirect into a path the user may not write, not an exec
        if not matches:
            return
        matches.sort(key=lambda m: (m.source, m.number))
        match = decisive(facts, matches)
        step = step_for(facts, match)
        failed = facts.workload_failed()
        evidence = [match_evidence(m) for m in matches[-3:]]
        if step is not None:
            evidence.append(trace_evidence(step))
        evidence += [term_evidence(t) for t in facts.failed_terminations()[:1]]
        confidence = log_confidence(facts, match, failed=failed) if failed else match.signature.weight - 0.45
        detail = _detail(match, facts)
        sa = service_account(bundle)
        who = f" (ServiceAccount {sa})" if sa and detail == "rbac" else ""
        label = match.signature.label if match.signature.verdict == "permission" else (
            f"HTTP {match.groups.get('code')} from the Kubernetes API")
        yield Finding(
            verdict="permission", detail=detail, confidence=min(confidence, 0.9),
            summary=f"{label}{who}{during(step)}",
            evidence=tuple(evidence), remediation=tuple(fixes(match, facts, bundle)),
        )
