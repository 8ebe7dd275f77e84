"""The services.yml examples in README.md are valid, so the documentation stays true."""

from pathlib import Path

from nexuslite.agent.servicefile import parse_services

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_block(first_line: str) -> str:
    """The indented code block of README.md that starts with ``first_line``."""
    lines = README.read_text(encoding="utf-8").splitlines()
    start = lines.index(f"    {first_line}")
    block = []
    for line in lines[start:]:
        if line and not line.startswith("    "):
            break
        block.append(line[4:])
    return "\n".join(block)


def test_full_form_example_lists_keys_the_agent_knows():
    services = parse_services(readme_block("api:"))

    api = services["api"]
    assert api.argv == ("/srv/api/bin/api", "--port", "8080")
    assert api.consul.check.kind == "http"
    assert api.log.keep == 5


def test_short_form_example_is_an_argv():
    services = parse_services(readme_block('web: [python3, -m, http.server, "8080"]'))

    assert services["web"].argv == ("python3", "-m", "http.server", "8080")
