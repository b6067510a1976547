"""Lesson 00's check-yourself problems (the simulated machine)."""

import random

from ...ddi.wdfmemory import WdfMemoryCreate
from ...kernel.pool import NonPagedPoolNx, PagedPool
from ...sim.machine import Machine
from ..answers import COUNT
from ..problem import Problem


def draw_ex1(label: str, rng: random.Random) -> Problem:
    size = rng.choice([32, 200, 1000, 4096, 9000])
    pool, pool_name = rng.choice([(NonPagedPoolNx, "NonPagedPoolNx"), (PagedPool, "PagedPool")])
    verifier = rng.choice([True, False])  # KMDF Verifier: FxPoolTrackingOn picks the layout
    machine = Machine("Toaster", kmdf_verifier=verifier)
    with machine:
        before = len(machine.snapshot().blocks)
        WdfMemoryCreate(None, pool, "xEyM", size)
        blocks = len(machine.snapshot().blocks) - before
    return Problem(
        label,
        f"With KMDF Verifier {'on' if verifier else 'off'}, WdfMemoryCreate(None, {pool_name}, "
        f"'xEyM', {size}) allocates ? pool block(s).",
        COUNT,
        blocks,
        "one block when KMDF embeds a small nonpaged buffer after the object, two when the "
        "buffer gets a block of its own (a page or more, paged pool, or KMDF Verifier's pool "
        "tracking; Driver Verifier does not change the layout).",
    )


PROBLEMS = {"00-ex1": draw_ex1}
