"""A kernel's life as one state machine: every state, and every transition in one table.

The manager's methods change the state only through :meth:`Life.advance`, which looks the
step up in :data:`TRANSITIONS`; a step the table does not list for the current state is a
:class:`~kernelhub.errors.WrongStateError` (a bug in the caller's order of calls, never a
kernel's doing). The manager's lock makes STARTING and STOPPING visible only to the one call
that holds it; everyone else sees NEW, RUNNING, DIED, DOWN or CLOSED.

::

    NEW ──start──▶ STARTING ──ready──▶ RUNNING ──die──▶ DIED
                      │ fail ─────────────────────────▶ DIED ──start──▶ STARTING
    RUNNING, DIED, DOWN ──stop──▶ STOPPING ──stopped──▶ DOWN ──start──▶ STARTING
                                  STOPPING ──start──▶ STARTING            (a restart)
    any ──close──▶ CLOSED

Whether a death is *restarted* is the restarter's business (it is held while a shutdown is
asked for): the state says only what the process is doing.
"""

from __future__ import annotations

import enum

from kernelhub.errors import WrongStateError

__all__ = ["TRANSITIONS", "Life", "State", "Step"]


class State(enum.Enum):
    """Where a managed kernel is in its life."""

    #: Never started.
    NEW = "new"
    #: A process is being started (start, restart, relaunch, attach).
    STARTING = "starting"
    #: Ready and supervised: a death is reported (and, with a restarter, restarted).
    RUNNING = "running"
    #: It died without being asked to, or a start failed: ``relaunch()`` may start it again.
    DIED = "died"
    #: Being stopped by us (a shutdown, the first half of a restart, a detach): its exit is
    #: ours, not reported as a death.
    STOPPING = "stopping"
    #: Shut down; ``start()`` or ``restart()`` may start it again.
    DOWN = "down"
    #: Closed or detached: the manager does nothing more.
    CLOSED = "closed"


class Step(enum.Enum):
    """What happens to a managed kernel."""

    START = "start"  # a process is about to be launched (or attached)
    READY = "ready"  # it answered: it is supervised from now on
    FAIL = "fail"  # the start failed (death, timeout, lost ports, cancellation)
    DIE = "die"  # the supervised process exited unasked
    STOP = "stop"  # we begin to stop it
    STOPPED = "stopped"  # a shutdown is complete
    CLOSE = "close"  # the manager is closed or detached


#: ``TRANSITIONS[state][step]`` is the state after ``step``; anything missing is refused.
TRANSITIONS: dict[State, dict[Step, State]] = {
    State.NEW: {Step.START: State.STARTING, Step.STOP: State.STOPPING, Step.CLOSE: State.CLOSED},
    State.STARTING: {Step.READY: State.RUNNING, Step.FAIL: State.DIED},
    State.RUNNING: {
        Step.DIE: State.DIED,
        Step.STOP: State.STOPPING,
        # start() of a kernel whose death the watcher has not seen yet
        Step.START: State.STARTING,
        Step.CLOSE: State.CLOSED,
    },
    State.DIED: {Step.START: State.STARTING, Step.STOP: State.STOPPING, Step.CLOSE: State.CLOSED},
    State.STOPPING: {
        Step.START: State.STARTING,
        Step.STOPPED: State.DOWN,
        # a stop that was cancelled half-way, asked for again (a shutdown after it, a close)
        Step.STOP: State.STOPPING,
        Step.CLOSE: State.CLOSED,
    },
    State.DOWN: {Step.START: State.STARTING, Step.STOP: State.STOPPING, Step.CLOSE: State.CLOSED},
    State.CLOSED: {Step.CLOSE: State.CLOSED},
}


class Life:
    """The state of one kernel, moved only by :meth:`advance`."""

    __slots__ = ("kernel_id", "state")

    def __init__(self, kernel_id: str) -> None:
        self.kernel_id = kernel_id
        self.state = State.NEW

    def advance(self, step: Step) -> State:
        """Take ``step``; return the new state. Raises WrongStateError if it is not allowed."""
        try:
            self.state = TRANSITIONS[self.state][step]
        except KeyError:
            raise WrongStateError(
                f"kernel {self.kernel_id}: cannot {step.value} while {self.state.value}"
            ) from None
        return self.state

    def __repr__(self) -> str:
        return f"Life({self.kernel_id!r}, {self.state.value})"
