"""Snapshots are plain typed data: handle values, enums and records, no text to parse back."""

import dataclasses

import pytest

from wdfkit import (
    Machine,
    NonPagedPoolNx,
    WdfLookasideListCreate,
    WdfMemoryCreate,
    WdfMemoryCreateFromLookaside,
    WdfObjectDelete,
    WdfObjectReference,
)
from wdfkit.course import scenarios, workload
from wdfkit.sim.snapshot import (
    BlockHolds,
    DriverDetail,
    LifetimeKind,
    LookasideShape,
    MachineState,
    MemoryKind,
    ObjectState,
)


def test_objects_carry_handle_values_states_and_a_typed_detail():
    with Machine("Toaster", verifier=False) as machine:
        _, live, _ = WdfMemoryCreate(None, NonPagedPoolNx, "gaTS", 64)
        _, memory, _ = WdfMemoryCreate(None, NonPagedPoolNx, "gaTS", 32)
        WdfObjectReference(memory)
        WdfObjectDelete(memory)  # deleted, still referenced: outside the tree
        snap = machine.snapshot()
    driver, child, deleted = snap.objects
    assert driver.detail == DriverDetail("Toaster") and driver.parent is None
    assert (child.handle, child.parent, child.depth) == (live.value, driver.handle, 1)
    assert (deleted.handle, deleted.type_name, deleted.depth) == (memory.value, "WDFMEMORY", 0)
    assert child.state is ObjectState.Created
    assert deleted.state is ObjectState.DeletedAndDisposed and deleted.parent is None
    assert deleted.detail.kind is MemoryKind.EMBEDDED and deleted.detail.size == 32
    assert snap.state is MachineState.RUNNING
    with pytest.raises(dataclasses.FrozenInstanceError):
        deleted.refcnt = 0


def test_pool_blocks_say_what_they_hold_and_whose():
    for verifier, holds in ((False, [BlockHolds.OBJECT_AND_BUFFER]), (True, [])):
        with Machine("Toaster", verifier=verifier) as machine:
            WdfMemoryCreate(None, NonPagedPoolNx, "gaTS", 64)
            blocks = machine.snapshot().blocks
        kinds = {(b.holds, b.object_type) for b in blocks}
        assert (BlockHolds.DRIVER_GLOBALS, None) in kinds
        assert (BlockHolds.OBJECT, "WDFDRIVER") in kinds
        for held in holds or [BlockHolds.OBJECT, BlockHolds.BUFFER]:
            assert (held, "WDFMEMORY") in kinds


def test_lookaside_lists_and_their_seconds_are_snapshotted():
    run = workload.run(workload.EXAMPLE_A)
    balance = run.machine.snapshot().balance
    (kernel_list,) = balance.lists
    seconds = balance.seconds_of(kernel_list.name)
    assert len(seconds) == balance.seconds == 50
    assert seconds[-1].depth == kernel_list.depth and kernel_list.tag == "Look"
    wdf = next(o for o in run.machine.snapshot().objects if o.type_name == "WDFLOOKASIDE")
    assert wdf.detail.shape is LookasideShape.NPAGED and wdf.detail.kernel_lists == 1


def test_lookaside_memory_names_its_list_by_handle_value():
    with Machine("Toaster") as machine:
        _, lookaside = WdfLookasideListCreate(None, 256, NonPagedPoolNx, None, "kooL")
        _, memory = WdfMemoryCreateFromLookaside(lookaside)
        snap = machine.snapshot()
    described = next(o for o in snap.objects if o.handle == memory.value)
    assert described.detail.kind is MemoryKind.LOOKASIDE
    assert described.detail.lookaside == lookaside.value


def test_timeline_snapshot_has_typed_rows_and_the_bug_check_code():
    run = scenarios.scenario3(reuse_first=False)
    timeline = run.machine.snapshot().timeline
    assert {row.kind for row in timeline.rows} <= set(LifetimeKind)
    assert timeline.crash_step == len(timeline.events) - 1
    assert (timeline.crash_code, timeline.crash_name) == (0x10D, "WDF_VIOLATION")
    assert Machine("Toaster").snapshot().timeline is None


def test_request_memory_is_listed_embedded_in_its_request_with_no_count_of_its_own():
    """A request's output memory is part of the request: FxRequest holds it as a member
    (``m_OutputBuffer``, an FxRequestOutputBuffer; ``m_SystemBuffer`` for input, fxrequest.hpp),
    its handle is an offset into the request (``FxRequest::GetMemoryHandle`` sets
    ``FxHandleFlagIsOffset``), and a reference on it is forwarded to the request as an IRP
    reference (``FxRequest::AddRefOverride`` / ``ReleaseOverride``, fxrequest.cpp, calling
    ``AddIrpReference`` / ``ReleaseIrpReference``).  The snapshot lists it under the request
    with no count (refcnt None), and ``WdfObjectReference`` on it moves the request's
    IRP-reference count."""
    from wdfkit import (
        STATUS_SUCCESS,
        WdfDeviceIoBuffered,
        WdfObjectDereference,
        WdfRequestCompleteWithInformation,
        WdfRequestRetrieveOutputMemory,
        boot,
    )
    from wdfkit.show import views
    from wdfkit.sim.snapshot import RequestDetail

    seen = {}

    def EvtIoRead(Queue, Request, Length):
        _, memory = WdfRequestRetrieveOutputMemory(Request)
        WdfObjectReference(memory)
        seen["referenced"] = machine.snapshot()
        seen["tree"] = views.object_tree(machine)
        WdfObjectDereference(memory)
        seen["released"] = machine.snapshot()
        WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, 0)

    machine = boot("Toaster")
    machine.add_device(scenarios.queue_driver(WdfDeviceIoBuffered, {"EvtIoRead": EvtIoRead}))
    machine.application().ReadFile(bytearray(16))
    objects = seen["referenced"].objects
    (request,) = [o for o in objects if isinstance(o.detail, RequestDetail)]
    memory = objects[objects.index(request) + 1]
    assert (memory.type_name, memory.parent, memory.depth) == ("WDFMEMORY", request.handle, 1)
    assert memory.refcnt is None and request.refcnt == 1
    assert request.detail.irp_refs == 1
    released = next(o for o in seen["released"].objects if o.handle == request.handle)
    assert released.detail.irp_refs == 0
    assert sum(o.handle == memory.handle for o in objects) == 1  # listed once, not also outside
    assert f"{memory.handle:016x}  embedded  [output buffer" in seen["tree"]
    assert all(o.handle != memory.handle for o in machine.snapshot().objects)  # gone at completion
