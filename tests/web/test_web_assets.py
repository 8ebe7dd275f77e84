"""Air-gapped assets: vendored htmx 2, no external URL, documented templates."""

import re

import pytest
from webcluster import tags

from nexuslite.resources import STATIC_DIR, TEMPLATES_DIR

HTMX = STATIC_DIR / "vendor" / "htmx"
TEMPLATES = sorted(TEMPLATES_DIR.rglob("*.html"))
OWN_ASSETS = TEMPLATES + [STATIC_DIR / "nexus.css", STATIC_DIR / "nexus.js"]


def test_vendored_htmx_is_version_2_with_its_license_and_recorded_version():
    script = (HTMX / "htmx.min.js").read_text()
    recorded = (HTMX / "VERSION").read_text()

    (version,) = re.findall(r'version:"(2\.\d+\.\d+)"', script)
    assert f"htmx.org {version}" in recorded
    assert (HTMX / "LICENSE").read_text().startswith("Zero-Clause BSD")


@pytest.mark.parametrize("path", OWN_ASSETS, ids=lambda p: p.name)
def test_no_external_url_in_templates_or_static(path):
    text = path.read_text()

    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", text), path
    assert "@import" not in text and "@font-face" not in text


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_every_template_lists_its_inputs_in_a_header(path):
    assert path.read_text().startswith("{#")


@pytest.mark.parametrize("url", ["/", "/nodes/web-1", "/services", "/services/api"])
def test_pages_load_nothing_from_another_origin(client, url):
    html = client.get(url).get_data(as_text=True)

    for attrs in tags(html):
        for name in ("src", "href", "action", "hx-get"):
            value = attrs.get(name)
            if value is not None:
                assert value.startswith(("/", "data:")), (name, value)
                assert not value.startswith("//"), (name, value)


def test_static_files_are_served(client):
    for name in ("nexus.css", "nexus.js", "vendor/htmx/htmx.min.js"):
        response = client.get(f"/static/{name}")
        assert response.status_code == 200, name
        response.close()
