"""The psutil sampler: real first figures, rates that never go negative."""

import threading

import psutil

from nexuslite.metrics.sampler import MetricsSampler, _rate


def test_first_figure_is_real_even_when_others_call_cpu_percent():
    stop = threading.Event()

    def burn():
        while not stop.is_set():
            pass

    burner = threading.Thread(target=burn)
    burner.start()
    sampler = MetricsSampler(interval=60)
    try:
        sampler._prime()
        psutil.cpu_percent(interval=None)  # another caller moves psutil's shared state
        first = sampler.sample()
    finally:
        stop.set()
        burner.join()
        sampler.stop()

    # One core kept busy is at least a share of 1/ncpu of the machine.
    assert first.cpu_percent > 50 / (psutil.cpu_count() or 1)


def test_started_sampler_publishes_this_machines_figures():
    sampler = MetricsSampler(interval=60).start()
    try:
        metrics = sampler.latest()
    finally:
        sampler.stop()

    assert metrics is not None
    assert 0 < metrics.mem_total <= psutil.virtual_memory().total
    assert metrics.disks
    assert metrics.process_count > 1


def test_network_rates_never_go_negative_when_counters_reset():
    before = {"eth0": (10_000, 20_000), "eth1": (500, 500)}
    after = {"eth0": (100, 50), "eth1": (1_500, 2_500)}

    rx, tx = _rate(before, after, seconds=2.0)

    assert (rx, tx) == (500.0, 1000.0)
