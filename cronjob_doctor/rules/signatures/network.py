"""Network texts: DNS, refused, reset, unreachable, timeouts, TLS and HTTP errors, as curl, wget (GNU and
busybox), apk, apt, pip, git, the Go/glibc/musl resolvers, Python (requests, urllib3, socket), Node.js, Java,
PostgreSQL and MySQL clients, kubectl and the AWS CLI print them.

Specific texts come before generic ones: a Python ConnectionError names its cause at the end of the line
(`[Errno 111] Connection refused`), after `Max retries exceeded`, which alone only says that retries ran out.
"""

from __future__ import annotations

from cronjob_doctor.rules.signatures._base import HOST, IP, Signature, sig

NETWORK: tuple[Signature, ...] = (
    # -- DNS: the name did not resolve
    sig("curl-6", "network", "dns", r"Could not resolve host:? '?" + HOST, "could not resolve host", 0.8),
    sig("go-no-such-host", "network", "dns",
        r"lookup " + HOST + r"(?: on [0-9a-fA-F.:\[\]]{1,60})?: no such host", "DNS lookup failed (no such host)", 0.8),
    sig("go-lookup-timeout", "network", "dns",
        r"lookup " + HOST + r" on [^\s]{1,60}: .{0,200}?(?:i/o timeout|server misbehaving)", "DNS lookup timed out",
        0.8),
    sig("bad-address", "network", "dns", r": bad address '?" + HOST, "busybox: bad address (DNS)", 0.8),
    sig("mysql-unknown-host", "network", "dns", r"Unknown (?:MySQL|MariaDB) server host '" + HOST,
        "MySQL: host name did not resolve", 0.8),
    sig("node-enotfound", "network", "dns", r"getaddrinfo (?:ENOTFOUND|EAI_AGAIN)(?: " + HOST + r")?",
        "Node.js: DNS lookup failed", 0.8),
    sig("java-unknown-host", "network", "dns", r"UnknownHostException(?:: " + HOST + r")?",
        "Java: unknown host", 0.8),
    sig("urllib3-resolve", "network", "dns", r"NameResolutionError|Failed to resolve '" + HOST,
        "Python: name resolution failed", 0.8),
    sig("apk-dns", "network", "dns",
        r"(?:ERROR|WARNING): (?:fetching )?(?P<url>https?://[^\s:]{1,300}):? DNS lookup error", "apk: DNS lookup error",
        0.75),
    sig("apt-resolve", "network", "dns", r"Temporary failure resolving '?" + HOST, "apt: temporary failure resolving",
        0.75),
    sig("pg-host-unknown", "network", "dns", r"could not translate host name \"" + HOST + r"\" to address",
        "PostgreSQL: host name did not resolve", 0.8),
    sig("apt-could-not-resolve", "network", "dns", r"Could not resolve '" + HOST, "could not resolve host", 0.75),
    sig("glibc-eai-again", "network", "dns", r"Temporary failure in name resolution|\[Errno -3\]",
        "DNS: temporary failure in name resolution", 0.75),
    sig("glibc-noname", "network", "dns",
        r"Name or service not known|\[Errno -[25]\]|nodename nor servname provided|Name does not resolve|"
        r"No address associated with hostname|getaddrinfo failed",
        "DNS: name not known", 0.7),
    sig("dns-generic", "network", "dns",
        r"\bNXDOMAIN\b|\bSERVFAIL\b|DNS lookup failed|DNS resolution failed|unable to resolve host address",
        "DNS lookup failed", 0.7),
    # -- reset: the peer closed the connection mid-way (before TLS: a reset during a handshake is the
    # connection's fault, not the certificate's, as in `curl: (35) SSL_connect: Connection reset by peer`)
    sig("curl-56", "network", "reset", r"curl: \(56\)", "curl exit 56: connection reset while receiving", 0.75),
    sig("reset", "network", "reset",
        r"Connection reset by peer|\bECONNRESET\b|socket hang up|SocketException: Connection reset|"
        r"\[Errno 104\]|RemoteDisconnected|Connection aborted|server closed the connection unexpectedly|"
        r"Lost connection to (?:MySQL|MariaDB) server|SSL SYSCALL error: EOF detected|"
        r"stream error: stream ID \d{1,10}; INTERNAL_ERROR",
        "connection reset", 0.75),
    sig("broken-pipe", "network", "reset", r"write: broken pipe|\bEPIPE\b", "broken pipe (peer closed)", 0.6),
    # -- TLS (before refused/timeout: a handshake failure often names the host and port too)
    sig("x509", "network", "tls",
        r"x509: (?:certificate|cannot validate certificate)", "TLS: certificate not trusted", 0.8),
    sig("tls-verify", "network", "tls",
        r"tls: failed to verify certificate|certificate verify failed|CERTIFICATE_VERIFY_FAILED|"
        r"PKIX path building failed|unable to find valid certification path|unable to get local issuer certificate|"
        r"self[- ]signed certificate|UNABLE_TO_VERIFY_LEAF_SIGNATURE|CERT_HAS_EXPIRED|certificate has expired|"
        r"server certificate verification failed",
        "TLS: failed to verify the certificate", 0.8),
    sig("curl-60", "network", "tls", r"SSL certificate problem|curl: \((?:35|60)\)", "curl: SSL/TLS error", 0.8),
    sig("tls-handshake", "network", "tls",
        r"SSLHandshakeException|sslv3 alert handshake failure|tlsv1 alert|wrong version number|"
        r"gnutls_handshake\(\) failed|SSL routines|\bSSLError\(",
        "TLS handshake failed", 0.75),
    # -- refused: the host answered, nothing listens on that port
    sig("curl-7", "network", "refused",
        r"curl: \(7\) Failed to connect to " + HOST + r"(?: port (?P<port>\d{1,5}))?.{0,200}?Connection refused",
        "curl exit 7: connection refused", 0.8),
    sig("go-refused", "network", "refused",
        r"dial tcp " + IP + r":(?P<port>\d{1,5}): connect: connection refused", "TCP connection refused", 0.8),
    sig("kubectl-refused", "network", "refused",
        r"The connection to the server " + HOST + r"(?::(?P<port>\d{1,5}))? was refused",
        "kubectl: API server connection refused", 0.8),
    sig("pg-refused", "network", "refused",
        r"connection to server (?:at|on socket) \"" + HOST + r"\"(?: \((?P<ip>[0-9a-fA-F.:]{2,45})\))?, port "
        r"(?P<port>\d{1,5}) failed: Connection refused",
        "PostgreSQL: connection refused", 0.8),
    sig("pg-could-not-connect", "network", "refused", r"could not connect to server: Connection refused",
        "PostgreSQL: could not connect to server", 0.8),
    sig("mysql-refused", "network", "refused",
        r"Can't connect to (?:MySQL|MariaDB) server on '?" + HOST + r"'?(?::\d{1,5})? \(111|"
        r"Got error: 2002: Can't connect",
        "MySQL: can't connect (refused)", 0.8),
    sig("node-refused", "network", "refused",
        r"connect ECONNREFUSED(?: " + IP + r":(?P<port>\d{1,5}))?", "Node.js: connection refused", 0.8),
    sig("errno-111", "network", "refused",
        r"\[Errno 111\] Connection refused|ConnectException: Connection refused|Connection refused \(os error 111\)",
        "connection refused", 0.8),
    sig("envoy-upstream", "network", "refused",
        r"upstream connect error or disconnect/reset before headers|no healthy upstream",
        "mesh proxy: the upstream refused or is not ready", 0.8),
    sig("refused-generic", "network", "refused", r"Connection refused|\bECONNREFUSED\b", "connection refused",
        0.7),
    sig("curl-7-generic", "network", "refused", r"curl: \(7\) (?:Failed to connect to " + HOST + r")?",
        "curl exit 7: failed to connect", 0.75),
    # -- unreachable: no route (a down host, a wrong address, or a policy that rejects)
    sig("unreachable", "network", "unreachable",
        r"No route to host|\bEHOSTUNREACH\b|Network is unreachable|\bENETUNREACH\b|\[Errno 113\]|"
        r"NoRouteToHostException|Can't connect to (?:MySQL|MariaDB) server on [^\n]{1,300}? \(113",
        "host or network unreachable", 0.75),
    # -- timeouts: nothing answered in time
    sig("curl-28", "network", "timeout",
        r"curl: \(28\) (?:Operation timed out|Connection timed out|Failed to connect to " + HOST
        + r"(?: port (?P<port>\d{1,5}))?.{0,200}?Timeout was reached|Resolving timed out)",
        "curl exit 28: timed out", 0.8),
    sig("go-io-timeout", "network", "timeout",
        r"dial tcp " + IP + r":(?P<port>\d{1,5}): (?:i/o timeout|connect: connection timed out)",
        "TCP connect timed out", 0.8),
    sig("kubectl-unreachable", "network", "timeout",
        r"Unable to connect to the server: dial tcp " + IP + r":(?P<port>\d{1,5})",
        "kubectl: unable to connect to the API server", 0.8),
    sig("aws-endpoint", "network", "timeout", r"Could not connect to the endpoint URL:? \"?(?P<url>[^\"\s]{1,500})",
        "could not connect to the endpoint", 0.8),
    sig("pg-timeout", "network", "timeout",
        r"connection to server at \"" + HOST + r"\".{0,100}?port (?P<port>\d{1,5}) failed: "
        r"(?:Connection timed out|timeout expired|Operation timed out)|"
        r"could not connect to server: (?:Connection|Operation) timed out",
        "PostgreSQL: connection timed out", 0.8),
    sig("mysql-timeout", "network", "timeout",
        r"Can't connect to (?:MySQL|MariaDB) server on '?" + HOST + r"'?(?::\d{1,5})? \(110",
        "MySQL: connection timed out", 0.8),
    sig("read-timeout", "network", "timeout",
        r"ReadTimeout(?:Error)?\b|Read timed out|ConnectTimeout(?:Error)?\b|connect timed out|"
        r"SocketTimeoutException|\bE(?:SOCKET)?TIMEDOUT\b|\[Errno 110\]|Client\.Timeout exceeded|"
        r"TLS handshake timeout|request canceled while waiting for connection",
        "request timed out", 0.75),
    sig("mongo-unreachable", "network", "timeout",
        r"no reachable servers|Server selection timed out|server selection error", "MongoDB: no reachable server",
        0.8),
    sig("apk-temporary", "network", "timeout",
        r"ERROR: (?P<url>https?://[^\s:]{1,300}): temporary error \(try again later\)",
        "apk: temporary error fetching the index", 0.75),
    sig("wget-timeout", "network", "timeout", r"wget: .{0,300}?(?:Connection timed out|download timed out)",
        "wget: timed out", 0.75),
    sig("grpc-deadline", "network", "timeout", r"code = DeadlineExceeded", "gRPC: deadline exceeded", 0.65),
    sig("io-timeout", "network", "timeout", r"\bi/o timeout\b", "i/o timeout", 0.7),
    sig("context-deadline", "network", "timeout", r"context deadline exceeded", "context deadline exceeded", 0.65),
    sig("connection-timed-out", "network", "timeout", r"Connection timed out|Operation timed out",
        "connection timed out", 0.65),
    # -- HTTP: the server answered with an error
    sig("curl-52", "network", "http", r"curl: \(52\) Empty reply from server", "curl exit 52: empty reply", 0.7),
    sig("curl-22", "network", "http", r"curl: \(22\) The requested URL returned error: (?P<code>\d{3})",
        "curl exit 22: HTTP error", 0.75),
    sig("wget-http", "network", "http",
        r"wget: server returned error: HTTP/1\.[01] (?P<code>\d{3})|ERROR (?P<code2>[45]\d\d): ", "wget: HTTP error",
        0.75),
    sig("http-status-line", "network", "http", r"^(?:< )?HTTP/\d(?:\.\d)? (?P<code>[45]\d\d)\b",
        "HTTP error status", 0.7),
    sig("http-client-error", "network", "http",
        r"(?P<code>[45]\d\d) (?:Client|Server) Error: |HTTP Error (?P<code2>[45]\d\d):|"
        r"Request failed with status code (?P<code3>[45]\d\d)|unexpected status code:? (?P<code4>[45]\d\d)|"
        r"bad status:? (?P<code5>[45]\d\d)",
        "HTTP error from the server", 0.75),
    sig("http-rate-limit", "network", "http", r"429 Too Many Requests|\bTooManyRequests\b|API rate limit exceeded",
        "HTTP 429: rate limited", 0.75),
    sig("http-5xx", "network", "http",
        r"\b(?P<code>50[234]) (?:Bad Gateway|Service (?:Temporarily )?Unavailable|Gateway Time-?out)\b",
        "HTTP 5xx from a gateway", 0.7),
    sig("html-error-page", "network", "http",
        r"<title>(?P<code>[45]\d\d) [^<]{1,80}</title>|<h1>(?P<code2>[45]\d\d) ",
        "an HTTP error page", 0.7),
    sig("json-error-status", "network", "http",
        r"^\s{0,8}\{\s{0,8}\"error\"\s{0,8}:.{0,4000}?\"status\"\s{0,8}:\s{0,8}(?P<code>[45]\d\d)\s{0,8}\}",
        "HTTP API error body", 0.7),
    # -- generic: retries ran out (the cause, when named, matched above)
    sig("pip-retries", "network", "timeout", r"Max retries exceeded with url", "HTTP client: max retries exceeded",
        0.7),
)
