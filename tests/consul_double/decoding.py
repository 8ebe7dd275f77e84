"""Strict JSON body decoding, shaped like Go's encoding/json with DisallowUnknownFields.

Consul (1.7+) rejects unknown fields, matches field names case-insensitively and, for
service and check definitions, also accepts snake_case spellings. A double that is more
lenient would hide client bugs, so every body goes through ``decode_body``.
"""

import json
from dataclasses import dataclass, field

from consul_double.durations import DurationError, coerce_duration

STR = "string"
INT = "int"
BOOL = "bool"
DURATION = "time.Duration"
STR_LIST = "[]string"
STR_MAP = "map[string]string"
ANY = "any"


class DecodeError(ValueError):
    """A body Consul would answer with 400 ``Request decode failed: ...``."""


@dataclass(frozen=True)
class Schema:
    """A Go struct: field name -> type (a constant above, a Schema, or [Schema])."""

    name: str
    fields: dict
    snake_case: bool = False
    aliases: dict = field(default_factory=dict)

    def resolve(self, key: str) -> str | None:
        """Return the canonical field a JSON key binds to, or None when unknown."""
        if key in self.fields:
            return key

        folded = key.lower()
        for name in self.fields:
            if name.lower() == folded:
                return name

        if not self.snake_case:
            return None

        if folded in self.aliases:
            return self.aliases[folded]
        squashed = folded.replace("_", "")
        for name in self.fields:
            if name.lower() == squashed:
                return name
        return None


def decode_body(raw: bytes, schema: Schema, optional: bool = False) -> dict:
    """Parse ``raw`` into a dict keyed by canonical field names; raise DecodeError."""
    if not raw.strip():
        if optional:
            return {}
        raise DecodeError("EOF")

    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DecodeError(f"invalid character in JSON body ({exc})") from exc

    return _decode_struct(value, schema)


def _decode_struct(value: object, schema: Schema) -> dict:
    if value is None:
        return {}

    if not isinstance(value, dict):
        raise _type_error(value, schema.name, schema.name)

    decoded = {}
    for key, item in value.items():
        name = schema.resolve(key)
        if name is None:
            raise DecodeError(f'json: unknown field "{key}"')
        decoded[name] = _decode_value(
            item, schema.fields[name], f"{schema.name}.{name}"
        )
    return decoded


def _decode_value(value: object, kind: object, where: str) -> object:
    if value is None:
        return None

    if isinstance(kind, Schema):
        return _decode_struct(value, kind)

    if isinstance(kind, list):
        if not isinstance(value, list):
            raise _type_error(value, where, f"[]{kind[0].name}")
        return [_decode_struct(item, kind[0]) for item in value]

    return _decode_scalar(value, kind, where)


def _decode_scalar(value: object, kind: str, where: str) -> object:
    if kind == ANY:
        return value

    if kind == DURATION:
        try:
            return coerce_duration(value)
        except DurationError as exc:
            raise DecodeError(str(exc)) from exc

    if kind == STR_LIST:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _type_error(value, where, kind)
        return list(value)

    if kind == STR_MAP:
        if not isinstance(value, dict) or not all(
            isinstance(v, str) for v in value.values()
        ):
            raise _type_error(value, where, kind)
        return dict(value)

    expected = {STR: (str,), INT: (int,), BOOL: (bool,)}[kind]
    is_bool = isinstance(value, bool)
    if not isinstance(value, expected) or (kind == INT and is_bool):
        raise _type_error(value, where, kind)
    return value


def _type_error(value: object, where: str, go_type: str) -> DecodeError:
    return DecodeError(
        f"json: cannot unmarshal {_json_kind(value)} into Go struct field "
        f"{where} of type {go_type}"
    )


def _json_kind(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


CHECK = Schema(
    "CheckType",
    {
        "CheckID": STR,
        "ID": STR,
        "Name": STR,
        "Notes": STR,
        "Status": STR,
        "ServiceID": STR,
        "Interval": DURATION,
        "Timeout": DURATION,
        "TTL": DURATION,
        "DeregisterCriticalServiceAfter": DURATION,
        "HTTP": STR,
        "Method": STR,
        "Header": ANY,
        "Body": STR,
        "TLSSkipVerify": BOOL,
        "TLSServerName": STR,
        "DisableRedirects": BOOL,
        "TCP": STR,
        "TCPUseTLS": BOOL,
        "UDP": STR,
        "GRPC": STR,
        "GRPCUseTLS": BOOL,
        "H2PING": STR,
        "H2PingUseTLS": BOOL,
        "Args": STR_LIST,
        "DockerContainerID": STR,
        "Shell": STR,
        "AliasNode": STR,
        "AliasService": STR,
        "OSService": STR,
        "SuccessBeforePassing": INT,
        "FailuresBeforeWarning": INT,
        "FailuresBeforeCritical": INT,
        "OutputMaxSize": INT,
        "Type": STR,
        "Namespace": STR,
        "Partition": STR,
    },
    snake_case=True,
    aliases={"script_args": "Args", "scriptargs": "Args"},
)

WEIGHTS = Schema("Weights", {"Passing": INT, "Warning": INT})

SERVICE = Schema(
    "ServiceDefinition",
    {
        "ID": STR,
        "Name": STR,
        "Tags": STR_LIST,
        "Address": STR,
        "TaggedAddresses": ANY,
        "Meta": STR_MAP,
        "Port": INT,
        "SocketPath": STR,
        "EnableTagOverride": BOOL,
        "Weights": WEIGHTS,
        "Kind": STR,
        "Proxy": ANY,
        "Connect": ANY,
        "Locality": ANY,
        "Namespace": STR,
        "Partition": STR,
        "Check": CHECK,
        "Checks": [CHECK],
    },
    snake_case=True,
)

CHECK_UPDATE = Schema("checkUpdate", {"Status": STR, "Output": STR})

CATALOG_SERVICE = Schema(
    "AgentService",
    {
        "ID": STR,
        "Service": STR,
        "Tags": STR_LIST,
        "Address": STR,
        "TaggedAddresses": ANY,
        "Meta": STR_MAP,
        "Port": INT,
        "Weights": WEIGHTS,
        "EnableTagOverride": BOOL,
        "Kind": STR,
        "Proxy": ANY,
        "Connect": ANY,
        "SocketPath": STR,
        "Locality": ANY,
        "Namespace": STR,
        "Partition": STR,
    },
)

CATALOG_CHECK = Schema(
    "HealthCheck",
    {
        "Node": STR,
        "CheckID": STR,
        "Name": STR,
        "Notes": STR,
        "Status": STR,
        "Output": STR,
        "ServiceID": STR,
        "ServiceName": STR,
        "Type": STR,
        "Definition": ANY,
        "Interval": STR,
        "Timeout": STR,
        "Namespace": STR,
        "Partition": STR,
    },
)

CATALOG_REGISTER = Schema(
    "RegisterRequest",
    {
        "ID": STR,
        "Node": STR,
        "Address": STR,
        "Datacenter": STR,
        "TaggedAddresses": STR_MAP,
        "NodeMeta": STR_MAP,
        "Service": CATALOG_SERVICE,
        "Check": CATALOG_CHECK,
        "Checks": [CATALOG_CHECK],
        "SkipNodeUpdate": BOOL,
        "Locality": ANY,
        "Namespace": STR,
        "Partition": STR,
    },
)

CATALOG_DEREGISTER = Schema(
    "DeregisterRequest",
    {
        "Node": STR,
        "Datacenter": STR,
        "ServiceID": STR,
        "CheckID": STR,
        "Namespace": STR,
        "Partition": STR,
    },
)

SESSION_CREATE = Schema(
    "Session",
    {
        "Name": STR,
        "Node": STR,
        "LockDelay": DURATION,
        "Behavior": STR,
        "TTL": STR,
        "Checks": STR_LIST,
        "NodeChecks": STR_LIST,
        "ServiceChecks": ANY,
        "Namespace": STR,
        "Partition": STR,
    },
)
