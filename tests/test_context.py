"""WdfObjectAllocateContext: a second (third, …) context on a live object.

Source: handleapi.cpp (WdfObjectAllocateContext: the offset-handle check;
FxObjectAllocateContext: attributes required, no parent, a type required, the header's size and
allocation), fxobject.cpp (FxObject::AddContext: STATUS_DELETE_PENDING, STATUS_OBJECT_NAME_EXISTS
with the existing context; CallCleanupCallbacks), fxobjectstatemachine.cpp (each header's
cleanup and destroy at destruction).
"""
# ruff: noqa: F403, F405  (the tests use the DDI names exactly as a driver would)

import pytest

from wdfkit import *


class FIRST:
    def __init__(self):
        self.count = 0


class SECOND:
    _size_ = 24

    def __init__(self):
        self.value = 0


GetFirst = WDF_DECLARE_CONTEXT_TYPE(FIRST)
GetSecond = WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(SECOND, "GetSecond")


def context_attributes(kind, cleanup=None, destroy=None):
    attributes = WDF_OBJECT_ATTRIBUTES()
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(attributes, kind)
    attributes.EvtCleanupCallback = cleanup
    attributes.EvtDestroyCallback = destroy
    return attributes


def test_a_second_context_is_zeroed_found_by_its_accessor_and_freed_with_the_object():
    machine = boot()
    status, obj = WdfObjectCreate(context_attributes(FIRST))
    blocks = len(machine.pool.live_blocks())
    status, second = WdfObjectAllocateContext(obj, context_attributes(SECOND))
    assert status == STATUS_SUCCESS and second.value == 0
    assert GetSecond(obj) is second and WdfObjectGetTypedContext(obj, SECOND) is second
    assert GetFirst(obj).count == 0
    block = machine.pool.live_blocks()[-1]
    assert len(machine.pool.live_blocks()) == blocks + 1
    assert (block.size, block.tag) == (0x30 + 24, machine.tag)
    WdfObjectDelete(obj)
    assert len(machine.pool.live_blocks()) == blocks - 1


def test_a_context_type_already_there_is_name_exists_with_that_context():
    machine = boot()
    _, obj = WdfObjectCreate(context_attributes(FIRST))
    blocks = len(machine.pool.live_blocks())
    status, context = WdfObjectAllocateContext(obj, context_attributes(FIRST))
    assert status == STATUS_OBJECT_NAME_EXISTS and NT_SUCCESS(status)
    assert context is GetFirst(obj)
    WdfObjectAllocateContext(obj, context_attributes(SECOND))
    status, again = WdfObjectAllocateContext(obj, context_attributes(SECOND))
    assert (status, again) == (STATUS_OBJECT_NAME_EXISTS, GetSecond(obj))
    assert len(machine.pool.live_blocks()) == blocks + 1  # the refused headers were freed


def test_an_object_created_without_a_context_gets_its_first_one():
    boot()
    _, memory, _ = WdfMemoryCreate(None, NonPagedPoolNx, "tseT", 32)
    assert GetFirst(memory) is None
    status, first = WdfObjectAllocateContext(memory, context_attributes(FIRST))
    assert status == STATUS_SUCCESS and GetFirst(memory) is first


def test_the_contexts_callbacks_run_after_the_objects_own():
    boot()
    order = []
    attributes = context_attributes(FIRST)
    attributes.EvtCleanupCallback = lambda Object: order.append("object cleanup")
    attributes.EvtDestroyCallback = lambda Object: order.append("object destroy")
    _, obj = WdfObjectCreate(attributes)
    WdfObjectAllocateContext(
        obj,
        context_attributes(
            SECOND,
            lambda Object: order.append(("second cleanup", Object == obj)),
            lambda Object: order.append("second destroy"),
        ),
    )
    WdfObjectReference(obj)
    WdfObjectDelete(obj)
    assert order == ["object cleanup", ("second cleanup", True)]
    WdfObjectDereference(obj)
    assert order[2:] == ["object destroy", "second destroy"]


def test_a_deleted_object_refuses_a_context():
    machine = boot()
    _, obj = WdfObjectCreate(None)
    WdfObjectReference(obj)
    WdfObjectDelete(obj)
    blocks = len(machine.pool.live_blocks())
    assert WdfObjectAllocateContext(obj, context_attributes(FIRST)) == (STATUS_DELETE_PENDING, None)
    assert len(machine.pool.live_blocks()) == blocks


def test_attribute_statuses():
    boot()
    _, obj = WdfObjectCreate(None)
    assert WdfObjectAllocateContext(obj, None) == (STATUS_WDF_PARENT_NOT_SPECIFIED, None)
    attributes = WDF_OBJECT_ATTRIBUTES()
    assert WdfObjectAllocateContext(obj, attributes)[0] == STATUS_INFO_LENGTH_MISMATCH
    WDF_OBJECT_ATTRIBUTES_INIT(attributes)
    assert WdfObjectAllocateContext(obj, attributes) == (STATUS_OBJECT_NAME_INVALID, None)
    attributes = context_attributes(FIRST)
    attributes.ParentObject = obj
    assert WdfObjectAllocateContext(obj, attributes)[0] == STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED
    attributes = context_attributes(FIRST)
    attributes.ExecutionLevel = WdfExecutionLevelPassive
    assert WdfObjectAllocateContext(obj, attributes)[0] == STATUS_WDF_EXECUTION_LEVEL_INVALID
    attributes = context_attributes(FIRST)
    attributes.ContextSizeOverride = 2**64 - 1
    assert WdfObjectAllocateContext(obj, attributes) == (STATUS_INTEGER_OVERFLOW, None)
    attributes.ContextSizeOverride = 2**40
    assert WdfObjectAllocateContext(obj, attributes) == (STATUS_INSUFFICIENT_RESOURCES, None)


def test_a_requests_memory_handle_cannot_carry_a_context():
    machine = boot()
    seen = []

    def write(Queue, Request, Length):
        _, memory = WdfRequestRetrieveInputMemory(Request)
        seen.append(WdfObjectAllocateContext(memory, context_attributes(FIRST)))
        seen.append(WdfObjectAllocateContext(Request, context_attributes(FIRST))[0])
        WdfRequestComplete(Request, STATUS_SUCCESS)

    from wdfkit.course.scenarios import queue_driver

    machine.add_device(queue_driver(WdfDeviceIoBuffered, {"EvtIoWrite": write}))
    machine.application().WriteFile(b"data")
    assert seen == [(STATUS_OBJECT_PATH_INVALID, None), STATUS_SUCCESS]


def test_bad_handles_and_types():
    machine = boot()
    with pytest.raises(BugCheck):
        WdfObjectAllocateContext(None, context_attributes(FIRST))
    assert machine.bugcheck.parameters[0] == 0x4
    machine = boot()
    _, obj = WdfObjectCreate(None)
    with pytest.raises(TypeError, match="WdfObjectAllocateContext: ContextAttributes"):
        WdfObjectAllocateContext(obj, {})
    attributes = context_attributes(FIRST)
    attributes.ContextTypeInfo = WDF_OBJECT_CONTEXT_TYPE_INFO(Size=0x28, ContextName="raw")
    with pytest.raises(ValueError, match="WdfObjectAllocateContext: .*ContextType is None"):
        WdfObjectAllocateContext(obj, attributes)
    WdfObjectDelete(obj)
    with pytest.raises(BugCheck):
        WdfObjectAllocateContext(obj, context_attributes(FIRST))
    assert machine.bugcheck.parameters[0] == 0x5
