"""Course material: the scenario drivers, workloads, DMA examples and check-yourself problems.

Everything here is a driver or a client written against the DDI facade, as a learner would
write one; the tests share the same harness drivers (:func:`wdfkit.course.scenarios.queue_driver`).
:func:`grade` (from :mod:`wdfkit.course.grader`) runs a learner's driver against a seeded
workload and judges it.
"""

from .grader import grade

__all__ = ["grade"]
