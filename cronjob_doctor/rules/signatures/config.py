"""Config texts: the image or the spec lacks what the command needs: an executable (not found, not executable,
built for another CPU), the right arguments (usage errors of cobra, Go flag, argparse, click, getopt, clap,
picocli), or an environment variable (`unbound variable` under `set -u`).

Details: `command-not-found`, `not-executable`, `exec-format`, `bad-args`, `missing-env`, `missing-file`,
`missing-module`, `missing-kubeconfig`.
"""

from __future__ import annotations

from cronjob_doctor.rules.signatures._base import Signature, sig

_SHELL = r"^(?:/bin/|/usr/bin/)?(?:ba|a|da|z|k|mk)?sh: (?:line \d{1,6}: |\d{1,6}: )?"

EXEC: tuple[Signature, ...] = (
    # kubectl with neither a kubeconfig nor in-cluster credentials falls back to localhost:8080.
    sig("kubectl-no-config", "config", "missing-kubeconfig",
        r"The connection to the server (?:localhost|127\.0\.0\.1):8080 was refused",
        "kubectl found no kubeconfig and no in-cluster credentials (it tried localhost:8080)", 0.85),
    sig("exec-format", "config", "exec-format", r"exec format error", "exec format error (wrong CPU architecture)",
        0.85),
    # `sh: 1: /app/run.sh: Permission denied` is an exec without the x bit when the shell exits 126; the
    # same text for a redirect (`echo > /ro/file`) is a file-system denial: the rules tell them apart by exit code.
    sig("sh-not-executable", "config", "not-executable", _SHELL + r"(?P<path>[^\s:]{1,300}): Permission denied$",
        "the shell could not execute a file (Permission denied)", 0.7),
    sig("exec-permission", "config", "not-executable",
        r"exec:? \\?\"?(?P<path>[^\s\"\\]{1,300})\\?\"?: permission denied",
        "the runtime could not execute the entrypoint (permission denied)", 0.85),
    sig("env-interpreter", "config", "command-not-found",
        r"^(?:/usr)?/bin/env: [^\n]{1,80}?(?:: No such file or directory|$)",  # a CR in `bash\r` splits the line
        "the script's interpreter (#! line) does not exist, or the script has CRLF line endings", 0.8),
    sig("exec-no-such-file", "config", "command-not-found",
        r"exec:? \"?(?P<command>[^\s\"]{1,300})\"?: no such file or directory",
        "the entrypoint or its interpreter does not exist", 0.8),
)

CONFIG: tuple[Signature, ...] = (
    sig("sh-not-found", "config", "command-not-found",
        _SHELL + r"(?P<command>[^\s:]{1,200}): (?:command )?not found", "command not found", 0.8),
    sig("command-not-found", "config", "command-not-found",
        r"(?<!\S)(?P<command>[^\s:]{1,200}): command not found", "command not found", 0.8),
    sig("exec-not-found", "config", "command-not-found", r"executable file not found in \$PATH",
        "executable not found in $PATH", 0.85),
    sig("missing-module", "config", "missing-module",
        r"ModuleNotFoundError: No module named|Cannot find module '|ImportError: No module named|"
        r"java\.lang\.ClassNotFoundException|java\.lang\.NoClassDefFoundError",
        "a module or class the program needs is not in the image", 0.75),
    sig("unbound-variable", "config", "missing-env",
        r"(?<![\w$])(?P<var>[A-Za-z_][A-Za-z0-9_]{0,80}): unbound variable",
        "a variable the script needs is not set (unbound variable)", 0.75),
    sig("env-not-set", "config", "missing-env",
        r"environment variable \S{1,100} (?:is )?(?:not set|not defined|required|missing|must be set)|"
        r"(?:missing|required) environment variable",
        "a required environment variable is not set", 0.75),
    sig("config-file-missing", "config", "missing-file",
        r"(?:No such file or directory|ENOENT)[^\n]{0,60}?['\"]?(?P<path>/[^\s'\":]{1,200}\."
        r"(?:ya?ml|json|conf|cfg|ini|toml|properties|env|pem|crt|key))\b|"
        r"(?P<path2>/[^\s'\":]{1,200}\.(?:ya?ml|json|conf|cfg|ini|toml|properties|env|pem|crt|key)): "
        r"(?:open: )?[Nn]o such file or directory",
        "a configuration file the command reads is missing", 0.7),
    sig("usage-error", "config", "bad-args",
        r"\bunknown (?:flag|shorthand flag|command|option|argument)\b|flag provided but not defined|"
        r"unrecognized arguments?:|the following arguments are required|(?:invalid|unrecognized) option\b|"
        r"No such (?:option|command):? |Missing (?:argument|option|parameter) '|Got unexpected extra arguments?|"
        r"Found argument '[^']{1,100}' which wasn't expected|unexpected argument '[^']{1,100}' found|"
        r"option requires an argument|accepts \d{1,3} arg\(s\), received \d{1,3}|requires at least \d{1,3} arg|"
        r"Missing required (?:option|parameter|argument)|Unknown option: '",
        "the command was given arguments it does not accept", 0.75),
    sig("try-help", "config", "bad-args", r"Try '[^']{1,100} --help' for more information|^Usage: ",
        "the command printed its usage", 0.6),
)
