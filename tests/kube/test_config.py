"""Credentials are found as kubectl finds them, into a private client configuration, with one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from cronjob_doctor.errors import InputError
from cronjob_doctor.kube import config
from cronjob_doctor.kube.client import Kube
from cronjob_doctor_sandbox import Sandbox


def _kubeconfig(
    path: Path,
    *,
    contexts: dict[str, str | None],
    current: str | None,
    server: str = "https://a:6443",
    cluster: str = "c1",
    user: str = "u1",
    with_cluster: bool = True,
) -> Path:
    doc: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster, "cluster": {"server": server}}] if with_cluster else [],
        "users": [{"name": user, "user": {"token": "t"}}],
        "contexts": [
            {"name": name, "context": {"cluster": cluster, "user": user, **({"namespace": ns} if ns else {})}}
            for name, ns in contexts.items()
        ],
    }
    if current:
        doc["current-context"] = current
    path.write_text(yaml.safe_dump(doc))
    return path


def test_kubeconfig_argument_gives_context_server_and_default_namespace(
    bare: Sandbox, tmp_path: Path
) -> None:
    path = bare.write_kubeconfig(tmp_path / "kc", context="prod", namespace="tofu-state")
    kube = Kube.connect(str(path))
    assert (kube.context, kube.server, kube.default_namespace) == ("prod", bare.url, "tofu-state")
    assert kube.list_pods("tofu-state") == []


def test_context_without_namespace_defaults_to_default(tmp_path: Path) -> None:
    path = _kubeconfig(tmp_path / "kc", contexts={"dev": None}, current="dev")
    assert config.load(str(path), environ={}).default_namespace == "default"


def test_unknown_context_is_a_one_line_input_error(tmp_path: Path) -> None:
    path = _kubeconfig(tmp_path / "kc", contexts={"dev": None, "stage": None}, current="dev")
    with pytest.raises(InputError) as caught:
        config.load(str(path), "prod", environ={})
    assert str(caught.value) == f'context "prod" not found in kubeconfig {path}'
    assert caught.value.hint == "known contexts: dev, stage"


def test_missing_kubeconfig_argument_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"kubeconfig .*nope not found"):
        config.load(str(tmp_path / "nope"), environ={})


@pytest.mark.parametrize("content", ["clusters: [\n", "- just\n- a list\n", ""])
def test_invalid_kubeconfig_is_an_input_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "kc"
    path.write_text(content)
    with pytest.raises(InputError, match="kubeconfig"):
        config.load(str(path), environ={})


def test_no_current_context_asks_for_one(tmp_path: Path) -> None:
    path = _kubeconfig(tmp_path / "kc", contexts={"dev": None}, current=None)
    with pytest.raises(InputError, match="sets no current-context") as caught:
        config.load(str(path), environ={})
    assert caught.value.hint == "pass --context NAME (contexts: dev)"


def test_context_naming_a_missing_cluster_is_an_input_error(tmp_path: Path) -> None:
    path = _kubeconfig(tmp_path / "kc", contexts={"dev": None}, current="dev", with_cluster=False)
    with pytest.raises(InputError, match='cannot use context "dev"'):
        config.load(str(path), environ={})


def test_kubeconfig_list_is_merged_first_file_wins(tmp_path: Path) -> None:
    first = _kubeconfig(
        tmp_path / "a", contexts={"one": "ns-one"}, current="one", server="https://one:6443", cluster="c1"
    )
    second = _kubeconfig(
        tmp_path / "b",
        contexts={"two": "ns-two", "one": "shadowed"},
        current="two",
        server="https://two:6443",
        cluster="c2",
        user="u2",
    )
    listed = f"{first}:{tmp_path / 'missing'}:{second}"
    loaded = config.load(environ={"KUBECONFIG": listed})
    # current-context and the duplicate context "one" both come from the first file, as in kubectl
    assert (loaded.context, loaded.server, loaded.default_namespace) == ("one", "https://one:6443", "ns-one")
    other = config.load(None, "two", environ={"KUBECONFIG": listed})
    assert (other.server, other.default_namespace) == ("https://two:6443", "ns-two")


def test_default_location_is_home_kube_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".kube").mkdir()
    _kubeconfig(tmp_path / ".kube" / "config", contexts={"home": "mine"}, current="home")
    loaded = config.load(environ={})
    assert (loaded.context, loaded.default_namespace) == ("home", "mine")
    assert loaded.source == "kubeconfig ~/.kube/config"


def test_nothing_configured_is_an_input_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(InputError, match="no cluster configuration") as caught:
        config.load(environ={})
    assert caught.value.hint == "pass --kubeconfig PATH or set KUBECONFIG"


def _service_account(tmp_path: Path, namespace: str | None = "jobs") -> Path:
    directory = tmp_path / "sa"
    directory.mkdir()
    (directory / "token").write_text("in-cluster-token")
    (directory / "ca.crt").write_text("not really a certificate\n")
    if namespace:
        (directory / "namespace").write_text(namespace)
    return directory


def test_in_cluster_uses_the_service_account(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    env = {"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"}
    loaded = config.load(environ=env, service_account_dir=_service_account(tmp_path))
    assert (loaded.context, loaded.server, loaded.default_namespace) == (None, "https://10.0.0.1:443", "jobs")
    assert loaded.api_client.configuration.api_key["BearerToken"] == "bearer in-cluster-token"
    assert loaded.source == "in-cluster config"


def test_in_cluster_without_namespace_file_uses_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    env = {"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"}
    loaded = config.load(environ=env, service_account_dir=_service_account(tmp_path, namespace=None))
    assert loaded.default_namespace == "default"


def test_in_cluster_with_a_context_flag_is_an_input_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    env = {"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"}
    with pytest.raises(InputError, match='context "prod" not found'):
        config.load(None, "prod", environ=env, service_account_dir=_service_account(tmp_path))


def test_kubeconfig_env_beats_home_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".kube").mkdir()
    _kubeconfig(tmp_path / ".kube" / "config", contexts={"home": None}, current="home")
    env_file = _kubeconfig(tmp_path / "env", contexts={"env": None}, current="env")
    assert config.load(environ={"KUBECONFIG": str(env_file)}).context == "env"


def test_urllib3_retries_are_off_and_the_default_configuration_untouched(
    bare: Sandbox, tmp_path: Path
) -> None:
    from kubernetes.client import Configuration

    before = Configuration.get_default_copy().host
    kube = Kube.connect(str(bare.write_kubeconfig(tmp_path / "kc")))
    retries = kube._loaded.api_client.configuration.retries
    assert (retries.total, retries.connect, retries.read, retries.redirect) == (0, 0, 0, 0)
    assert Configuration.get_default_copy().host == before != bare.url


def test_help_never_loads_the_kubernetes_client() -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from cronjob_doctor.cli import app\n"
        "result = CliRunner().invoke(app, ['--help'])\n"
        "assert result.exit_code == 0, result.output\n"
        "import cronjob_doctor.kube\n"
        "print('kubernetes' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
