"""Notebook integration: a bug check is shown as a compact blue screen, not a long traceback.

Only acts when wdfkit is imported inside a running IPython (a Jupyter kernel); importing wdfkit
elsewhere does not import IPython.
"""

import sys


def install() -> None:
    """Register the blue-screen display for BugCheck and MachineHalted in the running IPython."""
    ipython_module = sys.modules.get("IPython")
    shell = ipython_module.get_ipython() if ipython_module else None
    if shell is None:
        return
    from ..kernel.bugcheck import BugCheck, MachineHalted

    def show(shell, etype, value, tb, tb_offset=None):
        text = value.blue_screen() if isinstance(value, BugCheck) else f"MachineHalted: {value}"
        return [text]

    def handler(shell, etype, value, tb, tb_offset=None):
        lines = show(shell, etype, value, tb, tb_offset)
        shell._showtraceback(etype, value, lines)
        return lines

    shell.set_custom_exc((BugCheck, MachineHalted), handler)
