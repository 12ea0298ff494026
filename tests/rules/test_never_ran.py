"""Pods that never ran or were lost: volumes that cannot attach or mount, sandbox creation failures, containers
whose state is unknown after their node was lost."""

from __future__ import annotations

from tests.builders import condition, container, event, job, pod, terminated, waiting
from tests.rules._bundles import FAILED, answer, verdict_of

CREATING = container("backup", waiting("ContainerCreating"))
PENDING = job()


def test_multi_attach_is_scheduling_volume_with_the_rwo_fix() -> None:
    ev = [event("FailedAttachVolume", 'Multi-Attach error for volume "pvc-1" Volume is already used by pod(s) other-0',
                component="attachdetach-controller")]
    got = verdict_of(pod(CREATING, phase="Pending"), job_=PENDING, events=ev)
    assert (got.verdict, got.detail) == ("scheduling", "volume")
    assert "ReadWriteOnce" in got.remediation[0]


def test_a_node_denied_volumeattachments_in_a_mount_event_is_volume_not_rbac() -> None:
    ev = [event("FailedMount", 'MountVolume.WaitForAttach failed for volume "pvc-1" : User "system:node:n1" cannot '
                               'get resource "volumeattachments" in API group "storage.k8s.io"'),
          event("FailedMount", "Unable to attach or mount volumes: unmounted volumes=[data], unattached "
                               "volumes=[data]: timed out waiting for the condition")]
    assert answer(pod(CREATING, phase="Pending"), job_=PENDING, events=ev) == ("scheduling", "volume")


def test_a_mount_of_a_missing_configmap_is_config() -> None:
    ev = [event("FailedMount", 'MountVolume.SetUp failed for volume "cfg" : configmap "app-config" not found')]
    assert answer(pod(CREATING, phase="Pending"), job_=PENDING, events=ev) == ("config", "missing-configmap")


def test_an_unbound_pvc_is_scheduling_volume() -> None:
    conds = [condition("PodScheduled", "False", "Unschedulable",
                       "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims.")]
    ev = [event("FailedScheduling", "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims.")]
    got = verdict_of(pod(container("backup", waiting("ContainerCreating")), phase="Pending", conditions=conds),
                     job_=PENDING, events=ev)
    assert (got.verdict, got.detail) == ("scheduling", "volume")


def test_sandbox_creation_failure_is_scheduling_sandbox() -> None:
    ev = [event("FailedCreatePodSandBox", 'Failed to create pod sandbox: rpc error: code = Unknown desc = failed to '
                                          'setup network for sandbox "abc": plugin type="calico" failed (add): '
                                          "stat /var/lib/calico/nodename: no such file or directory")]
    got = verdict_of(pod(CREATING, phase="Pending"), job_=PENDING, events=ev)
    assert (got.verdict, got.detail) == ("scheduling", "sandbox")
    assert "CNI" in got.remediation[0]


def test_container_status_unknown_is_the_node_lost() -> None:
    lost = container("backup", terminated(reason="ContainerStatusUnknown", exit_code=137,
                                          message="The container could not be located when the pod was terminated"))
    got = verdict_of(pod(lost), job_=FAILED)
    assert (got.verdict, got.detail) == ("eviction", "node-lost")


def test_pod_phase_unknown_is_the_node_lost() -> None:
    assert answer(pod(container("backup"), phase="Unknown"), job_=PENDING) == ("eviction", "node-lost")


def test_node_shutdown_rejection_is_node_shutdown() -> None:
    p = pod(container("backup", terminated(exit_code=143)), reason="NodeShutdown",
            message="Pod was rejected as the node is shutting down.")
    assert answer(p, job_=FAILED) == ("eviction", "node-shutdown")


def test_a_started_container_with_an_old_mount_warning_is_not_a_volume_failure() -> None:
    ev = [event("FailedMount", 'MountVolume.SetUp failed for volume "data" : rpc error: code = DeadlineExceeded')]
    got = verdict_of(pod(container("backup", terminated(exit_code=1))), job_=FAILED, events=ev,
                     logs={"backup": "Traceback (most recent call last):\nKeyError: 'x'\n"})
    assert got.verdict != "scheduling"


def test_a_limit_range_refusal_is_quota_not_rbac() -> None:
    ev = [event("FailedCreate", 'Error creating: pods "x" is forbidden: maximum memory usage per Container is 1Gi, '
                                "but limit is 2Gi", kind="Job", name="tf-state-backup-29565120",
                component="job-controller")]
    assert answer(job_=PENDING, events=ev) == ("scheduling", "quota")


def test_a_pod_the_kubelet_rejected_at_admission_never_ran() -> None:
    p = pod(container("backup", waiting("ContainerCreating")), reason="OutOfcpu",
            message="Pod Node didn't have enough resource: cpu, requested: 500, used: 3800, capacity: 4000")
    assert answer(p, job_=FAILED) == ("scheduling", "unschedulable")
