"""Kubernetes resource quantities for memory (`128Mi`, `1G`, `1e9`): parsed to bytes and rendered back.

Pure. Parsing follows the API's quantity grammar; rendering picks the shortest exact binary suffix, as people
write limits.
"""

from __future__ import annotations

import re

from cronjob_doctor.errors import InputError

_QUANTITY = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|K|M|G|T|P|E|m)?$")
_FACTORS = {
    None: 1,
    "Ki": 1024,
    "Mi": 1024**2,
    "Gi": 1024**3,
    "Ti": 1024**4,
    "Pi": 1024**5,
    "Ei": 1024**6,
    "k": 1000,
    "K": 1000,
    "M": 1000**2,
    "G": 1000**3,
    "T": 1000**4,
    "P": 1000**5,
    "E": 1000**6,
}


def parse_bytes(quantity: str) -> int:
    """Parse a Kubernetes memory quantity (`128Mi`, `1G`, `134217728`, `1e9`) into bytes."""
    text = str(quantity).strip()
    sci = re.match(r"^([0-9]+(?:\.[0-9]+)?)[eE]([0-9]+)$", text)
    if sci:
        return int(float(sci.group(1)) * 10 ** int(sci.group(2)))
    match = _QUANTITY.match(text)
    if not match:
        raise InputError(f"invalid memory size {quantity!r}: expected a Kubernetes quantity such as 512Mi or 1Gi")
    number, suffix = match.groups()
    if suffix == "m":  # milli-bytes: legal in the API, absurd for memory, round up like the kubelet
        return max(1, int(float(number) / 1000 + 0.999))
    return int(float(number) * _FACTORS[suffix])


def format_bytes(value: int) -> str:
    """Render bytes as the shortest exact binary quantity (`512Mi`), else MiB with one decimal."""
    for suffix, factor in (("Gi", 1024**3), ("Mi", 1024**2), ("Ki", 1024)):
        if value >= factor and value % factor == 0:
            return f"{value // factor}{suffix}"
    if value >= 1024**2:
        return f"{value / 1024**2:.1f}Mi"
    if value >= 1024:
        return f"{value / 1024:.1f}Ki"
    return f"{value}"


def round_up_mi(value: int, *, step_mi: int = 64) -> str:
    """Round bytes up to a multiple of `step_mi` MiB and render it as a quantity (limits people would set)."""
    step = step_mi * 1024**2
    return format_bytes(max(step, -(-value // step) * step))
