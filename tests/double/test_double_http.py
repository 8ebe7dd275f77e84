"""Wire-level behaviour of the double: texts, codes, headers and body decoding,
checked with raw HTTP where py-consul would hide the details."""

import json

import pytest
from double_helpers import call

INDEX_HEADERS = ("X-Consul-Index", "X-Consul-KnownLeader", "X-Consul-LastContact")


def test_unknown_paths_answer_consul_404_texts(double):
    status, headers, body = call(double.url + "/v1/no/such/thing")
    assert status == 404
    assert headers["Content-Type"].startswith("text/plain")
    assert body == b"Invalid URL path: not a recognized HTTP API endpoint\n"

    status, _, body = call(double.url + "/elsewhere")
    assert status == 404
    assert b"ensure the path starts with '/v1/'" in body


def test_wrong_method_gets_405_with_allow(double):
    status, headers, body = call(double.url + "/v1/agent/service/register")
    assert status == 405
    assert headers["Allow"] == "OPTIONS,PUT"
    assert body == b"method GET not allowed"

    status, headers, _ = call(double.url + "/v1/kv/x", method="POST", body=b"")
    assert status == 405
    assert headers["Allow"] == "OPTIONS,DELETE,GET,PUT"

    status, headers, _ = call(double.url + "/v1/catalog/nodes", method="OPTIONS")
    assert (status, headers["Allow"]) == (200, "OPTIONS,GET")


def test_agent_writes_answer_with_an_empty_body(double):
    body = json.dumps({"Name": "web", "Port": 80}).encode()
    status, headers, reply = call(
        double.url + "/v1/agent/service/register", "PUT", body
    )
    assert (status, reply) == (200, b"")
    assert "X-Consul-Index" not in headers

    status, _, reply = call(double.url + "/v1/agent/maintenance?enable=true", "PUT")
    assert (status, reply) == (200, b"")


def test_unknown_node_is_null_and_unknown_lists_are_empty(double):
    cases = {
        "/v1/catalog/node/ghost": b"null",
        "/v1/catalog/service/ghost": b"[]",
        "/v1/health/node/ghost": b"[]",
        "/v1/health/checks/ghost": b"[]",
        "/v1/health/service/ghost": b"[]",
        "/v1/health/state/nonsense": b"[]",
    }
    for path, expected in cases.items():
        status, headers, body = call(double.url + path)
        assert (path, status, body) == (path, 200, expected)
        assert int(headers["X-Consul-Index"]) >= 1


def test_index_headers_only_on_raft_reads(double):
    double.kv_put("present", b"1")
    for path in ("/v1/catalog/nodes", "/v1/health/state/any", "/v1/kv/present"):
        _, headers, _ = call(double.url + path)
        assert all(name in headers for name in INDEX_HEADERS), path
        assert headers["X-Consul-KnownLeader"] == "true"
        assert int(headers["X-Consul-Index"]) > 0

    _, headers, _ = call(double.url + "/v1/catalog/nodes?stale")
    assert headers["X-Consul-Effective-Consistency"] == "stale"

    for path in ("/v1/agent/self", "/v1/agent/members", "/v1/status/leader"):
        _, headers, _ = call(double.url + path)
        assert not any(name in headers for name in INDEX_HEADERS), path


def test_missing_kv_key_is_404_with_index_headers(double):
    double.kv_put("other", b"x")
    status, headers, body = call(double.url + "/v1/kv/missing")
    assert (status, body) == (404, b"")
    assert all(name in headers for name in INDEX_HEADERS)
    assert int(headers["X-Consul-Index"]) >= 1


def test_strict_decoding_rejects_unknown_fields(double):
    url = double.url + "/v1/agent/service/register"
    status, _, body = call(url, "PUT", b'{"Name": "web", "Colour": "red"}')
    assert (status, body) == (
        400,
        b'Request decode failed: json: unknown field "Colour"',
    )

    nested = b'{"Name": "web", "Check": {"TTL": "10s", "Bogus": 1}}'
    status, _, body = call(url, "PUT", nested)
    assert (status, body) == (
        400,
        b'Request decode failed: json: unknown field "Bogus"',
    )

    register = b'{"Node": "n", "Address": "1.2.3.4", "WriteRequest": {"Token": "x"}}'
    status, _, body = call(double.url + "/v1/catalog/register", "PUT", register)
    assert status == 400
    assert body == b'Request decode failed: json: unknown field "WriteRequest"'


def test_decoding_accepts_any_case_and_snake_case(double):
    body = {
        "name": "web",
        "ID": "web-9",
        "PORT": 8080,
        "enable_tag_override": True,
        "check": {"ttl": "30s", "deregister_critical_service_after": "90m"},
    }
    status, _, _ = call(
        double.url + "/v1/agent/service/register", "PUT", json.dumps(body).encode()
    )
    assert status == 200

    service = double.services_on("consul-1")["web-9"]
    assert (service["Port"], service["EnableTagOverride"]) == (8080, True)
    assert double.checks_on("consul-1")["service:web-9"]["Type"] == "ttl"


def test_query_errors_use_consul_texts(double):
    cases = {
        "/v1/catalog/nodes?stale&consistent": (
            400,
            b"Cannot specify ?stale with ?consistent, conflicting semantics.",
        ),
        "/v1/catalog/nodes?index=abc": (400, b"Invalid index"),
        "/v1/catalog/nodes?index=1&wait=soon": (400, b"Invalid wait time"),
        "/v1/health/service/consul?passing=maybe": (400, b"Invalid value for ?passing"),
        "/v1/kv/": (400, b"Missing key name"),
    }
    for path, expected in cases.items():
        status, _, body = call(double.url + path)
        assert (path, status, body) == (path, *expected)


def test_kv_put_conflicting_flags_and_oversized_values(double):
    status, _, body = call(double.url + "/v1/kv/k?cas=0&acquire=abc", "PUT", b"v")
    assert (status, body) == (400, b"Conflicting flags: acquire=abc&cas=0")

    status, _, body = call(double.url + "/v1/kv/k", "PUT", b"x" * 600000)
    assert status == 413
    assert body.startswith(b"Request body(600000 bytes) too large, max size: 524288")


def test_kv_raw_and_empty_values(double):
    double.kv_put("blob", b"\x00\x01raw")
    status, headers, body = call(double.url + "/v1/kv/blob?raw")
    assert (status, body) == (200, b"\x00\x01raw")
    assert headers["Content-Type"] == "text/plain"
    assert headers["X-Content-Type-Options"] == "nosniff"

    call(double.url + "/v1/kv/empty", "PUT", b"")
    _, _, body = call(double.url + "/v1/kv/empty")
    assert json.loads(body)[0]["Value"] is None
    assert "Session" not in json.loads(body)[0]


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("/v1/agent/service/deregister/nope", 'Unknown service ID "nope".'),
        ("/v1/agent/check/pass/nope", 'Unknown check ID "nope".'),
        (
            "/v1/agent/service/maintenance/nope?enable=true",
            'Unknown service ID "nope".',
        ),
    ],
)
def test_agent_unknown_ids_are_404(double, path, text):
    status, _, body = call(double.url + path, "PUT")
    assert status == 404
    assert body.decode().startswith(text)


def test_maintenance_enable_parsing(double):
    status, _, body = call(double.url + "/v1/agent/maintenance", "PUT")
    assert (status, body) == (400, b"Missing value for enable")

    status, _, body = call(double.url + "/v1/agent/maintenance?enable=yes", "PUT")
    assert (status, body) == (400, b'Invalid value for enable: "yes"')


def test_agent_health_by_id_maps_status_to_code(double):
    url = double.url
    double.add_service("consul-1", "web", service_id="web-1")
    double.add_check("consul-1", "web-ok", status="passing", service_id="web-1")
    status, _, body = call(url + "/v1/agent/health/service/id/web-1?format=text")
    assert (status, body) == (200, b"passing")

    double.set_service_maintenance("consul-1", "web-1", True)
    status, _, body = call(double.url + "/v1/agent/health/service/id/web-1")
    assert status == 503
    assert json.loads(body)["AggregatedStatus"] == "critical"
