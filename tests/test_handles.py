"""Handles as KMDF makes them, and one rule for a deleted but still referenced handle.

Sources (microsoft/Windows-Driver-Frameworks, src/framework/shared/): inc/private/common/
fxobject.hpp (FxHandleFlags, FxHandleValueMask, FxObject::_ToHandle, _GetObjectFromHandle),
fxrequest.hpp (FxRequest::GetMemoryHandle), fxhandle.h (FxObjectHandleGetPtr),
object/fxobjectstatemachine.cpp (FxObject::DeleteObject).
"""
# ruff: noqa: F403, F405  (the tests use the DDI names exactly as a driver would)

import dataclasses

import pytest

from wdfkit import *
from wdfkit.course import scenarios
from wdfkit.fx.handles import (
    WDFHANDLE,
    FxHandleFlagIsOffset,
    FxHandleValueMask,
    from_handle,
)
from wdfkit.fx.request import INPUT_MEMORY_OFFSET, OUTPUT_MEMORY_OFFSET

IOCTL_BUFFERED = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
MASK = 0xFFFF_FFFF_FFFF_FFF8  # ~0x7 on a 64-bit ULONG_PTR


def test_the_mask_is_every_bit_but_the_low_three():
    """fxobject.hpp: FxHandleFlagIsOffset = 0x1, FxHandleFlagMask = 0x7 ("bottom 3 bits are
    free"), FxHandleValueMask = ~FxHandleFlagMask."""
    assert (FxHandleValueMask, FxHandleFlagIsOffset) == (MASK, 0x1)


def test_a_plain_objects_handle_is_its_address_xor_the_mask(machine):
    """FxObject::_ToHandle (fxobject.hpp): ``Object ^ FxHandleValueMask``; the object is 8-byte
    aligned (FxObjectHandleCreate asserts it), so the handle's low three bits are clear."""
    _, plain = WdfObjectCreate(None)
    _, memory, _ = WdfMemoryCreate(None, NonPagedPoolNx, "1gaT", 16)
    _, lookaside = WdfLookasideListCreate(None, 64, NonPagedPoolNx, None, "1gaT")
    for handle in (plain, memory, lookaside, WdfGetDriver()):
        obj = machine.objects[handle.value]
        assert obj.address & 0x7 == 0
        assert handle.value == obj.address ^ MASK
        assert handle.value & 0x7 == 0
        assert handle.value != ~obj.address & 0xFFFF_FFFF_FFFF_FFFF  # not every bit inverted
        assert from_handle(handle.value) == (obj.address, 0)  # _GetObjectFromHandle
        assert repr(handle) == f"{obj.HANDLE_NAME} 0x{obj.address ^ MASK:016x}"


def request_memories():
    """A buffered IOCTL with input and output: ``(machine, request, input, output)``."""
    seen = {}

    def EvtIoDeviceControl(Queue, Request, OutputLength, InputLength, IoControlCode):
        seen["request"] = Request
        seen["in"] = WdfRequestRetrieveInputMemory(Request)[1]
        seen["out"] = WdfRequestRetrieveOutputMemory(Request)[1]
        seen["objects"] = {name: machine.objects[seen[name].value] for name in ("in", "out")}
        seen["address"] = machine.objects[Request.value].address
        WdfRequestComplete(Request, STATUS_SUCCESS)

    machine = boot("Toaster")
    callbacks = {"EvtIoDeviceControl": EvtIoDeviceControl}
    machine.add_device(scenarios.queue_driver(WdfDeviceIoBuffered, callbacks))
    machine.application().DeviceIoControl(IOCTL_BUFFERED, b"in", bytearray(4))
    return machine, seen


def test_request_memory_is_an_offset_handle_with_bit_0_set():
    """FxRequest::GetMemoryHandle (fxrequest.hpp): the address of the request's
    m_SystemBufferOffset / m_OutputBufferOffset field (8-byte aligned), XOR the mask, then
    ``|= FxHandleFlagIsOffset``; FxObject::_GetObjectFromHandle takes the flag off, XORs back,
    and finds the request at that address minus the offset stored there."""
    _, seen = request_memories()
    request = seen["address"]
    for name, offset in (("in", INPUT_MEMORY_OFFSET), ("out", OUTPUT_MEMORY_OFFSET)):
        handle = seen[name]
        assert handle.value & 0x7 == FxHandleFlagIsOffset
        assert handle.value == ((request + offset) ^ MASK) | 1
        field, flags = from_handle(handle.value)
        assert (field - offset, flags) == (request, FxHandleFlagIsOffset)
        assert seen["objects"][name].address == field


def test_decoding_ignores_bits_1_and_2_as_kmdf_does(machine):
    """FxObject::_GetObjectFromHandle (fxobject.hpp) strips all three flag bits and tests only
    FxHandleFlagIsOffset: a handle with bit 1 or 2 set reaches the same object."""
    _, memory, buffer = WdfMemoryCreate(None, NonPagedPoolNx, "1gaT", 16)
    for extra in (0x2, 0x4, 0x6):
        assert WdfMemoryGetBuffer(WDFHANDLE(memory.value | extra, "WDFMEMORY", machine)) == (
            buffer,
            16,
        )


def test_a_plain_handle_with_bit_0_set_is_an_invalid_handle(machine):
    """With bit 0 set, _GetObjectFromHandle (fxobject.hpp) reads the object's first bytes as an
    offset: undefined in KMDF; wdfkit raises 0x10D/0x5 with the handle as passed
    (FxObjectHandleGetPtrQI, handleapi.cpp: P2 = Handle, P3 = Type)."""
    _, memory, _ = WdfMemoryCreate(None, NonPagedPoolNx, "1gaT", 16)
    wrong = WDFHANDLE(memory.value | 1, "WDFMEMORY", machine)
    with pytest.raises(BugCheck) as crash:
        WdfMemoryGetBuffer(wrong)
    assert crash.value.code == 0x10D
    assert crash.value.parameters[:3] == (0x5, memory.value | 1, 0x100A)
    assert "FxHandleFlagIsOffset set" in crash.value.meaning


def test_request_memory_without_its_offset_flag_is_an_invalid_handle():
    """Cleared bit 0 on an offset handle makes _GetObjectFromHandle (fxobject.hpp) take the
    request's offset field for an object: undefined in KMDF; wdfkit raises 0x10D/0x5."""
    seen = {}

    def EvtIoRead(Queue, Request, Length):
        memory = WdfRequestRetrieveOutputMemory(Request)[1]
        seen["value"] = memory.value
        WdfMemoryGetBuffer(WDFHANDLE(memory.value & ~1, "WDFMEMORY", memory.machine))

    machine = boot("Toaster")
    machine.add_device(scenarios.queue_driver(WdfDeviceIoBuffered, {"EvtIoRead": EvtIoRead}))
    with pytest.raises(BugCheck) as crash:
        machine.application().ReadFile(bytearray(8))
    assert crash.value.parameters[:3] == (0x5, seen["value"] & ~1, 0x100A)
    assert "FxHandleFlagIsOffset cleared" in crash.value.meaning


def test_bug_check_parameters_carry_the_handle_and_the_decoded_object(machine):
    """0x10D/0x7 from ~FxObject (fxobject.cpp): P2 = GetObjectHandleUnchecked() (the handle),
    P3 = this (the object, which the handle decodes to)."""
    _, obj = WdfObjectCreate(None)
    with pytest.raises(BugCheck) as crash:
        WdfObjectDereference(obj)
    code, (p1, p2, p3, _) = crash.value.code, crash.value.parameters
    assert (code, p1, p2) == (0x10D, 0x7, obj.value)
    assert p2 & 0x7 == 0 and p3 == p2 ^ MASK and from_handle(p2) == (p3, 0)


def test_a_stale_request_memory_handle_is_reported_as_the_offset_handle():
    """0x10D/0x5 carries the handle as the driver passed it (FxObjectHandleGetPtrQI,
    handleapi.cpp): for request memory, the odd offset handle of FxRequest::GetMemoryHandle."""
    machine, seen = request_memories()
    with machine, pytest.raises(BugCheck) as crash:
        WdfMemoryGetBuffer(seen["out"])
    assert crash.value.parameters[:3] == (0x5, seen["out"].value, 0x100A)
    assert crash.value.parameters[1] & 0x7 == FxHandleFlagIsOffset


# -- a deleted but still referenced handle: one rule for every object type --------------------


@dataclasses.dataclass
class COUNTER:
    uses: int = 0


GetCounter = WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(COUNTER, "GetCounter")


def counted(events):
    attributes = WDF_OBJECT_ATTRIBUTES()
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(attributes, COUNTER)
    attributes.EvtCleanupCallback = lambda h: events.append("cleanup")
    attributes.EvtDestroyCallback = lambda h: events.append("destroy")
    return attributes


def memory_object(events):
    _, memory, buffer = WdfMemoryCreate(counted(events), NonPagedPoolNx, "1gaT", 16)

    def use():
        assert WdfMemoryGetBuffer(memory) == (buffer, 16)
        buffer.write(b"still here")

    return memory, use, 0x100A


def lookaside_list(events):
    _, lookaside = WdfLookasideListCreate(counted(events), 64, NonPagedPoolNx, None, "1gaT")

    def use():
        status, memory = WdfMemoryCreateFromLookaside(lookaside)
        assert status == STATUS_SUCCESS
        WdfObjectDelete(memory)

    return lookaside, use, 0x1009


def plain_object(events):
    _, obj = WdfObjectCreate(counted(events))

    def use():
        GetCounter(obj).uses += 1

    return obj, use, 0x1000


@pytest.mark.parametrize("make", [memory_object, lookaside_list, plain_object])
def test_a_deleted_but_referenced_handle_works_until_the_last_reference(machine, make):
    """FxObject::DeleteObject (fxobjectstatemachine.cpp) disposes the object and drops the
    creation reference; it is destroyed only when the count reaches zero, and
    FxObjectHandleGetPtr (fxhandle.h) checks the type, never the state.  So the handle keeps
    working for memory, lookaside lists (WdfMemoryCreateFromLookaside, fxlookasidelistapi.cpp,
    checks no state either: wdfkit used to bug-check here) and plain objects alike; a second
    delete is ignored; after the last dereference the handle is stale (wdfkit: 0x10D/0x5)."""
    events = []
    handle, use, expected_type = make(events)
    WdfObjectReference(handle)
    WdfObjectDelete(handle)
    assert events == ["cleanup"]
    use()
    WdfObjectDelete(handle)  # already deleted: ignored
    use()
    assert events == ["cleanup"] and machine.state == "running"
    WdfObjectDereference(handle)
    assert events == ["cleanup", "destroy"]
    with pytest.raises(BugCheck) as crash:
        use()
    assert crash.value.parameters[:3] == (0x5, handle.value, expected_type)
