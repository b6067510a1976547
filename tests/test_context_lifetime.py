"""A context lives in its object's memory: touching it once the object is freed is a page fault.

Source: handleapi.cpp (FxObjectHandleAllocCommon: one allocation for the object, its
FxContextHeader and the context; FxObjectAllocateContext: a header of its own for each added
context); fxobject.hpp (FxObject::GetContextHeader: ``this + m_ObjectSize``);
fxobjectstatemachine.cpp (FxObject::ProcessDestroy: every header's EvtCleanupCallback and
EvtDestroyCallback before the destructor); fxobject.cpp (FxObject::operator delete: FxPoolFree);
fxrequestbase.cpp (CompleteSubmitted: the target's reference on a sent request is released only
after its completion routine returns); wdfpool.cpp (FxPoolAllocator: the framework's own pool,
not the driver's special pool, so 0x50 and never 0xD5).
"""
# ruff: noqa: F403, F405  (the tests use the DDI names exactly as a driver would)

import pytest

from wdfkit import *
from wdfkit.course import scenarios


class TRANSFER:
    Original = None
    Buffer = None
    Memory = None


class SLOTTED:
    __slots__ = ("value",)

    def __init__(self):
        self.value = 0


class ADDED:
    count = 0


GetTransfer = WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(TRANSFER, "GetTransfer")
GetSlotted = WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(SLOTTED, "GetSlotted")
GetAdded = WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(ADDED, "GetAdded")


def attributes_with(kind, cleanup=None, destroy=None):
    attributes = WDF_OBJECT_ATTRIBUTES()
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(attributes, kind)
    attributes.EvtCleanupCallback = cleanup
    attributes.EvtDestroyCallback = destroy
    return attributes


def object_with_transfer(machine):
    status, obj = WdfObjectCreate(attributes_with(TRANSFER))
    assert status == STATUS_SUCCESS
    return obj, machine.objects[obj.value].address


def test_reading_a_context_after_its_object_is_deleted_is_0x50(machine):
    obj, address = object_with_transfer(machine)
    transfer = GetTransfer(obj)
    transfer.Buffer = 0x1234
    WdfObjectDelete(obj)
    with pytest.raises(BugCheck) as info:
        _ = transfer.Buffer
    assert info.value.code == PAGE_FAULT_IN_NONPAGED_AREA  # the framework's pool, not special
    assert info.value.parameters == (address, 0, 0, 0)
    assert machine.bugcheck is info.value  # the machine stopped there


def test_writing_a_context_after_its_object_is_deleted_is_0x50_with_a_write(machine):
    obj, address = object_with_transfer(machine)
    transfer = GetTransfer(obj)
    WdfObjectDelete(obj)
    with pytest.raises(BugCheck) as info:
        transfer.Buffer = None
    assert info.value.parameters == (address, 2, 0, 0)


def test_a_context_class_with_slots_is_checked_too(machine):
    _, obj = WdfObjectCreate(attributes_with(SLOTTED))
    context = GetSlotted(obj)
    WdfObjectDelete(obj)
    assert isinstance(context, SLOTTED)  # asking its class reads no field
    with pytest.raises(BugCheck) as info:
        _ = context.value
    assert info.value.code == PAGE_FAULT_IN_NONPAGED_AREA


def test_without_driver_verifier_a_still_mapped_context_reads_stale_values():
    """As any freed pool on a page still in use: a real machine may not notice."""
    with Machine(verifier=False) as machine:
        obj, _ = object_with_transfer(machine)
        transfer = GetTransfer(obj)
        transfer.Buffer = 7
        WdfObjectCreate(None)  # a neighbour keeps the page mapped
        WdfObjectDelete(obj)
        assert transfer.Buffer == 7 and machine.bugcheck is None


def test_cleanup_and_destroy_callbacks_may_use_the_context(machine):
    seen = []

    def cleanup(Object):
        GetTransfer(Object).Buffer = "cleaned"

    def destroy(Object):
        context = GetTransfer(Object)
        seen.append(context.Buffer)
        context.Buffer = "destroyed"

    _, obj = WdfObjectCreate(attributes_with(TRANSFER, cleanup, destroy))
    transfer = GetTransfer(obj)
    WdfObjectDelete(obj)
    assert seen == ["cleaned"] and machine.bugcheck is None
    with pytest.raises(BugCheck):
        _ = transfer.Buffer


def test_a_referenced_objects_context_lives_until_the_last_reference(machine):
    obj, address = object_with_transfer(machine)
    transfer = GetTransfer(obj)
    WdfObjectReference(obj)
    WdfObjectDelete(obj)
    transfer.Buffer = 5  # deleted but not destroyed: its memory is still there
    assert transfer.Buffer == 5
    WdfObjectDereference(obj)
    with pytest.raises(BugCheck) as info:
        _ = transfer.Buffer
    assert info.value.parameters[0] == address


def test_an_added_context_dies_in_its_own_header_block_after_its_destroy_callback(machine):
    seen = []
    _, obj = WdfObjectCreate(None)
    attributes = attributes_with(ADDED, destroy=lambda Object: seen.append(GetAdded(Object).count))
    status, added = WdfObjectAllocateContext(obj, attributes)
    header = machine.pool.live_blocks()[-1]
    added.count = 3
    WdfObjectDelete(obj)
    assert seen == [3]
    with pytest.raises(BugCheck) as info:
        _ = added.count
    assert info.value.parameters[0] == header.address + 0x30  # after its FxContextHeader


def test_an_added_contexts_destroy_callback_may_use_the_objects_first_context(machine):
    """ProcessDestroy calls every header's callbacks before it frees any header or the object."""
    seen = []

    def destroy(Object):
        seen.append((GetTransfer(Object).Buffer, GetAdded(Object).count))

    obj, _ = object_with_transfer(machine)
    WdfObjectAllocateContext(obj, attributes_with(ADDED, destroy=destroy))
    GetTransfer(obj).Buffer, GetAdded(obj).count = 0x1234, 3
    WdfObjectDelete(obj)
    assert seen == [(0x1234, 3)] and machine.bugcheck is None


def test_a_sent_request_deleted_in_its_completion_routine_keeps_its_context_until_it_returns():
    """CompleteSubmitted releases the target's reference after the routine: deleting the
    request inside it frees nothing yet (fxrequestbase.cpp), so the context is still usable
    there; a pointer kept past the routine is not."""
    kept = []

    def done(Request, Target, Params, Context):
        transfer = GetTransfer(Request)
        WdfObjectDelete(transfer.Memory)
        WdfObjectDelete(Request)
        ExFreePoolWithTag(transfer.Buffer, "kciT")  # still the request's memory
        kept.append(transfer)
        WdfRequestComplete(transfer.Original, Params.IoStatus.Status)

    def read(Queue, Request, Length):
        target = WdfDeviceGetIoTarget(WdfIoQueueGetDevice(Queue))
        status, mine = WdfRequestCreate(attributes_with(TRANSFER), target)
        transfer = GetTransfer(mine)
        transfer.Original = Request
        transfer.Buffer = ExAllocatePoolWithTag(NonPagedPoolNx, Length, "kciT")
        status, transfer.Memory = WdfMemoryCreatePreallocated(None, transfer.Buffer, Length)
        WdfIoTargetFormatRequestForRead(target, mine, transfer.Memory, None, None)
        WdfRequestSetCompletionRoutine(mine, done, None)
        WdfRequestSend(mine, target, None)

    with Machine() as machine:
        machine.add_device(scenarios.queue_driver(WdfDeviceIoBuffered, {"EvtIoRead": read}))
        result = machine.application().ReadFile(bytearray(8))
        assert result.Status == STATUS_SUCCESS and machine.bugcheck is None
        with pytest.raises(BugCheck) as info:
            _ = kept[0].Buffer
        assert info.value.code == PAGE_FAULT_IN_NONPAGED_AREA
