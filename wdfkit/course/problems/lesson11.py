"""Lesson 11's check-yourself problems (scenario 5)."""

import random

from .. import scenarios
from ..answers import BugCheckKind
from ..problem import Problem


def draw_ex1(label: str, rng: random.Random) -> Problem:
    run = scenarios.scenario5(overlap=True)
    return Problem(
        label,
        "Scenario 5 with two reads arriving together on a parallel queue, so the one reused "
        "request is sent again while still outstanding. Give the bug check with parameters 1 "
        "and 2.",
        BugCheckKind(2),
        run.bugcheck,
        f"The simulator's run ended: {run.outcome}.",
    )


PROBLEMS = {"11-ex1": draw_ex1}
