"""Lesson 01's check-yourself problems (memory objects)."""

import random

from ...ddi.wdfmemory import WdfMemoryCopyFromBuffer, WdfMemoryCopyToBuffer, WdfMemoryCreate
from ...kernel.pool import NonPagedPoolNx
from ...sim.machine import Machine
from ..answers import STATUS
from ..problem import Problem


def draw_ex1(label: str, rng: random.Random) -> Problem:
    size = rng.choice([16, 32, 64])
    offset = rng.choice([0, size // 2, size - 4, size])
    count = rng.choice([0, 4, size // 2, size])
    copy_in = rng.choice([True, False])
    ddi = "WdfMemoryCopyFromBuffer" if copy_in else "WdfMemoryCopyToBuffer"
    with Machine("Toaster"):
        _, memory, _ = WdfMemoryCreate(None, NonPagedPoolNx, "xEyM", size)
        local = bytearray(size)
        if copy_in:
            status = WdfMemoryCopyFromBuffer(memory, offset, bytes(size), count)
        else:
            status = WdfMemoryCopyToBuffer(memory, offset, local, count)
    return Problem(
        label,
        f"A memory object has a {size}-byte buffer. {ddi}(memory, {offset}, localArray, "
        f"{count}) returns which status?",
        STATUS,
        status,
        "Zero bytes is STATUS_INVALID_PARAMETER; a copy that would cross the end "
        "is refused whole: STATUS_INVALID_BUFFER_SIZE into the object, STATUS_BUFFER_TOO_SMALL "
        "out of it.",
    )


PROBLEMS = {"01-ex1": draw_ex1}
