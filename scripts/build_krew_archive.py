"""Build the krew archive (the launcher in examples/krew/) byte for byte reproducibly, and check the manifest.

krew installs a plugin from an archive whose sha256 the manifest pins. The archive is built with a fixed
date and mode and no compression, so the same launcher always gives the same sha256 and the manifest in
examples/krew/cronjob-doctor.yaml can be checked against it in CI.

    python scripts/build_krew_archive.py            # writes dist/kubectl-cronjob_doctor-v<version>.zip
    python scripts/build_krew_archive.py --check    # exit 1 if the manifest's sha256 or version is stale
    kubectl krew install --manifest=examples/krew/cronjob-doctor.yaml \
        --archive=dist/kubectl-cronjob_doctor-v<version>.zip                  # install it locally
"""

from __future__ import annotations

import argparse
import hashlib
import io
import stat
import sys
import zipfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
KREW = ROOT / "examples" / "krew"
LAUNCHER = KREW / "kubectl-cronjob_doctor"
MANIFEST = KREW / "cronjob-doctor.yaml"


def version() -> str:
    """The package version, read from pyproject.toml so the script runs without the package installed."""
    for line in (ROOT / "pyproject.toml").read_text().splitlines():
        if line.startswith("version = "):
            return line.split("=", 1)[1].strip().strip('"')
    raise SystemExit("no version in pyproject.toml")


def archive_bytes() -> bytes:
    """The zip krew downloads: the launcher alone, mode 0755, stored (not deflated), dated 1980-01-01.

    Stored rather than deflated: compressed bytes depend on the zlib build (zlib-ng differs), the sha256 must not.
    """
    info = zipfile.ZipInfo(LAUNCHER.name, date_time=(1980, 1, 1, 0, 0, 0))
    info.create_system = 3  # Unix, so krew restores the mode bits below
    info.external_attr = (stat.S_IFREG | 0o755) << 16
    info.compress_type = zipfile.ZIP_STORED
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, mode="w") as archive:
        archive.writestr(info, LAUNCHER.read_bytes())
    return packed.getvalue()


def check(sha256: str, expected_version: str) -> list[str]:
    """What in the manifest disagrees with the archive and the package version (empty: it is current)."""
    manifest = yaml.safe_load(MANIFEST.read_text())
    problems = []
    if manifest["spec"]["version"] != f"v{expected_version}":
        problems.append(f"spec.version is {manifest['spec']['version']}, the package is v{expected_version}")
    for platform in manifest["spec"]["platforms"]:
        if platform["sha256"] != sha256:
            problems.append(f"sha256 {platform['sha256']} is stale: the archive's is {sha256}")
        if f"/v{expected_version}/" not in platform["uri"] or not platform["uri"].endswith(
            f"kubectl-cronjob_doctor-v{expected_version}.zip"
        ):
            problems.append(f"uri {platform['uri']} does not name release v{expected_version}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify the manifest instead of writing dist/")
    args = parser.parse_args(argv)
    data = archive_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    if args.check:
        problems = check(sha256, version())
        for problem in problems:
            print(f"error: {MANIFEST.relative_to(ROOT)}: {problem}", file=sys.stderr)
        return 1 if problems else 0
    out = ROOT / "dist" / f"kubectl-cronjob_doctor-v{version()}.zip"
    out.parent.mkdir(exist_ok=True)
    out.write_bytes(data)
    print(f"{out.relative_to(ROOT)}  sha256 {sha256}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
