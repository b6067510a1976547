"""Lesson 07's check-yourself problems (scenario 1)."""

import random

from .. import scenarios
from ..answers import BugCheckKind
from ..problem import Problem


def draw_ex1(label: str, rng: random.Random) -> Problem:
    run = scenarios.scenario1(buffering="direct", after_complete="buffer pointer")
    return Problem(
        label,
        "With direct I/O, a driver completes a read, then writes through the buffer pointer it "
        "kept. Give the bug-check code.",
        BugCheckKind(0),
        run.bugcheck,
        f"The simulator's run ended: {run.outcome}.",
    )


PROBLEMS = {"07-ex1": draw_ex1}
