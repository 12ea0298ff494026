"""What a simulated container does: the lines it prints, the memory it uses and how it ends.

A scenario is chosen per pod (annotation `sandbox.cronjob-doctor.io/scenario`, else inferred from the script)
and replayed over the container's own `sh -c` script command by command, so `set -x` traces, env values and
Secret values appear as a real shell would print them. Plans are pure data; the kubelet plays them on a clock
and alone decides OOM kills (memory above the limit). Nothing here touches the store.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Any

from cronjob_doctor.debugjob import sampler as memory_sampler

from . import shell

SCENARIO_ANNOTATION = "sandbox.cronjob-doctor.io/scenario"
CONTAINER_ANNOTATION = "sandbox.cronjob-doctor.io/container"
SCENARIOS = ("success", "oom-under-limit", "cdn-down", "netpol-blocked", "image-pull", "forbidden", "hang", "flaky")
MINIO_SERVICE_IP = "10.43.12.7"

Mi = 1024 * 1024
_BASE_MEMORY = int(1.3 * Mi)  # busybox sh and the container's share of the page cache at start


@dataclass(frozen=True)
class Step:
    """At `at` simulated seconds after start the container uses `memory` bytes and prints `line` (if any)."""

    at: float
    line: str | None
    memory: int


@dataclass(frozen=True)
class Plan:
    """A container instance's whole life; `exit_code` None means it never ends by itself (a hang)."""

    steps: tuple[Step, ...]
    exit_code: int | None
    sampler: bool
    sampler_token: str = ""
    """The token the script's sampler snippet prints on its lines."""

    @property
    def peak(self) -> int:
        return max((step.memory for step in self.steps), default=_BASE_MEMORY)


def choose(pod: dict[str, Any]) -> str:
    """The pod's scenario: the explicit annotation, else the incident script's signature, else success."""
    explicit = (pod.get("metadata", {}).get("annotations") or {}).get(SCENARIO_ANNOTATION)
    if explicit in SCENARIOS:
        return str(explicit)
    for container in pod.get("spec", {}).get("containers", []):
        script = shell.script_of(container) or ""
        if "apk add" in script and "curl" in script and ("/mc" in script or "kubectl" in script):
            return "oom-under-limit"
    return "success"


def target_container(pod: dict[str, Any]) -> str:
    """The container the scenario applies to; every other container (init, sidecars) succeeds."""
    named = (pod.get("metadata", {}).get("annotations") or {}).get(CONTAINER_ANNOTATION)
    containers = pod.get("spec", {}).get("containers", [])
    return str(named) if named else (containers[0]["name"] if containers else "")


def image_pull_error(scenario: str, image: str) -> str | None:
    """The containerd error for an image that cannot be pulled, or None if the pull succeeds."""
    if scenario != "image-pull":
        return None
    ref = qualified_image(image)
    return (
        f'rpc error: code = NotFound desc = failed to pull and unpack image "{ref}": failed to resolve reference '
        f'"{ref}": {ref}: not found'
    )


_REFERENCE = re.compile(
    r"(?:(?:[a-zA-Z0-9-]+\.)*[a-zA-Z0-9-]+(?::\d+)?/)?"  # registry host[:port]/
    r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"  # lowercase path
    r"(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?"  # :tag, @digest
)


def valid_reference(image: str) -> bool:
    """Whether containerd's reference grammar accepts the image name (an uppercase path does not parse)."""
    return bool(_REFERENCE.fullmatch(image))


def qualified_image(image: str) -> str:
    """docker.io/library/alpine:3.20 for alpine:3.20, as containerd names references."""
    name = image if ":" in image.rsplit("/", 1)[-1] or "@" in image else f"{image}:latest"
    first = name.split("/", 1)[0]
    if "/" not in name:
        return f"docker.io/library/{name}"
    if "." not in first and ":" not in first and first != "localhost":
        return f"docker.io/{name}"
    return name


def plan(
    *,
    scenario: str,
    container: dict[str, Any],
    env: dict[str, str],
    namespace: str,
    service_account: str,
    attempt: int,
) -> Plan:
    """Replay `container`'s script under `scenario`; `attempt` counts earlier runs (flaky alternates on it)."""
    run = _Run(scenario, env, namespace, service_account, attempt, image=str(container.get("image", "")))
    script = shell.script_of(container)
    if script is None:
        run.program(" ".join(str(w) for w in (container.get("command") or []) + (container.get("args") or [])))
    else:
        run.script(script)
    return run.finish()


class _Run:
    """Builds a plan while walking the script: a clock, the memory in use and the lines printed so far."""

    def __init__(self, scenario: str, env: dict[str, str], namespace: str, sa: str, attempt: int, image: str):
        self.scenario, self.env, self.namespace, self.sa = scenario, env, namespace, sa
        self.attempt, self.image = attempt, image
        self.t = 0.0
        self.memory = _BASE_MEMORY
        self.steps: list[Step] = [Step(0.0, None, self.memory)]
        self.exit_code: int | None = 0
        self.ended = False
        self.failure_done = False
        self.sampler = False
        self.sampler_token = ""
        self.rng = random.Random(f"{scenario}/{attempt}")

    # -- building blocks ---------------------------------------------------------------------------------

    def say(self, line: str, after: float = 0.05) -> None:
        self.t += after
        self.steps.append(Step(round(self.t, 3), line, self.memory))

    def grow(self, extra: int, seconds: float) -> None:
        """Use `extra` more bytes, linearly over `seconds` (downloads fill the page cache as they go)."""
        ticks = max(1, int(seconds))
        start = self.memory
        for tick in range(1, ticks + 1):
            self.t += seconds / ticks
            self.memory = start + extra * tick // ticks
            self.steps.append(Step(round(self.t, 3), None, self.memory))

    def fail(self, code: int, *lines: str, after: float = 0.3) -> None:
        for line in lines:
            self.say(line, after)
            after = 0.01
        self.exit_code = code
        self.failure_done = True

    def hang(self) -> None:
        self.exit_code = None
        self.ended = True
        self.failure_done = True

    # -- interpretation ----------------------------------------------------------------------------------

    def script(self, script: str) -> None:
        # The sampler snippet runs beside the script, untraced: the kubelet prints its lines on the clock.
        token, script = memory_sampler.split_instrumented(script)
        if token is not None:
            self.sampler, self.sampler_token = True, token
        trace = False
        errexit = False
        for line in shell.logical_lines(script):
            if self.ended:
                return
            for text in shell.split_commands(line):
                command = shell.parse(text, self.env)
                if command.words[:1] == ("set",):
                    flags = "".join(w for w in command.words[1:] if w.startswith("-"))
                    if trace:
                        self.say(command.trace(), 0.01)
                    trace = trace or "x" in flags
                    errexit = errexit or "e" in flags
                    trace = trace and "+x" not in command.words
                    continue
                if trace:
                    for inner in command.substitutions:
                        self.say(inner.trace(), 0.01)
                    self.say(command.trace(), 0.01)
                self.exit_code = 0
                self.command(command)
                if self.ended or (self.exit_code and errexit):
                    self.ended = True
                    return
        self.ended = True

    def program(self, argv: str) -> None:
        """A non-shell container: no trace, the scenario's failure (if any) at the end."""
        self.grow(4 * Mi, 3)
        self.say(f"{argv.split()[0] if argv else 'app'}: started", 0.2)

    def finish(self) -> Plan:
        if not self.failure_done:
            self._fallback_failure()
        self.t += 0.1
        self.steps.append(Step(round(self.t, 3), None, self.memory))
        return Plan(tuple(self.steps), self.exit_code, self.sampler, self.sampler_token)

    def command(self, command: shell.Command) -> None:
        handler = getattr(self, "_cmd_" + command.name.replace("-", "_"), None)
        if handler is not None:
            handler(command)
        elif command.name == "echo":
            self.say(" ".join(w for w in command.words[1:] if w != "-n"), 0.01) if not command.redirected else None
        else:
            self.t += 0.2

    # -- commands ----------------------------------------------------------------------------------------

    def _cmd_apk(self, command: shell.Command) -> None:
        packages = [w for w in command.words[2:] if not w.startswith("-")]
        version = re.search(r"alpine:(\d+\.\d+)", self.image)
        branch = f"v{version.group(1)}" if version else "v3.20"
        for repo in ("main", "community"):
            self.say(f"fetch https://dl-cdn.alpinelinux.org/alpine/{branch}/{repo}/x86_64/APKINDEX.tar.gz", 1.2)
        self.grow(40 * Mi, 3)  # the package index is parsed in memory
        installs = _APK_CURL if "curl" in packages else [(p, "1.0-r0") for p in packages]
        for index, (name, ver) in enumerate(installs, 1):
            self.say(f"({index}/{len(installs)}) Installing {name} ({ver})", 0.25)
        self.grow(18 * Mi, 1)
        self.say("Executing busybox-1.36.1-r29.trigger", 0.3)
        if "curl" in packages:
            self.say("Executing ca-certificates-20240705-r0.trigger", 0.4)
        self.say(f"OK: {12 + len(installs) // 4} MiB in {14 + len(installs)} packages", 0.2)

    def _cmd_curl(self, command: shell.Command) -> None:
        url = next((w for w in command.words if w.startswith(("http://", "https://"))), "")
        host = re.sub(r"^https?://([^/:]+).*$", r"\1", url)
        flags = "".join(w[1:] for w in command.words[1:] if w.startswith("-") and not w.startswith("--"))
        show_errors = "S" in flags or "s" not in flags
        size, seconds = (40 * Mi, 20) if url.endswith("/mc") else (70 * Mi, 35) if "kubectl" in url else (2 * Mi, 2)
        big = size > 2 * Mi
        if self.scenario == "cdn-down" and not self.failure_done:
            if self.attempt % 2 == 0:
                self.t += 5.0  # the resolver's retries
                self.fail(6, *([f"curl: (6) Could not resolve host: {host}"] if show_errors else []))
            else:
                self.t += 130.0
                msg = f"curl: (28) Failed to connect to {host} port 443 after 130012 ms: Timeout was reached"
                self.fail(28, *([msg] if show_errors else []))
            return
        if self.scenario == "flaky" and self.attempt % 2 == 0 and big and "kubectl" in url and not self.failure_done:
            self.grow(size // 3, seconds / 3)
            self.fail(56, *(["curl: (56) Recv failure: Connection reset by peer"] if show_errors else []))
            return
        if self.scenario == "hang" and big and not self.failure_done:
            self.grow(size // 5, seconds / 5)  # the transfer stalls and curl has no --max-time
            self.hang()
            return
        self.grow(size, seconds)

    def _cmd_mc(self, command: shell.Command) -> None:
        words = [w for w in command.words[1:] if not w.startswith("-")]
        sub = words[:2]
        if self.scenario == "netpol-blocked" and not self.failure_done and sub[:1] in (["alias"], ["cp"], ["mirror"]):
            self.t += 30.0  # the dial times out: the NetworkPolicy drops the packets silently
            if sub == ["alias", "set"]:
                url = words[3] if len(words) > 3 else "http://minio.minio.svc.cluster.local:9000"
                self.fail(1, "mc: <ERROR> Unable to initialize new alias from the provided credentials. "
                          f'Get "{url.rstrip("/")}/probe-bsign-{self.rng.getrandbits(40):010x}/?location=": '
                          f"dial tcp {MINIO_SERVICE_IP}:9000: i/o timeout.")
            else:
                source = words[1] if len(words) > 1 else "/tmp/data"
                self.fail(1, f"mc: <ERROR> Failed to copy `{source}`. Put \"http://{MINIO_SERVICE_IP}:9000/"
                          f"{'/'.join(words[-1:]).split('/', 1)[-1]}\": dial tcp {MINIO_SERVICE_IP}:9000: i/o timeout")
            return
        if sub == ["alias", "set"]:
            self.grow(6 * Mi, 1)
            self.say(f"Added `{words[2] if len(words) > 2 else 'backup'}` successfully.")
        elif sub[:1] in (["cp"], ["mirror"]) and len(words) >= 3:
            self.grow(4 * Mi, 2)
            source, target = words[1], words[-1]
            name = source.rsplit("/", 1)[-1]
            destination = target + name if target.endswith("/") else target
            kib = 30 + self.rng.random() * 20
            self.say(f"`{source}` -> `{destination}`", 0.5)
            self.say(f"Total: {kib:.2f} KiB, Transferred: {kib:.2f} KiB, Speed: {1.5 + self.rng.random():.2f} MiB/s")
        else:
            self.t += 0.5

    def _cmd_kubectl(self, command: shell.Command) -> None:
        words = list(command.words[1:])
        if self.scenario == "forbidden" and not self.failure_done and words[:1] in (["get"], ["create"], ["apply"]):
            resource = words[1] if len(words) > 1 else "secrets"
            verb = "list" if words[0] == "get" and not _names_object(words) else words[0]
            self.fail(1, f'Error from server (Forbidden): {resource} is forbidden: User "system:serviceaccount:'
                      f'{self.namespace}:{self.sa}" cannot {verb} resource "{resource}" in API group "" in the '
                      f'namespace "{self.namespace}"', after=1.0)
            return
        self.grow(8 * Mi, 2)
        if words[:1] == ["get"] and not command.redirected:
            self.say("NAME                       TYPE     DATA   AGE")
            self.say("tfstate-default-state      Opaque   1      187d", 0.01)

    def _cmd_vacuumdb(self, command: shell.Command) -> None:
        database = command.words[-1] if len(command.words) > 1 else "postgres"
        self.say(f'vacuumdb: vacuuming database "{database}"', 0.5)
        if self.scenario == "hang" and not self.failure_done:
            self.grow(12 * Mi, 4)  # waits on a lock forever: no statement_timeout
            self.hang()
            return
        self.grow(12 * Mi, 8)

    def _cmd_sleep(self, command: shell.Command) -> None:
        try:
            self.t += float(command.words[1].rstrip("s")) if len(command.words) > 1 else 0.0
        except ValueError:
            self.t += 1.0

    def _fallback_failure(self) -> None:
        """The scenario's failure when the script has no command it would naturally hit."""
        if self.scenario == "oom-under-limit":
            peak = max(step.memory for step in self.steps)
            if peak < 170 * Mi:  # a script without the incident's downloads still needs ~180Mi at its peak
                self.grow(180 * Mi - self.memory, 30)
        elif self.scenario == "cdn-down":
            self.fail(6, "curl: (6) Could not resolve host: dl.min.io", after=5.0)
        elif self.scenario == "netpol-blocked":
            self.fail(1, f"mc: <ERROR> Unable to list folder. Get \"http://{MINIO_SERVICE_IP}:9000/\": "
                      f"dial tcp {MINIO_SERVICE_IP}:9000: i/o timeout", after=30.0)
        elif self.scenario == "forbidden":
            self.fail(1, f'Error from server (Forbidden): secrets is forbidden: User "system:serviceaccount:'
                      f'{self.namespace}:{self.sa}" cannot list resource "secrets" in API group "" in the '
                      f'namespace "{self.namespace}"', after=1.0)
        elif self.scenario == "hang":
            self.hang()
        elif self.scenario == "flaky" and self.attempt % 2 == 0:
            self.fail(56, "curl: (56) Recv failure: Connection reset by peer", after=8.0)


def _names_object(words: list[str]) -> bool:
    positional = [w for w in words[1:] if not w.startswith("-")]
    return len(positional) > 1 and "-l" not in words


# `apk add --no-cache curl` on alpine:3.20 (x86_64): curl and its nine dependencies.
_APK_CURL = [
    ("ca-certificates", "20240705-r0"),
    ("brotli-libs", "1.1.0-r2"),
    ("c-ares", "1.33.1-r0"),
    ("libunistring", "1.2-r0"),
    ("libidn2", "2.3.7-r0"),
    ("nghttp2-libs", "1.62.1-r0"),
    ("libpsl", "0.21.5-r1"),
    ("zstd-libs", "1.5.6-r0"),
    ("libcurl", "8.12.1-r0"),
    ("curl", "8.12.1-r0"),
]


def sampler_line(current: int, peak: int, token: str) -> str:
    """The line the sampler snippet prints each second (cgroup v2 memory.current / memory.peak)."""
    return f"{memory_sampler.MARKER} sampler={token} current={current} peak={peak}"

