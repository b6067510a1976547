"""Every lesson's check-yourself problems, by label: ``PROBLEMS["07-ex2"](label, rng)``.

Each ``lessonNN`` module draws its lesson's problems; a maker takes the label and a seeded
``random.Random`` and returns a :class:`wdfkit.course.problem.Problem` whose solution it
read off a run of the simulator.
"""

from . import (
    lesson00,
    lesson01,
    lesson02,
    lesson03,
    lesson04,
    lesson05,
    lesson06,
    lesson07,
    lesson08,
    lesson09,
    lesson10,
    lesson11,
    lesson12,
)

PROBLEMS = {}
for _lesson in (
    lesson00,
    lesson01,
    lesson02,
    lesson03,
    lesson04,
    lesson05,
    lesson06,
    lesson07,
    lesson08,
    lesson09,
    lesson10,
    lesson11,
    lesson12,
):
    PROBLEMS.update(_lesson.PROBLEMS)
