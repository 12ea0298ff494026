"""Run-time downloads: package installs and curl/wget of binaries on every run, and fetches without timeouts
or retries. Also the download inventory (what, from where, how big, into which directory) that resources.py
uses to estimate memory.

Sizes are rounded figures for current linux-amd64 releases, in MB as the vendors publish them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlparse

from cronjob_doctor.lint.base import BaseCheck, Container, LintFinding, Severity, Workload
from cronjob_doctor.lint.shell import Command, commands, script_of


@dataclass(frozen=True)
class Tool:
    """A well-known binary people download at run time."""

    name: str
    download_mb: int
    """Size written to disk (MB)."""
    rss_mib: int
    """Typical working set while it runs (MiB)."""


TOOLS: tuple[Tool, ...] = (
    Tool("kubectl", 50, 40),
    Tool("helm", 50, 40),
    Tool("terraform", 90, 64),
    Tool("tofu", 90, 64),
    Tool("awscli", 60, 48),
    Tool("mc", 25, 30),
    Tool("rclone", 60, 40),
    Tool("restic", 25, 40),
    Tool("kustomize", 15, 24),
    Tool("yq", 10, 16),
    Tool("jq", 2, 8),
)

PACKAGE_MANAGERS_MIB: dict[str, int] = {"apk": 40, "apt": 64, "dnf": 128, "pip": 64, "npm": 128, "gem": 64}
"""Working set of each package manager while it resolves its index (apk parses APKINDEX, apt the Packages lists)."""

_PACKAGE_INSTALL = (
    (re.compile(r"^apk$"), re.compile(r"^(add|upgrade)$"), "apk"),
    (re.compile(r"^apt(-get)?$"), re.compile(r"^(install|upgrade|dist-upgrade)$"), "apt"),
    (re.compile(r"^(yum|dnf|microdnf|zypper)$"), re.compile(r"^(install|in|update)$"), "dnf"),
    (re.compile(r"^pip[0-9.]*$"), re.compile(r"^install$"), "pip"),
    (re.compile(r"^(npm|pnpm|yarn)$"), re.compile(r"^(install|i|ci|add)$"), "npm"),
    (re.compile(r"^gem$"), re.compile(r"^install$"), "gem"),
)
_ARCHIVE = re.compile(r"\.(tar\.gz|tgz|tar\.xz|tar|zip|deb|rpm|apk|whl|jar|bin|gz)$")


@dataclass(frozen=True)
class Fetch:
    """One curl or wget invocation of an http(s) URL."""

    command: Command
    program: str
    url: str
    output: str | None
    """The file written (`-o`, `-O`, `> file`), None when the body goes to stdout or a pipe."""

    @property
    def host(self) -> str:
        return urlparse(self.url).hostname or self.url

    @property
    def tool(self) -> Tool | None:
        """The well-known binary this fetch downloads, by the URL's or the output file's name."""
        names = [urlparse(self.url).path.rsplit("/", 1)[-1].lower()]
        if self.output:
            names.append(self.output.rsplit("/", 1)[-1].lower())
        for tool in TOOLS:
            for name in names:
                stem = re.split(r"[-_.]", name, maxsplit=1)[0]
                if stem == tool.name or name == tool.name or (tool.name == "awscli" and "awscli" in name):
                    return tool
        return None

    @property
    def is_binary(self) -> bool:
        """True when it fetches a program or archive (a known tool, an archive, a release asset)."""
        path = urlparse(self.url).path.lower()
        return bool(self.tool or _ARCHIVE.search(path) or "/releases/download/" in path or "/bin/" in path)


@dataclass(frozen=True)
class Install:
    """One package-manager install (`apk add curl`)."""

    command: Command
    manager: str


def _fetch(command: Command) -> Fetch | None:
    program = command.program
    if program not in ("curl", "wget"):
        return None
    words = list(command.words)
    url = next((w for w in words if re.match(r"^https?://", w)), None)
    if not url:
        return None
    output = None
    for index, word in enumerate(words):
        following = words[index + 1] if index + 1 < len(words) else None
        if word in (">", ">>") and following:
            output = following
        elif word.startswith(">") and len(word) > 1:
            output = word.lstrip(">")
        elif (program == "curl" and word in ("-o", "--output") and following) or (
            program == "curl" and re.fullmatch(r"-[a-zA-Z]*o", word) and following
        ):
            output = following
        elif program == "curl" and (word in ("-O", "--remote-name") or re.fullmatch(r"-[a-zA-Z]*O[a-zA-Z]*", word)):
            output = urlparse(url).path.rsplit("/", 1)[-1]
        elif program == "wget" and word in ("-O", "--output-document") and following:
            output = None if following == "-" else following
        elif program == "wget" and word.startswith("--output-document="):
            output = word.split("=", 1)[1]
    if program == "wget" and output is None and not any(w in ("-O", "-qO-", "-O-") for w in words):
        output = urlparse(url).path.rsplit("/", 1)[-1] or None
    return Fetch(command=command, program=program, url=url, output=output)


def fetches(container: Container) -> list[Fetch]:
    """Every curl/wget of an http(s) URL the container's script runs."""
    script = script_of(container)
    if script is None:
        return []
    return [f for f in (_fetch(c) for c in commands(script.text)) if f]


def _install(command: Command) -> Install | None:
    words = command.words
    index = next((i for i, w in enumerate(words) if w.rsplit("/", 1)[-1] == command.program), None)
    if index is None:
        return None
    program, rest = command.program, list(words[index + 1:])
    if program.startswith("python") and rest[:2] == ["-m", "pip"]:
        program, rest = "pip", rest[2:]
    for program_re, verb_re, manager in _PACKAGE_INSTALL:
        if program_re.match(program) and any(verb_re.match(w) for w in rest if not w.startswith("-")):
            return Install(command=command, manager=manager)
    return None


def installs(container: Container) -> list[Install]:
    """Every package install the container's script runs."""
    script = script_of(container)
    if script is None:
        return []
    return [i for i in (_install(c) for c in commands(script.text)) if i]


def _describe(fetch: Fetch) -> str:
    what = fetch.tool.name if fetch.tool else (fetch.output or fetch.url).rsplit("/", 1)[-1]
    return f"{what} from {fetch.host}"


class RuntimeDownload(BaseCheck):
    id = "runtime-download"
    severity: Severity = "warning"
    title = "Software is downloaded at run time"
    help = (
        "Installing packages or fetching binaries on every run makes each run depend on a package mirror or "
        "CDN (slow, rate-limited, unreachable) and costs memory and time. Bake them into the image."
    )

    def check(self, workload: Workload) -> Iterable[LintFinding]:
        for container in workload.containers():
            found_installs = installs(container)
            binaries = [f for f in fetches(container) if f.is_binary]
            parts = [f"{i.manager} ({' '.join(i.command.words[:6])})" for i in found_installs]
            parts += [_describe(f) for f in binaries]
            script = script_of(container)
            if not parts or script is None:
                continue
            first = min([i.command.line for i in found_installs] + [f.command.line for f in binaries])
            yield self.finding(
                workload,
                line=workload.text_line(script.path, first),
                message=f"container {container.name!r} downloads software on every run: {', '.join(parts)}; "
                "each run fails when a mirror or CDN is slow or unreachable",
                path=script.path,
                fix="bake the tools into the image (a Dockerfile FROM the same base that installs them) and "
                "drop the downloads from the script; or pull them from an in-cluster mirror",
            )


def _has_timeout(fetch: Fetch) -> bool:
    words = fetch.command.words
    if fetch.program == "curl":
        return any(
            w in ("-m", "--max-time", "--connect-timeout") or w.startswith(("--max-time=", "--connect-timeout="))
            or re.fullmatch(r"-[a-zA-Z]*m", w) is not None
            for w in words
        )
    return any(w in ("-T", "--timeout") or w.startswith(("--timeout=", "-T", "--read-timeout=")) for w in words)


def _has_retry(fetch: Fetch, script_text: str) -> bool:
    if re.search(r"\b(until|retry|for\s+\w+\s+in\s+(1|\$\(seq))", script_text):
        return True  # the script retries by itself
    words = fetch.command.words
    if fetch.program == "curl":
        return any(w == "--retry" or w.startswith("--retry=") for w in words)
    return any(w in ("-t", "--tries") or w.startswith(("--tries=",)) for w in words)


class DownloadNoTimeout(BaseCheck):
    id = "download-no-timeout"
    severity: Severity = "warning"
    title = "curl/wget without a timeout"
    help = (
        "Without --max-time (curl) or -T (wget) a stalled connection hangs the run until activeDeadlineSeconds, "
        "or forever when none is set."
    )

    def check(self, workload: Workload) -> Iterable[LintFinding]:
        for container in workload.containers():
            missing = [f for f in fetches(container) if not _has_timeout(f)]
            script = script_of(container)
            if missing and script is not None:
                names = ", ".join(sorted({_describe(f) for f in missing}))
                yield self.finding(
                    workload,
                    line=workload.text_line(script.path, missing[0].command.line),
                    message=f"container {container.name!r}: {len(missing)} curl/wget call(s) without a timeout "
                    f"({names}); a stalled transfer hangs the run",
                    path=script.path,
                    fix="curl --connect-timeout 10 --max-time 300 ...; busybox/GNU wget -T 30 ...",
                )


class DownloadNoRetry(BaseCheck):
    id = "download-no-retry"
    severity: Severity = "warning"
    title = "curl/wget without retries"
    help = (
        "One dropped connection or 5xx from a CDN fails the whole run. curl retries only with --retry; "
        "busybox wget (Alpine) never retries."
    )

    def check(self, workload: Workload) -> Iterable[LintFinding]:
        for container in workload.containers():
            script = script_of(container)
            if script is None:
                continue
            missing = [f for f in fetches(container) if not _has_retry(f, script.text)]
            if missing:
                names = ", ".join(sorted({_describe(f) for f in missing}))
                yield self.finding(
                    workload,
                    line=workload.text_line(script.path, missing[0].command.line),
                    message=f"container {container.name!r}: {len(missing)} curl/wget call(s) without retries "
                    f"({names}); one transient network error fails the run",
                    path=script.path,
                    fix="curl --retry 5 --retry-connrefused --retry-delay 2 ...; for wget, a retry loop "
                    "(`for i in 1 2 3; do wget ... && break; sleep 5; done`)",
                )
