"""The simulated machine: its clock, event hub, lifetime timeline and snapshots.

Kernel pieces (:mod:`wdfkit.kernel`), framework objects (:mod:`wdfkit.fx`) and the DDI facade
(:mod:`wdfkit.ddi`) act on one :class:`~wdfkit.sim.machine.Machine` at a time.
"""
