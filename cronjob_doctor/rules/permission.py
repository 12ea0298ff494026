"""The `permission` family: Kubernetes RBAC Forbidden/Unauthorized, object-store Access Denied or bad keys,
database authentication failures.

Evidence is log signatures (kubectl, mc, aws, gsutil, psql, mysqldump texts). A quota `forbidden` is not RBAC:
it belongs to `scheduling` and is excluded here.
"""

from __future__ import annotations

from collections.abc import Iterable

from cronjob_doctor.bundle import Bundle
from cronjob_doctor.rules import remediation
from cronjob_doctor.rules._shared import during, match_evidence, step_for, term_evidence, trace_evidence
from cronjob_doctor.rules.base import Finding
from cronjob_doctor.rules.facts import Facts, Match, facts_of


def _service_account(bundle: Bundle) -> str | None:
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


def _fixes(match: Match, facts: Facts, sa: str | None) -> list[str]:
    detail = match.signature.detail
    ns = facts.namespace or "NAMESPACE"
    if detail == "rbac":
        verb = match.groups.get("verb", "VERB")
        resource = match.groups.get("resource", "RESOURCE")
        group = match.groups.get("group", "")
        account = sa or "SERVICE_ACCOUNT"
        return [
            f"check: kubectl auth can-i {verb} {resource} -n {match.groups.get('namespace', ns)} "
            f"--as=system:serviceaccount:{ns}:{account}",
            f"add the rule to the Role bound to ServiceAccount {account}:\n"
            + remediation.role_rule_yaml(verb=verb, resource=resource, group=group),
        ]
    if detail == "credentials":
        return ["the credentials are wrong or missing: check the Secret the job reads its keys from (and that the "
                "key/user still exists on the server), then rotate it"]
    if detail == "object-store":
        return ["the object-store user lacks a permission on the bucket: grant the policy (mc admin policy attach / "
                "IAM policy) for the bucket and actions the script uses"]
    return ["the database refused the login: check user, password Secret and pg_hba/grants"]


class PermissionRule:
    id = "permission"

    def evaluate(self, bundle: Bundle) -> Iterable[Finding]:
        facts = facts_of(bundle)
        matches = [m for m in facts.matches if m.signature.verdict == "permission"]
        if not matches:
            return
        match = matches[-1]
        step = step_for(facts, match)
        failed = facts.workload_failed()
        evidence = [match_evidence(m) for m in matches[-3:]]
        if step is not None:
            evidence.append(trace_evidence(step))
        evidence += [term_evidence(t) for t in facts.failed_terminations()[:1]]
        confidence = match.signature.weight + (0.05 if failed else -0.45)
        sa = _service_account(bundle)
        who = f" (ServiceAccount {sa})" if sa and match.signature.detail == "rbac" else ""
        yield Finding(
            verdict="permission", detail=match.signature.detail, confidence=confidence,
            summary=f"{match.signature.label}{who}{during(step)}",
            evidence=tuple(evidence), remediation=tuple(_fixes(match, facts, sa)),
        )
