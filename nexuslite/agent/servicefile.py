"""services.yml: the services a node agent supervises, read strictly.

Two forms load side by side. The short form ``web: [python3, -m, http.server]`` is the
argv of a service with every default; the full form is a mapping::

    api:
      command: python3 app.py --port 8080   # or a list; split like a shell, no shell
      shell: false                          # true runs the command string with /bin/sh
      directory: /srv/api
      environment: {MODE: production}
      user: www-data
      restart: always                       # always | on-failure | never
      start_seconds: 1                      # how long a start must last to count
      start_retries: 3                      # quick failures in a row before fatal
      backoff_seconds: 1                    # first delay, doubled per quick failure
      backoff_max: 30
      stop_signal: TERM
      stop_timeout: 10
      log: {file: /var/log/nexus/api.log, max_bytes: 10485760, keep: 5}
      consul:                               # false: not registered
        name: api
        port: 8080
        tags: [v1]
        meta: {team: ops}
        check: {http: "http://127.0.0.1:8080/health", interval: 10s}  # or {tcp: 8080}

The YAML is read as a node tree so that every problem names its line: duplicate keys,
tabs in indentation, unknown keys, wrong types, and plain scalars that YAML 1.1 turns
into something else (``no`` becomes false, ``0755`` becomes 493) where text is meant.
"""

import os
import pwd
import re
import shlex
import shutil
import signal
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from nexuslite.errors import ConfigError

RESTART_POLICIES = ("always", "on-failure", "never")

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_NULL = "tag:yaml.org,2002:null"
_LEADING_ZERO = re.compile(r"[-+]?0[0-9_]+$")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*$")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")
# Largest number any field takes: a year of seconds, a billion bytes or retries.
_MAX_NUMBER = 1e12
_TAG_KINDS = {
    _STR: "a number",  # only plain text with a leading zero gets this far
    _INT: "a number",
    _FLOAT: "a number",
    _NULL: "null",
    "tag:yaml.org,2002:bool": "a boolean",
    "tag:yaml.org,2002:timestamp": "a date",
    "tag:yaml.org,2002:merge": "a merge key",
}


@dataclass(frozen=True)
class ConsulCheck:
    """How Consul checks a service: kind is "http", "tcp" or "none"."""

    kind: str = "none"
    target: str = ""
    interval: str = "10s"
    timeout: str = "5s"


@dataclass(frozen=True)
class ConsulRegistration:
    name: str
    port: int = 0
    tags: tuple[str, ...] = ()
    meta: tuple[tuple[str, str], ...] = ()
    check: ConsulCheck = field(default_factory=ConsulCheck)


@dataclass(frozen=True)
class LogSpec:
    file: str = ""
    max_bytes: int = 10 * 1024 * 1024
    keep: int = 5


@dataclass(frozen=True)
class ServiceSpec:
    """One declared service; equal specs mean a reload leaves the service alone."""

    name: str
    argv: tuple[str, ...]
    directory: str = ""
    environment: tuple[tuple[str, str], ...] = ()
    user: str = ""
    restart: str = "always"
    start_seconds: float = 1.0
    start_retries: int = 3
    backoff_seconds: float = 1.0
    backoff_max: float = 30.0
    stop_signal: int = int(signal.SIGTERM)
    stop_timeout: float = 10.0
    log: LogSpec = field(default_factory=LogSpec)
    consul: ConsulRegistration | None = None


class _Problem(Exception):
    def __init__(self, node: yaml.Node, where: str, message: str):
        super().__init__(message)
        self.line = node.start_mark.line + 1
        self.where = where
        self.message = message


def load_services(path: Path) -> dict[str, ServiceSpec]:
    """Read ``path``; raise ConfigError as ``FILE:LINE: field: problem``.

    Unlike ``parse_services``, this also checks the file against this machine: each
    command, user and directory must exist, so that a typo stops the agent at start
    (or is refused at reload) instead of crash-looping a service.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: encoding: not UTF-8") from None

    return parse_services(text, str(path), check_host=True)


def parse_services(
    text: str, label: str = "services.yml", check_host: bool = False
) -> dict[str, ServiceSpec]:
    """Parse services.yml text; ``label`` names the file in error messages."""
    _reject_tabs(text, label)
    if "\0" in text:
        line = text[: text.index("\0")].count("\n") + 1
        raise ConfigError(f"{label}:{line}: encoding: NUL character in the file")
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise ConfigError(f"{label}:{line}: syntax: {exc.problem}") from None

    try:
        return _read_root(root, check_host)
    except _Problem as problem:
        message = f"{label}:{problem.line}: {problem.where}: {problem.message}"
        raise ConfigError(message) from None


def _reject_tabs(text: str, label: str) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent:
            raise ConfigError(f"{label}:{number}: indentation: tab found; use spaces")


def _read_root(root: yaml.Node | None, check_host: bool) -> dict[str, ServiceSpec]:
    if root is None or (isinstance(root, yaml.ScalarNode) and root.tag == _NULL):
        return {}

    services = {}
    for name, value_node in _mapping(root, ""):
        if not _NAME.match(name):
            raise _Problem(value_node, name, "name may hold letters, digits, _ . -")
        services[name] = _read_service(name, value_node)
        if check_host:
            _check_host(services[name], value_node)
    return services


def _read_service(name: str, node: yaml.Node) -> ServiceSpec:
    if isinstance(node, yaml.SequenceNode):
        argv = _argv(node, name, shell=False)
        return ServiceSpec(name, argv, consul=ConsulRegistration(name=name))

    fields = dict(_mapping(node, name, allowed=_SERVICE_KEYS))
    where = f"{name}.%s"
    if "command" not in fields:
        raise _Problem(node, name, "command is required")

    shell = _boolean(fields["shell"], where % "shell") if "shell" in fields else False
    spec = ServiceSpec(
        name=name,
        argv=_argv(fields["command"], where % "command", shell=shell),
        directory=_optional(fields, "directory", _absolute_path, where),
        environment=_optional(fields, "environment", _environment, where, ()),
        user=_optional(fields, "user", _text, where),
        restart=_optional(fields, "restart", _policy, where, "always"),
        start_seconds=_optional(fields, "start_seconds", _seconds, where, 1.0),
        start_retries=_optional(fields, "start_retries", _count, where, 3),
        backoff_seconds=_optional(fields, "backoff_seconds", _seconds, where, 1.0),
        backoff_max=_optional(fields, "backoff_max", _seconds, where, 30.0),
        stop_signal=_optional(fields, "stop_signal", _signal, where, 15),
        stop_timeout=_optional(fields, "stop_timeout", _seconds, where, 10.0),
        log=_read_log(fields.get("log"), where % "log"),
        consul=_read_consul(name, fields.get("consul"), where % "consul"),
    )
    return spec


_SERVICE_KEYS = (
    "command",
    "shell",
    "directory",
    "environment",
    "user",
    "restart",
    "start_seconds",
    "start_retries",
    "backoff_seconds",
    "backoff_max",
    "stop_signal",
    "stop_timeout",
    "log",
    "consul",
)


def _read_log(node: yaml.Node | None, where: str) -> LogSpec:
    if node is None:
        return LogSpec()

    fields = dict(_mapping(node, where, allowed=("file", "max_bytes", "keep")))
    inner = f"{where}.%s"
    return LogSpec(
        file=_optional(fields, "file", _absolute_path, inner),
        max_bytes=_optional(fields, "max_bytes", _count, inner, LogSpec.max_bytes),
        keep=_optional(fields, "keep", _count, inner, LogSpec.keep),
    )


def _read_consul(
    service: str, node: yaml.Node | None, where: str
) -> ConsulRegistration | None:
    if node is None:
        return ConsulRegistration(name=service)
    if isinstance(node, yaml.ScalarNode) and node.tag != _STR:
        return ConsulRegistration(name=service) if _boolean(node, where) else None

    allowed = ("name", "port", "tags", "meta", "check")
    fields = dict(_mapping(node, where, allowed=allowed))
    inner = f"{where}.%s"
    return ConsulRegistration(
        name=_optional(fields, "name", _text, inner, service),
        port=_optional(fields, "port", _port, inner, 0),
        tags=_optional(fields, "tags", _string_list, inner, ()),
        meta=_optional(fields, "meta", _string_map, inner, ()),
        check=_read_check(fields.get("check"), inner % "check"),
    )


def _read_check(node: yaml.Node | None, where: str) -> ConsulCheck:
    if node is None:
        return ConsulCheck()
    if isinstance(node, yaml.ScalarNode):
        if _text(node, where) != "none":
            raise _Problem(node, where, "expected none or a mapping with http or tcp")
        return ConsulCheck()

    allowed = ("http", "tcp", "interval", "timeout")
    fields = dict(_mapping(node, where, allowed=allowed))
    inner = f"{where}.%s"
    if ("http" in fields) == ("tcp" in fields):
        raise _Problem(node, where, "give exactly one of http or tcp")

    if "http" in fields:
        kind, target = "http", _text(fields["http"], inner % "http")
    else:
        kind, target = "tcp", _tcp_target(fields["tcp"], inner % "tcp")
    return ConsulCheck(
        kind=kind,
        target=target,
        interval=_optional(fields, "interval", _duration, inner, "10s"),
        timeout=_optional(fields, "timeout", _duration, inner, "5s"),
    )


# --- scalar readers: each takes (node, where) and returns a plain value ----------


def _optional(fields, key, reader, where, default=""):
    return reader(fields[key], where % key) if key in fields else default


def _mapping(node: yaml.Node, where: str, allowed=None):
    if not isinstance(node, yaml.MappingNode):
        raise _Problem(node, where or "services", "expected a mapping")

    seen = set()
    for key_node, value_node in node.value:
        key = _text(key_node, where or "service name")
        named = f"{where}.{key}" if where else key
        if key in seen:
            raise _Problem(key_node, named, "duplicate key")
        if allowed is not None and key not in allowed:
            raise _Problem(key_node, named, "unknown key")
        seen.add(key)
        yield key, value_node


def _absolute_path(node: yaml.Node, where: str) -> str:
    """A path that means the same whatever the agent's working directory is."""
    value = _text(node, where)
    if value and not value.startswith("/"):
        raise _Problem(node, where, f"{value!r} is not an absolute path")
    return value


def _text(node: yaml.Node, where: str) -> str:
    """A string, refusing plain scalars YAML 1.1 would read as something else."""
    if not isinstance(node, yaml.ScalarNode):
        raise _Problem(node, where, "expected a string")
    if "\0" in node.value:
        raise _Problem(node, where, "NUL character in text")
    if node.style is not None:
        return node.value  # quoted or block text is always a string
    if node.tag == _STR and not _LEADING_ZERO.match(node.value):
        return node.value

    if node.tag in (_INT, _FLOAT) and _round_trips(node):
        return node.value
    kind = _TAG_KINDS.get(node.tag, "something else")
    raise _Problem(node, where, f"unquoted {node.value!r} reads as {kind}; quote it")


def _round_trips(node: yaml.ScalarNode) -> bool:
    value = yaml.SafeLoader(node.value).construct_object(node)
    return str(value) == node.value


def _number(node: yaml.Node, where: str) -> float:
    if not isinstance(node, yaml.ScalarNode) or node.style is not None:
        raise _Problem(node, where, "expected a number")
    if node.tag not in (_INT, _FLOAT):
        raise _Problem(node, where, f"expected a number, got {node.value!r}")

    value = float(yaml.SafeLoader("").construct_object(node))
    if value != value or abs(value) > _MAX_NUMBER:  # NaN, infinite or absurd
        raise _Problem(node, where, f"{node.value!r} is not a usable number")
    return value


def _seconds(node: yaml.Node, where: str) -> float:
    value = _number(node, where)
    if value < 0:
        raise _Problem(node, where, "must not be negative")
    return value


def _count(node: yaml.Node, where: str) -> int:
    value = _number(node, where)
    if value < 0 or value != int(value):
        raise _Problem(node, where, f"expected a whole number, got {node.value!r}")
    return int(value)


def _port(node: yaml.Node, where: str) -> int:
    value = _count(node, where)
    if not 1 <= value <= 65535:
        raise _Problem(node, where, f"port must be 1 to 65535, got {value}")
    return value


def _boolean(node: yaml.Node, where: str) -> bool:
    if not isinstance(node, yaml.ScalarNode) or node.value not in ("true", "false"):
        raise _Problem(node, where, "expected true or false")
    return node.value == "true"


def _policy(node: yaml.Node, where: str) -> str:
    value = _text(node, where)
    if value not in RESTART_POLICIES:
        choices = ", ".join(RESTART_POLICIES)
        raise _Problem(node, where, f"expected one of {choices}, got {value!r}")
    return value


def _signal(node: yaml.Node, where: str) -> int:
    name = _text(node, where).upper().removeprefix("SIG")
    try:
        return int(signal.Signals[f"SIG{name}"])
    except KeyError:
        raise _Problem(node, where, f"unknown signal {node.value!r}") from None


def _duration(node: yaml.Node, where: str) -> str:
    if isinstance(node, yaml.ScalarNode) and node.tag in (_INT, _FLOAT):
        value = f"{_seconds(node, where):g}s"
    else:
        value = _text(node, where)
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h)", value)
    if not match:
        raise _Problem(node, where, f"expected a duration like 10s, got {value!r}")
    if float(match[1]) == 0:
        raise _Problem(node, where, f"must be more than 0, got {value!r}")
    return value


def _tcp_target(node: yaml.Node, where: str) -> str:
    if isinstance(node, yaml.ScalarNode) and node.tag == _INT:
        return f"127.0.0.1:{_port(node, where)}"
    value = _text(node, where)
    if not re.fullmatch(r"[^\s:]+:\d{1,5}", value):
        raise _Problem(node, where, f"expected PORT or HOST:PORT, got {value!r}")
    return value


def _string_list(node: yaml.Node, where: str) -> tuple[str, ...]:
    if not isinstance(node, yaml.SequenceNode):
        raise _Problem(node, where, "expected a list of strings")
    return tuple(_text(item, f"{where}[{i}]") for i, item in enumerate(node.value))


def _string_map(node: yaml.Node, where: str) -> tuple[tuple[str, str], ...]:
    return tuple(
        (key, _text(value, f"{where}.{key}")) for key, value in _mapping(node, where)
    )


def _environment(node: yaml.Node, where: str) -> tuple[tuple[str, str], ...]:
    pairs = _string_map(node, where)
    for (key, _), (key_node, _) in zip(pairs, node.value, strict=True):
        if not _ENV_NAME.match(key):
            message = "variable names hold letters, digits and _, not first a digit"
            raise _Problem(key_node, f"{where}.{key}", message)
    return pairs


# --- checks against this machine (load_services only) ----------------------------


def _check_host(spec: ServiceSpec, node: yaml.Node) -> None:
    """Refuse a command, user or directory this machine does not have."""
    fields = dict(node.value) if isinstance(node, yaml.MappingNode) else {}
    fields = {key.value: value for key, value in fields.items()}
    where = f"{spec.name}.%s"

    if spec.user:
        try:
            pwd.getpwnam(spec.user)
        except KeyError:
            user = spec.user
            raise _Problem(
                fields["user"], where % "user", f"no user {user!r}"
            ) from None

    if spec.directory and not os.path.isdir(spec.directory):
        directory = spec.directory
        message = f"no directory {directory!r}"
        raise _Problem(fields["directory"], where % "directory", message)

    command_node = fields.get("command", node)
    program = spec.argv[0]
    if not _find_program(program, spec):
        message = f"no executable {program!r}"
        if "/" not in program:
            message += " on PATH"
        raise _Problem(command_node, where % "command", message)

    if spec.log.file and os.path.isdir(spec.log.file):
        log_node = fields["log"]
        message = f"{spec.log.file!r} is a directory"
        raise _Problem(log_node, where % "log.file", message)


def _find_program(program: str, spec: ServiceSpec) -> bool:
    if "/" in program:
        path = os.path.join(spec.directory, program) if spec.directory else program
        return os.path.isfile(path) and os.access(path, os.X_OK)
    search = dict(spec.environment).get("PATH", os.environ.get("PATH", os.defpath))
    return shutil.which(program, path=search) is not None


def _argv(node: yaml.Node, where: str, shell: bool) -> tuple[str, ...]:
    if isinstance(node, yaml.SequenceNode):
        argv = _string_list(node, where)
    else:
        text = _text(node, where)
        if shell:
            return ("/bin/sh", "-c", text)
        try:
            argv = tuple(shlex.split(text))
        except ValueError as exc:
            raise _Problem(node, where, f"cannot split command: {exc}") from None

    if not argv:
        raise _Problem(node, where, "command is empty")
    return argv
