"""KMDF Verifier and Driver Verifier: two tools, two switches, and the shorthand ``verifier=``."""

import pytest

from wdfkit import (
    CTL_CODE,
    DISPATCH_LEVEL,
    FILE_ANY_ACCESS,
    FILE_DEVICE_UNKNOWN,
    METHOD_BUFFERED,
    PASSIVE_LEVEL,
    STATUS_INTERNAL_ERROR,
    STATUS_INVALID_DEVICE_REQUEST,
    STATUS_SUCCESS,
    BugCheck,
    ExAllocatePoolWithTag,
    ExFreePool,
    KeLowerIrql,
    KeRaiseIrql,
    Machine,
    NonPagedPoolNx,
    PagedPool,
    WdfDeviceIoBuffered,
    WdfLookasideListCreate,
    WdfMemoryCreate,
    WdfObjectDelete,
    WdfObjectDereference,
    WdfObjectReference,
    WdfRequestComplete,
    WdfRequestRetrieveOutputWdmMdl,
)
from wdfkit.course import scenarios
from wdfkit.kernel.lookaside import FIXED_DEPTH, MAXIMUM_LOOKASIDE_DEPTH, MINIMUM_LOOKASIDE_DEPTH

KMDF_ONLY = {"kmdf_verifier": True, "driver_verifier": False}
DRIVER_ONLY = {"kmdf_verifier": False, "driver_verifier": True}


@pytest.mark.parametrize(
    "options, kmdf, driver",
    [
        ({}, True, True),  # a developer's machine: both on
        ({"verifier": True}, True, True),
        ({"verifier": False}, False, False),  # a customer's machine: both off
        ({"verifier": True, "kmdf_verifier": False}, False, True),
        ({"verifier": False, "kmdf_verifier": True}, True, False),
        (DRIVER_ONLY, False, True),
        (KMDF_ONLY, True, False),
    ],
)
def test_verifier_is_driver_verifier_and_kmdf_verifier_follows_it(options, kmdf, driver):
    """``verifier=`` says whether Driver Verifier verifies the driver; KMDF Verifier follows it
    unless told otherwise.  globals.cpp: FxInitialize asks IsWindowsVerifierOn
    (MmIsDriverVerifying, with Driver Verifier's WDF rule class) and FxRegistrySettingsInitialize
    makes the answer the default of the ``VerifierOn`` registry value for a KMDF >= 1.9 driver
    (SetVerifierState(WindowsVerifierOn) when the Parameters\\Wdf key is missing); a VerifierOn
    value in the registry overrides it either way.  Nothing in KMDF turns Driver Verifier on."""
    machine = Machine("Toaster", **options)
    assert (machine.kmdf_verifier, machine.driver_verifier) == (kmdf, driver)
    snapshot = machine.snapshot()
    assert (snapshot.kmdf_verifier, snapshot.driver_verifier) == (kmdf, driver)
    on = {True: "on", False: "off"}
    assert f"KMDF Verifier {on[kmdf]}, Driver Verifier {on[driver]}" in repr(machine)


def _use_after_free_and_leak(machine):
    """The driver's own pool: touch a freed block, then (on a new block) leak one at unload."""
    with machine:
        p = ExAllocatePoolWithTag(NonPagedPoolNx, 16, "1gaT")
        ExAllocatePoolWithTag(NonPagedPoolNx, 16, "1gaT")  # keeps the page mapped
        ExFreePool(p)
        try:
            p.write(b"x")
        except BugCheck as bugcheck:
            return bugcheck.code, None
    try:
        machine.unload()
    except BugCheck as bugcheck:
        return None, (bugcheck.code, bugcheck.parameters[0])
    return None, None


def _completed_request_answer(machine):
    """WdfRequestRetrieveOutputWdmMdl on a request the driver has completed (and referenced)."""
    seen = {}

    def EvtIoDeviceControl(Queue, Request, OutputLength, InputLength, Code):
        WdfObjectReference(Request)
        WdfRequestComplete(Request, STATUS_SUCCESS)
        try:
            seen["after"] = WdfRequestRetrieveOutputWdmMdl(Request)[0]
        except BugCheck as bugcheck:
            seen["after"] = bugcheck
            raise
        WdfObjectDereference(Request)

    with machine:
        machine.add_device(
            scenarios.queue_driver(WdfDeviceIoBuffered, {"EvtIoDeviceControl": EvtIoDeviceControl})
        )
        code = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
        try:
            machine.application().DeviceIoControl(code, b"", bytearray(0x20))
        except BugCheck:
            pass
    return seen["after"]


def _irql_check_answer(machine):
    """WdfLookasideListCreate of a paged list (PASSIVE_LEVEL only) called at DISPATCH_LEVEL."""
    with machine:
        KeRaiseIrql(DISPATCH_LEVEL)
        status = WdfLookasideListCreate(None, 64, PagedPool, None, "kooL")[0]
        KeLowerIrql(PASSIVE_LEVEL)
    return status


def _memory_blocks(machine):
    """Pool blocks one 64-byte nonpaged WdfMemoryCreate allocates."""
    with machine:
        before = len(machine.snapshot().blocks)
        WdfMemoryCreate(None, NonPagedPoolNx, "xEyM", 64)
        return len(machine.snapshot().blocks) - before


def _lookaside_depth(machine):
    """Depth and MaximumDepth of the kernel list behind a new WDFLOOKASIDE."""
    with machine:
        _, lookaside = WdfLookasideListCreate(None, 256, NonPagedPoolNx, None, "kooL")
        kernel_list = machine.balance.lists[-1]
        return kernel_list.Depth, kernel_list.MaximumDepth


def test_driver_verifier_alone_special_pool_leak_check_and_fixed_depth_lists():
    """Driver Verifier without KMDF Verifier (a KMDF driver whose Parameters\\Wdf key says
    VerifierOn = 0).  The kernel's checks work: the driver's own freed allocation faults in
    special pool (0xD5), the leak at unload is 0xC4/0x62 (pool tracking), and lookaside lists are
    held at Depth 0, MaximumDepth 0xFFFF (ExMinimumLookasideDepth 0, which
    ExInitializeNPagedLookasideList reads). KMDF's own checks are silent: FxVerifierCheckIrqlLevel
    returns STATUS_SUCCESS when FxVerifierOn is off (fxverifier.h); the completed-request check is
    VerifyRequestIsNotCompleted under FxVerifierIO (fxrequestkm.cpp, FxRequest::GetMdl), so the call
    goes on (and here reads the freed IRP); FxMemoryObject::_Create embeds a small nonpaged buffer
    in the object's block unless FxVerifierOn && FxPoolTrackingOn (fxmemoryobject.cpp)."""
    assert _use_after_free_and_leak(Machine(**DRIVER_ONLY))[0] == 0xD5
    leak = Machine(**DRIVER_ONLY)
    with leak:
        ExAllocatePoolWithTag(NonPagedPoolNx, 16, "1gaT")
    with pytest.raises(BugCheck) as caught:
        leak.unload()
    assert (caught.value.code, caught.value.parameters[0]) == (0xC4, 0x62)
    assert _lookaside_depth(Machine(**DRIVER_ONLY)) == (0, FIXED_DEPTH)
    assert _irql_check_answer(Machine(**DRIVER_ONLY)) == STATUS_SUCCESS
    machine = Machine(**DRIVER_ONLY)
    assert _completed_request_answer(machine) != STATUS_INTERNAL_ERROR
    assert not any("KMDF Verifier:" in line for line in machine.log_lines())
    assert _memory_blocks(Machine(**DRIVER_ONLY)) == 1


def test_kmdf_verifier_alone_request_and_irql_checks_no_pool_checks():
    """KMDF Verifier without Driver Verifier (VerifierOn = 1 in Parameters\\Wdf, the driver not
    in Verifier.exe's list).  KMDF's checks work: FxVerifierCheckIrqlLevel refuses a call above
    the DDI's IRQL with STATUS_INVALID_DEVICE_REQUEST (fxverifier.h); VerifyRequestIsNotCompleted
    answers STATUS_INTERNAL_ERROR on a completed request (FxVerifierIO, fxrequestkm.cpp); a
    small buffer gets a block of its own for KMDF's pool tracking (fxmemoryobject.cpp).  The
    kernel's are off: a freed block reads back stale bytes (no special pool), a leak at unload
    is only logged, a double free is BAD_POOL_CALLER 0xC2/0x07 rather than 0xC4/0x13, and
    lookaside lists start at Depth 4 with MaximumDepth 256 (ExInitializeNPagedLookasideList)."""
    assert _irql_check_answer(Machine(**KMDF_ONLY)) == STATUS_INVALID_DEVICE_REQUEST
    assert _completed_request_answer(Machine(**KMDF_ONLY)) == STATUS_INTERNAL_ERROR
    assert _memory_blocks(Machine(**KMDF_ONLY)) == 2
    machine = Machine(**KMDF_ONLY)
    assert _use_after_free_and_leak(machine) == (None, None)
    assert machine.state == "unloaded"
    assert any(line.endswith("bytes tag 'Tag1'") for line in machine.log_lines())
    with Machine(**KMDF_ONLY):
        p = ExAllocatePoolWithTag(NonPagedPoolNx, 8, "1gaT")
        ExFreePool(p)
        with pytest.raises(BugCheck) as caught:
            ExFreePool(p)
    assert (caught.value.code, caught.value.parameters[0]) == (0xC2, 0x07)
    depth = (MINIMUM_LOOKASIDE_DEPTH, MAXIMUM_LOOKASIDE_DEPTH)
    assert _lookaside_depth(Machine(**KMDF_ONLY)) == depth


def test_kmdf_pool_dump_at_unload_needs_kmdf_verifier():
    """FxPoolDestroy calls FxPoolDump, which lists what the driver leaked, only when
    IsPoolTrackingOn() (wdfpool.cpp): FxPoolTrackingOn, set with FxVerifierOn by
    SetVerifierState (fxglobals.h).  Driver Verifier plays no part in it."""
    for options, dumped in ((KMDF_ONLY, True), (DRIVER_ONLY, False)):
        machine = Machine(**options)
        with machine:
            _, memory, _ = WdfMemoryCreate(None, NonPagedPoolNx, "xEyM", 16)
            WdfObjectReference(memory)  # never released: still referenced at unload
            WdfObjectDelete(memory)
        machine.unload()
        assert any("FxPoolDump" in line for line in machine.log_lines()) == dumped


def test_shorthand_keeps_both_tools_together():
    """``Machine(verifier=...)`` (the benchmark's and the lessons' spelling) turns the two tools
    on or off together, as Driver Verifier does for a KMDF >= 1.9 driver with no VerifierOn value
    (globals.cpp, FxRegistrySettingsInitialize): with it on, both kinds of check fire."""
    assert _irql_check_answer(Machine(verifier=True)) == STATUS_INVALID_DEVICE_REQUEST
    assert _use_after_free_and_leak(Machine(verifier=True))[0] == 0xD5
    assert _lookaside_depth(Machine(verifier=True)) == (0, FIXED_DEPTH)
    assert _irql_check_answer(Machine(verifier=False)) == STATUS_SUCCESS
    assert _use_after_free_and_leak(Machine(verifier=False)) == (None, None)
    depth = (MINIMUM_LOOKASIDE_DEPTH, MAXIMUM_LOOKASIDE_DEPTH)
    assert _lookaside_depth(Machine(verifier=False)) == depth
