"""Each Wdf…Create's statuses and the order of its checks, as the KMDF source has them.

Paths are in microsoft/Windows-Driver-Frameworks under src/framework/.  A bad ParentObject here
is a stale handle (its object deleted): looking it up bug-checks 0x10D / WDF_INVALID_HANDLE.
"""

import pytest

from wdfkit import (
    DISPATCH_LEVEL,
    STATUS_DELETE_PENDING,
    STATUS_INFO_LENGTH_MISMATCH,
    STATUS_INSUFFICIENT_RESOURCES,
    STATUS_INVALID_DEVICE_REQUEST,
    STATUS_INVALID_DEVICE_STATE,
    STATUS_INVALID_PARAMETER,
    STATUS_SUCCESS,
    STATUS_UNSUCCESSFUL,
    STATUS_WDF_EXECUTION_LEVEL_INVALID,
    STATUS_WDF_NO_CALLBACK,
    WDF_DMA_ENABLER_CONFIG,
    WDF_DMA_ENABLER_CONFIG_INIT,
    WDF_IO_QUEUE_CONFIG,
    WDF_IO_QUEUE_CONFIG_INIT,
    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE,
    WDF_IO_TARGET_OPEN_PARAMS,
    WDF_IO_TARGET_OPEN_PARAMS_INIT_OPEN_BY_NAME,
    WDF_OBJECT_ATTRIBUTES,
    WDF_OBJECT_ATTRIBUTES_INIT,
    WDF_OBJECT_CONTEXT_TYPE_INFO,
    WDFDEVICE_INIT,
    BugCheck,
    ExAllocatePoolWithTag,
    KeLowerIrql,
    KeRaiseIrql,
    Machine,
    NonPagedPoolNx,
    PagedPool,
    WdfDeviceCreate,
    WdfDeviceGetIoTarget,
    WdfDmaEnablerCreate,
    WdfDmaProfilePacket,
    WdfExecutionLevelPassive,
    WdfIoQueueCreate,
    WdfIoQueueDispatchInvalid,
    WdfIoQueueDispatchParallel,
    WdfIoQueueDispatchSequential,
    WdfIoTargetClose,
    WdfIoTargetCreate,
    WdfIoTargetOpen,
    WdfLookasideListCreate,
    WdfMemoryCreate,
    WdfMemoryCreateFromLookaside,
    WdfMemoryCreatePreallocated,
    WdfObjectCreate,
    WdfObjectDelete,
    WdfRequestCreate,
)
from wdfkit.course.scenarios import EvtIoDefaultRefuse


def attributes(parent=None, **fields):
    attrs = WDF_OBJECT_ATTRIBUTES()
    WDF_OBJECT_ATTRIBUTES_INIT(attrs)
    attrs.ParentObject = parent
    for name, value in fields.items():
        setattr(attrs, name, value)
    return attrs


def stale_handle():
    _, obj = WdfObjectCreate(None)
    WdfObjectDelete(obj)
    return obj


def device():
    return WdfDeviceCreate(WDFDEVICE_INIT(), None)[1]


def invalid_handle(call, *args):
    """The 0x10D / WDF_INVALID_HANDLE (0x5) bug check *call* stops the machine with."""
    with pytest.raises(BugCheck) as crash:
        call(*args)
    return crash.value.code, crash.value.parameters[0]


# -- 1 -------------------------------------------------------------------------------------------
def test_wdfrequestcreate_refuses_a_remote_target_never_opened_or_closed(machine):
    """FxRequest::_Create → FxRequestBase::ValidateTarget (shared/core/fxrequest.cpp,
    fxrequestbase.cpp): a target whose stack size is 0 — a remote target before WdfIoTargetOpen,
    or after WdfIoTargetClose (ClearTargetPointers) — is STATUS_INVALID_DEVICE_STATE."""
    dev = device()
    _, target = WdfIoTargetCreate(dev, None)
    assert WdfRequestCreate(None, target) == (STATUS_INVALID_DEVICE_STATE, None)
    params = WDF_IO_TARGET_OPEN_PARAMS()
    WDF_IO_TARGET_OPEN_PARAMS_INIT_OPEN_BY_NAME(params, r"\Device\Other", 0)
    assert WdfIoTargetOpen(target, params) == STATUS_SUCCESS
    assert WdfRequestCreate(None, target)[0] == STATUS_SUCCESS
    WdfIoTargetClose(target)
    assert WdfRequestCreate(None, target) == (STATUS_INVALID_DEVICE_STATE, None)
    assert WdfRequestCreate(None, WdfDeviceGetIoTarget(dev))[0] == STATUS_SUCCESS


# -- 2 -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "create",
    [
        lambda a: WdfObjectCreate(a),
        lambda a: WdfMemoryCreate(a, NonPagedPoolNx, 0, 16),
        lambda a: WdfMemoryCreatePreallocated(
            a, ExAllocatePoolWithTag(NonPagedPoolNx, 16, "tseT"), 16
        ),
        lambda a: WdfLookasideListCreate(a, 16, NonPagedPoolNx, None, 0),
        lambda a: WdfLookasideListCreate(None, 16, NonPagedPoolNx, a, 0),
    ],
    ids=["object", "memory", "preallocated", "lookaside", "lookaside-memory"],
)
def test_the_early_parent_lookup_needs_a_right_size(create):
    """fxuserobjectapi.cpp (WdfObjectCreate), shared/core/fxmemorybufferapi.cpp
    (WdfMemoryCreate), fxmemorybufferpreallocatedapi.cpp, fxlookasidelistapi.cpp
    (WdfLookasideListCreate): the parent handle is looked up first only when
    FxValidateObjectAttributesForParentHandle succeeds (Size right); with a wrong Size,
    FxValidateObjectAttributes answers STATUS_INFO_LENGTH_MISMATCH."""
    with Machine():
        assert create(attributes(stale_handle(), Size=0x30))[0] == STATUS_INFO_LENGTH_MISMATCH
    with Machine():
        assert invalid_handle(create, attributes(stale_handle())) == (0x10D, 0x5)


@pytest.mark.parametrize("which", ["io target", "dma enabler", "request on a target"])
def test_these_look_up_the_parent_after_validation(which):
    """fxiotargetapi.cpp (WdfIoTargetCreate) → fxiotargetremote.cpp (FxIoTargetRemote::_Create),
    kmdf/src/dma/base/fxdmaenablerapi.cpp (WdfDmaEnablerCreate), fxrequestapi.cpp
    (WdfRequestCreate with a target) → FxRequest::_Create → FxObject::Commit: the ParentObject
    is looked up only after FxValidateObjectAttributes, so any attribute status wins."""
    with Machine():
        dev = device()
        bad = attributes(stale_handle(), ExecutionLevel=WdfExecutionLevelPassive)
        config = WDF_DMA_ENABLER_CONFIG()
        WDF_DMA_ENABLER_CONFIG_INIT(config, WdfDmaProfilePacket, 0x1000)
        create = {
            "io target": lambda: WdfIoTargetCreate(dev, bad),
            "dma enabler": lambda: WdfDmaEnablerCreate(dev, config, bad),
            "request on a target": lambda: WdfRequestCreate(bad, WdfDeviceGetIoTarget(dev)),
        }[which]
        assert create() == (STATUS_WDF_EXECUTION_LEVEL_INVALID, None)
        bad.ExecutionLevel = 1  # WdfExecutionLevelInheritFromParent: now the handle is looked up
        assert invalid_handle(create) == (0x10D, 0x5)


def test_wdfrequestcreate_without_a_target_looks_up_the_parent_whatever_the_size():
    """fxrequestapi.cpp (WdfRequestCreate): with no target, FxObjectHandleGetGlobals reads the
    ParentObject before anything else, without FxValidateObjectAttributesForParentHandle."""
    with Machine():
        assert invalid_handle(WdfRequestCreate, attributes(stale_handle(), Size=0x30), None) == (
            0x10D,
            0x5,
        )


# -- 3 -------------------------------------------------------------------------------------------
def test_a_paged_lookaside_list_keeps_both_parents_under_one_device(machine):
    """fxlookasidelistapi.cpp (WdfLookasideListCreate): for paged pool,
    FxDeviceBase::_SearchForDevice of both attribute sets; two different devices are
    STATUS_INVALID_PARAMETER.  Non-paged lists do not compare them."""
    first, second = device(), device()
    _, under_first = WdfObjectCreate(attributes(first))
    args = (attributes(under_first), 64, PagedPool, attributes(second), 0)
    assert WdfLookasideListCreate(*args) == (STATUS_INVALID_PARAMETER, None)
    args = (attributes(under_first), 64, PagedPool, attributes(first), 0)
    assert WdfLookasideListCreate(*args)[0] == STATUS_SUCCESS
    args = (attributes(under_first), 64, PagedPool, None, 0)  # one device only: no comparison
    assert WdfLookasideListCreate(*args)[0] == STATUS_SUCCESS
    args = (attributes(first), 64, NonPagedPoolNx, attributes(second), 0)
    assert WdfLookasideListCreate(*args)[0] == STATUS_SUCCESS


def test_a_nonpaged_list_looks_at_the_memory_parent_only_when_it_commits_memory(machine):
    """fxlookasidelistapi.cpp: WdfLookasideListCreate looks up the MemoryAttributes parent only
    when the LookasideAttributes name none (else-if), or for paged pool; otherwise
    WdfMemoryCreateFromLookaside's Commit is the first to look at it."""
    _, list_parent = WdfObjectCreate(None)
    status, lookaside = WdfLookasideListCreate(
        attributes(list_parent), 64, NonPagedPoolNx, attributes(stale_handle()), 0
    )
    assert status == STATUS_SUCCESS
    assert invalid_handle(WdfMemoryCreateFromLookaside, lookaside) == (0x10D, 0x5)


def test_a_lookaside_list_copies_its_memory_attributes(machine):
    """FxLookasideList::InitializeLookaside (shared/core/fxlookasidelist.cpp) copies
    MemoryAttributes; WdfMemoryCreateFromLookaside commits with the copy, so editing the
    driver's struct afterwards changes nothing."""
    _, first, _ = WdfMemoryCreate(None, NonPagedPoolNx, 0, 8)
    _, second, _ = WdfMemoryCreate(None, NonPagedPoolNx, 0, 8)
    memory_attributes = attributes(first)
    _, lookaside = WdfLookasideListCreate(None, 64, NonPagedPoolNx, memory_attributes, 0)
    memory_attributes.ParentObject = second
    _, memory = WdfMemoryCreateFromLookaside(lookaside)
    WdfObjectDelete(first)
    assert memory.value not in machine.objects  # deleted with the parent named at creation


# -- 4 -------------------------------------------------------------------------------------------
def queue_config(dispatch=WdfIoQueueDispatchSequential, default=False, callback=True):
    config = WDF_IO_QUEUE_CONFIG()
    if default:
        WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(config, dispatch)
    else:
        WDF_IO_QUEUE_CONFIG_INIT(config, dispatch)
    if callback:
        config.EvtIoDefault = EvtIoDefaultRefuse
    return config


def test_wdfioqueuecreate_checks_the_parent_before_the_config(machine):
    """FxPkgIo::CreateQueue (shared/irphandlers/io/fxpkgio.cpp) refuses a parent under another
    device before FxIoQueue::_Create → Initialize (fxioqueue.cpp) looks at the dispatch type."""
    first, second = device(), device()
    config = queue_config(WdfIoQueueDispatchInvalid)
    assert WdfIoQueueCreate(first, config, attributes(second)) == (
        STATUS_INVALID_DEVICE_REQUEST,
        None,
    )
    assert WdfIoQueueCreate(first, config, None) == (STATUS_INVALID_PARAMETER, None)


def test_a_queue_that_is_not_manual_needs_a_callback(machine):
    """FxIoQueue::Initialize (shared/irphandlers/io/fxioqueue.cpp): a sequential or parallel
    queue without EvtIoDefault, EvtIoRead, EvtIoWrite, EvtIoDeviceControl or
    EvtIoInternalDeviceControl is STATUS_WDF_NO_CALLBACK."""
    dev = device()
    for dispatch in (WdfIoQueueDispatchSequential, WdfIoQueueDispatchParallel):
        config = queue_config(dispatch, callback=False)
        assert WdfIoQueueCreate(dev, config, None) == (STATUS_WDF_NO_CALLBACK, None)
        config.EvtIoRead = EvtIoDefaultRefuse
        assert WdfIoQueueCreate(dev, config, None)[0] == STATUS_SUCCESS


def test_wdfioqueuecreate_config_size_and_a_second_default_queue(machine):
    """fxioqueueapi.cpp (WdfIoQueueCreate): a Config.Size other than the current, V1_9 or V1_7
    one (shared/inc/private/common/fxversionedstructures.h) is STATUS_INFO_LENGTH_MISMATCH;
    FxPkgIo::InitializeDefaultQueue (fxpkgio.cpp) refuses a second default queue with
    STATUS_UNSUCCESSFUL after it was created, and it is deleted again without the driver's
    callbacks (DeleteFromFailedCreate)."""
    dev = device()
    config = queue_config(default=True)
    config.Size = 0x40
    assert WdfIoQueueCreate(dev, config, None) == (STATUS_INFO_LENGTH_MISMATCH, None)
    for size in (0x50, 0x58):  # WDF_IO_QUEUE_CONFIG_V1_7 and _V1_9 on x64
        config = queue_config()
        config.Size = size
        assert WdfIoQueueCreate(dev, config, None)[0] == STATUS_SUCCESS
    config = queue_config(default=True)
    assert WdfIoQueueCreate(dev, config, None)[0] == STATUS_SUCCESS
    objects, in_use, cleaned = dict(machine.objects), machine.pool.in_use[False], []
    second = attributes(EvtCleanupCallback=cleaned.append)
    assert WdfIoQueueCreate(dev, config, second) == (STATUS_UNSUCCESSFUL, None)
    assert (machine.objects, machine.pool.in_use[False], cleaned) == (objects, in_use, [])


# -- 5 -------------------------------------------------------------------------------------------
def test_wdfdevicecreate_checks_the_irql_first_and_refuses_a_used_deviceinit(machine):
    """fxdeviceapi.cpp (WdfDeviceCreate): FxVerifierCheckIrqlLevel(PASSIVE_LEVEL) before
    FxValidateObjectAttributes; a DeviceInit whose device was created is
    STATUS_INVALID_DEVICE_STATE."""
    init = WDFDEVICE_INIT()
    KeRaiseIrql(DISPATCH_LEVEL)
    assert WdfDeviceCreate(init, attributes(Size=0)) == (STATUS_INVALID_DEVICE_REQUEST, None)
    KeLowerIrql(0)
    assert WdfDeviceCreate(init, None)[0] == STATUS_SUCCESS
    assert WdfDeviceCreate(init, None) == (STATUS_INVALID_DEVICE_STATE, None)


# -- 6 -------------------------------------------------------------------------------------------
def test_a_kmdf_1_0_context_type_info_is_accepted(machine):
    """FxValidateObjectAttributes (shared/object/fxvalidatefunctions.cpp) accepts the current
    WDF_OBJECT_CONTEXT_TYPE_INFO size and WDF_OBJECT_CONTEXT_TYPE_INFO_V1_0's (0x18 on x64:
    Size, ContextName, ContextSize; shared/inc/private/common/fxmin.hpp)."""

    class Context:
        pass

    info = WDF_OBJECT_CONTEXT_TYPE_INFO(0x18, "Context", 8, Context)
    assert WdfObjectCreate(attributes(ContextTypeInfo=info))[0] == STATUS_SUCCESS
    info.Size = 0x20
    assert WdfObjectCreate(attributes(ContextTypeInfo=info)) == (STATUS_INFO_LENGTH_MISMATCH, None)


# -- 7 -------------------------------------------------------------------------------------------
def test_pool_is_asked_before_the_parent(machine):
    """WdfObjectCreate → FxUserObject::_Create (fxuserobjectapi.cpp) allocates before
    FxObject::Commit → AssignParentObject (shared/object/fxobject.cpp) refuses a parent being
    deleted: with pool exhausted as well, STATUS_INSUFFICIENT_RESOURCES."""
    seen = {}

    def cleanup(handle):
        seen["free pool"] = WdfObjectCreate(attributes(handle))
        machine.pool.limit = machine.pool.in_use[False]
        seen["no pool"] = WdfObjectCreate(attributes(handle))

    _, parent = WdfObjectCreate(attributes(EvtCleanupCallback=cleanup))
    WdfObjectDelete(parent)
    assert seen == {
        "free pool": (STATUS_DELETE_PENDING, None),
        "no pool": (STATUS_INSUFFICIENT_RESOURCES, None),
    }


# -- 8 -------------------------------------------------------------------------------------------
def test_wdfiotargetcreate_checks_the_irql(machine):
    """fxiotargetapi.cpp (WdfIoTargetCreate): FxVerifierCheckIrqlLevel(PASSIVE_LEVEL) after the
    device handle, before FxValidateObjectAttributes."""
    dev = device()
    KeRaiseIrql(DISPATCH_LEVEL)
    assert WdfIoTargetCreate(dev, attributes(Size=0)) == (STATUS_INVALID_DEVICE_REQUEST, None)
    KeLowerIrql(0)
    assert WdfIoTargetCreate(dev, None)[0] == STATUS_SUCCESS
