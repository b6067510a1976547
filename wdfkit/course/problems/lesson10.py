"""Lesson 10's check-yourself problems (scenario 4)."""

import random

from .. import scenarios
from ..answers import BugCheckKind
from ..problem import Problem


def draw_ex1(label: str, rng: random.Random) -> Problem:
    run = scenarios.scenario4(kind="preallocated", free_early=True)
    return Problem(
        label,
        "Scenario 4 with a preallocated buffer freed once the request is formatted, before "
        "WdfRequestSend. Give the bug-check code.",
        BugCheckKind(0),
        run.bugcheck,
        f"The simulator's run ended: {run.outcome}.",
    )


PROBLEMS = {"10-ex1": draw_ex1}
