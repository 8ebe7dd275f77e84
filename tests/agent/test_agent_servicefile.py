"""services.yml: both forms load, and every kind of mistake is one precise line."""

import subprocess
import sys

import pytest

from nexuslite.agent.servicefile import load_services, parse_services
from nexuslite.errors import ConfigError


def test_short_form_loads_unchanged():
    services = parse_services("web: [python3, -m, http.server, 8000]\n")
    assert services["web"].argv == ("python3", "-m", "http.server", "8000")
    assert services["web"].restart == "always"
    assert services["web"].consul.name == "web"


def test_full_form_loads_every_field():
    services = parse_services(
        """
api:
  command: python3 "my app.py" --port 8080
  directory: /srv
  environment: {MODE: "no", PORT: 8080}
  user: nobody
  restart: on-failure
  start_seconds: 2
  start_retries: 5
  backoff_seconds: 0.5
  backoff_max: 10
  stop_signal: INT
  stop_timeout: 3
  log: {file: /tmp/api.log, max_bytes: 1000, keep: 2}
  consul:
    name: api-svc
    port: 8080
    tags: [v1]
    meta: {team: ops}
    check: {http: "http://127.0.0.1:8080/health", interval: 2s}
"""
    )
    api = services["api"]
    assert api.argv == ("python3", "my app.py", "--port", "8080")
    assert dict(api.environment) == {"MODE": "no", "PORT": "8080"}
    assert (api.restart, api.start_retries, api.stop_signal) == ("on-failure", 5, 2)
    assert (api.log.max_bytes, api.log.keep) == (1000, 2)
    assert api.consul.check.kind == "http"
    assert api.consul.check.interval == "2s"


def test_shell_true_runs_through_sh():
    services = parse_services("a:\n  command: echo $HOME | wc\n  shell: true\n")
    assert services["a"].argv == ("/bin/sh", "-c", "echo $HOME | wc")


def test_consul_false_is_not_registered():
    assert parse_services("a:\n  command: [x]\n  consul: false\n")["a"].consul is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: [x\n", "services.yml:2: syntax: "),
        (
            "a:\n  command: [x]\n  colour: red\n",
            "services.yml:3: a.colour: unknown key",
        ),
        (
            "a:\n  command: [x]\n  stop_timeout: soon\n",
            "services.yml:3: a.stop_timeout: expected a number, got 'soon'",
        ),
        (
            "a:\n  command: [x]\n  restart: sometimes\n",
            "services.yml:3: a.restart: expected one of always, on-failure, never, "
            "got 'sometimes'",
        ),
        ("a: [x]\na: [y]\n", "services.yml:2: a: duplicate key"),
        (
            "a:\n  command: [x]\n  environment: {DEBUG: no}\n",
            "services.yml:3: a.environment.DEBUG: unquoted 'no' reads as a boolean; "
            "quote it",
        ),
        (
            "a:\n  command: [x]\n  user: on\n",
            "services.yml:3: a.user: unquoted 'on' reads as a boolean; quote it",
        ),
        (
            "a:\n  command: [x]\n  environment: {OPENS: 0800}\n",
            "services.yml:3: a.environment.OPENS: unquoted '0800' reads as a number; "
            "quote it",
        ),
        (
            "a:\n  command: [x]\n  environment: {MODE: 0755}\n",
            "services.yml:3: a.environment.MODE: unquoted '0755' reads as a number; "
            "quote it",
        ),
        ("a:\n\tcommand: [x]\n", "services.yml:2: indentation: tab found; use spaces"),
        ("a:\n  directory: /x\n", "services.yml:2: a: command is required"),
        ("- a\n", "services.yml:1: services: expected a mapping"),
        (
            "a:\n  command: [x]\n  consul: {port: 70000}\n",
            "services.yml:3: a.consul.port: port must be 1 to 65535, got 70000",
        ),
        (
            "a:\n  command: [x]\n  stop_signal: NOPE\n",
            "services.yml:3: a.stop_signal: unknown signal 'NOPE'",
        ),
        ("a: []\n", "services.yml:1: a: command is empty"),
        (
            "a:\n  command: [x]\n  consul: {check: {tcp: 80, interval: 0s}}\n",
            "services.yml:3: a.consul.check.interval: must be more than 0, got '0s'",
        ),
        # Numbers YAML reads but no field can use: once a traceback, now one line.
        (
            "a:\n  command: [x]\n  backoff_seconds: .inf\n",
            "services.yml:3: a.backoff_seconds: '.inf' is not a usable number",
        ),
        (
            "a:\n  command: [x]\n  start_seconds: .nan\n",
            "services.yml:3: a.start_seconds: '.nan' is not a usable number",
        ),
        (
            "a:\n  command: [x]\n  start_retries: 99999999999999999999\n",
            "services.yml:3: a.start_retries: '99999999999999999999' is not a usable",
        ),
        (
            "a:\n  command: [x]\n  environment: {DAY: 2024-01-01}\n",
            "services.yml:3: a.environment.DAY: unquoted '2024-01-01' reads as a date",
        ),
        (
            "base: &b\n  command: [x]\na:\n  <<: *b\n",
            "services.yml:4: a: unquoted '<<' reads as a merge key",
        ),
        (
            'a:\n  command: ["x\\0y"]\n',
            "services.yml:2: a.command[0]: NUL character in text",
        ),
        (
            "a:\n  command: [x]\n  environment: {A=B: x}\n",
            "services.yml:3: a.environment.A=B: variable names hold letters",
        ),
        # A relative path would depend on where the agent happened to start.
        (
            "a:\n  command: [x]\n  directory: srv/a\n",
            "services.yml:3: a.directory: 'srv/a' is not an absolute path",
        ),
        (
            "a:\n  command: [x]\n  log: {file: logs/a.log}\n",
            "services.yml:3: a.log.file: 'logs/a.log' is not an absolute path",
        ),
    ],
)
def test_each_mistake_names_line_and_field(text, expected):
    with pytest.raises(ConfigError) as caught:
        parse_services(text)
    assert caught.value.format_message().startswith(expected)


def test_unreadable_file_is_one_line(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_services(tmp_path / "missing.yml")


@pytest.mark.parametrize(
    "body, expected",
    [
        ("web: [no-such-program-x]\n", ":1: web.command: no executable"),
        (
            "web:\n  command: [ls]\n  user: no-such-user-x\n",
            ":3: web.user: no user 'no-such-user-x'",
        ),
        (
            "web:\n  command: [ls]\n  directory: /no/such/dir\n",
            ":3: web.directory: no directory '/no/such/dir'",
        ),
        (
            "web:\n  command: [./missing.sh]\n  directory: /tmp\n",
            ":2: web.command: no executable './missing.sh'",
        ),
        ("web:\n  command: [ls]\n  log: {file: /tmp}\n", ":3: web.log.file:"),
    ],
)
def test_what_this_machine_lacks_is_refused_at_load(tmp_path, body, expected):
    path = tmp_path / "services.yml"
    path.write_text(body)

    with pytest.raises(ConfigError) as caught:
        load_services(path)
    assert caught.value.format_message().startswith(f"{path}{expected}")


def test_parse_alone_does_not_look_at_this_machine():
    assert parse_services("web: [no-such-program-x]\n")["web"].argv


def test_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "services.yml"
    path.write_bytes(b"a: [true]\nb: [echo, \xff]\n")

    with pytest.raises(ConfigError) as caught:
        load_services(path)
    assert caught.value.format_message() == f"{path}:2: encoding: not UTF-8"


def test_directory_instead_of_file_is_one_line(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_services(tmp_path)
    assert caught.value.format_message() == f"{tmp_path}: cannot read: Is a directory"


def test_agent_with_bad_file_exits_2_with_one_line(tmp_path):
    bad = tmp_path / "services.yml"
    bad.write_text("web:\n  command: [x]\n  restart: yes\n")

    result = subprocess.run(
        [sys.executable, "-m", "nexuslite", "agent", "--config", str(bad)],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": "/usr/bin:/bin", "NEXUS_AGENT_SOCKET": str(tmp_path / "s")},
    )

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"Error: {bad}:3: web.restart: unquoted 'yes' reads as a boolean; quote it"
    ]
