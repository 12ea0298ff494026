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
    ("The connection to the server 10.96.0.1:443 was refused - did you specify the right host or port?",
     ("network", "refused")),
    ("The connection to the server localhost:8080 was refused - did you specify the right host or port?",
     ("config", "missing-kubeconfig")),
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


# Each family in many real phrasings, as the tools and clients print them (from public issue threads and docs).
FAMILIES = [
    # permission / rbac: the API server's sentence through every client
    ('persistentvolumeclaims is forbidden: User "system:serviceaccount:kube-system:d" cannot list resource '
     '"persistentvolumeclaims" in API group "" at the cluster scope', ("permission", "rbac")),
    ('"message": "deployments.apps \\"web\\" is forbidden: User \\"system:serviceaccount:a:b\\" cannot patch '
     'resource \\"deployments\\" in API group \\"apps\\" in the namespace \\"a\\"",', ("permission", "rbac")),
    ("io.fabric8.kubernetes.client.KubernetesClientException: Failure executing: GET at: https://10.96.0.1/api/v1/"
     "namespaces/a/pods. Message: Forbidden!Configured service account doesn't have access.", ("permission", "rbac")),
    ("io.kubernetes.client.openapi.ApiException: Forbidden", ("permission", "rbac")),
    ("kubernetes.client.exceptions.ApiException: (403)", ("permission", "rbac")),
    ('  "reason": "Forbidden",', ("permission", "rbac")),
    ("requests.exceptions.HTTPError: 403 Client Error: Forbidden for url: https://kubernetes:443/apis/apps/v1/"
     "namespaces/default/statefulsets", ("permission", "rbac")),
    ('pods "x" is forbidden: User "system:serviceaccount:ns:default" cannot get pods in the namespace "ns"',
     ("permission", "rbac")),
    # permission / credentials
    ("kubernetes.client.exceptions.ApiException: (401)", ("permission", "credentials")),
    ("error: the server has asked for the client to provide credentials", ("permission", "credentials")),
    ("An error occurred (ExpiredToken) when calling the PutObject operation: The provided token has expired.",
     ("permission", "credentials")),
    ("An error occurred (InvalidAccessKeyId) when calling the ListObjectsV2 operation: The AWS Access Key Id you "
     "provided does not exist in our records.", ("permission", "credentials")),
    ("NoCredentialProviders: no valid providers in chain. Deprecated.", ("permission", "credentials")),
    ("google.auth.exceptions.DefaultCredentialsError: Could not automatically determine credentials.",
     ("permission", "credentials")),
    ("git@github.com: Permission denied (publickey).", ("permission", "credentials")),
    ("fatal: Authentication failed for 'https://gitlab.example.com/group/repo.git/'", ("permission", "credentials")),
    ("===== RESPONSE ERROR (ServiceCode=AuthenticationFailed) =====", ("permission", "credentials")),
    # permission / cloud-iam
    ("An error occurred (AccessDenied) when calling the AssumeRoleWithWebIdentity operation: Not authorized to "
     "perform sts:AssumeRoleWithWebIdentity", ("permission", "cloud-iam")),
    ("User: arn:aws:sts::1:assumed-role/x/y is not authorized to perform: secretsmanager:GetSecretValue on "
     "resource: arn:aws:secretsmanager:eu-west-1:1:secret:z", ("permission", "cloud-iam")),
    ("Access Denied: Project p: User does not have bigquery.jobs.create permission in project p.",
     ("permission", "cloud-iam")),
    ("googleapi: Error 403: Permission 'secretmanager.versions.access' denied for resource 'projects/p/secrets/s'",
     ("permission", "cloud-iam")),
    ("(AuthorizationFailed) The client 'x' with object id 'y' does not have authorization to perform action "
     "'Microsoft.Storage/storageAccounts/listKeys/action' over scope '/subscriptions/s'", ("permission", "cloud-iam")),
    # permission / object-store
    ("AccessDeniedException: 403 sa@p.iam.gserviceaccount.com does not have storage.objects.list access to the "
     "Google Cloud Storage bucket.", ("permission", "object-store")),
    ("operation error S3: PutObject, https response error StatusCode: 403, RequestID: X, api error AccessDenied: "
     "Access Denied", ("permission", "object-store")),
    ("com.amazonaws.services.s3.model.AmazonS3Exception: Access Denied (Service: Amazon S3; Status Code: 403; "
     "Error Code: AccessDenied)", ("permission", "object-store")),
    ("===== RESPONSE ERROR (ServiceCode=AuthorizationPermissionMismatch) =====", ("permission", "object-store")),
    ("Description=This request is not authorized to perform this operation using this permission.",
     ("permission", "object-store")),
    ("AccessDenied: Access Denied", ("permission", "object-store")),
    ("mc: <ERROR> Failed to perform mirroring Access denied.", ("permission", "object-store")),
    # permission / database
    ("pg_dumpall: error: connection to server at \"db\" (10.0.0.5), port 5432 failed: fe_sendauth: no password "
     "supplied", ("permission", "database")),
    ('psql: error: FATAL:  no pg_hba.conf entry for host "10.1.2.3", user "app", database "app", SSL off',
     ("permission", "database")),
    ("ERROR:  permission denied for table accounts", ("permission", "database")),
    ("ERROR 1045 (28000): Access denied for user 'app'@'10.0.0.3' (using password: YES)", ("permission", "database")),
    ("MongoServerError: Authentication failed.", ("permission", "database")),
    ("(error) NOAUTH Authentication required.", ("permission", "database")),
    # permission / filesystem
    ("error: could not lock config file //.gitconfig: Permission denied", ("permission", "filesystem")),
    ("mkdir: cannot create directory '/data/backups': Permission denied", ("permission", "filesystem")),
    ("PermissionError: [Errno 13] Permission denied: '/var/lib/app/state.json'", ("permission", "filesystem")),
    ("Error: EACCES: permission denied, open '/app/.cache/x'", ("permission", "filesystem")),
    ("java.nio.file.AccessDeniedException: /opt/app/logs/app.log", ("permission", "filesystem")),
    ("touch: /etc/app/lock: Read-only file system", ("permission", "filesystem")),
    ("chown: changing ownership of '/data': Operation not permitted", ("permission", "filesystem")),
    # oom / runtime and child
    ("Exception in thread \"main\" java.lang.OutOfMemoryError: Java heap space", ("oom", "runtime")),
    ("java.lang.OutOfMemoryError: GC overhead limit exceeded", ("oom", "runtime")),
    ("FATAL ERROR: Ineffective mark-compacts near heap limit Allocation failed - JavaScript heap out of memory",
     ("oom", "runtime")),
    ("fatal error: runtime: out of memory", ("oom", "runtime")),
    ("MemoryError", ("oom", "runtime")),
    ("numpy.core._exceptions._ArrayMemoryError: Unable to allocate 3.45 GiB for an array with shape (1, 2)",
     ("oom", "runtime")),
    ("Unhandled exception. System.OutOfMemoryException: Exception of type 'System.OutOfMemoryException' was "
     "thrown.", ("oom", "runtime")),
    ("PHP Fatal error:  Allowed memory size of 134217728 bytes exhausted (tried to allocate 20480 bytes)",
     ("oom", "runtime")),
    ("memory allocation of 1073741824 bytes failed", ("oom", "runtime")),
    ("Memory cgroup out of memory: Killed process 4242 (restic) total-vm:1581360kB", ("oom", "child")),
    ('level=error msg="Error running command=restic backup, stderr=: signal: killed"', ("oom", "child")),
    ("subprocess.CalledProcessError: Command '['pg_dump']' died with <Signals.SIGKILL: 9>.", ("oom", "child")),
    # network
    ("ping: bad address 'google.pl'", ("network", "dns")),
    ("mysqldump: Got error: 2005: \"Unknown MySQL server host 'db' (-2)\" when trying to connect", ("network", "dns")),
    ("Error: getaddrinfo ENOTFOUND api.example.com", ("network", "dns")),
    ("java.net.UnknownHostException: kafka-0.kafka", ("network", "dns")),
    ("fatal: unable to access 'https://github.com/x/y.git/': Could not resolve host: github.com", ("network", "dns")),
    ("requests.exceptions.ConnectionError: HTTPSConnectionPool(host='x', port=443): Max retries exceeded with url: "
     "/ (Caused by NewConnectionError('<x>: Failed to establish a new connection: [Errno 111] Connection refused'))",
     ("network", "refused")),
    ("Error: connect ECONNREFUSED 10.0.0.7:5432", ("network", "refused")),
    ("ERROR 2003 (HY000): Can't connect to MySQL server on 'db' (111)", ("network", "refused")),
    ("read tcp 10.1.2.3:51234->10.4.5.6:443: read: connection reset by peer", ("network", "reset")),
    ("Error: socket hang up", ("network", "reset")),
    ("pg_dump: error: query failed: server closed the connection unexpectedly", ("network", "reset")),
    ("dial tcp 10.0.0.9:443: connect: no route to host", ("network", "unreachable")),
    ("requests.exceptions.ReadTimeout: HTTPSConnectionPool(host='h', port=443): Read timed out. (read timeout=30)",
     ("network", "timeout")),
    ('Get "https://h/": context deadline exceeded (Client.Timeout exceeded while awaiting headers)',
     ("network", "timeout")),
    ("pg_restore: error: connection to database \"x\" failed: could not connect to server: Operation timed out",
     ("network", "timeout")),
    ("requests.exceptions.SSLError: HTTPSConnectionPool(host='h', port=443): Max retries exceeded with url: / "
     "(Caused by SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed')))",
     ("network", "tls")),
    ("javax.net.ssl.SSLHandshakeException: PKIX path building failed", ("network", "tls")),
    ("HTTP/1.1 500 INTERNAL SERVER ERROR", ("network", "http")),
    ("urllib.error.HTTPError: HTTP Error 404: Not Found", ("network", "http")),
    ('{"error":{"root_cause":[{"type":"x"}],"type":"snapshot_missing_exception","reason":"r"},"status":404}',
     ("network", "http")),
    # config
    ("/bin/sh: 1: /app/docker/run.sh: Permission denied", ("config", "not-executable")),
    ('exec /docker-entrypoint.sh: permission denied', ("config", "not-executable")),
    ("exec /app/run.sh: no such file or directory", ("config", "command-not-found")),
    ("Error: unknown flag: --dry", ("config", "bad-args")),
    ("flag provided but not defined: -config", ("config", "bad-args")),
    ("backup.py: error: unrecognized arguments: --full", ("config", "bad-args")),
    ("Error: No such option: --recipe", ("config", "bad-args")),
    ("/entrypoint.sh: line 4: S3_BUCKET: unbound variable", ("config", "missing-env")),
    # script errors with a known cause
    ("mc: <ERROR> Unable to list comparison retrying.. The specified bucket does not exist.",
     ("script-error", "not-found")),
    ("pg_dump: error: could not write to output file: No space left on device", ("script-error", "disk")),
    # lines that say a retry recovered
    ("2025/05/29 19:56:29 ERROR : Attempt 3/3 succeeded", ("recovered", None)),
]


@pytest.mark.parametrize(("text", "expected"), FAMILIES)
def test_each_family_in_many_real_phrasings(text: str, expected: tuple[str, str | None]) -> None:
    assert _first(text) == expected


@pytest.mark.parametrize("text", [
    "[FAIL] 4.2.6 Ensure that the --protect-kernel-defaults argument is set to true (Automated)",
    "│ libssl1.1 │ CVE-2022-2068 │ CRITICAL │ 1.1.1n-0+deb11u2 │ 1.1.1n-0+deb11u3 │ openssl: c_rehash │",
    "2 checks FAIL",
    "Total: 3 (HIGH: 2, CRITICAL: 1)",
    "INFO  Reindexer starting (full rebuild)",
])
def test_report_rows_and_progress_are_not_errors(text: str) -> None:
    # Report rows are skipped by facts before any signature runs; the others match no signature at all.
    from cronjob_doctor.rules.facts import _REPORT_ROW
    assert _REPORT_ROW.search(text) or _first(text) is None


def test_every_signature_is_linear_on_the_most_of_a_line_it_sees() -> None:
    # Adversarial lines built from each pattern's own literals, long enough that facts show a signature the
    # most it ever sees of a line (its first and last 4 KiB): a quadratic pattern takes tenths of a second to
    # seconds here, a linear one milliseconds (best of three, so a busy machine does not fail it).
    import re
    import time

    from cronjob_doctor.rules.signatures import MAX_LINE, seen
    slowest = 0.0
    for sig in SIGNATURES:
        pieces = re.findall(r"[A-Za-z][A-Za-z0-9 :_'\"./-]{2,}", sig.pattern.pattern)[:6] or ["a"]
        texts = [seen(p * (3 * MAX_LINE // len(p) + 1)) for p in pieces]
        texts += [seen(c * 3 * MAX_LINE) for c in ("a", " ", ":", '"', "1", "/")] + [seen("a:" * MAX_LINE * 2)]
        for text in texts:
            best = float("inf")
            for _ in range(3):
                start = time.perf_counter()
                sig.pattern.search(text)
                best = min(best, time.perf_counter() - start)
            slowest = max(slowest, best)
    assert slowest < 0.1, f"a signature took {slowest:.3f}s on the 8 KiB of a line it sees"


def test_the_word_index_never_hides_a_match() -> None:
    # candidates() skips signatures none of whose words a line holds; on every known phrasing and every corpus
    # log line it must pick exactly what trying every signature picks.
    from pathlib import Path

    from cronjob_doctor.rules.signatures import candidates, seen

    lines = [text for text, _ in FAMILIES]
    for path in (Path(__file__).parent.parent / "corpus").rglob("*.log"):
        lines += [line[31:] if line[:4].isdigit() else line for line in path.read_text().splitlines()]
    for line in lines:
        head = seen(line)
        full = next((s.id for s in SIGNATURES if s.pattern.search(head)), None)
        fast = next((s.id for s in candidates(head) if s.pattern.search(head)), None)
        assert fast == full, line


def test_a_signature_sees_both_ends_of_a_long_line() -> None:
    from cronjob_doctor.rules.signatures import MAX_LINE, seen

    short = "curl: (6) Could not resolve host: dl.min.io"
    assert seen(short) == short
    long = "#" * (3 * MAX_LINE) + " " + short
    view = seen(long)
    assert view.startswith("#" * MAX_LINE) and view.endswith(short) and len(view) < 2 * MAX_LINE + 8
