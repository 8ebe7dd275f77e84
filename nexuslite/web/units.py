"""Human units for the pages: sizes in GiB, rates, percentages and durations.

Registered as Jinja filters by the app factory; pure functions, easy to test.
Figures come from node agents and may be absurd (1e300, a negative uptime): each
formatter keeps its text short, so one odd node cannot stretch a tile or a page.
"""

_BINARY_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")

# Beyond these, a figure is shown in short scientific form or as a bound.
PLAIN_LIMIT = 10_000
PERCENT_LIMIT = 1000
DAYS_LIMIT = 100_000


def format_bytes(count: float) -> str:
    """1536 -> "1.5 KiB"; one decimal below 100 of a unit, none above."""
    value = float(count)
    for unit in _BINARY_UNITS:
        if abs(value) < 1024 or unit == _BINARY_UNITS[-1]:
            break
        value /= 1024

    if unit == "B":
        return f"{value:.0f} B"
    if abs(value) >= PLAIN_LIMIT:
        return f"{value:.3g} {unit}"
    return f"{value:.1f} {unit}" if abs(value) < 100 else f"{value:.0f} {unit}"


def format_rate(bytes_per_second: float) -> str:
    return f"{format_bytes(max(0.0, bytes_per_second))}/s"


def format_percent(value: float) -> str:
    if value >= PERCENT_LIMIT:
        return f">{PERCENT_LIMIT - 1}%"
    if value <= -PERCENT_LIMIT:
        return f"<-{PERCENT_LIMIT - 1}%"
    return f"{value:.0f}%"


def format_number(value: float) -> str:
    """A load average or count: "0.42", "321", or "1.2e+30" when huge."""
    if abs(value) >= PLAIN_LIMIT:
        return f"{value:.3g}"
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def format_duration(seconds: float) -> str:
    """Two most significant units: "3d 4h", "5h 12m", "4m 10s", "9s"."""
    total = max(0, int(seconds))
    days, rest = divmod(total, 86400)
    if days >= DAYS_LIMIT:
        return f"over {DAYS_LIMIT}d"
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)

    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    while len(parts) > 1 and parts[0][0] == 0:
        parts.pop(0)
    return " ".join(f"{amount}{unit}" for amount, unit in parts[:2])


def bar_step(percent: float) -> int:
    """The 5 % step a metric bar is drawn at; anything above zero shows a sliver."""
    clamped = min(100.0, max(0.0, percent))
    step = int(-(-clamped // 5) * 5)
    return step
