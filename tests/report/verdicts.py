"""Verdicts the report tests render: the incident (OOM at 128Mi, success at 512Mi with a 182Mi peak) and edges."""

from __future__ import annotations

from cronjob_doctor.rules.base import DebugRun, Evidence, Finding, Verdict

MI = 1024**2

OOM_FINDING = Finding(
    verdict="oom",
    confidence=0.95,
    summary="The container was OOMKilled at the 128Mi limit; with 512Mi it succeeded, peaking at 182Mi.",
    evidence=(
        Evidence(
            "pods.json tf-state-backup-doctor-a1b2c-x7k2p/backup",
            "container backup terminated: reason OOMKilled, exit code 137",
        ),
        Evidence(
            "logs/tf-state-backup-doctor-a1b2c-x7k2p/backup.log:41",
            "last command before the kill: + curl -sSL -o /tmp/kubectl "
            "https://dl.k8s.io/release/v1.30.2/bin/linux/amd64/kubectl",
        ),
        Evidence(
            "logs/tf-state-backup-doctor-d3e4f-q9m8n/backup.log",
            "memory peaked at 182Mi against the 512Mi limit (the original limit is 128Mi)",
        ),
    ),
    remediation=(
        (
            "Raise the memory limit to 256Mi (measured peak 182Mi plus headroom):\n"
            "kubectl -n tofu-state patch cronjob tf-state-backup --type=json -p "
            '\'[{"op":"replace","path":"/spec/jobTemplate/spec/template/spec/containers/0/resources/limits/memory",'
            '"value":"256Mi"}]\''
        ),
        (
            "Or bake curl, mc and kubectl into the image instead of downloading them on every run:\n"
            "FROM alpine:3.20\n"
            "RUN apk add --no-cache curl\n"
            "COPY --from=minio/mc:latest /usr/bin/mc /usr/local/bin/mc"
        ),
    ),
)
NETWORK_FINDING = Finding(
    verdict="network",
    confidence=0.4,
    summary="curl downloads from dl.k8s.io and dl.min.io on every run | a slow CDN would also fail the Job.",
)

INCIDENT = Verdict.from_finding(
    OOM_FINDING,
    (OOM_FINDING, NETWORK_FINDING),
    runs=(
        DebugRun(
            job="tf-state-backup-doctor-a1b2c",
            variant="original",
            memory_limit="128Mi",
            outcome="failed",
            reason="OOMKilled",
            exit_code=137,
            duration_seconds=21.4,
            bundle="bundles/tf-state-backup/original-1",
            verdict="oom",
        ),
        DebugRun(
            job="tf-state-backup-doctor-d3e4f",
            variant="512Mi",
            memory_limit="512Mi",
            outcome="succeeded",
            exit_code=0,
            peak_memory_bytes=182 * MI,
            duration_seconds=38.2,
            bundle="bundles/tf-state-backup/512Mi-1",
            verdict="success",
        ),
    ),
    context={
        "target": "tofu-state/tf-state-backup",
        "context": "prod",
        "command": "cronjob-doctor diagnose tofu-state/tf-state-backup --memory original,512Mi",
        "changes": [
            "memory limit 128Mi → 512Mi (512Mi variant)",
            "set -x prepended to the sh -c script of container backup",
            "restartPolicy Never, backoffLimit 0, activeDeadlineSeconds 900",
        ],
        "bundle": "bundles/tf-state-backup",
        "cleanup": "deleted 2 debug Jobs (tf-state-backup-doctor-a1b2c, tf-state-backup-doctor-d3e4f)",
        "original_memory_limit": "128Mi",
    },
)
