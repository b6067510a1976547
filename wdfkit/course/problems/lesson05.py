"""Lesson 05's check-yourself problems (aligning buffers)."""

import random

from ...ddi.wdfcore import WDF_ALIGN_SIZE_UP
from ...ddi.wdm import ExAllocatePoolWithTag
from ...kernel.pool import NonPagedPoolNx
from ...sim.machine import Machine
from ..answers import HEX, Several
from ..problem import Problem


def draw_ex1(label: str, rng: random.Random) -> Problem:
    """The lesson's recipe: over-allocate by AlignTo - 1, round the pool's address up."""
    align = rng.choice([32, 64, 128])
    length = rng.randint(20, 300)
    machine = Machine("Toaster", verifier=True)
    with machine:
        for _ in range(rng.randint(0, 5)):  # earlier allocations move the pool's cursor
            ExAllocatePoolWithTag(NonPagedPoolNx, rng.choice([16, 40, 100]), "rehO")
        block = ExAllocatePoolWithTag(NonPagedPoolNx, length + align - 1, "nlAS")
    base = WDF_ALIGN_SIZE_UP(block.address, align)
    return Problem(
        label,
        f"A driver needs {length} bytes starting on a multiple of {align}. It calls\n"
        f"    ExAllocatePoolWithTag(NonPagedPoolNx, {length} + {align} - 1, 'nlAS')\n"
        f"and gets 0x{block.address:X}. At what address do its aligned bytes start, and how\n"
        "many bytes does it skip before them?",
        Several(HEX, HEX),
        (base, base - block.address),
        "start = WDF_ALIGN_SIZE_UP(address, AlignTo), skipped = start - address (at most "
        "AlignTo - 1, which is why the driver asked for that many extra bytes). The driver "
        "frees the address the pool gave, not the aligned one.",
    )


PROBLEMS = {"05-ex1": draw_ex1}
