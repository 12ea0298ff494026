"""Script texts with a known cause but no deeper family: a full disk, a truncated archive, a package or version
that does not exist, an object or bucket that does not exist; and the lines that say a retry recovered.

Details: `disk`, `archive`, `package`, `not-found`, `version` (a client older than its server), `data` (the input
is not what the script's jq/JSON handling expects), `sql`. Recovery lines have verdict `recovered`: they are not
errors, they cancel the errors before them (an rclone `Attempt 3/3 succeeded`).
"""

from __future__ import annotations

from cronjob_doctor.rules.signatures._base import Signature, sig

RECOVERY: tuple[Signature, ...] = (
    sig("retry-succeeded", "recovered", None,
        r"\battempt \d{1,4}(?: ?/ ?| of )\d{1,4}\)?:? succeeded\b|"
        r"\bsucceeded (?:after|on) (?:the )?(?:\d{1,4}(?:st|nd|rd|th)? )?(?:\w{1,10} )?"
        r"(?:attempts?|retr(?:y|ies)|tries|try)\b|\bretry (?:#?\d{1,4} )?(?:succeeded|successful)\b|"
        r"^\s{0,8}Errors:\s{1,20}0\s{0,8}$",
        "a retry succeeded", 0.9),
)

SCRIPT: tuple[Signature, ...] = (
    sig("no-space", "script-error", "disk", r"No space left on device|\bENOSPC\b|Disk quota exceeded|\bEDQUOT\b",
        "no space left on device", 0.75),
    sig("tar-eof", "script-error", "archive", r"tar: Unexpected EOF in archive", "tar: truncated archive", 0.7),
    sig("gzip-eof", "script-error", "archive", r"gzip: stdin: (?:unexpected end of file|not in gzip format)",
        "gzip: truncated or not a gzip archive", 0.7),
    sig("apk-select", "script-error", "package", r"ERROR: unable to select packages", "apk: unable to select packages",
        0.65),
    sig("apt-locate", "script-error", "package", r"Unable to locate package", "apt: unable to locate package", 0.65),
    sig("pip-version", "script-error", "package", r"Could not find a version that satisfies the requirement",
        "pip: no matching version", 0.65),
    sig("version-mismatch", "script-error", "version", r"server version mismatch|version mismatch between (?:the )?"
        r"client and (?:the )?server|server version: \S{1,40}; \S{1,40} version: ",
        "the client tool is older than the server (version mismatch)", 0.8),
    sig("data-error", "script-error", "data",
        r"^jq: error|^(?:jq|yq): .{0,40}?parse error|json\.decoder\.JSONDecodeError|"
        r"SyntaxError: Unexpected token .{1,20} in JSON|Cannot iterate over null|Cannot index \w{1,20} with",
        "the data the script processes is not what it expects (jq/JSON)", 0.75),
    sig("bucket-missing", "script-error", "not-found",
        r"\bNoSuchBucket\b|The specified bucket does not exist|\bBucketNotFoundException\b|"
        r"bucket does not exist|\bNoSuchKey\b|The specified key does not exist|An error occurred \(404\)|"
        r"CommandException: No URLs matched",
        "the bucket or object does not exist", 0.7),
    sig("k8s-not-found", "script-error", "not-found", r"Error from server \(NotFound\)",
        "kubectl: the object does not exist", 0.7),
    sig("restic-repo", "script-error", "not-found",
        r"Is there a repository at the following location|Fatal: repository does not exist|"
        r"Fatal: unable to open config file",
        "restic: no repository at that location", 0.7),
    sig("sql-error", "script-error", "sql",
        r"^(?:psql:\S{0,200}: )?(?:ERROR|FATAL):  \S|^ERROR \d{4} \([0-9A-Z]{5}\)",
        "the SQL statement failed", 0.7, case=True),
    sig("tar-failed", "script-error", "archive", r"tar: Exiting with failure status due to previous errors",
        "tar: failed", 0.7),
    # Tools that name a failure without its cause (the cause, when a line names it, matched above).
    sig("transfer-failed", "script-error", None,
        r"^(?:upload|download|copy|delete|move) failed: |\bFailed to (?:copy|sync|move|delete)(?: with \d{1,9} "
        r"errors)?: |CommandException: \d{1,9} files?/objects? could not be transferred|^mc: <ERROR> ",
        "a transfer failed", 0.7),
    sig("dump-failed", "script-error", None,
        r"^pg_(?:dump|dumpall|restore): error: |errors ignored on restore: \d{1,9}|^mysqldump: (?:Got error|"
        r"Couldn't execute)|\bFailed: (?:error|can't|cannot|unable)|^Fatal: \S",
        "the dump, restore or backup tool failed", 0.7),
    sig("cli-error", "script-error", None, r"^error: \S", "the command printed an error", 0.7, case=True),
)
