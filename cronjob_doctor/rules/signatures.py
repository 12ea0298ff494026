"""The log signatures table: error texts that real tools print, each mapped to a verdict family and detail.

The texts are the ones curl, wget (GNU and busybox), apk, apt, pip, the Go/glibc/musl resolvers, mc, the AWS CLI,
gsutil, kubectl, psql/pg_dump, mysqldump, tar/gzip and the shells actually write. Order matters: the first
signature that matches a line wins, so specific texts come before generic ones. Nothing here judges context.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Signature:
    """One recognisable error text."""

    id: str
    verdict: str
    detail: str | None
    pattern: re.Pattern[str]
    label: str
    """What the match means, in a few words ("curl exit 6: DNS lookup failed")."""
    weight: float = 0.7
    """How strongly the line alone points at its family (0.6-0.8: a log is weaker evidence than pod status)."""


def _sig(sid: str, verdict: str, detail: str | None, pattern: str, label: str, weight: float = 0.7) -> Signature:
    return Signature(sid, verdict, detail, re.compile(pattern, re.IGNORECASE), label, weight)


_HOST = r"(?P<host>[A-Za-z0-9_.-]+)"

SIGNATURES: tuple[Signature, ...] = (
    # -- permission: RBAC, object stores, databases (before network: some of these lines also name a host)
    _sig(
        "kubectl-forbidden",
        "permission",
        "rbac",
        r"Error from server \(Forbidden\):(?!.*exceeded quota).*cannot (?P<verb>\S+) resource \"(?P<resource>[^\"]+)\""
        r"(?: in API group \"(?P<group>[^\"]*)\")?(?: in the namespace \"(?P<namespace>[^\"]+)\")?",
        "kubectl: RBAC Forbidden",
        0.8,
    ),
    _sig(
        "kubectl-forbidden-generic",
        "permission",
        "rbac",
        r"Error from server \(Forbidden\)(?!.*exceeded quota)",
        "kubectl: Forbidden",
        0.75,
    ),
    _sig(
        "kubectl-unauthorized",
        "permission",
        "credentials",
        r"error: You must be logged in to the server \(Unauthorized\)",
        "kubectl: token refused (Unauthorized)",
        0.8,
    ),
    _sig(
        "s3-access-key",
        "permission",
        "credentials",
        r"The (?:AWS )?Access Key Id you provided does not exist in our records",
        "object store: unknown access key",
        0.8,
    ),
    _sig(
        "s3-signature",
        "permission",
        "credentials",
        r"SignatureDoesNotMatch|The request signature we calculated "
        r"does not match",
        "object store: wrong secret key (SignatureDoesNotMatch)",
        0.8,
    ),
    _sig(
        "mc-access-denied",
        "permission",
        "object-store",
        r"mc: <ERROR>.*Access Denied",
        "mc: Access Denied by the object store",
        0.8,
    ),
    _sig(
        "aws-access-denied",
        "permission",
        "object-store",
        r"An error occurred \((?:AccessDenied|Forbidden|403)\)",
        "AWS CLI: AccessDenied",
        0.8,
    ),
    _sig(
        "aws-no-credentials",
        "permission",
        "credentials",
        r"Unable to locate credentials",
        "AWS CLI: no credentials",
        0.8,
    ),
    _sig(
        "gsutil-denied", "permission", "object-store", r"AccessDeniedException: 403", "gsutil: 403 access denied", 0.8
    ),
    _sig("access-denied", "permission", "object-store", r"^Access Denied\.?$", "Access Denied", 0.7),
    _sig(
        "pg-password",
        "permission",
        "database",
        r"password authentication failed for user",
        "PostgreSQL: password authentication failed",
        0.8,
    ),
    _sig(
        "pg-role",
        "permission",
        "database",
        r"FATAL:\s+role \"[^\"]+\" does not exist",
        "PostgreSQL: role does not exist",
        0.8,
    ),
    _sig(
        "mysql-denied",
        "permission",
        "database",
        r"Got error: 1045: Access denied for user",
        "mysqldump: access denied",
        0.8,
    ),
    # -- network: DNS
    _sig(
        "curl-6",
        "network",
        "dns",
        r"curl: \(6\) Could not resolve host: " + _HOST,
        "curl exit 6: could not resolve host",
        0.8,
    ),
    _sig(
        "go-no-such-host",
        "network",
        "dns",
        r"dial tcp: lookup " + _HOST + r"(?: on [0-9.:]+)?: no such host",
        "DNS lookup failed (no such host)",
        0.8,
    ),
    _sig(
        "go-lookup-timeout",
        "network",
        "dns",
        r"dial tcp: lookup " + _HOST + r".*(?:i/o timeout|server misbehaving)",
        "DNS lookup timed out",
        0.8,
    ),
    _sig("wget-bad-address", "network", "dns", r"wget: bad address '?" + _HOST, "busybox wget: bad address (DNS)", 0.8),
    _sig(
        "apk-dns",
        "network",
        "dns",
        r"(?:ERROR|WARNING): (?:fetching )?(?P<url>https?://\S+?):? DNS lookup error",
        "apk: DNS lookup error",
        0.75,
    ),
    _sig(
        "apt-resolve",
        "network",
        "dns",
        r"Temporary failure resolving '?" + _HOST,
        "apt: temporary failure resolving",
        0.75,
    ),
    _sig("apt-could-not-resolve", "network", "dns", r"Could not resolve '?" + _HOST, "could not resolve host", 0.75),
    _sig(
        "glibc-eai-again",
        "network",
        "dns",
        r"Temporary failure in name resolution",
        "DNS: temporary failure in name resolution",
        0.75,
    ),
    _sig("glibc-noname", "network", "dns", r"Name or service not known", "DNS: name or service not known", 0.7),
    _sig(
        "pg-host-unknown",
        "network",
        "dns",
        r"could not translate host name \"" + _HOST + r"\" to address",
        "PostgreSQL: host name did not resolve",
        0.8,
    ),
    # -- network: refused / reset
    _sig(
        "curl-7",
        "network",
        "refused",
        r"curl: \(7\) Failed to connect to " + _HOST + r"(?: port (?P<port>\d+))?.*Connection refused",
        "curl exit 7: connection refused",
        0.75,
    ),
    _sig(
        "curl-7-generic",
        "network",
        "refused",
        r"curl: \(7\) (?:Failed to connect to " + _HOST + r")?",
        "curl exit 7: failed to connect",
        0.7,
    ),
    _sig(
        "go-refused",
        "network",
        "refused",
        r"dial tcp (?P<ip>[0-9a-fA-F.:\[\]]+?):(?P<port>\d+): connect: connection refused",
        "TCP connection refused",
        0.75,
    ),
    _sig(
        "kubectl-refused",
        "network",
        "refused",
        r"The connection to the server " + _HOST + r"(?::(?P<port>\d+))? "
        r"was refused",
        "kubectl: API server connection refused",
        0.75,
    ),
    _sig(
        "pg-refused",
        "network",
        "refused",
        r"connection to server at \"" + _HOST + r"\"(?: \((?P<ip>[0-9.]+)\))?, port (?P<port>\d+) failed: "
        r"Connection refused",
        "PostgreSQL: connection refused",
        0.75,
    ),
    _sig(
        "pg-could-not-connect",
        "network",
        "refused",
        r"could not connect to server: Connection refused",
        "PostgreSQL: could not connect to server",
        0.75,
    ),
    _sig(
        "mysql-2002", "network", "refused", r"Got error: 2002: Can't connect", "mysqldump: can't connect (2002)", 0.75
    ),
    _sig("curl-52", "network", "http", r"curl: \(52\) Empty reply from server", "curl exit 52: empty reply", 0.7),
    _sig(
        "curl-56",
        "network",
        "timeout",
        r"curl: \(56\) (?:Recv failure: Connection reset by peer|Failure when receiving data from the peer)",
        "curl exit 56: connection reset while receiving",
        0.7,
    ),
    # -- network: timeouts
    _sig(
        "curl-28",
        "network",
        "timeout",
        r"curl: \(28\) (?:Operation timed out|Connection timed out|Failed to "
        r"connect to " + _HOST + r"(?: port (?P<port>\d+))?.*Timeout was reached|Resolving timed out)",
        "curl exit 28: timed out",
        0.75,
    ),
    _sig(
        "go-io-timeout",
        "network",
        "timeout",
        r"dial tcp (?P<ip>[0-9a-fA-F.:\[\]]+?):(?P<port>\d+): (?:i/o timeout|connect: connection timed out)",
        "TCP connect timed out",
        0.75,
    ),
    _sig(
        "kubectl-unreachable",
        "network",
        "timeout",
        r"Unable to connect to the server: dial tcp "
        r"(?P<ip>[0-9a-fA-F.:\[\]]+?):(?P<port>\d+)",
        "kubectl: unable to connect to the API server",
        0.75,
    ),
    _sig(
        "aws-endpoint",
        "network",
        "timeout",
        r"Could not connect to the endpoint URL: \"?(?P<url>[^\"\s]+)",
        "AWS CLI: could not connect to the endpoint",
        0.75,
    ),
    _sig(
        "pg-timeout",
        "network",
        "timeout",
        r"connection to server at \"" + _HOST + r"\".*port (?P<port>\d+) failed: "
        r"(?:Connection timed out|timeout expired)",
        "PostgreSQL: connection timed out",
        0.75,
    ),
    _sig(
        "pip-retries", "network", "timeout", r"Max retries exceeded with url", "pip/urllib3: max retries exceeded", 0.7
    ),
    _sig(
        "apk-temporary",
        "network",
        "timeout",
        r"ERROR: (?P<url>https?://\S+?): temporary error \(try again later\)",
        "apk: temporary error fetching the index",
        0.7,
    ),
    _sig(
        "wget-timeout",
        "network",
        "timeout",
        r"wget: .*(?:Connection timed out|download timed out)",
        "wget: timed out",
        0.7,
    ),
    _sig("connection-timed-out", "network", "timeout", r"Connection timed out", "connection timed out", 0.6),
    # -- network: TLS
    _sig(
        "x509",
        "network",
        "tls",
        r"x509: certificate (?:signed by unknown authority|has expired|is valid for)",
        "TLS: certificate not trusted",
        0.75,
    ),
    _sig(
        "tls-verify", "network", "tls", r"tls: failed to verify certificate", "TLS: failed to verify certificate", 0.75
    ),
    _sig("curl-60", "network", "tls", r"SSL certificate problem", "curl: SSL certificate problem", 0.75),
    _sig("curl-35", "network", "tls", r"curl: \(35\)", "curl exit 35: SSL connect error", 0.75),
    # -- network: HTTP errors (the host answered, the URL is wrong or rate-limited)
    _sig(
        "curl-22",
        "network",
        "http",
        r"curl: \(22\) The requested URL returned error: (?P<code>\d{3})",
        "curl exit 22: HTTP error",
        0.7,
    ),
    _sig(
        "wget-http",
        "network",
        "http",
        r"(?:wget: server returned error: HTTP/1\.[01] (?P<code>\d{3})|ERROR "
        r"(?P<code2>\d{3}): )",
        "wget: HTTP error",
        0.7,
    ),
    # -- config: the image or the spec lacks something the script needs
    _sig(
        "exec-format", "config", "exec-format", r"exec format error", "exec format error (wrong CPU architecture)", 0.8
    ),
    _sig(
        "sh-not-found",
        "config",
        "command-not-found",
        r"^(?:/bin/)?(?:ba|a|da)?sh: (?:line \d+: |\d+: )?"
        r"(?P<command>[^\s:]+): (?:command )?not found",
        "command not found",
        0.75,
    ),
    _sig(
        "command-not-found",
        "config",
        "command-not-found",
        r"(?P<command>[^\s:]+): command not found",
        "command not found",
        0.75,
    ),
    _sig(
        "exec-not-found",
        "config",
        "command-not-found",
        r"executable file not found in \$PATH",
        "executable not found in $PATH",
        0.8,
    ),
    # -- script errors with a known cause
    _sig("no-space", "script-error", "disk", r"No space left on device", "no space left on device", 0.7),
    _sig("tar-eof", "script-error", "archive", r"tar: Unexpected EOF in archive", "tar: truncated archive", 0.65),
    _sig(
        "gzip-eof", "script-error", "archive", r"gzip: stdin: unexpected end of file", "gzip: truncated archive", 0.65
    ),
    _sig(
        "apk-select",
        "script-error",
        "package",
        r"ERROR: unable to select packages",
        "apk: unable to select packages",
        0.6,
    ),
    _sig("apt-locate", "script-error", "package", r"Unable to locate package", "apt: unable to locate package", 0.6),
    _sig(
        "pip-version",
        "script-error",
        "package",
        r"Could not find a version that satisfies the requirement",
        "pip: no matching version",
        0.6,
    ),
    _sig("permission-denied", "script-error", "permission-denied", r"Permission denied", "permission denied", 0.55),
    # -- a child process killed by SIGKILL: the shell prints `Killed` (the cgroup OOM killer picked the child)
    _sig(
        "killed",
        "oom",
        "child",
        r"^(?:(?:/bin/)?(?:ba|a|da)?sh: (?:line \d+:\s+)?(?:\d+\s+)?)?Killed\b",
        "a child process was SIGKILLed (Killed)",
        0.75,
    ),
)
