"""Memory texts: a runtime's own out-of-memory error (JVM and the frameworks on it, Node.js, Go, Python, .NET,
Ruby, PHP, Rust, C++), and a child process SIGKILLed inside the container while its parent lives on (the
cgroup OOM killer picks the biggest process, which is often a child: curl, apk, sed, restic).

Details: `runtime` (the fix is the runtime's heap setting, then the limit) and `child` (the limit). A database
server's own `ERROR: out of memory` is not here: that is the server's memory, not the job's.
"""

from __future__ import annotations

from cronjob_doctor.rules.signatures._base import Signature, sig

RUNTIME: tuple[Signature, ...] = (
    sig("jvm-oom", "oom", "runtime", r"\bOutOfMemoryError\b", "JVM: OutOfMemoryError", 0.88),
    sig("spark-driver-memory", "oom", "runtime", r"System memory \d{1,20} must be at least \d{1,20}",
        "Spark: driver heap too small for the JVM's memory", 0.88),
    sig("node-heap", "oom", "runtime",
        r"JavaScript heap out of memory|Reached heap limit Allocation failed|"
        r"Ineffective mark-compacts near heap limit",
        "Node.js: JavaScript heap out of memory", 0.88),
    sig("go-oom", "oom", "runtime", r"fatal error: runtime: out of memory|runtime: out of memory: cannot allocate",
        "Go runtime: out of memory", 0.88),
    sig("dotnet-oom", "oom", "runtime", r"System\.OutOfMemoryException", ".NET: OutOfMemoryException", 0.88),
    sig("python-oom", "oom", "runtime",
        r"(?:^|[\s.:(])MemoryError\b|_ArrayMemoryError|Unable to allocate [\d.]{1,20} [KMGTP]i?B for an array",
        "Python: MemoryError", 0.85, case=True),
    sig("php-oom", "oom", "runtime", r"Allowed memory size of \d{1,20} bytes exhausted", "PHP: memory_limit exhausted",
        0.85),
    sig("ruby-oom", "oom", "runtime", r"\bNoMemoryError\b|failed to allocate memory \(NoMemoryError",
        "Ruby: NoMemoryError", 0.85),
    sig("rust-oom", "oom", "runtime", r"memory allocation of \d{1,20} bytes failed", "Rust: allocation failed", 0.85),
    sig("cpp-oom", "oom", "runtime", r"std::bad_alloc", "C++: std::bad_alloc", 0.8),
    sig("cuda-oom", "oom", "runtime", r"CUDA out of memory", "CUDA: GPU out of memory", 0.8),
    sig("r-oom", "oom", "runtime", r"cannot allocate vector of size", "R: cannot allocate vector", 0.85),
    sig("pg-client-oom", "oom", "runtime", r"^pg_(?:dump|dumpall|restore): (?:error: )?out of memory",
        "pg_dump ran out of memory", 0.8),
    sig("enomem", "oom", "runtime", r"Cannot allocate memory|\bENOMEM\b", "cannot allocate memory (ENOMEM)", 0.7),
)

CHILD: tuple[Signature, ...] = (
    sig("kernel-oom-kill", "oom", "child",
        r"Memory cgroup out of memory: Kill(?:ed)? process|Killed process \d{1,10} \(|oom-kill:",
        "the kernel's OOM killer killed a process", 0.85),
    sig("killed", "oom", "child",
        r"^(?:(?:/bin/)?(?:ba|a|da)?sh: (?:line \d{1,6}:\s{1,10})?(?:\d{1,10}\s{1,40})?)?Killed\b",
        "a child process was SIGKILLed (Killed)", 0.8),
    sig("child-sigkill", "oom", "child",
        r"signal: killed|exit status 137\b|terminated by signal 9\b|killed by signal 9\b|terminated by SIGKILL|"
        r"Signals\.SIGKILL|non-zero exit status -9\b|exit(?:ed with)? code -9\b|exited with code 137\b|"
        r"terminated with exit signal 9\b",
        "a child process was SIGKILLed", 0.75),
)
