"""The `config` family: the spec or image lacks what the container needs, or the command is wrong. Details:
missing-secret, missing-configmap, missing-key, missing-serviceaccount, admission, create-container-config,
command-not-found, not-executable, exec-format, start-error, bad-args, missing-env, missing-file, missing-module,
missing-kubeconfig, liveness-probe (a probe's SIGKILL, not an OOM). Evidence: waiting and termination reasons and
messages first, then events, then log signatures.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from cronjob_doctor.bundle import Bundle
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
from cronjob_doctor.rules.base import Evidence, Finding
from cronjob_doctor.rules.facts import Facts, Match, facts_of

_SECRET = re.compile(r"secrets? \"(?P<name>[^\"]{1,253})\" not found")
_CONFIGMAP = re.compile(r"configmaps? \"(?P<name>[^\"]{1,253})\" not found")
_KEY = re.compile(r"couldn't find key (?P<key>\S{1,253}) in (?P<kind>Secret|ConfigMap) (?P<ref>\S{1,253})")
_NOT_IN_PATH = re.compile(r"exec: \"(?P<cmd>[^\"]{1,300})\": executable file not found in \$PATH")
_EXEC_DENIED = re.compile(r"exec:? \\?\"?(?P<path>[^\s\"\\]{1,300})\\?\"?: permission denied", re.IGNORECASE)
_NO_SUCH_FILE = re.compile(r"exec:? \"?(?P<path>[^\s\"]{1,300})\"?: no such file or directory", re.IGNORECASE)
_NON_ROOT = re.compile(r"runAsNonRoot and image (?:will run as root|has non-numeric user)")
# The API refused to create the Job's pod for its spec (not for quota: that is scheduling).
_ADMISSION = re.compile(r"violates PodSecurity|admission webhook \S{1,200} denied the request|"
                        r"serviceaccount \"[^\"]{1,253}\" not found|no PriorityClass with name")

_FIX = {
    "not-executable": "the file the container runs is not executable: `chmod +x` it in the image (RUN chmod +x ... in "
                      "the Dockerfile, or `git update-index --chmod=+x`), or run it through its interpreter "
                      "(`sh /path/script.sh`); a volume mounted with defaultMode without the x bit has the same effect",
    "bad-args": "the command was given arguments it does not accept: fix the CronJob's command/args (a missing "
                "subcommand, a renamed or removed flag after an image upgrade); run the image with --help to check",
    "missing-env": "the script needs a variable that is not set: add it to the container's env (or envFrom a "
                   "ConfigMap/Secret), or give it a default (${VAR:-default})",
    "missing-file": "a configuration file the command reads is not where it looks: check the volume (ConfigMap or "
                    "Secret) is mounted at that path and has that key (items/subPath), or fix the path",
    "missing-module": "a module or class the program imports is not in the image: install it in the image (the "
                      "requirements/lock file, the classpath), and check the image tag matches the code",
    "missing-kubeconfig": "kubectl in the pod has no credentials: let it use the pod's ServiceAccount (do not set "
                          "automountServiceAccountToken: false; an image whose kubectl reads the in-cluster config, "
                          "or KUBERNETES_SERVICE_HOST/PORT present), or mount a kubeconfig and point KUBECONFIG at it",
}


def classify(text: str) -> tuple[str, str, str] | None:
    """(detail, what, fix) for a kubelet or runtime message about a container it could not create or start."""
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
                f"create ConfigMap {configmap.group('name')} in the CronJob's namespace (or fix the name); if the "
                f"CronJob or a Helm hook runs before it is created, order them")
    path = _NOT_IN_PATH.search(text)
    if path:
        return ("command-not-found", f"`{path.group('cmd')}` is not in the image's $PATH",
                f"use an image that contains `{path.group('cmd')}`, or call it by its full path")
    denied = _EXEC_DENIED.search(text)
    if denied:
        return ("not-executable", f"`{denied.group('path')}` is not executable", _FIX["not-executable"])
    missing = _NO_SUCH_FILE.search(text)
    if missing:
        return ("command-not-found", f"`{missing.group('path')}` does not exist in the image (or its interpreter, "
                                     "named on its #! line, does not)",
                "fix the command's path, or the script's #! line (and its line endings: CRLF breaks it)")
    if "exec format error" in text:
        return ("exec-format", "the binary was built for another CPU architecture (exec format error)",
                "use an image (or download a binary) for the node's architecture (kubectl get node -o "
                "jsonpath='{.items[*].status.nodeInfo.architecture}')")
    if _NON_ROOT.search(text):
        return ("create-container-config", "the pod requires a non-root user (runAsNonRoot) and the image runs as "
                                           "root (or names its user by name)",
                "set securityContext.runAsUser (and runAsGroup) to a non-zero UID the image works with, or use an "
                "image whose USER is numeric and non-root")
    return None


def _fix_for(match: Match) -> str:
    detail = match.signature.detail or ""
    if detail in _FIX:
        return _FIX[detail]
    if detail == "exec-format":
        found = classify("exec format error")
        return found[2] if found else ""
    command = match.groups.get("command")
    name = f"`{command}`" if command else "the command"
    return (f"{name} is not in the image: install it in the image (or earlier in the script, checking that step "
            f"succeeded) or call it by its full path")


def fixes(match: Match, facts: Facts, bundle: Bundle) -> list[str]:
    """What to change for a config failure shown by a log line."""
    return [_fix_for(match)]


def _log_finding(facts: Facts) -> Finding | None:
    matches = family_matches(facts, "config")
    exec_denied = [m for m in matches if m.signature.id == "sh-not-executable"]
    if exec_denied and not any(t.exit_code == 126 for t in facts.failed_terminations()):
        matches = [m for m in matches if m.signature.id != "sh-not-executable"]  # a redirect: permission's
    if not matches or not facts.workload_failed():
        return None
    match = decisive(facts, matches)
    step = step_for(facts, match)
    evidence = [match_evidence(match)]
    if step is not None:
        evidence.append(trace_evidence(step))
    evidence += [term_evidence(t) for t in facts.failed_terminations()[:1]]
    command = match.groups.get("command") or match.groups.get("path") or match.groups.get("var")
    # `mc: not found` after a failed download is the download's fault: the network error comes first.
    earlier = [m for m in facts.job_matches() if m.signature.verdict == "network" and m.log_key == match.log_key
               and m.number < match.number]
    confidence = 0.55 if earlier else log_confidence(facts, match, failed=True)
    if match.signature.id == "sh-not-executable":
        confidence = max(confidence, 0.85)  # with exit 126: the shell could not execute the file
    return Finding(verdict="config", detail=match.signature.detail, confidence=min(confidence, 0.9),
                   summary=f"{match.signature.label}{' (' + command + ')' if command else ''}{during(step)}",
                   evidence=tuple(evidence), remediation=(_fix_for(match),))


class ConfigRule:
    id = "config"

    def evaluate(self, bundle: Bundle) -> Iterable[Finding]:
        facts = facts_of(bundle)
        # 1. The kubelet could not build the container: the waiting reason and its message say what is missing.
        for wait in facts.waiting:
            if wait.reason in ("CreateContainerConfigError", "CreateContainerError", "RunContainerError"):
                fallback = "start-error" if wait.reason == "RunContainerError" else "create-container-config"
                found = classify(wait.message) or (fallback, wait.message or wait.reason,
                                                   "fix the container spec the message names")
                yield Finding(verdict="config", detail=found[0], confidence=0.95,
                              summary=f"the container could not be created: {found[1]}",
                              evidence=(Evidence("pods.json", wait.describe()),), remediation=(found[2],))
                return
        # 2. The runtime could not start the process (StartError / ContainerCannotRun, exit 126/127/128).
        for term in facts.failed_terminations():
            message = term.message or ""
            if term.reason in ("StartError", "ContainerCannotRun") or (
                term.exit_code in (126, 127, 128) and ("not found" in message or "permission denied" in message)
            ):
                found = classify(message) or ("start-error", message or term.reason or "start error",
                                              "fix the container command or image")
                yield Finding(verdict="config", detail=found[0], confidence=0.95,
                              summary=f"the container could not start: {found[1]}",
                              evidence=(term_evidence(term),), remediation=(found[2],))
                return
        # 3. The API refused the pod: Pod Security admission, a policy webhook, a missing ServiceAccount.
        refused = [e for e in facts.events if e.reason == "FailedCreate" and _ADMISSION.search(e.message)]
        if refused:
            event = refused[-1]
            missing_sa = "serviceaccount" in event.message and "not found" in event.message
            yield Finding(
                verdict="config", detail="missing-serviceaccount" if missing_sa else "admission", confidence=0.92,
                summary=f"the Job could not create its pod: {event.message[:240]}",
                evidence=(Evidence(event.source, event.describe()),),
                remediation=("create the ServiceAccount the pod template names, or fix serviceAccountName"
                             if missing_sa else
                             "change the pod template to satisfy the policy the message names (Pod Security: "
                             "runAsNonRoot, drop capabilities, seccompProfile RuntimeDefault, no privilege "
                             "escalation), or get an exception for the namespace",),
            )
            return
        # 4. Volumes that never mounted because a Secret, ConfigMap or key is missing.
        for event in facts.events_with("FailedMount"):
            mount = classify(event.message)
            if mount:
                yield Finding(verdict="config", detail=mount[0], confidence=0.9,
                              summary=f"a volume could not be mounted: {mount[1]}",
                              evidence=(Evidence(event.source, event.describe()),), remediation=(mount[2],))
                return
        # 5. A liveness probe on a batch container: the kubelet kills it (137), which looks like a crash or an OOM.
        probes = [e for e in facts.events if e.reason == "Unhealthy" and "liveness probe failed" in e.message.lower()]
        kills = [e for e in facts.events if e.reason == "Killing" and "liveness probe" in e.message.lower()]
        killed = [t for t in facts.terminations if t.exit_code in (137, 143) and t.reason != "OOMKilled"]
        if (kills and (killed or facts.failed_terminations())) or (probes and (kills or killed)):
            evidence = [Evidence(e.source, e.describe()) for e in (probes[-1:] + kills[-1:])]
            evidence += [term_evidence(t) for t in (killed or facts.failed_terminations())[:1]]
            step = facts.last_trace()
            yield Finding(
                verdict="config", detail="liveness-probe", confidence=0.92,
                summary=f"the liveness probe failed and the kubelet killed the container (SIGKILL, exit 137; "
                        f"not an OOM: OOMKilled is not set){during(step)}",
                evidence=tuple(evidence),
                remediation=("remove the livenessProbe from the CronJob's container (a batch job has nothing to "
                             "restart into), or make it tolerate the job's busy phases (initialDelaySeconds, "
                             "timeoutSeconds, failureThreshold); use activeDeadlineSeconds to bound the run",),
            )
            return
        # 6. Log texts: the shell could not find or execute a command, the arguments or the environment are wrong.
        found_log = _log_finding(facts)
        if found_log is not None:
            yield found_log
            return
        # 7. Exit 126 without a message: the file was found but could not be executed.
        for term in facts.failed_terminations():
            if term.exit_code == 126 and not term.init:
                yield Finding(verdict="config", detail="not-executable", confidence=0.7,
                              summary=f"container {term.container} exited 126: a command was found but could not "
                                      "be executed (missing x bit, or a directory)",
                              evidence=(term_evidence(term),), remediation=(_FIX["not-executable"],))
                return
