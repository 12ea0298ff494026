"""The node `sandbox-node-1`: binds pods (as default-scheduler), pulls images, runs containers by playing their
scenario plans, writes pod status and events the way the kubelet does, and kills containers over their limit.

Only the kubelet writes pod status and container logs. It never creates or deletes pods on its own account,
except removing a pod whose graceful deletion it has finished.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import secrets as pysecrets
import threading
import time
from typing import TYPE_CHECKING, Any

from cronjob_doctor.k8s.quantity import parse_bytes

from . import events, scenarios
from .containers import ContainerRun, PodRun, pod_status, resolve_env
from .store import NotFoundError, Obj, WatchEvent, now_rfc3339

if TYPE_CHECKING:
    from .cluster import Cluster

NODE = events.NODE_NAME
_PULL_SECONDS = 1.9
_GRACE_DEFAULT = 30


class Kubelet:
    """Runs every pod bound to the node; state per pod lives in PodRun, status is rebuilt from it."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.store = cluster.store
        self.logs = cluster.logs
        self._runs: dict[tuple[str, str], PodRun] = {}
        self._lock = threading.Lock()  # guards _runs for pod_metrics, called from server threads
        self._images: set[str] = set()
        self._attempts: dict[tuple[str, str], int] = {}
        self._ips = itertools.count(12)

    # -- events from the store -----------------------------------------------------------------------------

    def on_pod(self, event: WatchEvent) -> None:
        pod = event.object
        meta = pod["metadata"]
        key = (meta.get("namespace", ""), meta["name"])
        run = self._runs.get(key)
        if event.type == "DELETED":
            if run is not None and run.uid == meta.get("uid"):
                run.cancel_timers()
                with self._lock:
                    self._runs.pop(key, None)
            return
        if run is not None and run.uid != meta.get("uid"):
            run.cancel_timers()  # the name was reused by a new pod
            run = None
        phase = (pod.get("status") or {}).get("phase")
        if run is None:
            if phase in ("Succeeded", "Failed"):
                if meta.get("deletionTimestamp"):
                    self._remove(key, meta.get("uid", ""))
                return
            if not pod.get("spec", {}).get("nodeName"):
                if meta.get("deletionTimestamp"):
                    self._remove(key, meta.get("uid", ""))  # never scheduled: nothing to stop
                elif not pod.get("spec", {}).get("schedulingGates"):
                    self.cluster.after(0.2, lambda: self._bind(key, meta.get("uid", "")))
                return
            run = self._admit(pod)
        if meta.get("deletionTimestamp") and not run.deleting:
            self._kill(run, pod)

    # -- scheduling and admission --------------------------------------------------------------------------

    def _bind(self, key: tuple[str, str], uid: str) -> None:
        pod = self.store.find("pods", *key)
        if pod is None or pod["metadata"].get("uid") != uid or pod["spec"].get("nodeName"):
            return

        def bind(p: Obj) -> None:
            p["spec"]["nodeName"] = NODE
            status = p.setdefault("status", {})
            status.setdefault("phase", "Pending")
            status["conditions"] = [
                {"type": "PodScheduled", "status": "True", "lastProbeTime": None, "lastTransitionTime": now_rfc3339()}
            ]

        bound = self.store.mutate("pods", *key, bind)
        events.record(self.store, bound, reason="Scheduled", component="default-scheduler",
                      message=f"Successfully assigned {key[0]}/{key[1]} to {NODE}")

    def _admit(self, pod: Obj) -> PodRun:
        meta, spec = pod["metadata"], pod["spec"]
        scenario = scenarios.choose(pod)
        target = scenarios.target_container(pod)
        run = PodRun(
            namespace=meta.get("namespace", ""), name=meta["name"], uid=meta.get("uid", ""), scenario=scenario,
            restart_policy=spec.get("restartPolicy", "Always"), pod_ip=f"10.42.0.{next(self._ips) % 250 + 2}",
            init=[ContainerRun(c, init=True, target=False) for c in spec.get("initContainers") or []],
            main=[ContainerRun(c, init=False, target=c["name"] == target) for c in spec.get("containers", [])],
            created=time.monotonic(),
        )
        run.conditions_from(pod)
        with self._lock:
            self._runs[(run.namespace, run.name)] = run
        self.cluster.after(0.3, lambda: self._begin(run))
        return run

    def _begin(self, run: PodRun) -> None:
        if run.stopped:
            return
        run.start_time = now_rfc3339()
        run.set_condition("PodReadyToStartContainers", "True")
        self._write(run)
        self._next_phase(run)

    def _next_phase(self, run: PodRun) -> None:
        """Init containers one at a time, in order; then every app container at once."""
        pending_init = [c for c in run.init if not c.succeeded]
        if pending_init:
            if not pending_init[0].active:
                self._start(run, pending_init[0])
            return
        for container in run.main:
            if not container.active and not container.finished:
                self._start(run, container)

    # -- one container instance ----------------------------------------------------------------------------

    def _start(self, run: PodRun, c: ContainerRun) -> None:
        c.active = True
        image = str(c.spec.get("image", ""))
        path = c.field_path
        if not scenarios.valid_reference(image):
            # The kubelet cannot even name the image: InvalidImageName, and it never tries again.
            message = (f'Failed to apply default image tag "{image}": couldn\'t parse image name "{image}": '
                       "invalid reference format")
            self._event(run, "InspectFailed", message, path, warning=True)
            self._event(run, "Failed", "Error: InvalidImageName", path, warning=True)
            c.waiting = ("InvalidImageName", message)
            self._write(run)
            return
        error = scenarios.image_pull_error(run.scenario if c.target else "success", image)
        policy = c.spec.get("imagePullPolicy", "IfNotPresent")
        pod = self._pod(run)
        if pod is None:
            return
        if error is None and image in self._images and policy != "Always":
            self._event(run, "Pulled", f'Container image "{image}" already present on machine', path)
            self._create(run, c)
            return
        self._event(run, "Pulling", f'Pulling image "{image}"', path)

        def pulled() -> None:
            if run.stopped:
                return
            if error is not None:
                self._pull_failed(run, c, image, error)
                return
            self._images.add(image)
            size = 3_000_000 + int(hashlib.sha256(image.encode()).hexdigest()[:6], 16)
            self._event(run, "Pulled", f'Successfully pulled image "{image}" in {_PULL_SECONDS}s '
                        f"({_PULL_SECONDS}s including waiting). Image size: {size} bytes.", path)
            self._create(run, c)

        run.timers.append(self.cluster.after(_PULL_SECONDS, pulled))

    def _pull_failed(self, run: PodRun, c: ContainerRun, image: str, error: str) -> None:
        path = c.field_path
        self._event(run, "Failed", f'Failed to pull image "{image}": {error}', path, warning=True)
        self._event(run, "Failed", "Error: ErrImagePull", path, warning=True)
        c.waiting = ("ErrImagePull", error)
        self._write(run)
        # The kubelet backs off image pulls 10s, 20s, 40s ... up to 300s, and keeps trying forever.
        delay = min(300.0, 10.0 * 2 ** c.pull_failures)
        c.pull_failures += 1

        def back_off() -> None:
            if run.stopped:
                return
            self._event(run, "BackOff", f'Back-off pulling image "{image}"', path)
            self._event(run, "Failed", "Error: ImagePullBackOff", path, warning=True)
            c.waiting = ("ImagePullBackOff", f'Back-off pulling image "{image}": ErrImagePull: {error}')
            self._write(run)
            run.timers.append(self.cluster.after(delay, lambda: self._retry_pull(run, c)))

        run.timers.append(self.cluster.after(1.0, back_off))

    def _retry_pull(self, run: PodRun, c: ContainerRun) -> None:
        if not run.stopped:
            c.active = False
            self._start(run, c)

    def _create(self, run: PodRun, c: ContainerRun) -> None:
        env, missing = resolve_env(self.store, run.namespace, c.spec)
        if missing:
            # CreateContainerConfigError: the kubelet retries on its next sync.
            c.waiting = ("CreateContainerConfigError", missing)
            self._event(run, "Failed", f"Error: {missing}", c.field_path, warning=True)
            self._write(run)
            run.timers.append(self.cluster.after(10.0, lambda: self._retry_pull(run, c)))
            return
        pod = self._pod(run)
        if pod is None:
            return
        self._images.add(str(c.spec.get("image", "")))
        c.new_instance(pysecrets.token_hex(32))
        self._event(run, "Created", f"Created container: {c.name}", c.field_path)
        self.logs.start_instance(run.namespace, run.name, c.name)
        self._event(run, "Started", f"Started container {c.name}", c.field_path)
        attempt_key = (run.namespace, self._series(pod))
        attempt = self._attempts.get(attempt_key, 0)
        if c.target:
            self._attempts[attempt_key] = attempt + 1
        plan = scenarios.plan(
            scenario=run.scenario if c.target else "success", container=c.spec, env=env,
            namespace=run.namespace, service_account=pod["spec"].get("serviceAccountName", "default"),
            attempt=attempt,
        )
        limit = (c.spec.get("resources") or {}).get("limits", {}).get("memory")
        c.limit = parse_bytes(limit) if limit else None
        c.timeline = list(plan.steps)
        c.exit_code = plan.exit_code
        c.sampler = plan.sampler
        c.sampler_token = plan.sampler_token
        c.t0 = time.monotonic()
        self._write(run)
        self._tick(run, c, c.instance)

    def _tick(self, run: PodRun, c: ContainerRun, instance: int) -> None:
        """Play every step that is due; OOM-kill the moment memory passes the limit."""
        if run.stopped or c.instance != instance or not c.running:
            return
        elapsed = self.cluster.sim_elapsed(c.t0)
        while c.position < len(c.timeline) and c.timeline[c.position].at <= elapsed:
            step = c.timeline[c.position]
            c.position += 1
            c.memory = step.memory
            c.peak = max(c.peak, step.memory)
            if c.limit is not None and step.memory > c.limit:
                self._oom(run, c)
                return
            if c.sampler and step.at >= c.next_sample:
                c.next_sample = int(step.at) + 1
                self.logs.append(run.namespace, run.name, c.name, c.sampler_line())
            if step.line is not None:
                self.logs.append(run.namespace, run.name, c.name, step.line)
        if c.position < len(c.timeline):
            due = c.timeline[c.position].at
            if c.sampler:
                due = min(due, c.next_sample)
                if c.next_sample <= elapsed:
                    c.next_sample += 1
                    self.logs.append(run.namespace, run.name, c.name, c.sampler_line())
        elif c.exit_code is None:
            if not c.sampler:
                return  # hung and silent until something kills it
            if c.next_sample <= elapsed:
                c.next_sample = int(elapsed) + 1
                self.logs.append(run.namespace, run.name, c.name, c.sampler_line())
            due = c.next_sample
        else:
            code = c.exit_code
            self._terminated(run, c, code, "Completed" if code == 0 else "Error")
            return
        delay = max(0.0, due - self.cluster.sim_elapsed(c.t0))
        run.timers.append(self.cluster.after(delay, lambda: self._tick(run, c, instance)))

    def _oom(self, run: PodRun, c: ContainerRun) -> None:
        # No Pod event exists for a container OOM kill; with cgroup v2 the kubelet's OOM watcher reports each
        # kernel OOM kill as a Node SystemOOM event, and the container's terminated reason is the evidence.
        node = self.store.find("nodes", "", NODE)
        if node is not None:
            events.record(self.store, node, reason="SystemOOM", component="kubelet", type="Warning",
                          message="System OOM encountered, victim process: curl, pid: 4242")
        self._terminated(run, c, 137, "OOMKilled")

    def _terminated(self, run: PodRun, c: ContainerRun, code: int, reason: str) -> None:
        c.terminate(code, reason)
        self.logs.finish(run.namespace, run.name, c.name)
        if run.deleting:
            self._write(run)
            self._maybe_remove(run)
            return
        restart = run.restart_policy == "Always" or (run.restart_policy == "OnFailure" and code != 0)
        if c.init and code != 0 and run.restart_policy == "Never":
            run.finish_all()
        if restart and not run.finished:
            # CrashLoopBackOff: the kubelet waits 10s, 20s, 40s ... (max 300s) before the next instance.
            delay = min(300.0, 10.0 * 2 ** c.restarts)
            pod_ref = f"{run.name}_{run.namespace}({run.uid})"
            c.finished = False
            c.waiting = ("CrashLoopBackOff", f"back-off {int(delay)}s restarting failed container={c.name} "
                         f"pod={pod_ref}")
            self._write(run)
            self._event(run, "BackOff", f"Back-off restarting failed container {c.name} in pod {pod_ref}",
                        c.field_path, warning=True)
            c.restarts += 1
            run.timers.append(self.cluster.after(delay, lambda: self._restart(run, c)))
            return
        self._write(run)
        self._next_phase(run)

    def _restart(self, run: PodRun, c: ContainerRun) -> None:
        if not run.stopped and not run.deleting:
            c.active = False
            self._start(run, c)

    # -- deletion ------------------------------------------------------------------------------------------

    def _kill(self, run: PodRun, pod: Obj) -> None:
        """Graceful deletion: SIGTERM, then SIGKILL after the grace period (a shell as PID 1 ignores SIGTERM)."""
        run.deleting = True
        run.cancel_timers()
        grace = pod["metadata"].get("deletionGracePeriodSeconds")
        if grace is None:
            grace = pod["spec"].get("terminationGracePeriodSeconds", _GRACE_DEFAULT)
        running = [c for c in run.init + run.main if c.running]
        for c in running:
            self._event(run, "Killing", f"Stopping container {c.name}", c.field_path)
        for c in run.init + run.main:
            if not c.running:
                c.waiting = None

        def sigkill() -> None:
            for c in running:
                if c.running:
                    self._terminated(run, c, 137, "Error")
            self._maybe_remove(run)

        if running:
            run.timers.append(self.cluster.after(float(grace), sigkill))
        else:
            self._maybe_remove(run)

    def _maybe_remove(self, run: PodRun) -> None:
        if any(c.running for c in run.init + run.main):
            return
        run.finish_all()
        self._write(run)
        self._remove((run.namespace, run.name), run.uid)

    def _remove(self, key: tuple[str, str], uid: str) -> None:
        pod = self.store.find("pods", *key)
        if pod is not None and pod["metadata"].get("uid") == uid:
            with contextlib.suppress(NotFoundError):
                self.store.delete("pods", *key)

    # -- status, events, metrics ---------------------------------------------------------------------------

    def _pod(self, run: PodRun) -> Obj | None:
        pod = self.store.find("pods", run.namespace, run.name)
        if pod is None or pod["metadata"].get("uid") != run.uid:
            run.stopped = True
            run.cancel_timers()
            return None
        return pod

    def _write(self, run: PodRun) -> None:
        try:
            self.store.mutate("pods", run.namespace, run.name, lambda p: p.__setitem__("status", pod_status(p, run)))
        except NotFoundError:
            run.stopped = True
            run.cancel_timers()

    def _event(self, run: PodRun, reason: str, message: str, path: str, *, warning: bool = False) -> None:
        pod = self._pod(run)
        if pod is not None:
            events.record(self.store, pod, reason=reason, message=message, component="kubelet",
                          type="Warning" if warning else "Normal", field_path=path)

    def _series(self, pod: Obj) -> str:
        """What `flaky` alternates over: the owning CronJob, the debug Job's source, else the Job or pod."""
        labels = pod["metadata"].get("labels") or {}
        job_name = str(labels.get("batch.kubernetes.io/job-name") or labels.get("job-name") or "")
        if not job_name:
            return str(pod["metadata"]["name"])
        job = self.store.find("jobs", pod["metadata"].get("namespace", ""), job_name)
        if job is None:
            return job_name
        for ref in job["metadata"].get("ownerReferences") or []:
            if ref.get("kind") == "CronJob":
                return str(ref.get("name"))
        return str((job["metadata"].get("labels") or {}).get("cronjob-doctor/source", job_name))

    def metrics(self, namespace: str, name: str) -> dict[str, Any] | None:
        with self._lock:
            run = self._runs.get((namespace, name))
        if run is None or run.stopped or not any(c.running for c in run.init + run.main):
            return None
        stamp = now_rfc3339()
        return {
            "kind": "PodMetrics",
            "apiVersion": "metrics.k8s.io/v1beta1",
            "metadata": {"name": name, "namespace": namespace, "creationTimestamp": stamp},
            "timestamp": stamp,
            "window": "10s",
            "containers": [
                {"name": c.name, "usage": {"cpu": f"{3 + c.position % 40}m", "memory": f"{c.memory // 1024}Ki"}}
                for c in run.init + run.main
                if c.running
            ],
        }
