"""Settings as an operator meets them: bad values, precedence, ``nexus config``."""

import pytest

from nexuslite.settings import load_settings

BAD_VALUES = [
    ({"NEXUS_PORT": "abc"}, "NEXUS_PORT='abc'"),
    ({"NEXUS_PORT": "70000"}, "NEXUS_PORT='70000'"),
    ({"NEXUS_CONSUL_URL": "consul:8500"}, "NEXUS_CONSUL_URL='consul:8500'"),
    ({"NEXUS_CONSUL_URL": "ftp://c:8500"}, "NEXUS_CONSUL_URL='ftp://c:8500'"),
    ({"NEXUS_CONSUL_HOST": "c1", "NEXUS_CONSUL_PORT": "x"}, "NEXUS_CONSUL_PORT='x'"),
    ({"NEXUS_CONSUL_SCHEME": "gopher"}, "NEXUS_CONSUL_SCHEME='gopher'"),
    ({"NEXUS_CONSUL_CA_FILE": "/no/such/ca.pem"}, "NEXUS_CONSUL_CA_FILE"),
    ({"NEXUS_CONSUL_TIMEOUT": "0"}, "NEXUS_CONSUL_TIMEOUT='0'"),
    ({"NEXUS_POLL_INTERVAL": "-1"}, "NEXUS_POLL_INTERVAL='-1'"),
    ({"NEXUS_REFRESH_INTERVAL": "soon"}, "NEXUS_REFRESH_INTERVAL='soon'"),
    ({"NEXUS_SERVER": "uwsgi"}, "NEXUS_SERVER='uwsgi'"),
    ({"NEXUS_WORKERS": "0"}, "NEXUS_WORKERS='0'"),
    ({"NEXUS_LOG_LEVEL": "chatty"}, "NEXUS_LOG_LEVEL"),
]


@pytest.mark.parametrize(("env", "named"), BAD_VALUES)
def test_bad_value_is_one_line_naming_it_with_exit_2(run_nexus, env, named):
    result = run_nexus("serve", env=env)

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: invalid ")
    assert named in lines[0]
    assert "Traceback" not in result.stderr


def test_bad_flag_names_the_flag(run_nexus):
    result = run_nexus("serve", "--port", "0")

    assert result.returncode == 2
    assert result.stderr.strip() == (
        "Error: invalid --port='0': Input should be greater than or equal to 1"
    )


def test_unknown_setting_in_env_file_is_named(run_nexus, tmp_path):
    (tmp_path / ".env").write_text("NEXUS_PROT=9001\n")

    result = run_nexus("config")

    assert result.returncode == 2
    assert "NEXUS_PROT" in result.stderr
    assert "Traceback" not in result.stderr


def test_config_masks_secrets_and_shows_descriptions(run_nexus):
    result = run_nexus(
        "config",
        env={"NEXUS_CONSUL_TOKEN": "very-secret", "NEXUS_CONSUL_URL": "http://c:8500"},
    )

    assert result.returncode == 0
    assert "very-secret" not in result.stdout
    assert "NEXUS_CONSUL_TOKEN=********" in result.stdout
    assert "NEXUS_CONSUL_URL=http://c:8500" in result.stdout
    assert "# Seconds between browser refreshes" in result.stdout


def test_version_prints_the_version(run_nexus):
    from nexuslite import __version__

    result = run_nexus("version")

    assert result.returncode == 0
    assert result.stdout.startswith(f"nexuslite {__version__}")


def test_sources_in_order_defaults_files_env_flags(tmp_path, monkeypatch):
    etc, local = tmp_path / "nexus.env", tmp_path / ".env"
    etc.write_text("NEXUS_PORT=9001\nNEXUS_HOST=10.0.0.1\nNEXUS_THREADS=3\n")
    local.write_text("NEXUS_PORT=9002\nNEXUS_HOST=10.0.0.2\n")
    monkeypatch.setenv("NEXUS_HOST", "10.0.0.3")
    files = (etc, local)

    assert load_settings(env_files=files).threads == 3
    assert load_settings(env_files=files).port == 9002
    assert load_settings(env_files=files).host == "10.0.0.3"
    assert load_settings({"host": "10.0.0.4"}, env_files=files).host == "10.0.0.4"
    assert load_settings(env_files=()).poll_interval == 5.0


def test_split_consul_address_still_works(monkeypatch):
    monkeypatch.setenv("NEXUS_CONSUL_HOST", "consul.internal")
    monkeypatch.setenv("NEXUS_CONSUL_PORT", "8501")
    monkeypatch.setenv("NEXUS_CONSUL_SCHEME", "https")

    assert load_settings(env_files=()).consul_url == "https://consul.internal:8501"


def test_full_url_wins_over_split_form(monkeypatch):
    monkeypatch.setenv("NEXUS_CONSUL_HOST", "old")
    monkeypatch.setenv("NEXUS_CONSUL_URL", "http://new:8500")

    assert load_settings(env_files=()).consul_url == "http://new:8500"


def test_env_file_lines_of_other_programs_are_left_alone(tmp_path):
    shared = tmp_path / "nexus.env"
    shared.write_text("CONSUL_HTTP_ADDR=127.0.0.1:8500\nNEXUS_PORT=9005\n")

    assert load_settings(env_files=(shared,)).port == 9005


def test_a_listen_address_must_be_an_address_or_host_name(run_nexus):
    result = run_nexus("serve", env={"NEXUS_HOST": "a b"})

    assert result.returncode == 2
    assert result.stderr.strip() == (
        "Error: invalid NEXUS_HOST='a b': expected an IP address or a host name"
    )


def test_a_flag_is_named_as_typed(run_nexus):
    result = run_nexus("serve", "--consul", "notaurl")

    assert result.returncode == 2
    assert result.stderr.startswith("Error: invalid --consul='notaurl': ")


def test_a_bad_value_from_an_env_file_names_the_file(run_nexus, tmp_path):
    (tmp_path / ".env").write_text("NEXUS_PORT=ninety\n")

    result = run_nexus("config")

    assert result.returncode == 2
    assert result.stderr.startswith("Error: invalid NEXUS_PORT='ninety' in .env: ")
