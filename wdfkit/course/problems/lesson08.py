"""Lesson 08's check-yourself problems (scenario 2)."""

import random

from .. import scenarios
from ..answers import STATUS
from ..problem import Problem


def draw_ex1(label: str, rng: random.Random) -> Problem:
    run = scenarios.scenario2(completion_routine=False)
    return Problem(
        label,
        "The forwarding EvtIoRead leaves out WdfRequestSetCompletionRoutine. What status does "
        "the application get?",
        STATUS,
        run.io_status.Status,
        f"The simulator's run ended: {run.outcome}.",
    )


PROBLEMS = {"08-ex1": draw_ex1}
