"""Workloads for lesson 02: so many buffers per second, for so many seconds, then the next phase.

A *burst* of N in a second takes N buffers back to back (all N in use at once) and then gives
them all back; a *steady* second takes and gives back one buffer at a time, N times.  Either
way the second ends with the balance-set manager's tick.

:func:`run` drives a fresh machine through the real DDIs, either from a WDFLOOKASIDE
(``WdfMemoryCreateFromLookaside``), from the kernel list such a WDFLOOKASIDE is built on
(the list ``ExAllocateFromNPagedLookasideList`` / ``ExFreeToNPagedLookasideList`` act on: the
same Depth, misses and pool traffic, several times faster, which the widget needs), or straight
from pool (``WdfMemoryCreate``).  It returns the
machine, whose ``balance.history`` and pool counters the plots read.
"""

from dataclasses import dataclass

from ..ddi.wdflookaside import WdfLookasideListCreate, WdfMemoryCreateFromLookaside
from ..ddi.wdfmemory import WdfMemoryCreate
from ..ddi.wdfobject import WdfObjectDelete
from ..ddi.wdmlookaside import NPAGED_LOOKASIDE_LIST, ExInitializeNPagedLookasideList
from ..fx.lookaside import MEMORY_OBJECT_SIZE
from ..kernel.pool import POOL_NX_ALLOCATION, NonPagedPoolNx
from ..sim.machine import Machine

BUFFER_SIZE = 256
TAG = "kooL"  # shows as 'Look' in pool views


@dataclass(frozen=True)
class Phase:
    """*rate* buffers per second for *seconds* seconds, as a burst or one at a time."""

    rate: int
    seconds: int
    pattern: str = "burst"

    def __post_init__(self) -> None:
        if not isinstance(self.rate, int) or not 0 <= self.rate <= 100_000:
            raise ValueError("Phase: rate must be an int from 0 to 100000 buffers per second")
        if not isinstance(self.seconds, int) or not 0 < self.seconds <= 600:
            raise ValueError("Phase: seconds must be an int from 1 to 600")
        if self.pattern not in ("burst", "steady"):
            raise ValueError("Phase: pattern must be 'burst' or 'steady'")


# Worked example A (tests/test_lookaside.py pins it): 50/s for 10 s, 500/s for 10 s, idle for 30 s.
EXAMPLE_A = (Phase(50, 10), Phase(500, 10), Phase(0, 30))


@dataclass
class WorkloadRun:
    """What :func:`run` did: the machine afterwards and the pool calls the buffers cost."""

    machine: Machine
    via: str
    lookaside: object
    pool_allocations: int
    pool_frees: int


def run(
    phases=EXAMPLE_A, via: str = "lookaside", verifier: bool = False, **machine_options
) -> WorkloadRun:
    """Run *phases* on a fresh machine, buffers from a lookaside list or (``via="pool"``) pool.

    *verifier* is Machine's shorthand: with Driver Verifier on, the lists are held at Depth 0.
    """
    if via not in ("lookaside", "kernel", "pool"):
        raise ValueError("run: via must be 'lookaside', 'kernel' or 'pool'")
    phases = [p if isinstance(p, Phase) else Phase(*p) for p in phases]
    machine = Machine("Toaster", verifier=verifier, **machine_options)
    lookaside = None
    with machine:
        if via == "lookaside":
            _, lookaside = WdfLookasideListCreate(None, BUFFER_SIZE, NonPagedPoolNx, None, TAG)

            def take():
                return WdfMemoryCreateFromLookaside(lookaside)[1]

            give = WdfObjectDelete
        elif via == "kernel":  # an FxNPagedLookasideList's one list: object + buffer entries
            lookaside = NPAGED_LOOKASIDE_LIST()
            ExInitializeNPagedLookasideList(
                lookaside,
                None,
                None,
                POOL_NX_ALLOCATION,
                MEMORY_OBJECT_SIZE + BUFFER_SIZE,
                TAG,
                0,
            )

            # The list's own allocate and free, which those two DDIs call after checking
            # their arguments: the same Depth, misses and pool traffic, and the lab's 60 s
            # workload simulates in 10 ms instead of 42 ms (LookasideLab's guard in make bench).
            take, give = lookaside.L.allocate, lookaside.L.free
        else:

            def take():
                return WdfMemoryCreate(None, NonPagedPoolNx, TAG, BUFFER_SIZE)[1]

            give = WdfObjectDelete

        for phase in phases:
            for _ in range(phase.seconds):
                if phase.pattern == "burst":
                    held = [take() for _ in range(phase.rate)]
                    for memory in held:
                        give(memory)
                else:
                    for _ in range(phase.rate):
                        give(take())
                machine.advance(1)
    usage = [u for u in machine.pool.tag_usage() if u.tag == "Look"]
    return WorkloadRun(
        machine,
        via,
        lookaside,
        sum(u.allocs for u in usage),
        sum(u.frees for u in usage),
    )
