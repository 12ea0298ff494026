"""The labels and annotations cronjob-doctor puts on what it creates (debug Jobs and their pods).

The tool deletes only objects that carry MANAGED_BY, and finds its own debug Jobs (running, orphaned, or to
skip when recording) by these labels. A bottom-layer module: kube/ checks the label before every delete,
debugjob/ writes it, the commands read it.
"""

from __future__ import annotations

MANAGED_BY_KEY = "app.kubernetes.io/managed-by"
MANAGED_BY = "cronjob-doctor"
MANAGED_BY_LABEL = (MANAGED_BY_KEY, MANAGED_BY)
SOURCE_LABEL = "cronjob-doctor/source"
"""The CronJob a debug Job was cloned from (truncated to 63 characters, a label value's limit)."""
RUN_ID_LABEL = "cronjob-doctor/run-id"
"""The diagnose run's own id: tells our Job from a namesake, and our create from someone else's."""
VARIANT_LABEL = "cronjob-doctor/variant"
ANNOTATION_PREFIX = "cronjob-doctor/"
SOURCE_ANNOTATION = ANNOTATION_PREFIX + "source-cronjob"
ORIGINAL_LIMITS_ANNOTATION = ANNOTATION_PREFIX + "original-memory-limits"
CHANGES_ANNOTATION = ANNOTATION_PREFIX + "changes"


def is_managed(labels: dict[str, str]) -> bool:
    """Whether an object with these labels was created by cronjob-doctor."""
    return labels.get(MANAGED_BY_KEY) == MANAGED_BY
