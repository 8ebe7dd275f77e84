"""The refresher keeps the last good snapshot through Consul trouble, and recovers."""

import logging

from nexuslite.cluster.consul_source import ConsulSource
from nexuslite.cluster.refresher import Refresher


def test_trouble_keeps_last_good_data_and_logs_once(double, settings_for, caplog):
    double.add_node("web-1")
    refresher = Refresher(ConsulSource(settings_for(double.url, consul_timeout=1)), 60)

    good = refresher.refresh_now()
    assert good.problem is None
    assert good.node("web-1")

    double.set_fault("down")
    with caplog.at_level(logging.INFO, logger="nexuslite"):
        first = refresher.refresh_now()
        second = refresher.refresh_now()

    assert first.problem.kind == "unreachable"
    assert first.node("web-1") is not None
    assert first.taken_at == good.taken_at
    assert second is first
    assert len([r for r in caplog.records if "refresh failed" in r.message]) == 1

    double.set_fault(None)
    with caplog.at_level(logging.INFO, logger="nexuslite"):
        recovered = refresher.refresh_now()

    assert recovered.problem is None
    assert recovered.taken_at > good.taken_at
    assert any("recovered" in r.message for r in caplog.records)
    refresher.stop()


def test_before_the_first_refresh_the_snapshot_says_so(double, settings_for):
    refresher = Refresher(ConsulSource(settings_for(double.url)), 60)

    snap = refresher.snapshot()

    assert snap.nodes == ()
    assert snap.problem.kind == "starting"
    refresher.stop()


def test_listeners_get_each_new_snapshot_and_a_broken_one_stops_nothing(
    double, settings_for, caplog
):
    double.add_node("web-1")
    refresher = Refresher(ConsulSource(settings_for(double.url)), 60)
    seen = []

    def broken(snapshot):
        raise RuntimeError("listener bug")

    refresher.add_listener(broken)
    refresher.add_listener(seen.append)
    with caplog.at_level(logging.ERROR, logger="nexuslite"):
        first = refresher.refresh_now()
        second = refresher.refresh_now()

    assert seen == [first, second]
    assert any("listener" in r.message for r in caplog.records)
    refresher.stop()


class BrokenSource:
    """A source with a bug: fetch raises something that is not SourceUnavailable."""

    label = "broken"

    def fetch(self):
        raise ValueError("a bug in the source")

    def close(self):
        pass


def test_a_bug_in_the_source_becomes_a_banner_and_refreshing_goes_on(caplog):
    refresher = Refresher(BrokenSource(), 0.05).start(wait=5)

    snap = refresher.snapshot()

    assert snap.problem.kind == "error"
    assert "a bug in the source" in snap.problem.message
    assert refresher._thread.is_alive()
    assert not refresher.is_source_reachable
    refresher.stop()
