"""Images that change under a CronJob: `:latest` or no tag at all (which means latest)."""

from __future__ import annotations

from collections.abc import Iterable

from cronjob_doctor.lint.base import BaseCheck, LintFinding, Severity, Workload


def image_tag(image: str) -> str | None:
    """The tag of an image reference (`alpine:3.20` -> `3.20`), None when untagged; digests count as pinned."""
    if "@" in image:
        return image.split("@", 1)[1]
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


class ImageLatest(BaseCheck):
    id = "image-latest"
    severity: Severity = "warning"
    title = "Image tag is latest or missing"
    help = (
        "A floating tag changes what runs between two scheduled runs without any change to the CronJob, and "
        "it makes imagePullPolicy default to Always, so every run depends on the registry."
    )

    def check(self, workload: Workload) -> Iterable[LintFinding]:
        for container in workload.containers():
            image = str(container.spec.get("image") or "")
            if not image:
                continue
            tag = image_tag(image)
            if tag not in (None, "latest"):
                continue
            state = "is untagged (that means :latest)" if tag is None else "uses :latest"
            yield self.finding(
                workload,
                message=f"container {container.name!r} image {image} {state}",
                path=f"{container.path}.image",
                fix="pin a version tag or a digest (image@sha256:...)",
            )
