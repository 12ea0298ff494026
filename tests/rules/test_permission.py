"""Permission in all its forms, as any client prints it, with a fix that fits: RBAC gets a Role rule, the file
system gets securityContext (not RBAC), cloud IAM gets the identity's policy."""

from __future__ import annotations

import pytest

from tests.builders import container, log, pod, terminated
from tests.rules._bundles import FAILED, verdict_of

ERR = container("backup", terminated(exit_code=1))


@pytest.mark.parametrize(("line", "detail", "fix"), [
    ('ERROR: deployments.apps "web" is forbidden: User "system:serviceaccount:a:restarter" cannot patch resource '
     '"deployments" in API group "apps" in the namespace "a"', "rbac", 'verbs: ["patch"]'),
    ("kubernetes.client.exceptions.ApiException: (401)", "credentials", "credentials"),
    ("An error occurred (AccessDeniedException) when calling the GetAuthorizationToken operation: User: x is not "
     "authorized to perform: ecr:GetAuthorizationToken on resource: *", "cloud-iam", "ecr:GetAuthorizationToken"),
    ("S3UploadFailedError('Failed to upload /tmp/r to b/r: An error occurred (AccessDenied) when calling the PutObject "
     "operation: Access Denied')", "object-store", "bucket"),
    ('pg_dumpall: error: connection to server at "pg" (10.0.0.2), port 5432 failed: fe_sendauth: no password supplied',
     "database", "password"),
    ("error: could not lock config file //.gitconfig: Permission denied", "filesystem", "runAsUser"),
])
def test_each_form_gets_its_detail_and_a_fitting_fix(line: str, detail: str, fix: str) -> None:
    got = verdict_of(pod(ERR), job_=FAILED, logs={"backup": log(line)})
    assert (got.verdict, got.detail) == ("permission", detail)
    assert any(fix in r for r in got.remediation)


def test_a_file_system_denial_says_it_is_not_rbac() -> None:
    got = verdict_of(pod(ERR), job_=FAILED, logs={"backup": log("mkdir: cannot create directory '/data/x': "
                                                                 "Permission denied")})
    assert any("not RBAC" in r for r in got.remediation)
    assert not any("Role" in r and "apiGroups" in r for r in got.remediation)


def test_curl_403_from_the_kubernetes_api_is_rbac() -> None:
    lines = ["+ curl -sf -H 'Authorization: Bearer ****' https://kubernetes.default.svc/apis/apps/v1/namespaces/a/"
             "deployments/web", "curl: (22) The requested URL returned error: 403"]
    got = verdict_of(pod(ERR), job_=FAILED, logs={"backup": log(*lines)})
    assert (got.verdict, got.detail) == ("permission", "rbac")


def test_a_redirect_into_a_read_only_path_is_filesystem_but_exec_126_is_config() -> None:
    line = "/bin/sh: 1: /app/run.sh: Permission denied"
    redirect = verdict_of(pod(container("backup", terminated(exit_code=2))), job_=FAILED,
                          logs={"backup": log(line)})
    exec_denied = verdict_of(pod(container("backup", terminated(exit_code=126))), job_=FAILED,
                             logs={"backup": log(line)})
    assert (redirect.verdict, redirect.detail) == ("permission", "filesystem")
    assert (exec_denied.verdict, exec_denied.detail) == ("config", "not-executable")


def test_a_quota_forbidden_in_a_log_is_not_rbac() -> None:
    line = ('Error from server (Forbidden): pods "x" is forbidden: exceeded quota: q, requested: cpu=1, used: cpu=2, '
            'limited: cpu=2')
    got = verdict_of(pod(ERR), job_=FAILED, logs={"backup": log(line)})
    assert got.verdict != "permission"
