"""Lesson 02's check-yourself problems (lookaside lists)."""

import random

from .. import workload
from ..answers import COUNT
from ..problem import Problem


def draw_ex1(label: str, rng: random.Random) -> Problem:
    phases = [
        workload.Phase(rng.choice([40, 100, 200, 300]), rng.choice([3, 6, 9])),
        workload.Phase(0, rng.choice([3, 6])),
    ]
    run = workload.run(phases)
    depth = run.machine.snapshot().balance.lists[0].depth
    described = ", then ".join(
        f"{p.rate} buffers per second (burst) for {p.seconds} s"
        if p.rate
        else f"idle {p.seconds} s"
        for p in phases
    )
    return Problem(
        label,
        f"A new WDFLOOKASIDE (nonpaged, 256-byte buffers, Driver Verifier off; nonpaged lists are "
        f"re-tuned at t = 3, 6, 9 … s) sees {described}. Its Depth at the end is ?",
        COUNT,
        depth,
        "each scan looks at the last 3 s: under 75 allocations, −10; misses under 5 per "
        "thousand, −1; otherwise + min(30, misses-per-thousand × (256 − Depth) / 2000 + 5); "
        "never below 4.",
    )


PROBLEMS = {"02-ex1": draw_ex1}
