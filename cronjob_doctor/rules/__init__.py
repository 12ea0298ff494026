"""Root-cause rules: one module per verdict family behind the `Rule` protocol, and the registry.

RULES is in registry order: the engine breaks confidence ties by it, so families whose evidence comes from pod
status come before those that read logs. A new family is one module, one line here and one test file.
SilentRule is not a family: it answers a family's verdict with `detail: silent` for a run that exited 0.
"""

from __future__ import annotations

from cronjob_doctor.rules.base import Rule
from cronjob_doctor.rules.config import ConfigRule
from cronjob_doctor.rules.deadline import DeadlineRule
from cronjob_doctor.rules.eviction import EvictionRule
from cronjob_doctor.rules.image_pull import ImagePullRule
from cronjob_doctor.rules.network import NetworkRule
from cronjob_doctor.rules.oom import OomRule
from cronjob_doctor.rules.permission import PermissionRule
from cronjob_doctor.rules.scheduling import SchedulingRule
from cronjob_doctor.rules.script_error import ScriptErrorRule
from cronjob_doctor.rules.silent import SilentRule
from cronjob_doctor.rules.success import SuccessRule

RULES: tuple[Rule, ...] = (
    SuccessRule(),
    OomRule(),
    DeadlineRule(),
    EvictionRule(),
    ImagePullRule(),
    SchedulingRule(),
    ConfigRule(),
    PermissionRule(),
    NetworkRule(),
    ScriptErrorRule(),
    SilentRule(),
)

__all__ = ["RULES"]
