"""Every check, firing and not firing, on plain dicts: one table row per behaviour."""

from __future__ import annotations

from typing import Any

import pytest

from cronjob_doctor.lint import CHECKS
from cronjob_doctor.lint.base import LintFinding, Workload
from cronjob_doctor.lint.flow import lint_workloads
from tests import builders

# A CronJob (and a Job of its template) that passes every check; each case spoils one field of it.
CLEAN_SCRIPT = "set -eu\nkubectl get secrets -o yaml > /tmp/state.yaml\nmc cp /tmp/state.yaml backup/b/\n"
CLEAN_CONTAINER: dict[str, Any] = {"image": "registry.example/backup-tools:1.0.0", "script": CLEAN_SCRIPT,
                                   "memory_limit": "256Mi", "requests": {"cpu": "50m", "memory": "128Mi"}}


def container(**fields: Any) -> dict[str, Any]:
    """A container that passes every check; keyword arguments replace its fields (None removes one)."""
    return builders.container_spec(**{**CLEAN_CONTAINER, **fields})


def shell(script: str, **fields: Any) -> dict[str, Any]:
    """A clean container running `script` with /bin/sh -c."""
    return container(script=script, **fields)


def template(containers: list[dict[str, Any]] | None = None, pod: dict[str, Any] | None = None) -> dict[str, Any]:
    return builders.pod_template(*(containers or [container()]), restart="Never", service_account=None, labels={},
                                 **(pod or {}))


def cronjob(*, name: str = "tf-state-backup", spec: dict[str, Any] | None = None, job: dict[str, Any] | None = None,
            pod: dict[str, Any] | None = None, containers: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The clean CronJob; `spec`, `job` (jobTemplate.spec) and `pod` change fields there (None removes one)."""
    return builders.cronjob(name, schedule="0 8 * * *", time_zone="Etc/UTC", starting_deadline=3600, failed_limit=3,
                            active_deadline=1800, template=template(containers, pod), spec=spec, job_spec=job)


def job(**spec: Any) -> dict[str, Any]:
    """A plain Job (no owner, not started) of the clean CronJob's template; `spec` changes fields of its spec."""
    return builders.job("one-off", cronjob=None, start=None, active_deadline=1800, template=template(), spec=spec)


def lint(obj: dict[str, Any]) -> list[LintFinding]:
    """Every finding of every check on one object."""
    return list(lint_workloads([Workload(obj=obj, source="test.yaml")]).findings)


def ids(obj: dict[str, Any]) -> set[str]:
    """The ids of the checks that fire on `obj`."""
    return {f.check for f in lint(obj)}

APK = "set -e\napk add --no-cache curl\ncurl -fsSL --retry 3 -m 60 -o /tmp/mc https://dl.min.io/client/mc/release/linux-amd64/mc\n"
TMPFS = [{"name": "tmp", "emptyDir": {"medium": "Memory"}}]
SECRET_ENV = [{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}]

# (check id, object, fires)
CASES: list[tuple[str, dict[str, Any], bool]] = [
    # downloads
    ("runtime-download", cronjob(containers=[shell(APK)]), True),
    ("runtime-download", cronjob(containers=[shell("set -e\napt-get update\napt-get install -y curl\n")]), True),
    ("runtime-download", cronjob(containers=[shell("set -e\npython -m pip install boto3\npython run.py\n")]), True),
    ("runtime-download", cronjob(containers=[shell("curl -fsSL --retry 3 -m 60 -o /tmp/helm.tgz "
                                                   "https://get.helm.sh/helm-v3.16.2-linux-amd64.tar.gz")]), True),
    ("runtime-download", cronjob(containers=[shell("curl -fsS --retry 3 -m 10 -X POST https://hooks.example/x")]),
     False),
    ("runtime-download", cronjob(), False),
    ("download-no-timeout", cronjob(containers=[shell("curl -fsSL --retry 3 https://api.example/x")]), True),
    ("download-no-timeout", cronjob(containers=[shell("wget -q https://example.org/a.tar.gz")]), True),
    ("download-no-timeout", cronjob(containers=[shell("curl -fsSL --retry 3 --max-time 30 https://api.example/x")]),
     False),
    ("download-no-timeout", cronjob(containers=[shell("wget -q -T 30 https://example.org/a.tar.gz")]), False),
    ("download-no-retry", cronjob(containers=[shell("curl -fsSL -m 30 https://api.example/x")]), True),
    ("download-no-retry", cronjob(containers=[shell("curl -fsSL -m 30 --retry 5 https://api.example/x")]), False),
    ("download-no-retry", cronjob(containers=[shell(
        "set -e\nuntil wget -T 10 -q https://example.org/a; do sleep 5; done\n")]), False),
    # resources
    ("memory-limit-missing", cronjob(containers=[container(resources={"requests": {"memory": "64Mi"}})]), True),
    ("memory-limit-missing", cronjob(containers=[container(resources=None)]), True),
    ("memory-limit-missing", cronjob(), False),
    ("memory-below-downloads", cronjob(containers=[shell(
        APK + "curl -fsSL --retry 3 -m 60 -o /tmp/kubectl https://dl.k8s.io/release/v1.31.2/bin/linux/amd64/kubectl\n",
        resources={"limits": {"memory": "128Mi"}})]), True),
    ("memory-below-downloads", cronjob(containers=[shell(APK, resources={"limits": {"memory": "1Gi"}})]), False),
    ("memory-below-downloads", cronjob(containers=[shell(APK, resources=None)]), False),
    ("memory-tmpfs", cronjob(pod={"volumes": TMPFS},
                             containers=[container(volumeMounts=[{"name": "tmp", "mountPath": "/tmp"}])]), True),
    ("memory-tmpfs", cronjob(pod={"volumes": [{"name": "tmp", "emptyDir": {}}]}), False),
    # evidence retention
    ("failed-history-short", cronjob(spec={"failedJobsHistoryLimit": 1}), True),
    ("failed-history-short", cronjob(spec={"failedJobsHistoryLimit": None}), True),
    ("failed-history-short", cronjob(spec={"failedJobsHistoryLimit": 0}), False),
    ("failed-history-short", cronjob(), False),
    ("failed-history-zero", cronjob(spec={"failedJobsHistoryLimit": 0}), True),
    ("failed-history-zero", cronjob(), False),
    ("ttl-too-short", cronjob(job={"ttlSecondsAfterFinished": 300}), True),
    ("ttl-too-short", job(ttlSecondsAfterFinished=60), True),
    ("ttl-too-short", cronjob(job={"ttlSecondsAfterFinished": 86400}), False),
    ("restart-on-failure", cronjob(pod={"restartPolicy": "OnFailure"}), True),
    ("restart-on-failure", cronjob(pod={"restartPolicy": "OnFailure"}, job={"backoffLimit": None}), True),
    ("restart-on-failure", cronjob(pod={"restartPolicy": "OnFailure"}, job={"backoffLimit": 0}), False),
    ("restart-on-failure", cronjob(), False),
    # deadlines
    ("active-deadline-missing", cronjob(job={"activeDeadlineSeconds": None}), True),
    ("active-deadline-missing", job(activeDeadlineSeconds=None), True),
    ("active-deadline-missing", cronjob(), False),
    ("starting-deadline-missing", cronjob(spec={"startingDeadlineSeconds": None}), True),
    ("starting-deadline-missing", job(), False),
    ("starting-deadline-missing", cronjob(), False),
    ("starting-deadline-too-short", cronjob(spec={"startingDeadlineSeconds": 5}), True),
    ("starting-deadline-too-short", cronjob(spec={"startingDeadlineSeconds": 10}), False),
    # scripts
    ("script-no-errexit", cronjob(containers=[shell("apk info\nkubectl get pods > /tmp/x\nmc cp /tmp/x b/\n")]), True),
    ("script-no-errexit", cronjob(containers=[shell("kubectl get pods > /tmp/x; mc cp /tmp/x b/")]), True),
    ("script-no-errexit", cronjob(containers=[shell("kubectl get pods > /tmp/x && mc cp /tmp/x b/")]), False),
    ("script-no-errexit", cronjob(containers=[container(command=["/bin/sh", "-ec", "a\nb\n"])]), False),
    ("script-no-errexit", cronjob(containers=[shell("set -o errexit\na\nb\n")]), False),
    ("script-no-errexit", cronjob(containers=[shell("exec /app/run")]), False),
    ("script-no-pipefail", cronjob(containers=[shell("set -e\nkubectl get secrets -o yaml | gzip > /tmp/s.gz\n")]),
     True),
    ("script-no-pipefail", cronjob(containers=[shell("set -euo pipefail\nkubectl get s | gzip > /tmp/s.gz\n")]),
     False),
    ("script-no-pipefail", cronjob(containers=[shell("set -e\ntest -f /x || exit 1\n")]), False),
    # secrets
    ("secret-in-command", cronjob(containers=[shell("set -e\npsql -U app -p \"$DB_PASSWORD\" -c 'select 1'\n",
                                                    env=SECRET_ENV)]), True),
    ("secret-in-command", cronjob(containers=[container(command=["/app/run", "--password=$(DB_PASSWORD)"],
                                                        env=SECRET_ENV)]), True),
    ("secret-in-command", cronjob(containers=[shell("set -e\necho \"$DB_PASSWORD\" | login --password-stdin\n",
                                                    env=SECRET_ENV)]), False),
    ("secret-in-command", cronjob(containers=[shell("set -e\npsql -c 'select 1'\n", env=SECRET_ENV)]), False),
    ("secret-literal-env", cronjob(containers=[container(env=[{"name": "API_TOKEN", "value": "abc123"}])]), True),
    ("secret-literal-env", cronjob(containers=[container(env=[{"name": "LOG_LEVEL", "value": "debug"}])]), False),
    ("secret-literal-env", cronjob(containers=[container(env=[{"name": "MC_HOST_b", "value": "x"},
                                                              {"name": "DB_PASSWORD", "value": "$(PW)"}])]), False),
    # images
    ("image-latest", cronjob(containers=[container(image="alpine:latest")]), True),
    ("image-latest", cronjob(containers=[container(image="alpine")]), True),
    ("image-latest", cronjob(containers=[container(image="registry:5000/team/alpine")]), True),
    ("image-latest", cronjob(containers=[container(image="registry:5000/team/alpine:3.20")]), False),
    ("image-latest", cronjob(containers=[container(image="alpine@sha256:" + "a" * 64)]), False),
    # naming
    ("name-too-long", cronjob(name="a" * 53), True),
    ("name-too-long", cronjob(name="a" * 52), False),
    ("name-too-long", {**job(), "metadata": {"name": "j" * 64}}, True),
    ("name-too-long", {**job(), "metadata": {"name": "j" * 60}}, False),
    # concurrency
    ("concurrency-allow", cronjob(spec={"concurrencyPolicy": "Allow"}), True),
    ("concurrency-allow", cronjob(spec={"concurrencyPolicy": None}), True),
    ("concurrency-allow", cronjob(spec={"concurrencyPolicy": "Replace"}), False),
    ("concurrency-allow", job(), False),
    # schedule
    ("schedule-invalid", cronjob(spec={"schedule": "0 8 * *"}), True),
    ("schedule-invalid", cronjob(spec={"schedule": "61 8 * * *"}), True),
    ("schedule-invalid", cronjob(spec={"schedule": "0 8 * * 7"}), True),
    ("schedule-invalid", cronjob(spec={"schedule": "H 8 * * *"}), True),
    ("schedule-invalid", cronjob(spec={"schedule": None}), True),
    ("schedule-invalid", cronjob(spec={"schedule": "*/15 8-18 * jan-mar MON-FRI"}), False),
    ("schedule-invalid", cronjob(spec={"schedule": "@daily"}), False),
    ("schedule-tz-prefix", cronjob(spec={"schedule": "CRON_TZ=Europe/Berlin 0 8 * * *"}), True),
    ("schedule-tz-prefix", cronjob(spec={"schedule": "TZ=UTC 0 8 * * *", "timeZone": None}), True),
    ("schedule-tz-prefix", cronjob(), False),
    ("timezone-invalid", cronjob(spec={"timeZone": "Local"}), True),
    ("timezone-invalid", cronjob(spec={"timeZone": "Europe/Berlin"}), False),
    ("timezone-missing", cronjob(spec={"timeZone": None}), True),
    ("timezone-missing", cronjob(spec={"timeZone": None, "schedule": "*/10 * * * *"}), False),
    ("timezone-missing", cronjob(), False),
    ("suspended", cronjob(spec={"suspend": True}), True),
    ("suspended", cronjob(spec={"suspend": False}), False),
]


@pytest.mark.parametrize(
    ("check_id", "obj", "fires"),
    [pytest.param(c, o, f, id=f"{c}-{'fires' if f else 'quiet'}-{i}") for i, (c, o, f) in enumerate(CASES)],
)
def test_check(check_id: str, obj: dict[str, Any], fires: bool) -> None:
    assert (check_id in ids(obj)) is fires


def test_every_check_has_a_firing_and_a_quiet_case() -> None:
    covered = {(c, f) for c, _o, f in CASES}
    for check in CHECKS:
        assert (check.id, True) in covered, check.id
        assert (check.id, False) in covered, check.id


def test_clean_cronjob_and_job_have_no_findings() -> None:
    assert lint(cronjob()) == []
    assert lint(job()) == []


def test_check_ids_are_unique_and_severities_valid() -> None:
    seen = [c.id for c in CHECKS]
    assert len(seen) == len(set(seen)) >= 15
    assert all(c.severity in ("error", "warning", "info") and c.title and c.help for c in CHECKS)


def test_no_finding_is_worse_than_its_checks_severity() -> None:
    """A check's severity is the worst its findings can have (scan runs only the error-severity checks to count
    errors), so a check may lower a finding's severity, never raise it."""
    from cronjob_doctor.lint.base import severity_rank

    by_id = {check.id: check for check in CHECKS}
    for _check_id, obj, _fires in CASES:
        for check in CHECKS:
            for finding in check.run(Workload(obj=obj, source="test")):
                assert severity_rank(finding.severity) <= severity_rank(by_id[finding.check].severity), finding


def test_finding_names_object_path_and_fix() -> None:
    (finding,) = list(lint(cronjob(spec={"failedJobsHistoryLimit": 0})))
    assert finding.to_dict() == {
        "check": "failed-history-zero",
        "severity": "error",
        "message": finding.message,
        "path": "spec.failedJobsHistoryLimit",
        "fix": "set failedJobsHistoryLimit: 3",
        "object": {"kind": "CronJob", "namespace": "tofu-state", "name": "tf-state-backup"},
        "source": "test.yaml",
        "line": None,
    }


def test_memory_estimate_is_spelled_out_in_the_message() -> None:
    script = (
        "set -e\napk add --no-cache curl\n"
        "curl -sSLo /tmp/mc https://dl.min.io/client/mc/release/linux-amd64/mc\n"
        "curl -sSLo /tmp/kubectl https://dl.k8s.io/release/v1.31.2/bin/linux/amd64/kubectl\n"
    )
    obj = cronjob(containers=[shell(script, resources={"limits": {"memory": "128Mi"}})])
    (finding,) = [f for f in lint(obj) if f.check == "memory-below-downloads"]
    assert finding.severity == "error"
    assert finding.path == "spec.jobTemplate.spec.template.spec.containers[0].resources.limits.memory"
    assert "downloads ~75MB (mc ~25MB, kubectl ~50MB) into /tmp" in finding.message
    assert "apk index parsing (~40Mi)" in finding.message
    assert "estimated peak is ~168Mi, above the 128Mi limit" in finding.message
    assert "at least 256Mi" in finding.fix


def test_memory_estimate_close_to_the_limit_is_a_warning() -> None:
    obj = cronjob(containers=[shell(APK, resources={"limits": {"memory": "128Mi"}})])
    (finding,) = [f for f in lint(obj) if f.check == "memory-below-downloads"]
    assert finding.severity == "warning"  # 16 + 40 + 25MB + 30 ~ 110Mi: within 25% of 128Mi
    assert "within 25% of the 128Mi limit" in finding.message


def test_tmpfs_download_is_called_unreclaimable() -> None:
    obj = cronjob(
        pod={"volumes": TMPFS},
        containers=[shell(APK, resources={"limits": {"memory": "128Mi"}},
                          volumeMounts=[{"name": "tmp", "mountPath": "/tmp"}])],
    )
    (finding,) = [f for f in lint(obj) if f.check == "memory-below-downloads"]
    assert "(tmpfs: never reclaimed)" in finding.message


def test_concurrency_allow_is_info_for_a_job_that_looks_stateless() -> None:
    obj = cronjob(name="ping", spec={"concurrencyPolicy": None},
                  containers=[shell("curl -fsS -m 5 --retry 2 http://svc/healthz")])
    (finding,) = [f for f in lint(obj) if f.check == "concurrency-allow"]
    assert finding.severity == "info"


def test_checks_of_cronjob_fields_skip_jobs() -> None:
    assert not ids(job()) & {"failed-history-short", "schedule-invalid", "timezone-missing", "concurrency-allow"}


def test_init_containers_are_checked_with_their_own_path() -> None:
    obj = cronjob(pod={"initContainers": [container(name="fetch", image="busybox")]})
    (finding,) = [f for f in lint(obj) if f.check == "image-latest"]
    assert finding.path == "spec.jobTemplate.spec.template.spec.initContainers[0].image"


def test_a_check_that_raises_becomes_a_note_and_the_others_still_run() -> None:
    class Broken:
        id = "broken"
        severity = "warning"
        title = "broken"
        help = "broken"

        def run(self, workload: Workload) -> list[Any]:
            raise KeyError("spec")

    report = lint_workloads([Workload(obj=cronjob(spec={"suspend": True}), source="x.yaml")],
                            checks=(Broken(), *CHECKS))
    assert [f.check for f in report.findings] == ["suspended"]
    assert report.notes == ("check broken failed on CronJob tofu-state/tf-state-backup: KeyError: 'spec'",)


def test_the_tz_database_is_listed_once_however_many_cronjobs(mocker: Any) -> None:
    """Listing zone names walks the zoneinfo directories (~10 ms); scan lints every CronJob of a cluster."""
    import zoneinfo

    from cronjob_doctor.k8s import schedule

    schedule._zones.cache_clear()
    listed = mocker.spy(zoneinfo, "available_timezones")
    for index in range(20):
        assert "timezone-invalid" not in ids(cronjob(name=f"c{index}", spec={"timeZone": "Europe/Berlin"}))
    assert "timezone-invalid" in ids(cronjob(spec={"timeZone": "Mars/Olympus"}))
    assert listed.call_count == 1
