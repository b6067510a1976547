"""Check-yourself problems: seeded, answered in any natural form, checked by the simulator.

``make_problem(label, seed)`` builds a problem (each lesson's live in
:mod:`wdfkit.course.problems`); ``print(problem)`` shows its label, seed and question;
``problem.check(answer)`` returns feedback; revealing the solution is the learner's act
(``wdfkit.show.reveal``, or ``problem.answer()``).  A different seed draws a different
variant, and the seed is printed so that a learner can share it (the OSTEP ``-s SEED`` /
``-c`` habit).  Answers are never hard-coded: each maker runs the same DDIs on a fresh
simulated machine and reads the solution off it.
"""

import random

from .problem import Problem
from .problems import PROBLEMS

__all__ = ["Problem", "labels", "make_problem"]


def labels() -> list[str]:
    """Every problem's label, in lesson order (the order the lesson modules list them)."""
    return list(PROBLEMS)


def make_problem(label: str, seed: int = 0) -> Problem:
    """The problem *label* (``"00-ex1"`` … ``"12-ex3"``) drawn with *seed*."""
    if not isinstance(label, str) or label not in PROBLEMS:
        raise ValueError(f"make_problem: unknown label {label!r}; choose from {labels()}")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"make_problem: seed must be an int >= 0, not {seed!r}")
    problem = PROBLEMS[label](label, random.Random(seed))
    problem.seed = seed
    return problem
