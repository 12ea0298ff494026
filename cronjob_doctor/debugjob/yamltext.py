"""YAML that every reader takes back as written, for the manifests `--dry-run` prints and the `-o yaml` reports.

PyYAML quotes a string only when YAML 1.1's rules would read it as another type. Go's YAML (kubectl reads
manifests through sigs.k8s.io/yaml) also reads `578e0`, `1_000`, `0o17` and `0b1` as numbers: a debug Job named
`backup-doctor-578e0` carried a label that `kubectl apply` refused ("cannot unmarshal number into Go struct field
ObjectMeta.metadata.labels of type string"). Any string that reads as a number in one of them is quoted.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

NUMBER_LIKE = re.compile(
    r"[-+]?(0x[0-9a-f_]+|0o?[0-7_]+|0b[01_]+|[0-9][0-9_]*(\.[0-9_]*)?(e[-+]?[0-9]+)?|\.[0-9_]+(e[-+]?[0-9]+)?"
    r"|\.(inf|nan))",
    re.IGNORECASE,
)
"""What a YAML 1.1 or 1.2 reader, or Go's strconv behind one (underscores dropped, base prefixes, exponents
without a dot), may take for a number; matched whole, so `128Mi` stays plain."""


class _Dumper(yaml.SafeDumper):
    block_scripts = False


class _BlockDumper(_Dumper):
    block_scripts = True


def _represent_str(dumper: _Dumper, data: str) -> yaml.Node:
    if dumper.block_scripts and "\n" in data:
        style: str | None = "|"
    elif NUMBER_LIKE.fullmatch(data):
        style = "'"
    else:
        style = None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _represent_str)


def dump(data: Any, *, block_scripts: bool = False, sort_keys: bool = False) -> str:
    """`data` as block-style YAML, non-ASCII text kept readable. `block_scripts`: multi-line strings as `|`
    block scalars, so a reader sees a script as written."""
    dumper = _BlockDumper if block_scripts else _Dumper
    return str(yaml.dump(data, Dumper=dumper, sort_keys=sort_keys, allow_unicode=True, default_flow_style=False,
                         width=1000 if block_scripts else 80))
