"""The log signatures table: error texts that real tools print, each mapped to a verdict family and detail.

One module per family holds its texts (permission, network, memory, config, script); this one fixes the order.
The first signature that matches a line wins, so: recovery lines first (they are not errors), exec failures
before the file-system `Permission denied`, permission before network (a denied upload also names its host),
runtime out-of-memory errors, network, config, script errors, and the child-process `Killed` last.
Nothing here judges context: the rules do.
"""

from __future__ import annotations

from cronjob_doctor.rules.signatures._base import MAX_LINE, Signature
from cronjob_doctor.rules.signatures.config import CONFIG, EXEC
from cronjob_doctor.rules.signatures.memory import CHILD, RUNTIME
from cronjob_doctor.rules.signatures.network import NETWORK
from cronjob_doctor.rules.signatures.permission import PERMISSION
from cronjob_doctor.rules.signatures.script import RECOVERY, SCRIPT

SIGNATURES: tuple[Signature, ...] = (*RECOVERY, *EXEC, *PERMISSION, *RUNTIME, *NETWORK, *CONFIG, *SCRIPT, *CHILD)

__all__ = ["MAX_LINE", "SIGNATURES", "Signature"]
