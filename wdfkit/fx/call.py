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
