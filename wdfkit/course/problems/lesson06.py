"""Lesson 06's check-yourself problems (the buffer life cycle)."""

import random

from .. import scenarios
from ..answers import BugCheckKind
from ..problem import Problem


def draw_ex1(label: str, rng: random.Random) -> Problem:
    run = scenarios.scenario1(after_complete="memory handle")
    return Problem(
        label,
        "A driver completes a read, then calls WdfMemoryGetBuffer on the output memory handle "
        "it retrieved. Give the bug check and its parameter 1.",
        BugCheckKind(1),
        run.bugcheck,
        f"The simulator's run ended: {run.outcome}.",
    )


PROBLEMS = {"06-ex1": draw_ex1}
