"""Fixtures of the agent tests: a fake OS for the state machine, real agents."""

import logging

import pytest
from agent_fakes import FakeSystem

from nexuslite.agent.servicefile import parse_services
from nexuslite.agent.supervisor import Supervisor


@pytest.fixture
def fake():
    return FakeSystem()


@pytest.fixture
def agent_log(caplog):
    """Records of the nexuslite loggers, even if logging was configured to stderr."""
    root = logging.getLogger("nexuslite")
    root.addHandler(caplog.handler)
    caplog.set_level(logging.INFO, logger="nexuslite")
    yield caplog
    root.removeHandler(caplog.handler)


@pytest.fixture
def supervisor(fake, agent_log):
    return Supervisor(fake)


@pytest.fixture
def specs():
    def build(text: str):
        return parse_services(text)

    return build


@pytest.fixture
def make_agent(tmp_path):
    """Start real agents in ``tmp_path``; every one is stopped after the test."""
    from agent_process import RunningAgent

    started = []

    def start(services: str, env: dict | None = None, launch: bool = True):
        agent = RunningAgent(tmp_path, services, env)
        started.append(agent)
        return agent.start() if launch else agent

    yield start
    for agent in started:
        if agent.process is not None:
            agent.stop()
        agent.kill_leftovers()
