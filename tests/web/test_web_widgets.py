"""Human units, status words and widgets: pure functions, checked directly."""

import pytest
from flask import url_for
from markupsafe import Markup

from nexuslite.web.routing import node_url
from nexuslite.web.statuses import status_class
from nexuslite.web.units import (
    format_bytes,
    format_duration,
    format_number,
    format_percent,
    format_rate,
)
from nexuslite.web.widgets import metric_bar, status_badge


@pytest.mark.parametrize(
    "count, text",
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (1536, "1.5 KiB"),
        (32 * 2**30, "32.0 GiB"),
        (500 * 2**30, "500 GiB"),
        (3 * 2**50, "3.0 PiB"),
    ],
)
def test_bytes_in_binary_units(count, text):
    assert format_bytes(count) == text


@pytest.mark.parametrize(
    "seconds, text",
    [
        (0, "0s"),
        (59.9, "59s"),
        (61, "1m 1s"),
        (7200, "2h 0m"),
        (3 * 86400 + 4 * 3600 + 59, "3d 4h"),
        (-5, "0s"),
    ],
)
def test_durations_show_two_units(seconds, text):
    assert format_duration(seconds) == text


def test_rates_are_never_negative():
    assert format_rate(-100.0) == "0 B/s"
    assert format_rate(2048.0) == "2.0 KiB/s"


@pytest.mark.parametrize(
    "format_figure, figure, text",
    [
        (format_percent, 1e300, ">999%"),
        (format_percent, -1e300, "<-999%"),
        (format_percent, -50.0, "-50%"),
        (format_bytes, 1e300, "8.88e+284 PiB"),
        (format_rate, 1e300, "8.88e+284 PiB/s"),
        (format_duration, 1e300, "over 100000d"),
        (format_number, 1e300, "1e+300"),
        (format_number, 10**30, "1e+30"),
        (format_number, 0.4213, "0.42"),
        (format_number, 321, "321"),
    ],
)
def test_absurd_figures_keep_their_text_short(format_figure, figure, text):
    assert format_figure(figure) == text


def test_status_classes_only_for_known_words():
    assert status_class("failed") == "st-failed"
    assert status_class("no checks") == "st-no-checks"
    assert status_class('x" onmouseover="y') == "st-other"


def test_widgets_escape_their_text():
    badge = status_badge("<b>")
    bar = metric_bar("Disk /<x>", 91.0, "a & b")

    assert isinstance(badge, Markup) and "&lt;b&gt;" in badge
    assert "Disk /&lt;x&gt;" in bar and "a &amp; b" in bar
    assert 'class="bar hot"' in bar and "p95" in bar and "91%" in bar


@pytest.mark.parametrize(
    "percent, step",
    [(0, "p0"), (0.6, "p5"), (44.6, "p45"), (100, "p100"), (130, "p100")],
)
def test_bar_steps_round_up_so_any_use_shows(percent, step):
    assert f"fill {step}" in metric_bar("CPU", percent)


@pytest.mark.parametrize("name", ["a/../b", "x y", "<s>", "é", "a?b#c", "100%"])
def test_node_url_is_what_url_for_builds(consul_app, name):
    with consul_app.test_request_context("/"):
        assert node_url(name) == url_for("pages.node_detail", name=name)
