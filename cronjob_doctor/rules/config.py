"""The `config` family: the pod spec or image lacks what the container needs: a Secret, ConfigMap or key
(CreateContainerConfigError, FailedMount), an executable (StartError, exit 127/128, `not found`), the right CPU
architecture (exec format error), or a liveness probe that kills a batch container.

Evidence: waiting reasons and termination reasons/messages first, then events, then log signatures.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from cronjob_doctor.bundle import Bundle
from cronjob_doctor.rules._shared import during, match_evidence, step_for, term_evidence, trace_evidence
from cronjob_doctor.rules.base import Evidence, Finding
from cronjob_doctor.rules.facts import facts_of

_SECRET = re.compile(r"secrets? \"(?P<name>[^\"]+)\" not found")
_CONFIGMAP = re.compile(r"configmaps? \"(?P<name>[^\"]+)\" not found")
_KEY = re.compile(r"couldn't find key (?P<key>\S+) in (?P<kind>Secret|ConfigMap) (?P<ref>\S+)")
_NOT_IN_PATH = re.compile(r"exec: \"(?P<cmd>[^\"]+)\": executable file not found in \$PATH")


def _classify(text: str) -> tuple[str, str, str] | None:
    """(detail, what, fix) for a kubelet config error message."""
    key = _KEY.search(text)
    if key:
        return ("missing-key", f"key {key.group('key')} is missing from {key.group('kind')} {key.group('ref')}",
                f"add key {key.group('key')} to {key.group('kind')} {key.group('ref')}, or fix the key name in the "
                f"CronJob's env/volume reference")
    secret = _SECRET.search(text)
    if secret:
        return ("missing-secret", f"Secret {secret.group('name')} does not exist",
                f"create Secret {secret.group('name')} in the CronJob's namespace (or fix the name in the spec)")
    configmap = _CONFIGMAP.search(text)
    if configmap:
        return ("missing-configmap", f"ConfigMap {configmap.group('name')} does not exist",
                f"create ConfigMap {configmap.group('name')} in the CronJob's namespace (or fix the name)")
    path = _NOT_IN_PATH.search(text)
    if path:
        return ("command-not-found", f"`{path.group('cmd')}` is not in the image's $PATH",
                f"use an image that contains `{path.group('cmd')}`, or call it by its full path")
    if "exec format error" in text:
        return ("exec-format", "the binary was built for another CPU architecture (exec format error)",
                "use an image (or download a binary) for the node's architecture (kubectl get node -o "
                "jsonpath='{.items[*].status.nodeInfo.architecture}')")
    return None


class ConfigRule:
    id = "config"

    def evaluate(self, bundle: Bundle) -> Iterable[Finding]:
        facts = facts_of(bundle)
        # 1. The kubelet could not build the container: the waiting reason and its message say what is missing.
        for wait in facts.waiting:
            if wait.reason in ("CreateContainerConfigError", "CreateContainerError", "RunContainerError"):
                found = _classify(wait.message) or ("spec", wait.message or wait.reason,
                                                    "fix the container spec the message names")
                yield Finding(verdict="config", detail=found[0], confidence=0.95,
                              summary=f"the container could not be created: {found[1]}",
                              evidence=(Evidence("pods.json", wait.describe()),), remediation=(found[2],))
                return
        # 2. The runtime could not start the process (StartError / ContainerCannotRun, exit 127/128).
        for term in facts.terminations:
            if term.reason in ("StartError", "ContainerCannotRun") or (
                term.exit_code in (127, 128) and term.message and "not found" in term.message
            ):
                found = _classify(term.message or "") or ("start-error", term.message or term.reason or "start error",
                                                          "fix the container command or image")
                yield Finding(verdict="config", detail=found[0], confidence=0.95,
                              summary=f"the container could not start: {found[1]}",
                              evidence=(term_evidence(term),), remediation=(found[2],))
                return
        # 3. Volumes that never mounted: the pod stays ContainerCreating with FailedMount events.
        for event in facts.events_with("FailedMount"):
            mount = _classify(event.message)
            if mount:
                yield Finding(verdict="config", detail=mount[0], confidence=0.85,
                              summary=f"a volume could not be mounted: {mount[1]}",
                              evidence=(Evidence(event.source, event.describe()),), remediation=(mount[2],))
                return
        # 4. A liveness probe on a batch container: the kubelet kills it (137), which looks like a crash.
        probes = [e for e in facts.events if e.reason == "Unhealthy" and "Liveness probe failed" in e.message]
        kills = [e for e in facts.events if e.reason == "Killing" and "liveness probe" in e.message.lower()]
        if probes and (kills or facts.failed_terminations()):
            evidence = [Evidence(e.source, e.describe()) for e in (probes[-1:] + kills[-1:])]
            evidence += [term_evidence(t) for t in facts.failed_terminations()[:1]]
            step = facts.last_trace()
            yield Finding(
                verdict="config", detail="liveness-probe", confidence=0.9,
                summary=f"the liveness probe failed and the kubelet killed the container (SIGKILL, exit 137; "
                        f"not an OOM){during(step)}",
                evidence=tuple(evidence),
                remediation=("remove the livenessProbe from the CronJob's container (a batch job has nothing to "
                             "restart into), or make it tolerate the job's busy phases (timeoutSeconds, "
                             "failureThreshold); use activeDeadlineSeconds to bound the run",),
            )
            return
        # 5. Log texts: the shell could not find or execute a command.
        matches = [m for m in facts.matches if m.signature.verdict == "config"]
        if matches and facts.workload_failed():
            match = matches[-1]
            step = step_for(facts, match)
            evidence = [match_evidence(match)]
            if step is not None:
                evidence.append(trace_evidence(step))
            evidence += [term_evidence(t) for t in facts.failed_terminations()[:1]]
            command = match.groups.get("command")
            if match.signature.detail == "exec-format":
                fix = _classify("exec format error")
                fixes = (fix[2],) if fix else ()
            else:
                name = f"`{command}`" if command else "the command"
                fixes = (f"{name} is not in the image: install it in the image (or earlier in the script, checking "
                         f"that step succeeded) or call it by its full path",)
            # `mc: not found` after a failed download is the download's fault: the network error comes first.
            earlier = [m for m in facts.matches if m.signature.verdict == "network" and m.log_key == match.log_key
                       and m.number < match.number]
            confidence = 0.55 if earlier else match.signature.weight + 0.05
            yield Finding(verdict="config", detail=match.signature.detail, confidence=confidence,
                          summary=f"{match.signature.label}{' (' + command + ')' if command else ''}{during(step)}",
                          evidence=tuple(evidence), remediation=fixes)
