"""WDF handles: what a driver holds instead of a pointer to a framework object.

KMDF never gives a driver the address of its C++ object.  It gives a *handle*: the object's
address XOR ``FxHandleValueMask``, which is ``~0x7`` — every bit but the low three is inverted
(FxObject::_ToHandle, fxobject.hpp).  Framework objects are 8-byte aligned, so the low three bits
of their address are always 0; they stay free as *flag bits*, and a plain object's handle has
them clear (its last hex digit is 0 or 8).  One flag exists, ``FxHandleFlagIsOffset`` (bit 0): an
*offset handle* names something embedded inside another object.  A request's input and output
WDFMEMORY are offset handles (FxRequest::GetMemoryHandle, fxrequest.hpp): the address of the
request's ``m_SystemBufferOffset`` / ``m_OutputBufferOffset`` field, masked the same way, with
bit 0 set (last hex digit 1 or 9).  That field holds its own offset from the start of the
request, so decoding finds the request and which of its memories is meant.

Decoding (FxObject::_GetObjectFromHandle) takes the three flag bits off, XORs the rest with the
mask, and looks at bit 0 only: with it set, the result is read as the address of an offset field;
bits 1 and 2 are never looked at (``handle | 2`` reaches the same object, in KMDF and here).
When a DDI receives a handle it decodes it and checks the object's type (FxObjectHandleGetPtr,
fxhandle.h; FxObjectHandleGetPtrQI, handleapi.cpp), never its state; NULL or a wrongly typed
handle stops the machine with WDF_VIOLATION (0x10D) / WDF_INVALID_HANDLE, parameter 2 the handle
as the driver passed it.  (fxhandle.h's layout comment still says the handle "is XOR'ed with
(-1)"; the code uses ``FxHandleValueMask``.)

Mirrors: fxobject.hpp (FxHandleFlags, FxHandleValueMask, _ToHandle, _GetObjectFromHandle),
fxrequest.hpp (GetMemoryHandle), fxhandle.h (FxObjectHandleGetPtr), handleapi.cpp, fxtypes.h.
Simplified, where KMDF is undefined (it keeps no handle table and checks no state):

* a stale handle (its object freed) is always caught: 0x10D/0x5, the bug check the
  DDI reference pages promise for an invalid object handle;
* a handle whose bit 0 is wrong — set on a plain object's handle (KMDF would read the first two
  bytes of the object as an offset and land on a wild pointer) or cleared on a request memory's
  handle (KMDF would take the offset field for an object) — is caught the same way.
"""

from ..kernel.bugcheck import WDF_INVALID_HANDLE, WDF_VIOLATION, BugCheck
from ..kernel.pointer import SIZE_T_MAX
from ..language import _
from .call import foreign, named

FxHandleFlagIsOffset = 0x1
FxHandleFlagMask = 0x7  # the low three bits: free, because objects are 8-byte aligned
FxHandleValueMask = ~FxHandleFlagMask & SIZE_T_MAX  # 0xFFFFFFFFFFFFFFF8
_IGNORED_FLAGS = FxHandleFlagMask & ~FxHandleFlagIsOffset  # bits 1 and 2: never looked at

FX_TYPE_OBJECT = 0x1000
FX_TYPE_DRIVER = 0x1001
FX_TYPE_DEVICE = 0x1002
FX_TYPE_QUEUE = 0x1003
FX_TYPE_REQUEST = 0x1008
FX_TYPE_FILEOBJECT = 0x1018
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


def to_handle(address: int) -> int:
    """FxObject::_ToHandle: a plain object's handle, its 8-byte-aligned *address* XOR the mask."""
    assert address & FxHandleFlagMask == 0, "FxObjectHandleCreate: objects are 8-byte aligned"
    return address ^ FxHandleValueMask


def to_offset_handle(address: int) -> int:
    """FxRequest::GetMemoryHandle: the handle of something embedded in an object, named by the
    *address* of the object's (8-byte-aligned) offset field: masked, then FxHandleFlagIsOffset."""
    assert address & FxHandleFlagMask == 0, "GetMemoryHandle: the offset field is 8-byte aligned"
    return (address ^ FxHandleValueMask) | FxHandleFlagIsOffset


def from_handle(value: int) -> tuple[int, int]:
    """FxObject::_GetObjectFromHandle, its first half: ``(address, flags)`` of a handle value.

    The flags are the low three bits; the address is the rest XOR the mask.  With
    FxHandleFlagIsOffset in the flags the address is that of an offset field, not of the
    object (KMDF then reads the offset there and subtracts it).
    """
    return (value & ~FxHandleFlagMask) ^ FxHandleValueMask, value & FxHandleFlagMask


def invalid_handle(machine, value: int, expected_type: int, why: str) -> BugCheck:
    """The bug check KMDF raises for a NULL, stale or wrongly typed handle."""
    return BugCheck(
        WDF_VIOLATION,
        (WDF_INVALID_HANDLE, value, expected_type, machine.driver_globals),
        _("WDF_INVALID_HANDLE: {why} (expected object type 0x{expected_type:X}).").format(
            why=why, expected_type=expected_type
        ),
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
        raise invalid_handle(machine, 0, expected_type, _("{param} is NULL").format(param=param))
    if not isinstance(handle, WDFHANDLE):
        raise TypeError(named(f"{param} must be a WDF handle, not {type(handle).__name__}"))
    if handle.machine is not machine:
        raise foreign(param, "a handle", handle.machine, machine)
    # Objects are filed under their handle as KMDF made it.  KMDF never looks at bits 1 and 2.
    value = handle.value
    obj = machine.objects.get(value & ~_IGNORED_FLAGS)
    if obj is None:
        if machine.objects.get((value ^ FxHandleFlagIsOffset) & ~_IGNORED_FLAGS) is not None:
            if value & FxHandleFlagIsOffset:
                why = _("{param} {handle} has FxHandleFlagIsOffset set on a plain object's handle")
            else:
                why = _("{param} {handle} has FxHandleFlagIsOffset cleared on an offset handle")
            why = why.format(param=param, handle=repr(handle)) + " (bit 0)"
            raise invalid_handle(machine, value, expected_type, why)
        raise invalid_handle(
            machine,
            value,
            expected_type,
            _("{param} {handle} names an object that no longer exists").format(
                param=param, handle=repr(handle)
            ),
        )
    if not obj.answers(expected_type):
        raise invalid_handle(
            machine,
            handle.value,
            expected_type,
            _("{param} {handle} is the wrong type").format(param=param, handle=repr(handle)),
        )
    return obj
