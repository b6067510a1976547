"""WDF handles: what a driver holds instead of a pointer to a framework object.

KMDF never gives a driver the address of its C++ object.  It gives a *handle*: the object's
address with every bit inverted, so that a driver cannot use it as a pointer by mistake.  When a
DDI receives a handle it turns it back into the object and checks the object's type; a NULL, a
stale or a wrongly typed handle stops the machine with WDF_VIOLATION (0x10D) / WDF_INVALID_HANDLE.

Mirrors: fxhandle.h (FxObjectHandleGetPtr), handleapi.cpp, fxtypes.h.
Simplified: a stale handle is always caught.  Undefined in KMDF (the handle points at freed
memory); wdfkit chooses 0x10D/0x5 as kmdf-semantics.md §6.3 recommends.
"""

from ..kernel.bugcheck import WDF_INVALID_HANDLE, WDF_VIOLATION, BugCheck
from .call import foreign, named

FX_TYPE_OBJECT = 0x1000
FX_TYPE_DRIVER = 0x1001
FX_TYPE_DEVICE = 0x1002
FX_TYPE_QUEUE = 0x1003
FX_TYPE_REQUEST = 0x1008
FX_TYPE_LOOKASIDE = 0x1009
IFX_TYPE_MEMORY = 0x100A
FX_TYPE_USEROBJECT = 0x100C
FX_TYPE_MEMORY_PREALLOCATED = 0x1022
FX_TYPE_REQUEST_MEMORY = 0x1032
FX_TYPE_IO_TARGET = 0x1200
FX_TYPE_DMA_ENABLER = 0x1400
FX_TYPE_DMA_TRANSACTION = 0x1401


class WDFHANDLE:
    """A handle to a framework object: prints as the debugger shows it, e.g. ``WDFMEMORY 0x…``."""

    __slots__ = ("value", "type_name", "machine")

    def __init__(self, value: int, type_name: str, machine) -> None:
        self.value = value
        self.type_name = type_name
        self.machine = machine

    def __repr__(self) -> str:
        return f"{self.type_name} 0x{self.value:016x}"

    def __eq__(self, other) -> bool:
        return (
            isinstance(other, WDFHANDLE)
            and other.value == self.value
            and other.machine is self.machine
        )

    def __hash__(self) -> int:
        return hash(self.value)

    def __int__(self) -> int:
        return self.value


def invalid_handle(machine, value: int, expected_type: int, why: str) -> BugCheck:
    """The bug check KMDF raises for a NULL, stale or wrongly typed handle."""
    return BugCheck(
        WDF_VIOLATION,
        (WDF_INVALID_HANDLE, value, expected_type, machine.driver_globals),
        f"WDF_INVALID_HANDLE: {why} (expected object type 0x{expected_type:X}).",
    )


def get_object(machine, handle, expected_type: int, param: str):
    """FxObjectHandleGetPtr: the live object behind *handle* (the current DDI's argument
    *param*), answering *expected_type*."""
    # The usual case first: 148k instead of 140k WdfMemoryCreate+Delete pairs/s (make bench).
    if type(handle) is WDFHANDLE and handle.machine is machine:
        obj = machine.objects.get(handle.value)
        if obj is not None and (
            expected_type == FX_TYPE_OBJECT
            or expected_type == obj.TYPE
            or obj.answers(expected_type)
        ):
            return obj
    if handle is None:
        raise invalid_handle(machine, 0, expected_type, f"{param} is NULL")
    if not isinstance(handle, WDFHANDLE):
        raise TypeError(named(f"{param} must be a WDF handle, not {type(handle).__name__}"))
    if handle.machine is not machine:
        raise foreign(param, "a handle", handle.machine, machine)
    obj = machine.objects.get(handle.value)
    if obj is None:
        raise invalid_handle(
            machine, handle.value, expected_type, f"{param} {handle!r} refers to a deleted object"
        )
    if not obj.answers(expected_type):
        raise invalid_handle(
            machine, handle.value, expected_type, f"{param} {handle!r} is the wrong type"
        )
    return obj
