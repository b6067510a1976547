"""Presentation: text views, plots, widget labs and the IPython extension.

Everything here reads :mod:`wdfkit.sim.snapshot` records, never live simulation objects.
"""
