"""Overview filters: status, role, pool and name search, all kept in the URL."""

import re

import pytest
from webcluster import EXPECTED_STATUS, tags


def _grid_nodes(html: str) -> set[str]:
    grid = html[html.index('class="grid-section"') :]
    return set(
        re.findall(r'class="name" href="/nodes/[^"]+" title="[^"]*">([^<]+)</a>', grid)
    )


@pytest.mark.parametrize(
    "query, expected",
    [
        ({}, set(EXPECTED_STATUS)),
        ({"status": "degraded"}, {"web-2", "db-1"}),
        ({"status": "draining"}, {"batch-2"}),
        ({"status": "unknown"}, {"edge-1"}),
        ({"role": "manager"}, {"mgr-1", "mgr-2"}),
        ({"pool": "blue"}, {"web-1", "web-2"}),
        ({"pool": "green", "status": "failed"}, {"batch-1"}),
        ({"q": "WEB"}, {"web-1", "web-2"}),
        ({"q": "zzz"}, set()),
        ({"status": "", "role": "", "pool": "", "q": ""}, set(EXPECTED_STATUS)),
    ],
)
def test_filters_select_nodes(client, query, expected):
    for headers in ({}, {"HX-Request": "true"}):
        html = client.get("/", query_string=query, headers=headers).get_data(
            as_text=True
        )
        assert _grid_nodes(html) == expected


def test_filtered_fragment_keeps_polling_the_filtered_url(client):
    html = client.get("/?pool=blue&q=web", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )

    assert 'hx-get="/?pool=blue&amp;q=web"' in html
    assert "2 of 8, filtered" in html


def test_the_form_is_a_plain_get_form_reflecting_the_url(client):
    html = client.get("/?status=failed&pool=green&q=bat").get_data(as_text=True)

    (form,) = tags(html, "form")
    assert (form["action"], form["method"]) == ("/", "get")
    assert form["hx-get"] == "/" and form["hx-target"] == "#live"
    assert form["hx-replace-url"] == "true"
    assert '<option value="failed" selected>' in html
    assert '<option value="green" selected>' in html
    assert 'name="q" value="bat"' in html


def test_no_match_says_so_and_offers_to_clear(client):
    html = client.get("/?q=nothing-like-this").get_data(as_text=True)

    assert "No node matches this filter" in html


@pytest.mark.parametrize(
    "query, message",
    [
        ({"status": "on-fire"}, "unknown status &#39;on-fire&#39;"),
        ({"role": "<b>boss</b>"}, "unknown role &#39;&lt;b&gt;boss&lt;/b&gt;&#39;"),
        ({"q": "x" * 101}, "q is 101 characters long; at most 100"),
        ({"pool": "p" * 500}, "pool is 500 characters long"),
    ],
)
def test_bad_filter_values_are_a_400_page_not_a_500(client, query, message):
    for headers in ({}, {"HX-Request": "true"}):
        response = client.get("/", query_string=query, headers=headers)
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
