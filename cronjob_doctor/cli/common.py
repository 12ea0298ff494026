"""What every command shares: the common options (declared once), the context object that carries them, the
consoles, target resolution, and the one place that turns errors into messages and exit codes.

The common options work before the command name (`cronjob-doctor -n tofu-state history NAME`, as the app's
callback) and after it (added to each command's signature by `command()`); the command position wins. A flag
that does not apply to the command is refused, never silently ignored. Nothing here imports the kubernetes
client or rich at module level: `--help` and `lint -f` stay fast.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import shlex
import signal
import traceback
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import typer

try:  # typer 0.28 vendors click: click is not installed with it
    from typer._click import ClickException
except ImportError:  # older typer depends on click and raises its exceptions
    from click import ClickException  # type: ignore[no-redef,import-not-found,assignment,unused-ignore]

from cronjob_doctor.errors import DoctorError, InputError

if TYPE_CHECKING:
    from rich.console import Console

    from cronjob_doctor.k8s.names import Target
    from cronjob_doctor.kube.client import Kube

INTERNAL_ERROR = 70
"""An unexpected exception: a bug, not a verdict (sysexits' EX_SOFTWARE); --debug shows the traceback."""

EXIT_CODES_HELP = (
    "Exit codes: 0 the run(s) succeeded / nothing wrong found; 1 a failure was diagnosed; "
    "2 usage or input error; 3 cannot reach or use the cluster (unreachable, unauthorised, forbidden, "
    "not found, another diagnose of it running); 4 the capture is partial (a log could not be read to its "
    f"end: the report says which, at lowered confidence); {INTERNAL_ERROR} internal error (a bug: --debug "
    "shows the traceback); 130 interrupted (after cleanup)."
)


class Output(str, Enum):
    """Every report format; each command accepts the ones report.FORMATS lists for it."""

    text = "text"
    json = "json"
    yaml = "yaml"
    markdown = "markdown"
    sarif = "sarif"


@dataclass
class Common:
    """The common options as the command sees them: the global position, overridden by the command's own."""

    kubeconfig: str | None = None
    context: str | None = None
    namespace: str | None = None
    output: str | None = None
    no_color: bool = False
    debug: bool = False
    given: set[str] = field(default_factory=set)
    """Which options were given anywhere (to refuse those that do not apply)."""
    command: str = ""
    """The command line as parsed, for the report's "what ran" (set when the command starts)."""

    def merge(self, **values: Any) -> Common:
        """A copy with the given (non-default) values taking precedence."""
        merged = Common(**{k: getattr(self, k) for k in ("kubeconfig", "context", "namespace", "output",
                                                           "no_color", "debug")}, given=set(self.given))
        for key, value in values.items():
            if value not in (None, False):
                setattr(merged, key, getattr(value, "value", value))
                merged.given.add(key)
        merged.no_color = merged.no_color or "NO_COLOR" in os.environ
        return merged


def _complete_namespaces(ctx: typer.Context, incomplete: str) -> list[str]:
    from cronjob_doctor.cli import completion

    return completion.namespaces(ctx, incomplete)


KubeconfigOpt = Annotated[
    str | None,
    typer.Option("--kubeconfig", metavar="PATH", show_default=False,
                 help="The kubeconfig file (default: KUBECONFIG, ~/.kube/config, in-cluster)."),
]
ContextOpt = Annotated[
    str | None, typer.Option("--context", metavar="NAME", show_default=False, help="The kubeconfig context to use.")
]
NamespaceOpt = Annotated[
    str | None,
    typer.Option("--namespace", "-n", metavar="NAMESPACE", show_default=False,
                 autocompletion=_complete_namespaces,
                 help="Namespace for a bare NAME (default: the context's namespace)."),
]
OutputOpt = Annotated[
    Output | None,
    typer.Option("--output", "-o", show_default=False, case_sensitive=False,
                 help="Report format: text, json, yaml or markdown (lint: also sarif; record: text or json)."),
]
NoColorOpt = Annotated[bool, typer.Option("--no-color", help="No colours (also: NO_COLOR set).")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")]

_CLUSTER = {"kubeconfig": KubeconfigOpt, "context": ContextOpt, "namespace": NamespaceOpt}
_ALWAYS = {"no_color": NoColorOpt, "debug": DebugOpt}


def command(
    app: typer.Typer,
    name: str,
    *,
    help: str,
    formats: tuple[str, ...] | None,
    cluster: bool = True,
    namespace: bool = True,
) -> Callable[[Callable[..., int]], Callable[..., int]]:
    """Register `fn(common, **its_own_options) -> exit code` as a command with the common options added.

    `formats`: the report formats it writes (None: it writes no report, -o is refused); `cluster`: it can talk
    to a cluster (--kubeconfig, --context); `namespace`: -n applies. The body runs inside exit_codes()."""

    def register(fn: Callable[..., int]) -> Callable[..., int]:
        hints = typing.get_type_hints(fn, include_extras=True)
        own = [p.replace(annotation=hints.get(p.name, p.annotation))
               for p in inspect.signature(fn).parameters.values() if p.name != "common"]
        extra: dict[str, Any] = {}
        if cluster:
            extra.update({k: v for k, v in _CLUSTER.items() if k != "namespace" or namespace})
        if formats is not None:
            extra["output"] = OutputOpt
        extra.update(_ALWAYS)
        added = [inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, default=False if k in _ALWAYS else None,
                                   annotation=v) for k, v in extra.items() if k not in {p.name for p in own}]
        ctx_param = inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context)

        @functools.wraps(fn)
        def wrapper(ctx: typer.Context, **kwargs: Any) -> None:
            values = {k: kwargs.pop(k) for k in list(kwargs) if k in extra}
            root = ctx.find_root().obj if isinstance(ctx.find_root().obj, Common) else Common()
            common = root.merge(**values)
            code = run_command(common, ctx, fn, kwargs, name=name, formats=formats, cluster=cluster,
                               namespace=namespace)
            raise typer.Exit(code)

        params = [ctx_param, *own, *added]
        wrapper.__signature__ = inspect.Signature(params, return_annotation=None)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in params}
        del wrapper.__wrapped__  # typer must read the signature above, not fn's
        app.command(name, help=help)(wrapper)
        return fn

    return register


def run_command(common: Common, ctx: typer.Context, fn: Callable[..., int], kwargs: dict[str, Any], *, name: str,
                formats: tuple[str, ...] | None, cluster: bool, namespace: bool) -> int:
    """Check the common options against what the command takes, then run it inside exit_codes()."""
    _out, err = consoles(common)
    with exit_codes(err, debug=common.debug):
        if common.output is not None and (formats is None or common.output not in formats):
            takes = "no -o/--output" if formats is None else f"-o {', '.join(formats)}"
            raise InputError(f"{name} takes {takes}, not -o {common.output}")
        if not cluster and common.given & {"kubeconfig", "context", "namespace"}:
            flags = ", ".join(f"--{k}" for k in sorted(common.given & {"kubeconfig", "context", "namespace"}))
            raise InputError(f"{name} does not talk to a cluster: {flags} does not apply")
        if not namespace and "namespace" in common.given:
            raise InputError(f"{name} does not take -n/--namespace")
        ctx.meta["common"] = common
        common.command = command_line(ctx)
        return fn(common, **kwargs)
    return 1  # not reached: exit_codes() raised


def consoles(common: Common) -> tuple[Console, Console]:
    """stdout carries only the report; progress, logs and errors go to stderr.

    --no-color / NO_COLOR turn off every escape sequence, bold and dim too (color_system=None): rich's no_color
    alone keeps them, and log collectors that force a terminal would then store them. rich is imported here,
    not at the top: `--help` and `--version` never need it."""
    from rich.console import Console

    if common.no_color:
        out = Console(no_color=True, color_system=None, highlight=False, soft_wrap=False)
        err = Console(stderr=True, no_color=True, color_system=None, highlight=False)
        return out, err
    return Console(highlight=False, soft_wrap=False), Console(stderr=True, highlight=False)


@contextlib.contextmanager
def exit_codes(err: Console, *, debug: bool = False) -> Iterator[None]:
    """The one place that turns errors into `error: ...` / `hint: ...` lines and exit codes (README table)."""
    try:
        yield
    except (typer.Exit, typer.Abort, ClickException):  # typer's own: click's until 0.28, typer's since
        raise
    except DoctorError as exc:
        if debug:
            traceback.print_exc()
        err.print(f"error: {exc.message}", markup=False, highlight=False, soft_wrap=True)
        if exc.hint:
            err.print(f"hint: {exc.hint}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        err.print("interrupted", markup=False)
        raise typer.Exit(130) from None
    except Exception as exc:  # noqa: BLE001  a bug must not look like a verdict (exit 1)
        if debug:
            traceback.print_exc()
        err.print(f"error: internal error: {type(exc).__name__}: {exc}", markup=False, highlight=False,
                  soft_wrap=True)
        err.print("hint: this is a bug in cronjob-doctor; rerun with --debug for the traceback and report it",
                  markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(INTERNAL_ERROR) from None


def connect(common: Common) -> Kube:
    """The cluster client from the kubeconfig flags (imports the kubernetes client only now)."""
    from cronjob_doctor.kube.client import Kube

    return Kube.connect(kubeconfig=common.kubeconfig, context=common.context)


def resolve_target(common: Common, target: str, *, kube: Kube | None = None) -> tuple[Target, Kube]:
    """`NAMESPACE/NAME`, or a bare NAME in -n's namespace, else the context's: the target and the client.

    A malformed target fails before the cluster is touched; only a bare NAME without -n needs the kubeconfig
    (for its context's namespace) first."""
    from cronjob_doctor.k8s.names import parse_target

    if "/" in target or common.namespace is not None:
        parsed = parse_target(target, default_namespace=common.namespace)
        return parsed, kube or connect(common)
    kube = kube or connect(common)
    return parse_target(target, default_namespace=kube.default_namespace), kube


def install_sigterm() -> None:
    """SIGTERM (kubectl plugin killed, CI cancelled) cleans up like Ctrl-C: raise KeyboardInterrupt in the main
    thread so every flow's `finally:` runs."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # Not the main thread (embedded use): nothing to install.
    with contextlib.suppress(ValueError):
        signal.signal(signal.SIGTERM, handler)


_COMMON_KEYS = ("kubeconfig", "context", "namespace", "output", "no_color", "debug")


def command_line(ctx: typer.Context) -> str:
    """The command as parsed, for the report's "what ran": quoted so it pastes back, defaults left out, and
    the common flags given before the command name folded in."""
    common = ctx.meta.get("common")
    parts = ["cronjob-doctor", ctx.info_name or ""]
    for param in ctx.command.params:
        value = ctx.params.get(param.name or "")
        if param.name in _COMMON_KEYS and isinstance(common, Common) and param.name in common.given:
            value = getattr(common, param.name)
        if value is None or value is False or value == param.default or value == ():
            continue
        value = getattr(value, "value", value)
        if param.param_type_name == "argument":
            parts.append(shlex.quote(str(value)))
            continue
        flag = next((o for o in param.opts if o.startswith("--")), param.opts[0])
        if value is True:
            parts.append(flag)
        else:
            for item in value if isinstance(value, (list, tuple)) else [value]:
                parts += [flag, shlex.quote(str(getattr(item, "value", item)))]
    return " ".join(parts)
