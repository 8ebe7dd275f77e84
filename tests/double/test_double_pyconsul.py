"""The double as product code sees it: the real py-consul 1.8.0 client over HTTP."""

import threading

import consul
from consul import Check


def test_catalog_and_status_reads(double, client):
    double.add_node("consul-1", address="10.0.0.1", server=True)
    double.add_node(
        "web-1", address="10.0.0.5", meta={"nexus-role": "worker", "nexus-pool": "blue"}
    )
    double.add_service("web-1", "api", service_id="api-1", port=8080, tags=["v1"])
    double.add_check(
        "web-1", "api-http", status="passing", service_id="api-1", output="HTTP GET ok"
    )

    index, nodes = client.catalog.nodes()
    assert int(index) >= 1
    assert [n["Node"] for n in nodes] == ["consul-1", "web-1"]
    assert nodes[1]["Meta"] == {"nexus-role": "worker", "nexus-pool": "blue"}
    assert nodes[1]["TaggedAddresses"]["lan"] == "10.0.0.5"

    assert client.catalog.services()[1] == {"api": ["v1"], "consul": []}
    _, rows = client.catalog.service("api")
    assert [(r["Node"], r["ServiceID"], r["ServicePort"]) for r in rows] == [
        ("web-1", "api-1", 8080)
    ]
    assert client.catalog.node("ghost")[1] is None

    _, checks = client.health.state("any")
    assert {(c["Node"], c["CheckID"], c["Status"]) for c in checks} == {
        ("consul-1", "serfHealth", "passing"),
        ("web-1", "serfHealth", "passing"),
        ("web-1", "api-http", "passing"),
    }
    assert client.status.leader() == "10.0.0.1:8300"
    assert client.status.peers() == ["10.0.0.1:8300"]


def test_agent_reads(double, client):
    double.add_node("web-1", address="10.0.0.5")
    double.set_node_alive("web-1", False)

    members = {m["Name"]: m for m in client.agent.members()}
    assert members["consul-1"]["Tags"]["role"] == "consul"
    assert (members["web-1"]["Tags"]["role"], members["web-1"]["Status"]) == ("node", 4)

    me = client.agent.self()
    assert (me["Config"]["NodeName"], me["Config"]["Server"]) == ("consul-1", True)
    assert client.agent.services() == {}
    assert client.agent.checks() == {}

    serf = double.checks_on("web-1")["serfHealth"]
    assert (serf["Status"], serf["Output"]) == (
        "critical",
        "Agent not live or unreachable",
    )


def test_service_register_with_checks_and_deregister(double, client):
    assert client.agent.service.register(
        "web",
        service_id="web-1",
        port=8080,
        tags=["a"],
        check=Check.ttl("15s"),
        extra_checks=[Check.tcp("127.0.0.1", 1, "10s")],
    )

    checks = client.agent.checks()
    assert set(checks) == {"service:web-1:1", "service:web-1:2"}
    first = checks["service:web-1:1"]
    assert (first["Name"], first["Status"], first["ServiceTags"]) == (
        "Service 'web' check",
        "critical",
        ["a"],
    )
    assert client.agent.services()["web-1"]["Port"] == 8080
    assert client.catalog.service("web")[1][0]["Node"] == "consul-1"

    client.agent.service.register("web", service_id="web-1", port=9090)
    assert client.agent.services()["web-1"]["Port"] == 9090

    assert client.agent.service.deregister("web-1") is True
    assert client.agent.services() == {}
    assert client.agent.checks() == {}
    assert client.agent.service.deregister("web-1") is False


def test_single_check_gets_plain_service_id(double, client):
    client.agent.service.register("db", check=Check.ttl("30s"))
    assert list(client.agent.checks()) == ["service:db"]


def test_ttl_checks_pass_warn_fail_with_notes(double, client):
    client.agent.check.register("heartbeat", check=Check.ttl("30s"), check_id="hb")
    assert client.agent.checks()["hb"]["Status"] == "critical"

    assert client.agent.check.ttl_pass("hb", notes="all good")
    check = client.agent.checks()["hb"]
    assert (check["Status"], check["Output"], check["Notes"]) == (
        "passing",
        "all good",
        "",
    )

    client.agent.check.ttl_warn("hb", notes="slow")
    assert client.agent.checks()["hb"]["Status"] == "warning"
    client.agent.check.ttl_fail("hb")
    assert client.agent.checks()["hb"]["Status"] == "critical"

    assert client.agent.check.ttl_pass("unknown") is False


def test_ttl_update_on_non_ttl_check_is_a_500(double, client):
    client.agent.check.register("port", check=Check.tcp("127.0.0.1", 1, "10s"))
    try:
        client.agent.check.ttl_pass("port")
    except consul.ConsulException as exc:
        assert str(exc) == '500 CheckID "port" does not have associated TTL'
    else:
        raise AssertionError("ttl_pass on a TCP check must fail")


def test_node_maintenance_visibility(double, client, client_factory):
    double.add_node("web-1", address="10.0.0.5")
    double.add_service("web-1", "api", service_id="api-1")
    double.add_service("web-1", "cache", service_id="cache-1")
    for service_id in ("api-1", "cache-1"):
        double.add_check(
            "web-1", f"{service_id}-ok", status="passing", service_id=service_id
        )
    double.add_node("web-2", address="10.0.0.6")
    double.add_service("web-2", "api", service_id="api-2")

    agent = client_factory(double.agent_url("web-1"))
    assert agent.agent.maintenance(True)
    maintenance = agent.agent.checks()["_node_maintenance"]
    assert maintenance["Notes"] == (
        "Maintenance mode is enabled for this node, but no reason was provided. "
        "This is a default message."
    )
    assert (maintenance["Status"], maintenance["ServiceID"]) == ("critical", "")

    _, entries = client.health.service("api")
    by_node = {e["Node"]["Node"]: [c["CheckID"] for c in e["Checks"]] for e in entries}
    assert "_node_maintenance" in by_node["web-1"]
    assert "_node_maintenance" not in by_node["web-2"]

    _, passing = client.health.service("api", passing=True)
    assert [e["Node"]["Node"] for e in passing] == ["web-2"]
    assert client.health.checks("api")[1][0]["CheckID"] == "api-1-ok"
    assert "_node_maintenance" in {
        c["CheckID"] for c in client.health.state("critical")[1]
    }
    assert len(client.catalog.service("api")[1]) == 2

    agent.agent.maintenance(False)
    assert "_node_maintenance" not in agent.agent.checks()


def test_service_maintenance_visibility(double, client, client_factory):
    double.add_node("web-1", address="10.0.0.5")
    for service_id in ("api-1", "api-2"):
        double.add_service("web-1", "api", service_id=service_id)
        double.add_check(
            "web-1", f"{service_id}-ok", status="passing", service_id=service_id
        )

    agent = client_factory(double.agent_url("web-1"))
    assert agent.agent.service.maintenance("api-1", True, reason="deploy")
    check = agent.agent.checks()["_service_maintenance:api-1"]
    assert (check["Name"], check["Notes"], check["ServiceName"]) == (
        "Service Maintenance Mode",
        "deploy",
        "api",
    )

    _, passing = client.health.service("api", passing=True)
    assert [e["Service"]["ID"] for e in passing] == ["api-2"]
    _, node_checks = client.health.node("web-1")
    assert "_service_maintenance:api-1" in {c["CheckID"] for c in node_checks}


def test_kv_round_trips(double, client):
    assert client.kv.put("app/a", "1")
    assert client.kv.put("app/sub/b", b"2", flags=42)
    assert client.kv.put("other", "3")

    index, entry = client.kv.get("app/sub/b")
    assert (entry["Value"], entry["Flags"], index) == (
        b"2",
        42,
        str(entry["ModifyIndex"]),
    )
    _, entries = client.kv.get("app/", recurse=True)
    assert [e["Key"] for e in entries] == ["app/a", "app/sub/b"]
    assert client.kv.get("app/", keys=True)[1] == ["app/a", "app/sub/b"]
    assert client.kv.get("app/", keys=True, separator="/")[1] == ["app/a", "app/sub/"]
    assert client.kv.get("nothing/", recurse=True)[1] is None

    assert client.kv.put("app/a", "new", cas=0) is False
    assert client.kv.put(
        "app/a", "new", cas=int(client.kv.get("app/a")[1]["ModifyIndex"])
    )
    assert double.kv_get("app/a") == b"new"

    assert client.kv.delete("app/", recurse=True)
    assert double.kv_keys() == ["other"]
    assert client.kv.delete("never-existed") is True


def test_blocking_kv_get_wakes_on_change(double, client):
    client.kv.put("leader", "a")
    index, _ = client.kv.get("leader")
    writer = threading.Timer(0.2, lambda: double.kv_put("leader", b"b"))
    writer.start()
    try:
        new_index, entry = client.kv.get("leader", index=index, wait="5s")
    finally:
        writer.join()
    assert int(new_index) > int(index)
    assert entry["Value"] == b"b"


def test_blocking_query_returns_unchanged_after_wait(double, client):
    index, nodes = client.catalog.nodes()
    same_index, same_nodes = client.catalog.nodes(index=index, wait="200ms")
    assert (same_index, same_nodes) == (index, nodes)


def test_blocking_health_wakes_on_check_change(double, client):
    double.add_node("web-1")
    index, _ = client.health.state("critical")
    timer = threading.Timer(0.2, lambda: double.set_node_alive("web-1", False))
    timer.start()
    try:
        new_index, critical = client.health.state("critical", index=index, wait="5s")
    finally:
        timer.join()
    assert int(new_index) > int(index)
    assert [(c["Node"], c["CheckID"]) for c in critical] == [("web-1", "serfHealth")]


def test_tag_and_node_meta_filters(double, client):
    double.add_node("web-1", meta={"nexus-pool": "blue"})
    double.add_node("web-2", meta={"nexus-pool": "green"})
    double.add_service("web-1", "api", service_id="api-1", tags=["v1", "canary"])
    double.add_service("web-2", "api", service_id="api-2", tags=["v1"])

    _, rows = client.catalog.service("api", tag="canary")
    assert [r["ServiceID"] for r in rows] == ["api-1"]
    _, entries = client.health.service("api", node_meta={"nexus-pool": "green"})
    assert [e["Service"]["ID"] for e in entries] == ["api-2"]
    _, nodes = client.catalog.nodes(node_meta={"nexus-pool": "blue"})
    assert [n["Node"] for n in nodes] == ["web-1"]


def test_catalog_register_makes_an_external_node(double, client):
    assert client.catalog.register(
        "external-db", "10.9.9.9", service={"Service": "pg", "Port": 5432}
    )
    assert client.health.node("external-db")[1] == []
    assert "external-db" not in {m["Name"] for m in client.agent.members()}
    assert client.catalog.service("pg")[1][0]["Address"] == "10.9.9.9"

    assert client.catalog.deregister("external-db")
    assert client.catalog.node("external-db")[1] is None
