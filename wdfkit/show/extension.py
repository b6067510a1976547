"""The IPython extension: ``%load_ext wdfkit`` shows a bug check as a compact blue screen.

Each lesson loads it in its first cell, the Jupyter convention for a library's notebook
integration.  Importing wdfkit changes nothing in IPython; loading the extension registers one
handler through IPython's public ``InteractiveShell.set_custom_exc``, and unloading it
(``%unload_ext wdfkit``) removes it.  The handler gives the exception IPython's own hook for a
custom traceback, ``_render_traceback_``, and lets ``showtraceback`` display it, so the notebook
stores an ordinary error output (``ename`` BugCheck, the one-line summary as ``evalue``) whose
traceback is the blue screen instead of some thirty lines of simulator frames.
"""

from ..kernel.bugcheck import BugCheck, MachineHalted


def blue_screen_lines(error: BugCheck | MachineHalted) -> list[str]:
    """What the learner sees for *error*: the blue screen, or why the machine refuses."""
    if isinstance(error, BugCheck):
        return [error.blue_screen()]
    return [f"MachineHalted: {error}"]


def show_blue_screen(shell, etype, value, tb, tb_offset=None) -> None:
    """The ``set_custom_exc`` handler: display *value* as :func:`blue_screen_lines` says."""
    value._render_traceback_ = lambda: blue_screen_lines(value)
    shell.showtraceback((etype, value, tb), tb_offset=tb_offset)


def load_ipython_extension(shell) -> None:
    """``%load_ext wdfkit``: show BugCheck and MachineHalted as blue screens in *shell*."""
    shell.set_custom_exc((BugCheck, MachineHalted), show_blue_screen)


def unload_ipython_extension(shell) -> None:
    """``%unload_ext wdfkit``: back to IPython's ordinary tracebacks."""
    shell.set_custom_exc((), None)
