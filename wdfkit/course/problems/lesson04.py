"""Lesson 04's check-yourself problems (local buffers)."""

import random

from ...ddi.wdm import ExAllocatePoolWithTag, ExFreePoolWithTag
from ...kernel.bugcheck import BugCheck
from ...kernel.pool import NonPagedPoolNx
from ...sim.machine import Machine
from ..answers import COUNT
from ..problem import Problem


def draw_ex1(label: str, rng: random.Random) -> Problem:
    machine = Machine("Toaster", verifier=True)
    lines, live = [], []
    with machine:
        for _ in range(rng.randint(4, 7)):
            if live and rng.random() < 0.4:
                name, p, tag = live.pop(rng.randrange(len(live)))
                ExFreePoolWithTag(p, tag)
                lines.append(f"ExFreePoolWithTag({name}, '{tag}')")
            else:
                name, tag = f"p{len(lines)}", rng.choice(["1gaT", "2gaT"])
                size = rng.choice([16, 48, 100, 256])
                live.append((name, ExAllocatePoolWithTag(NonPagedPoolNx, size, tag), tag))
                lines.append(f"{name} = ExAllocatePoolWithTag(NonPagedPoolNx, {size}, '{tag}')")
    try:
        machine.unload()
        outcome = 0
    except BugCheck as bugcheck:
        outcome = bugcheck.parameters[3]
    listing = "\n    ".join(lines)
    return Problem(
        label,
        "With Driver Verifier on, the driver runs:\n    "
        + listing
        + "\nthen unloads. Parameter 4 of the 0xC4/0x62 bug check (allocations not freed) is ?"
        " (answer 0 if it unloads cleanly).",
        COUNT,
        outcome,
        "Driver Verifier counts every allocation the driver made itself and did not free.",
    )


PROBLEMS = {"04-ex1": draw_ex1}
