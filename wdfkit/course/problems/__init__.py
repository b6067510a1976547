"""Every lesson's check-yourself problems, by label: ``PROBLEMS["07-ex2"](label, rng)``.

Each ``lessonNN`` module draws its lesson's problems; a maker takes the label and a seeded
``random.Random`` and returns a :class:`wdfkit.course.problem.Problem` whose solution it
read off a run of the simulator.
"""

import importlib

LESSONS = tuple(importlib.import_module(f"{__name__}.lesson{n:02d}") for n in range(13))
"""The modules lesson00 … lesson12, in lesson order."""

PROBLEMS = {label: maker for lesson in LESSONS for label, maker in lesson.PROBLEMS.items()}
