"""One URL, two renderings: a live page region as a full page or as its fragment.

Every page has one live region that htmx polls at the page's own URL. Without an
``HX-Request`` header (a browser with JavaScript off, a bookmark, a reload) the URL
renders the whole page, which includes the fragment template; with it, only the
fragment. ``Vary: HX-Request`` keeps caches from mixing the two.
"""

import time

from flask import Response, make_response, render_template, request

from nexuslite.cluster.model import Snapshot
from nexuslite.web.appstate import get_settings


def is_fragment_request() -> bool:
    """htmx asking for a region; a history restore needs the whole page instead."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render_region(
    page: str, fragment: str, snapshot: Snapshot, live_url: str, **context
) -> Response:
    """Render ``fragment`` alone for htmx, else ``page`` (which includes it).

    ``live_url`` is what the region polls: built with url_for by the view, never
    from the decoded request path, so encoded names stay encoded.
    """
    settings = get_settings()
    template = fragment if is_fragment_request() else page
    body = render_template(
        template,
        snapshot=snapshot,
        now=time.time(),
        poll_interval=settings.poll_interval,
        refresh_interval=settings.refresh_interval,
        live_url=live_url,
        **context,
    )

    response = make_response(body)
    response.vary.add("HX-Request")
    response.headers["Cache-Control"] = "no-store"
    return response
