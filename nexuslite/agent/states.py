"""Service states and the transitions allowed between them; imports nothing.

A service is ``stopped`` until asked to run. ``starting`` lasts until the process has
stayed up for its start seconds, then it is ``running``. An exit it should recover
from puts it in ``backoff`` (waiting before the next try); too many quick failures
in a row make it ``fatal`` until an operator starts it again. ``stopping`` lasts from
the stop signal until the process is reaped.
"""

STOPPED = "stopped"
STARTING = "starting"
RUNNING = "running"
BACKOFF = "backoff"
STOPPING = "stopping"
FATAL = "fatal"

ALL = (STOPPED, STARTING, RUNNING, BACKOFF, STOPPING, FATAL)

# States in which a process of the service exists and must be reaped.
ALIVE = (STARTING, RUNNING, STOPPING)

TRANSITIONS = {
    STOPPED: (STARTING,),
    STARTING: (RUNNING, BACKOFF, STOPPING, STOPPED, FATAL),
    RUNNING: (BACKOFF, STOPPING, STOPPED),
    BACKOFF: (STARTING, STOPPED, FATAL),
    STOPPING: (STOPPED,),
    FATAL: (STARTING, STOPPED),
}
