"""Go duration strings ("10s", "1m30s", "1.5h") as Consul reads and writes them."""

import re

_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


class DurationError(ValueError):
    """Text that Go's time.ParseDuration would reject."""


def parse_duration(text: str) -> float:
    """Return seconds for a Go duration string; raise DurationError like Go would."""
    body = text[1:] if text[:1] in "+-" else text
    if body == "0":
        return 0.0

    if not body:
        raise DurationError(f'time: invalid duration "{text}"')

    seconds = 0.0
    position = 0
    for match in _PART.finditer(body):
        if match.start() != position:
            break
        seconds += float(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()

    if position != len(body):
        if re.fullmatch(r"[\d.]+", body):
            raise DurationError(f'time: missing unit in duration "{text}"')
        raise DurationError(f'time: invalid duration "{text}"')

    return -seconds if text.startswith("-") else seconds


def coerce_duration(value: object) -> float:
    """Seconds from a body field that holds a duration string or integer nanoseconds."""
    if isinstance(value, bool):
        raise DurationError(f"time: invalid duration {value!r}")

    if isinstance(value, (int, float)):
        return value / 1e9

    if isinstance(value, str):
        return parse_duration(value)

    raise DurationError(f"time: invalid duration {value!r}")


def format_duration(seconds: float) -> str:
    """Render seconds the way Go prints a time.Duration ("10s", "1m30s", "0s")."""
    if seconds <= 0:
        return "0s"

    if seconds < 1:
        return f"{seconds * 1000:g}ms"

    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = ""
    if hours:
        text += f"{int(hours)}h"
    if hours or minutes:
        text += f"{int(minutes)}m"
    return text + f"{secs:g}s"
