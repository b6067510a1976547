"""What happens on a machine, announced: the kinds of event and the hub that hands them out.

The simulation — kernel pieces, framework objects, the DDI entry — announces what happens on
its machine's hub, ``machine.events``: an object created or destroyed, a reference taken or
released, an IRP's buffer allocated or freed, a DDI called, a bug check.  Whoever wants to
follow along subscribes a listener; the lifetime timeline (:mod:`wdfkit.sim.timeline`) is one.
An announcement is an :class:`Event` and a few plain values — handles, addresses, sizes, enums,
short names — never a live object a listener could change the simulation through.

Announcing sits on every DDI call, so it must cost next to nothing when nobody listens: an
announcer first tests the hub's ``listeners`` (the truth of a list) and only then builds the
values and calls :meth:`EventHub.emit`::

    events = machine.events
    if events.listeners:
        events.emit(Event.OBJECT_DESTROYED, handle)

Plain data: this module imports nothing from wdfkit, so every layer may use it.
"""

import enum
from collections.abc import Callable


class Event(enum.Enum):
    """A kind of event.  The comment on each gives the values ``emit`` passes after it."""

    DDI_CALLED = enum.auto()  # name: str, handles: tuple of the WDFHANDLEs among its arguments
    OBJECT_CREATED = enum.auto()  # handle, kind: str (a WDFMEMORY's representation, else "")
    OBJECT_DESTROYED = enum.auto()  # handle: its last reference went, its memory is freed
    REQUEST_PRESENTED = enum.auto()  # request handle, major: str, requestor mode (irp.py)
    REQUEST_COMPLETED = enum.auto()  # request handle: the driver completed it, it is invalid
    REQUEST_CANCELLED = enum.auto()  # request handle, how: str (waiting, or its cancel routine)
    REQUEST_MEMORY_RETRIEVED = enum.auto()  # memory handle, which: "input" or "output"
    REQUEST_MEMORY_INVALIDATED = enum.auto()  # memory handle: its request was completed
    REFERENCE_TAKEN = enum.auto()  # holder handle, object handle, role: str (why it holds it)
    REFERENCE_RELEASED = enum.auto()  # holder handle, object handle
    SENT_REQUEST_COMPLETED = enum.auto()  # request handle, status: NTSTATUS (the target's)
    IRP_BUFFER_ALLOCATED = enum.auto()  # address, size, use: kernel.irp.IrpBuffer
    IRP_BUFFER_FREED = enum.auto()  # address, use: kernel.irp.IrpBuffer (a mapping: unmapped)
    BUG_CHECK = enum.auto()  # code: int, summary: str, where: str (the DDI or path)


Listener = Callable[..., None]
"""Called as ``listener(event, *values)`` for every announcement, in order."""


class EventHub:
    """One machine's announcements: listeners subscribe, the simulation emits.

    ``listeners`` is replaced, never changed in place, so a listener may subscribe or
    unsubscribe while an announcement is being handed out.
    """

    __slots__ = ("listeners",)

    def __init__(self) -> None:
        self.listeners: list[Listener] = []
        """Who hears the announcements, in the order they subscribed; empty: nobody listens."""

    def subscribe(self, listener: Listener) -> None:
        """Hand every later announcement to *listener* too."""
        self.listeners = [*self.listeners, listener]

    def unsubscribe(self, listener: Listener) -> None:
        """Stop handing announcements to *listener* (a ValueError if it was not subscribed)."""
        listeners = list(self.listeners)
        listeners.remove(listener)
        self.listeners = listeners

    def emit(self, event: Event, *values) -> None:
        """Announce *event* with its *values* to every listener (test ``listeners`` first)."""
        for listener in self.listeners:
            listener(event, *values)
