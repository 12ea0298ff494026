"""Real tool error texts map to the right family and detail; ordinary lines match nothing."""

from __future__ import annotations

import pytest

from cronjob_doctor.rules.signatures import SIGNATURES


def _first(text: str) -> tuple[str, str | None] | None:
    for sig in SIGNATURES:
        if sig.pattern.search(text):
            return sig.verdict, sig.detail
    return None


@pytest.mark.parametrize(("text", "expected"), [
    ("curl: (6) Could not resolve host: dl.min.io", ("network", "dns")),
    ("curl: (7) Failed to connect to minio port 9000 after 2 ms: Connection refused", ("network", "refused")),
    ("curl: (28) Operation timed out after 300000 milliseconds with 0 bytes received", ("network", "timeout")),
    ("curl: (28) Failed to connect to dl.k8s.io port 443 after 5006 ms: Timeout was reached", ("network", "timeout")),
    ("curl: (35) OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection to dl.min.io:443", ("network", "tls")),
    ("curl: (52) Empty reply from server", ("network", "http")),
    ("curl: (56) Recv failure: Connection reset by peer", ("network", "reset")),
    ("curl: (22) The requested URL returned error: 404", ("network", "http")),
    ("wget: bad address 'dl.min.io'", ("network", "dns")),
    ("wget: server returned error: HTTP/1.1 404 Not Found", ("network", "http")),
    ("ERROR: https://dl-cdn.alpinelinux.org/alpine/v3.20/main: temporary error (try again later)",
     ("network", "timeout")),
    ("WARNING: fetching https://dl-cdn.alpinelinux.org/alpine/v3.20/main: DNS lookup error", ("network", "dns")),
    ("Err:1 http://deb.debian.org/debian bookworm InRelease Temporary failure resolving 'deb.debian.org'",
     ("network", "dns")),
    ("dial tcp: lookup minio on 10.96.0.10:53: no such host", ("network", "dns")),
    ("socket.gaierror: [Errno -3] Temporary failure in name resolution", ("network", "dns")),
    ("x509: certificate signed by unknown authority", ("network", "tls")),
    ("curl: (60) SSL certificate problem: unable to get local issuer certificate", ("network", "tls")),
    ("Unable to connect to the server: dial tcp 10.96.0.1:443: i/o timeout", ("network", "timeout")),
    ("The connection to the server localhost:8080 was refused - did you specify the right host or port?",
     ("network", "refused")),
    ("Could not connect to the endpoint URL: \"https://s3.eu-west-1.amazonaws.com/bucket\"", ("network", "timeout")),
    ("mysqldump: Got error: 2002: Can't connect to local MySQL server through socket", ("network", "refused")),
    ('Error from server (Forbidden): secrets is forbidden: User "system:serviceaccount:a:b" cannot list resource '
     '"secrets" in API group "" in the namespace "a"', ("permission", "rbac")),
    ("error: You must be logged in to the server (Unauthorized)", ("permission", "credentials")),
    ("mc: <ERROR> Unable to list folder. Access Denied.", ("permission", "object-store")),
    ("mc: <ERROR> Unable to stat. The Access Key Id you provided does not exist in our records.",
     ("permission", "credentials")),
    ("An error occurred (AccessDenied) when calling the PutObject operation: Access Denied",
     ("permission", "object-store")),
    ("upload failed: Unable to locate credentials", ("permission", "credentials")),
    ("AccessDeniedException: 403 backup@proj.iam.gserviceaccount.com does not have storage.objects.create access",
     ("permission", "object-store")),
    ('psql: error: FATAL:  password authentication failed for user "backup"', ("permission", "database")),
    ("mysqldump: Got error: 1045: Access denied for user 'root'@'10.0.0.3' (using password: YES)",
     ("permission", "database")),
    ("/bin/sh: mc: not found", ("config", "command-not-found")),
    ("bash: line 3: jq: command not found", ("config", "command-not-found")),
    ("exec /bin/sh: exec format error", ("config", "exec-format")),
    ("tar: Unexpected EOF in archive", ("script-error", "archive")),
    ("gzip: stdin: unexpected end of file", ("script-error", "archive")),
    ("cp: error writing '/backup/x': No space left on device", ("script-error", "disk")),
    ("ERROR: Could not find a version that satisfies the requirement boto4", ("script-error", "package")),
    ("Killed", ("oom", "child")),
    ("sh: line 1:    14 Killed                  apk add --no-cache curl", ("oom", "child")),
])
def test_signature_maps_real_text(text: str, expected: tuple[str, str | None]) -> None:
    assert _first(text) == expected


@pytest.mark.parametrize("text", [
    "fetch https://dl-cdn.alpinelinux.org/alpine/v3.20/main/x86_64/APKINDEX.tar.gz",
    "(9/9) Installing curl (8.9.1-r1)",
    "Added `backup` successfully.",
    "`/tmp/state.json` -> `backup/tf-state-backups/state.json`",
    "Error from server (Forbidden): pods \"x\" is forbidden: exceeded quota: q, requested: cpu=1, used: cpu=2, "
    "limited: cpu=2",
])
def test_ordinary_lines_and_quota_match_no_permission(text: str) -> None:
    found = _first(text)
    assert found is None or found[0] != "permission"
