"""Turn decoded agent register bodies into service and check records, as the agent does.

Validation errors carry Consul's exact texts. Auto-generated check identity follows
agent.md: ``service:<id>`` for a lone check, ``service:<id>:<n>`` when there are
several, names ``Service '<name>' check``, and a critical initial status unless one
is given.
"""

import re

from consul_double import messages
from consul_double.messages import ApiError
from consul_double.records import (
    CHECK_STATUSES,
    CRITICAL,
    CheckRecord,
    Probe,
    ServiceRecord,
)

_META_KEY = re.compile(r"^[a-zA-Z0-9_-]+$")
_UNSPECIFIED_ADDRESSES = ("0.0.0.0", "::", "[::]")


def service_from_body(node: str, body: dict) -> tuple[ServiceRecord, list[CheckRecord]]:
    """Validate an /agent/service/register body; return the instance and its checks."""
    name = body.get("Name") or ""
    if not name:
        raise ApiError(400, messages.MISSING_SERVICE_NAME)

    address = body.get("Address") or ""
    if address in _UNSPECIFIED_ADDRESSES:
        raise ApiError(400, messages.INVALID_SERVICE_ADDRESS)

    meta = body.get("Meta") or {}
    _validate_meta(meta)
    service = ServiceRecord(
        node=node,
        service_id=body.get("ID") or name,
        name=name,
        tags=list(body.get("Tags") or []),
        address=address,
        port=body.get("Port") or 0,
        meta=dict(meta),
        tagged_addresses=body.get("TaggedAddresses") or {},
        weights=_weights(body.get("Weights")),
        enable_tag_override=bool(body.get("EnableTagOverride")),
        kind=body.get("Kind") or "",
    )

    definitions = ([body["Check"]] if body.get("Check") else []) + list(
        body.get("Checks") or []
    )
    checks = []
    for position, definition in enumerate(definitions, start=1):
        default_id = f"service:{service.service_id}"
        if len(definitions) > 1:
            default_id += f":{position}"
        check = check_from_body(node, definition, default_id, f"Service '{name}' check")
        check.service_id = service.service_id
        check.service_name = name
        checks.append(check)
    return service, checks


def check_from_body(
    node: str, body: dict, default_id: str = "", default_name: str = ""
) -> CheckRecord:
    """Validate a check definition (standalone or inside a service registration)."""
    name = body.get("Name") or default_name
    if not name:
        raise ApiError(400, messages.MISSING_CHECK_NAME)

    status = body.get("Status") or CRITICAL
    if status not in CHECK_STATUSES:
        raise ApiError(400, messages.INVALID_CHECK_STATUS)

    probe = _probe(body)
    return CheckRecord(
        node=node,
        check_id=body.get("CheckID") or body.get("ID") or default_id or name,
        name=name,
        status=status,
        notes=body.get("Notes") or "",
        service_id=body.get("ServiceID") or "",
        check_type=_check_type(body),
        probe=probe,
    )


def _probe(body: dict) -> Probe:
    probe = Probe(
        http=body.get("HTTP") or "",
        method=body.get("Method") or "",
        header=body.get("Header") or {},
        body=body.get("Body") or "",
        tls_skip_verify=bool(body.get("TLSSkipVerify")),
        tcp=body.get("TCP") or "",
        ttl=body.get("TTL") or 0.0,
        interval=body.get("Interval") or 0.0,
        timeout=body.get("Timeout") or 10.0,
        deregister_after=body.get("DeregisterCriticalServiceAfter") or 0.0,
    )
    needs_interval = probe.http or probe.tcp or body.get("Args") or body.get("UDP")
    if needs_interval and probe.interval <= 0:
        raise ApiError(
            400,
            "Invalid check: Interval must be > 0 for Script, HTTP, H2PING, TCP or UDP "
            "checks",
        )
    if not needs_interval and not probe.ttl and not _is_other_kind(body):
        raise ApiError(
            400,
            "Invalid check: TTL must be > 0 for TTL checks",
        )
    return probe


def _is_other_kind(body: dict) -> bool:
    kinds = ("GRPC", "H2PING", "DockerContainerID", "AliasService", "AliasNode")
    return any(body.get(kind) for kind in kinds) or bool(body.get("OSService"))


def _check_type(body: dict) -> str:
    for field, kind in (
        ("TTL", "ttl"),
        ("HTTP", "http"),
        ("TCP", "tcp"),
        ("UDP", "udp"),
        ("GRPC", "grpc"),
        ("H2PING", "h2ping"),
        ("DockerContainerID", "docker"),
        ("Args", "script"),
        ("AliasService", "alias"),
        ("AliasNode", "alias"),
    ):
        if body.get(field):
            return kind
    return ""


def _weights(weights: dict | None) -> dict:
    if not weights:
        return {"Passing": 1, "Warning": 1}

    passing = weights.get("Passing") or 0
    warning = weights.get("Warning") or 0
    if passing < 1:
        raise ApiError(400, "Invalid Weights: Passing must be greater than 0")
    if warning < 0:
        raise ApiError(400, "Invalid Weights: Warning must be greater or equal than 0")
    return {"Passing": passing, "Warning": warning}


def _validate_meta(meta: dict) -> None:
    if len(meta) > 64:
        raise ApiError(
            400,
            "Invalid Service Meta: Node metadata cannot contain more "
            "than 64 key/value pairs",
        )
    for key, value in meta.items():
        if not _META_KEY.match(key):
            raise ApiError(
                400, f"Invalid Service Meta: Key contains invalid characters: {key!r}"
            )
        if len(key) > 128:
            raise ApiError(
                400,
                f"Invalid Service Meta: Key is too long (limit: 128 "
                f"characters): {key!r}",
            )
        if key.startswith("consul-"):
            raise ApiError(
                400,
                f"Invalid Service Meta: Key prefix 'consul-' is "
                f"reserved for internal use: {key!r}",
            )
        if len(value) > 512:
            raise ApiError(
                400,
                f"Invalid Service Meta: Value is too long (limit: 512 "
                f"characters): {key!r}",
            )
