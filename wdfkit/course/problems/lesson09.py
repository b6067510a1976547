"""Lesson 09's check-yourself problems (scenario 3)."""

import random

from .. import scenarios
from ..answers import BugCheckKind
from ..problem import Problem


def draw_ex1(label: str, rng: random.Random) -> Problem:
    run = scenarios.scenario3(reuse_first=False, ioctl=True)
    return Problem(
        label,
        "Scenario 3 with an IOCTL (input and output memory both formatted into the new "
        "request), and no WdfRequestReuse before completing the original. Give the bug check "
        "with its parameter 1.",
        BugCheckKind(1),
        run.bugcheck,
        f"The simulator's run ended: {run.outcome}.",
    )


PROBLEMS = {"09-ex1": draw_ex1}
