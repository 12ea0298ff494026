"""Script reading: which text is the script, its commands, steps, pipes, options and downloads."""

from __future__ import annotations

import pytest

from cronjob_doctor.lint.base import Container
from cronjob_doctor.lint.downloads import fetches, installs
from cronjob_doctor.lint.shell import commands, has_pipe, script_of, sets_option, steps


def _container(**spec: object) -> Container:
    return Container(spec={"name": "c", **spec}, path="spec.containers[0]")


@pytest.mark.parametrize(
    ("spec", "path", "is_shell", "text"),
    [
        ({"command": ["/bin/sh", "-c", "echo hi"]}, "spec.containers[0].command[2]", True, "echo hi"),
        ({"command": ["bash"], "args": ["-ec", "echo hi"]}, "spec.containers[0].args[1]", True, "echo hi"),
        ({"command": ["/bin/busybox", "sh", "-c", "echo hi"]}, "spec.containers[0].command[3]", True, "echo hi"),
        ({"args": ["--config", "/etc/app.yaml"]}, "spec.containers[0].args", False, "--config /etc/app.yaml"),
    ],
)
def test_script_of(spec: dict[str, object], path: str, is_shell: bool, text: str) -> None:
    script = script_of(_container(**spec))
    assert script is not None
    assert (script.path, script.is_shell, script.text) == (path, is_shell, text)


def test_no_command_means_the_image_entrypoint() -> None:
    assert script_of(_container(image="x")) is None


def test_commands_split_on_operators_outside_quotes_and_inside_substitutions() -> None:
    script = (
        "set -e  # strict\n"
        "v=$(curl -s https://dl.k8s.io/release/stable.txt)\n"
        "echo 'a;b|c' && kubectl get pods \\\n  -A | wc -l\n"
    )
    found = [(c.program, c.line) for c in commands(script)]
    assert found == [("set", 0), ("curl", 1), ("", 1), ("echo", 2), ("kubectl", 2), ("wc", 2)]
    assert [c.words for c in commands(script) if c.program == "kubectl"] == [("kubectl", "get", "pods", "-A")]


def test_steps_count_sequential_commands_not_and_chains() -> None:
    assert steps("a && b && c") == 1
    assert steps("a; b") == 2
    assert steps("if [ -f x ]; then\n  a\nfi\nb\n") == 3  # the test, the body, b


def test_pipes_and_options() -> None:
    assert has_pipe("a | b") and not has_pipe("a || b") and not has_pipe("echo 'a|b'")
    script = script_of(_container(command=["sh", "-c", "set -euo pipefail\na | b"]))
    assert script is not None
    assert sets_option(script, short="e", long="errexit") and sets_option(script, short="", long="pipefail")


@pytest.mark.parametrize(
    ("line", "output"),
    [
        ("curl -sSLo /tmp/mc https://dl.min.io/client/mc/release/linux-amd64/mc", "/tmp/mc"),
        ("curl -fsSL -o /tmp/k https://dl.k8s.io/v1/kubectl", "/tmp/k"),
        ("curl -LO https://dl.k8s.io/v1/bin/linux/amd64/kubectl", "kubectl"),
        ("curl -fsSL https://x.example/helm.tgz > /tmp/helm.tgz", "/tmp/helm.tgz"),
        ("wget -q https://x.example/a/restic.bz2", "restic.bz2"),
        ("wget -qO- https://x.example/install.sh", None),
        ("curl -fsS https://api.example/ping", None),
    ],
)
def test_fetch_output(line: str, output: str | None) -> None:
    (fetch,) = fetches(_container(command=["sh", "-c", line]))
    assert fetch.output == output


def test_installs_by_package_manager() -> None:
    script = "apk add --no-cache curl\napk info\napt-get install -y jq\npip3 install -r req.txt\nnpm ci\n"
    assert [i.manager for i in installs(_container(command=["sh", "-c", script]))] == ["apk", "apt", "pip", "npm"]
