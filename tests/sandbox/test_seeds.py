"""Seeds load and are consistent with what the real controllers would have left behind."""

from __future__ import annotations

import base64
import time
from datetime import datetime, timezone

from cronjob_doctor_sandbox import scenarios, seeds
from cronjob_doctor_sandbox.store import Store


def _ts(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()


def test_incident_jobs_decode_to_their_start_times_and_failed_pods_are_gone() -> None:
    store = Store()
    seeds.apply(store, "incident")
    cronjob = store.get("cronjobs", "tofu-state", "tf-state-backup")
    jobs = {j["metadata"]["name"]: j for j in store.list("jobs", "tofu-state")[0]}
    assert sorted(jobs) == [f"tf-state-backup-{m}" for m, _ in seeds.INCIDENT_RUNS]
    for minutes, outcome in seeds.INCIDENT_RUNS:
        job = jobs[f"tf-state-backup-{minutes}"]
        scheduled = job["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"]
        assert _ts(scheduled) == minutes * 60
        assert 0 <= _ts(job["status"]["startTime"]) - minutes * 60 < 60
        assert job["metadata"]["ownerReferences"][0]["uid"] == cronjob["metadata"]["uid"]
        types = [c["type"] for c in job["status"]["conditions"]]
        assert types == (["SuccessCriteriaMet", "Complete"] if outcome == "Complete" else ["FailureTarget", "Failed"])
        assert ("completionTime" in job["status"]) == (outcome == "Complete")
    assert store.list("pods", "tofu-state")[0] == []
    assert cronjob["spec"]["schedule"] == "0 8 * * *"
    assert _ts(cronjob["status"]["lastScheduleTime"]) == seeds.INCIDENT_RUNS[-1][0] * 60
    container = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"] == {"limits": {"memory": "128Mi"}, "requests": {"cpu": "50m", "memory": "64Mi"}}
    secret = store.get("secrets", "tofu-state", "tf-backup-s3-creds")
    assert base64.b64decode(secret["data"]["access-key"]).decode() == "tf-backup"


def test_every_scenario_has_an_annotated_cronjob() -> None:
    store = Store()
    seeds.apply(store, "incident")
    found = {(cj["metadata"].get("annotations") or {}).get(scenarios.SCENARIO_ANNOTATION)
             for cj in store.list("cronjobs")[0]}
    assert set(scenarios.SCENARIOS) - {"oom-under-limit"} <= found
    policy = store.get("networkpolicies", "netpol", "restrict-egress")
    assert policy["spec"]["podSelector"]["matchLabels"] == {"app": "minio-sync"}


def test_empty_seed_has_the_node() -> None:
    store = Store()
    seeds.apply(store, "empty")
    assert store.get("nodes", "", "sandbox-node-1")["status"]["nodeInfo"]["kubeletVersion"].startswith("v1.")


def test_generate_large_is_fast_and_consistent() -> None:
    store = Store()
    started = time.monotonic()
    seeds.generate_large(store, namespaces=10, cronjobs_per_ns=5, jobs_per_cronjob=4, pods=50)
    assert time.monotonic() - started < 5
    assert store.count("cronjobs") == 50 and store.count("jobs") == 200 and store.count("pods") == 50
