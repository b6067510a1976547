"""The DDI the driver is calling now: the name argument checks, handle lookups and traces report.

``@ddi`` (wdfkit.ddi._entry) sets ``call.ddi`` on entry and puts the caller's back on return,
so a DDI called from a driver callback that another DDI runs (EvtIoRead presented as
WdfRequestComplete frees the queue, a completion routine run by a synchronous WdfRequestSend)
names itself, and the outer DDI names itself again when it resumes.  KMDF's traces name the
DDI the same way, with each function's ``__FUNCTION__``.

Simplified: one slot, written on entry and on return (cheaper than passing the name down).
"""

OUTSIDE_ANY_DDI = "wdfkit"
"""``call.ddi`` when no DDI is running."""


class Call:
    """Where the name of the DDI being called is kept: ``call.ddi``."""

    __slots__ = ("ddi",)

    def __init__(self) -> None:
        self.ddi = OUTSIDE_ANY_DDI


call = Call()


def named(message: str) -> str:
    """*message* as the current DDI reports it: ``"WdfMemoryCreate: BufferSize must …"``."""
    return f"{call.ddi}: {message}"


def foreign(param: str, what: str, owner, machine) -> ValueError:
    """The error for *param*, *what* (a handle, an address, an MDL, …) that belongs to the
    machine *owner* and was passed to a DDI running on *machine*.

    Each simulated machine is a separate computer: one machine's handle, pointer or list header
    means nothing on another (on Windows it would be a stray value, here it would reach into
    the other machine's pool).  The message names both machines, e.g. ``machine #1 'Toaster'``.
    """
    return ValueError(
        named(f"{param} is {what} from {owner.name}; this call runs on {machine.name}")
    )
