"""The state machine against a fake OS: fast, exact, no real processes."""

import signal

import pytest
from agent_fakes import exit_status, killed_status

from nexuslite.agent import states
from nexuslite.agent.supervisor import Refused, TransitionError

ONE = """
web:
  command: [web]
  start_seconds: 1
  start_retries: 3
  backoff_seconds: 1
  backoff_max: 3
  stop_timeout: 5
"""


def state_lines(caplog) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.getMessage().startswith("state:")
    ]


def run_until_running(supervisor, fake):
    fake.advance(1)
    supervisor.tick()
    assert supervisor.services["web"].state == states.RUNNING


def test_start_then_running_after_start_seconds(supervisor, fake, specs, agent_log):
    supervisor.apply(specs(ONE))
    assert supervisor.services["web"].state == states.STARTING

    fake.advance(0.5)
    supervisor.tick()
    assert supervisor.services["web"].state == states.STARTING

    run_until_running(supervisor, fake)
    assert state_lines(agent_log)[-1] == (
        "state: web starting -> running (start counted after 1s)"
    )


def test_crash_while_running_restarts_at_once(supervisor, fake, specs, agent_log):
    supervisor.apply(specs(ONE))
    run_until_running(supervisor, fake)
    first = fake.pid_of("web")

    supervisor.on_exit(first, exit_status(1))
    supervisor.tick()

    assert fake.pid_of("web") != first
    assert supervisor.services["web"].restarts == 1
    assert "state: web running -> backoff (exit status 1; not expected)" in (
        state_lines(agent_log)
    )


def test_crash_loop_backs_off_growing_then_fatal(supervisor, fake, specs, agent_log):
    supervisor.apply(specs(ONE))
    delays = []
    for _ in range(4):
        supervisor.on_exit(fake.pid_of("web"), exit_status(2))
        service = supervisor.services["web"]
        if service.state == states.FATAL:
            break
        delays.append(service.due_at - fake.now())
        fake.advance(delays[-1])
        supervisor.tick()

    assert delays == [1, 2, 3]  # doubled, then capped by backoff_max
    assert supervisor.services["web"].state == states.FATAL
    assert state_lines(agent_log)[-1].startswith("state: web starting -> fatal")


def test_fatal_service_starts_again_when_asked(supervisor, fake, specs):
    supervisor.apply(specs(ONE.replace("start_retries: 3", "start_retries: 0")))
    supervisor.on_exit(fake.pid_of("web"), exit_status(1))
    assert supervisor.services["web"].state == states.FATAL

    supervisor.start("web")
    assert supervisor.services["web"].state == states.STARTING


def test_spawn_failure_is_data_not_an_exception(supervisor, fake, specs):
    fake.failing["web"] = "no such file: web"
    supervisor.apply(specs(ONE))

    service = supervisor.services["web"]
    assert service.state == states.BACKOFF
    assert service.detail.startswith("spawn error: no such file: web")


def test_stop_signals_group_then_kills_after_timeout(supervisor, fake, specs):
    supervisor.apply(specs(ONE))
    pid = fake.pid_of("web")
    supervisor.stop("web")
    assert fake.signals[-1] == (pid, signal.SIGTERM)
    assert supervisor.services["web"].state == states.STOPPING

    fake.advance(5)
    supervisor.tick()
    assert fake.signals[-1] == (pid, signal.SIGKILL)

    supervisor.on_exit(pid, killed_status(signal.SIGKILL))
    assert supervisor.services["web"].state == states.STOPPED


def test_clean_exit_under_on_failure_stays_stopped(supervisor, fake, specs):
    supervisor.apply(specs(ONE + "  restart: on-failure\n"))
    run_until_running(supervisor, fake)

    supervisor.on_exit(fake.pid_of("web"), exit_status(0))
    assert supervisor.services["web"].state == states.STOPPED


def test_reload_applies_only_the_difference(supervisor, fake, specs):
    supervisor.apply(specs("a: [a]\nb: [b]\nc: [c]\n"))
    pid_a, pid_b, pid_c = (fake.pid_of(n) for n in "abc")

    supervisor.apply(specs("a: [a]\nb: [b, changed]\nd: [d]\n"))
    supervisor.on_exit(pid_b, killed_status(signal.SIGTERM))
    supervisor.on_exit(pid_c, killed_status(signal.SIGTERM))

    assert fake.pid_of("a") == pid_a
    assert fake.pid_of("b") != pid_b
    assert supervisor.services["b"].spec.argv == ("b", "changed")
    assert "c" not in supervisor.services
    assert supervisor.services["d"].state == states.STARTING


def test_removed_then_declared_again_while_stopping_keeps_running(
    supervisor, fake, specs
):
    supervisor.apply(specs(ONE))
    run_until_running(supervisor, fake)
    first = fake.pid_of("web")

    supervisor.apply(specs(""))
    supervisor.apply(specs(ONE))
    supervisor.on_exit(first, killed_status(signal.SIGTERM))

    assert supervisor.services["web"].state == states.STARTING
    assert fake.pid_of("web") != first


def test_state_detail_stays_on_one_line(supervisor, fake, specs, agent_log):
    supervisor.apply(specs('web: [sh, -c, "echo a\\nb"]\n'))

    assert "a\\nb" in supervisor.services["web"].detail
    assert all("\n" not in record.getMessage() for record in agent_log.records)


def test_no_start_or_restart_once_shutting_down(supervisor, fake, specs):
    supervisor.apply(specs(ONE))
    pid = fake.pid_of("web")
    supervisor.stop_all()

    with pytest.raises(Refused, match="shutting down"):
        supervisor.restart("web")
    with pytest.raises(Refused, match="shutting down"):
        supervisor.start("web")
    supervisor.on_exit(pid, killed_status(signal.SIGTERM))

    assert supervisor.services["web"].state == states.STOPPED
    assert supervisor.is_idle()


def test_orphan_exit_is_ignored(supervisor, fake, specs):
    supervisor.apply(specs(ONE))
    supervisor.on_exit(99999, exit_status(0))
    assert supervisor.services["web"].state == states.STARTING


def test_disallowed_transition_is_a_bug(supervisor, fake, specs):
    supervisor.apply(specs(ONE))
    supervisor.stop("web")
    supervisor.on_exit(fake.pid_of("web"), killed_status(signal.SIGTERM))
    service = supervisor.services["web"]

    with pytest.raises(TransitionError):
        supervisor._move(service, states.RUNNING, "straight from stopped")


def test_every_state_has_transitions():
    assert set(states.TRANSITIONS) == set(states.ALL)
    for targets in states.TRANSITIONS.values():
        assert set(targets) <= set(states.ALL)
