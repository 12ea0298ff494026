"""Permission texts: Kubernetes RBAC and authentication as every client prints them (kubectl, client-go, the
Python, Java, JavaScript and C# clients, fabric8, raw HTTP), cloud IAM (AWS, GCP, Azure), object stores (S3,
MinIO/mc, GCS, Azure Blob), credentials, databases, and the file system.

Details: `rbac`, `credentials`, `cloud-iam`, `object-store`, `database`, `filesystem`. A quota `forbidden` is
not RBAC (scheduling owns it), and an image pull refused for credentials stays `image-pull` (pod status).
"""

from __future__ import annotations

from cronjob_doctor.rules.signatures._base import Signature, sig

_Q = r'\\?"'  # a quote, escaped or not (a Status message inside JSON escapes its quotes)
_NOT_QUOTE = r'[^"\\]'

PERMISSION: tuple[Signature, ...] = (
    # -- Kubernetes RBAC: the API server's own sentence, whichever client relays it
    sig("kubectl-forbidden", "permission", "rbac",
        r"Error from server \(Forbidden\):(?!.{0,400}exceeded quota).{0,400}?cannot (?P<verb>[a-z]{1,20}) "
        r"resource \"(?P<resource>[^\"]{1,100})\"(?: in API group \"(?P<group>[^\"]{0,100})\")?"
        r"(?: in the namespace \"(?P<namespace>[^\"]{1,100})\")?",
        "kubectl: RBAC Forbidden", 0.85),
    sig("k8s-forbidden-user", "permission", "rbac",
        r"forbidden: User " + _Q + _NOT_QUOTE + r"{1,200}" + _Q + r" cannot (?P<verb>[a-z]{1,20}) "
        r"(?:resource " + _Q + r"(?P<resource>" + _NOT_QUOTE + r"{1,100})" + _Q
        + r"(?: in API group " + _Q + r"(?P<group>" + _NOT_QUOTE + r"{0,100})" + _Q + r")?"
        r"|(?P<resource2>[a-z0-9.-]{1,100}))",
        "Kubernetes API: RBAC Forbidden", 0.85),
    sig("k8s-user-cannot", "permission", "rbac",
        r"User " + _Q + r"system:serviceaccount:" + _NOT_QUOTE + r"{1,200}" + _Q
        + r" cannot (?P<verb>[a-z]{1,20}) (?:resource )?" + _Q + r"?(?P<resource>[a-z0-9.-]{1,100})",
        "Kubernetes API: ServiceAccount not allowed", 0.8),
    sig("kubectl-forbidden-generic", "permission", "rbac", r"Error from server \(Forbidden\)(?!.{0,400}exceeded quota)",
        "kubectl: Forbidden", 0.75),
    sig("fabric8-forbidden", "permission", "rbac", r"Forbidden! ?Configured service account doesn't have access",
        "fabric8 Kubernetes client: Forbidden", 0.8),
    sig("java-client-forbidden", "permission", "rbac", r"io\.kubernetes\.client(?:\.openapi)?\.ApiException: Forbidden",
        "Kubernetes Java client: Forbidden", 0.8),
    sig("csharp-client-forbidden", "permission", "rbac",
        r"k8s\.Autorest\.HttpOperationException: Operation returned an invalid status code 'Forbidden'",
        "Kubernetes C# client: Forbidden", 0.8),
    sig("python-client-403", "permission", "rbac", r"ApiException: \(403\)", "Kubernetes Python client: 403 Forbidden",
        0.8),
    sig("k8s-status-forbidden", "permission", "rbac", r'"reason"\s{0,4}:\s{0,4}"Forbidden"',
        "Kubernetes API Status: Forbidden", 0.75, case=True),
    sig("http-403-k8s-api", "permission", "rbac",
        r"\b403\b.{0,80}?Forbidden.{0,200}?/(?:api/v1|apis/[a-z0-9.-]{1,100}/v\d)",
        "HTTP 403 from the Kubernetes API", 0.8),
    # -- Kubernetes authentication: a token or kubeconfig the API server does not accept
    sig("kubectl-unauthorized", "permission", "credentials",
        r"You must be logged in to the server|the server has asked for the client to provide credentials",
        "kubectl: token refused (Unauthorized)", 0.85),
    sig("python-client-401", "permission", "credentials", r"ApiException: \(401\)",
        "Kubernetes Python client: 401 Unauthorized", 0.8),
    sig("java-client-unauthorized", "permission", "credentials",
        r"io\.kubernetes\.client(?:\.openapi)?\.ApiException: Unauthorized", "Kubernetes Java client: Unauthorized",
        0.8),
    sig("http-401", "permission", "credentials", r"\b401 (?:Client Error: )?Unauthorized\b|\bHTTP 401\b",
        "HTTP 401: the credentials were refused", 0.75),
    sig("k8s-status-unauthorized", "permission", "credentials", r'"reason"\s{0,4}:\s{0,4}"Unauthorized"',
        "API Status: Unauthorized", 0.75, case=True),
    # -- AWS: credentials first (a wrong key makes every call fail), then IAM, then S3 denials
    sig("s3-access-key", "permission", "credentials",
        r"The (?:AWS )?Access Key Id you provided does not exist in our records|\bInvalidAccessKeyId\b",
        "object store: unknown access key", 0.85),
    sig("s3-signature", "permission", "credentials",
        r"SignatureDoesNotMatch|The request signature we calculated does not match", "object store: wrong secret key "
        "(SignatureDoesNotMatch)", 0.85),
    sig("aws-token", "permission", "credentials",
        r"\bExpiredToken(?:Exception)?\b|The security token included in the request is (?:invalid|expired)|"
        r"\bInvalidClientTokenId\b|The provided token has expired|\bRequestExpired\b",
        "AWS: expired or invalid credentials", 0.85),
    sig("aws-no-credentials", "permission", "credentials",
        r"Unable to locate credentials|NoCredentialProviders|Missing credentials in config|"
        r"Could not load credentials from any providers|Unable to load (?:AWS )?credentials",
        "AWS: no credentials", 0.85),
    sig("aws-not-authorized-s3", "permission", "object-store",
        r"\bnot authorized to perform:? s3:(?P<action>[A-Za-z*]{1,60})", "AWS IAM: S3 action denied", 0.85),
    sig("aws-not-authorized", "permission", "cloud-iam",
        r"\bnot authorized to perform:? (?P<action>[a-z0-9-]{1,40}:[A-Za-z0-9*]{1,80})", "AWS IAM: action denied",
        0.85),
    sig("aws-s3-op-denied", "permission", "object-store",
        r"An error occurred \((?:AccessDenied|Forbidden|403|AllAccessDisabled)\) when calling the "
        r"(?P<op>(?:[A-Za-z]{0,30}(?:Object|Bucket|Upload|Multipart|Part)[A-Za-z]{0,30}|ListObjects[A-Za-z0-9]{0,4}))"
        r" operation",
        "AWS S3: AccessDenied", 0.85),
    sig("aws-iam-op-denied", "permission", "cloud-iam",
        r"An error occurred \((?:AccessDenied|AccessDeniedException|UnauthorizedOperation|AuthorizationError|"
        r"UnauthorizedAccess)\) when calling the (?P<op>[A-Za-z]{1,60}) operation",
        "AWS IAM: access denied", 0.85),
    sig("aws-access-denied", "permission", "object-store", r"An error occurred \((?:AccessDenied|Forbidden|403)\)",
        "AWS CLI: AccessDenied", 0.8),
    sig("aws-sdk-s3-403", "permission", "object-store",
        r"operation error S3: [A-Za-z]{1,60}, https response error StatusCode: 403|"
        r"(?:Amazon)?S3Exception: Access Denied|\(Service: (?:Amazon )?S3[;,] Status Code: 403",
        "AWS SDK: S3 403 Access Denied", 0.85),
    sig("aws-sdk-403", "permission", "cloud-iam",
        r"operation error [A-Za-z0-9 ]{1,40}: [A-Za-z]{1,60}, https response error StatusCode: 403|"
        r"\(Service: [A-Za-z0-9 ]{1,40}[;,] Status Code: 403",
        "AWS SDK: 403 from an AWS service", 0.8),
    sig("aws-unauthorized-operation", "permission", "cloud-iam", r"\bUnauthorizedOperation\b",
        "AWS: UnauthorizedOperation", 0.8, case=True),
    # -- GCP: an anonymous caller lacks credentials; a named one lacks a permission
    sig("gcp-anonymous", "permission", "credentials", r"Anonymous caller does not have", "GCP: no credentials "
        "(anonymous caller)", 0.85),
    sig("gcp-credentials", "permission", "credentials",
        r"Could not automatically determine credentials|Your default credentials were not found|"
        r"Request had invalid authentication credentials|\binvalid_grant\b|\bUNAUTHENTICATED\b",
        "GCP: missing or invalid credentials", 0.85),
    sig("gcs-denied", "permission", "object-store",
        r"does not have (?P<perm>storage\.[a-z]{1,30}\.[A-Za-z]{1,40}) access|"
        r"Permission '(?P<perm2>storage\.[a-z]{1,30}\.[A-Za-z]{1,40})' denied",
        "GCS: permission denied", 0.85),
    sig("gcp-iam-denied", "permission", "cloud-iam",
        r"does not have (?P<perm>[a-z]{2,40}\.[a-zA-Z]{2,40}\.[a-zA-Z]{2,40}) (?:permission|access)|"
        r"Permission '(?P<perm2>[a-z]{2,40}\.[a-zA-Z.]{2,80})' denied|\bIAM_PERMISSION_DENIED\b|"
        r"\bPERMISSION_DENIED\b|[Tt]he caller does not have permission",
        "GCP IAM: permission denied", 0.85, case=True),
    sig("gsutil-denied", "permission", "object-store", r"AccessDeniedException: 403", "gsutil: 403 access denied", 0.8),
    sig("googleapi-403", "permission", "cloud-iam",
        r"googleapi: Error 403\b|GoogleJsonResponseException: 403 Forbidden",
        "Google API: 403", 0.8),
    # -- Azure
    sig("azure-storage-denied", "permission", "object-store",
        r"\bAuthorizationPermissionMismatch\b|\bAuthorizationFailure\b|"
        r"This request is not authorized to perform this operation",
        "Azure Storage: request not authorized", 0.85),
    sig("azure-auth-failed", "permission", "credentials",
        r"\bAuthenticationFailed\b|Server failed to authenticate the request|\bInvalidAuthenticationInfo\b|"
        r"\bAADSTS\d{4,8}\b",
        "Azure: authentication failed", 0.85),
    sig("azure-rbac", "permission", "cloud-iam",
        r"\bAuthorizationFailed\b|does not have authorization to perform action",
        "Azure RBAC: action not authorized", 0.85),
    # -- S3-compatible stores and generic S3 texts (MinIO, mc, rclone, restic, the SDKs)
    sig("mc-access-denied", "permission", "object-store", r"mc: <ERROR>.{0,400}?Access Denied",
        "mc: Access Denied by the object store", 0.85),
    sig("s3-access-denied", "permission", "object-store",
        r"\bAccessDenied: Access Denied|<Code>AccessDenied</Code>|\bS3UploadFailedError\b.{0,400}?AccessDenied",
        "object store: Access Denied", 0.85),
    sig("access-denied", "permission", "object-store", r"^Access Denied\.?$", "Access Denied", 0.7),
    sig("aws-access-denied-exception", "permission", "cloud-iam",
        r"(?<![.\w])AccessDeniedException\b(?!: /)", "AWS: AccessDeniedException", 0.75, case=True),
    sig("gcloud-no-account", "permission", "credentials",
        r"You do not currently have an active account selected|Please run 'az login'|\bBad credentials\b",
        "CLI: not logged in, or the token was refused", 0.8),
    sig("gcloud-no-permission", "permission", "cloud-iam", r"does not have permission to access",
        "cloud IAM: no permission to access the resource", 0.8),
    sig("vault-denied", "permission", "cloud-iam", r"Code: 403\. Errors:|^\*\s{0,4}permission denied$",
        "Vault: the token's policy does not allow this path", 0.8),
    # -- git and ssh
    sig("ssh-publickey", "permission", "credentials", r"Permission denied \(publickey", "ssh: key refused", 0.85),
    sig("git-auth", "permission", "credentials",
        r"Authentication failed for '|could not read Username for '|HTTP Basic: Access denied",
        "git: authentication failed", 0.85),
    # -- databases: authentication and grants
    sig("pg-password", "permission", "database",
        r"password authentication failed for user|fe_sendauth: no password supplied|no password supplied",
        "PostgreSQL: authentication failed", 0.85),
    sig("pg-hba", "permission", "database", r"no pg_hba\.conf entry for", "PostgreSQL: no pg_hba.conf entry", 0.85),
    sig("pg-role", "permission", "database", r"FATAL:\s{1,4}role \"[^\"]{1,100}\" does not exist",
        "PostgreSQL: role does not exist", 0.85),
    sig("pg-grant", "permission", "database",
        r"permission denied for (?:table|relation|schema|database|sequence|function|view|large object)|"
        r"must be owner of (?:table|relation|schema|database|sequence|function|extension)",
        "PostgreSQL: missing grant", 0.8),
    sig("mysql-denied", "permission", "database",
        r"Access denied for user '|\bERROR 104[45] \(|Got error: 104[45]|Access denied; you need",
        "MySQL: access denied", 0.85),
    sig("mongo-auth", "permission", "database",
        r"Mongo[A-Za-z]{0,20}Error: Authentication failed|not authorized on [^\s]{1,100} to execute command|"
        r"command [a-zA-Z]{1,40} requires authentication|\bSASL authentication \S{1,40} failed",
        "MongoDB: authentication or authorization failed", 0.85),
    sig("redis-auth", "permission", "database",
        r"\bNOAUTH Authentication required|\bWRONGPASS\b|ERR invalid password",
        "Redis: authentication failed", 0.85),
    sig("mssql-login", "permission", "database", r"Login failed for user '", "SQL Server: login failed", 0.85),
    sig("oracle-login", "permission", "database", r"\bORA-01017\b", "Oracle: invalid username/password", 0.85),
    # -- the file system: the process's user (securityContext) cannot write or read a path
    sig("fs-readonly", "permission", "filesystem", r"Read-only file system|\bEROFS\b",
        "read-only file system", 0.75),
    sig("java-nio-denied", "permission", "filesystem", r"java\.nio\.file\.AccessDeniedException: ",
        "Java: file access denied", 0.8),
    sig("python-errno-13", "permission", "filesystem", r"PermissionError: \[Errno 13\]|\[Errno 13\] Permission denied",
        "Python: permission denied on a path", 0.8),
    sig("node-eacces", "permission", "filesystem", r"\bEACCES\b", "Node.js: EACCES on a path", 0.75, case=True),
    sig("fs-eperm", "permission", "filesystem",
        r"(?:chown|chmod|chgrp|setgroups|setuid|setgid|cannot|can't|could not|failed to)[^\n]{0,200}?"
        r"Operation not permitted",
        "operation not permitted (changing owner, mode or user)", 0.7),
    sig("permission-denied", "permission", "filesystem", r"Permission denied", "permission denied", 0.65),
)
