import dataclasses

import pytest

from wdfkit import (
    STATUS_DELETE_PENDING,
    STATUS_SUCCESS,
    STATUS_WDF_SYNCHRONIZATION_SCOPE_INVALID,
    WDF_DECLARE_CONTEXT_TYPE_WITH_NAME,
    WDF_OBJECT_ATTRIBUTES,
    WDF_OBJECT_ATTRIBUTES_INIT,
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE,
    BugCheck,
    Machine,
    NonPagedPoolNx,
    WdfExecutionLevelPassive,
    WdfGetDriver,
    WdfMemoryCreate,
    WdfMemoryGetBuffer,
    WdfObjectCreate,
    WdfObjectDelete,
    WdfObjectDereference,
    WdfObjectDereferenceWithTag,
    WdfObjectReference,
    WdfObjectReferenceWithTag,
    WdfSynchronizationScopeDevice,
)


def child_attributes(parent, events, name):
    attributes = WDF_OBJECT_ATTRIBUTES()
    WDF_OBJECT_ATTRIBUTES_INIT(attributes)
    attributes.ParentObject = parent
    attributes.EvtCleanupCallback = lambda h: events.append(f"{name}.cleanup")
    attributes.EvtDestroyCallback = lambda h: events.append(f"{name}.destroy")
    return attributes


def test_wdfobjectdelete_runs_callbacks_in_kmdf_order(machine):
    events = []
    _, p = WdfObjectCreate(child_attributes(None, events, "P"))
    _, c = WdfObjectCreate(child_attributes(p, events, "C"))
    WdfObjectCreate(child_attributes(c, events, "G"))
    WdfObjectDelete(p)
    assert events == ["G.cleanup", "C.cleanup", "P.cleanup", "G.destroy", "C.destroy", "P.destroy"]


def test_wdfobjectdelete_defers_destroy_while_referenced(machine):
    events = []
    _, obj = WdfObjectCreate(child_attributes(None, events, "O"))
    WdfObjectReference(obj)
    WdfObjectDelete(obj)
    assert events == ["O.cleanup"]
    WdfObjectDereference(obj)
    assert events == ["O.cleanup", "O.destroy"]


def test_buffer_stays_valid_while_deleted_memory_is_referenced(machine):
    _, memory, buffer = WdfMemoryCreate(None, NonPagedPoolNx, 0, 16)
    WdfObjectReference(memory)
    WdfObjectDelete(memory)
    assert WdfMemoryGetBuffer(memory) == (buffer, 16)
    buffer.write(b"ok")
    WdfObjectDereference(memory)
    with pytest.raises(BugCheck) as info:
        WdfMemoryGetBuffer(memory)
    assert info.value.parameters[:2] == (0x5, memory.value)


def test_over_dereference_is_0x10d_0x7(machine):
    _, obj = WdfObjectCreate(None)
    with pytest.raises(BugCheck) as info:
        WdfObjectDereference(obj)
    assert (info.value.code, info.value.parameters[:2]) == (0x10D, (0x7, obj.value))


def test_reference_null_is_0x10d_0x4(machine):
    with pytest.raises(BugCheck) as info:
        WdfObjectReference(None)
    assert info.value.parameters[0] == 0x4


def test_deleting_the_driver_is_refused_without_a_crash(machine):
    WdfObjectDelete(WdfGetDriver())
    assert machine.state == "running"
    assert "STATUS_CANNOT_DELETE" in machine.log_lines()[-1]


def test_mismatched_tag_dereference_is_a_verifier_break_only(machine):
    _, obj = WdfObjectCreate(None)
    WdfObjectReferenceWithTag(obj, "A")
    WdfObjectDereferenceWithTag(obj, "B")
    assert machine.state == "running"
    assert "not acquired" in machine.log_lines()[-1]


def test_typed_context_lives_with_its_object(machine):
    @dataclasses.dataclass
    class SESSION_CONTEXT:
        count: int = 0

    GetSessionContext = WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(SESSION_CONTEXT, "GetSessionContext")
    attributes = WDF_OBJECT_ATTRIBUTES()
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(attributes, SESSION_CONTEXT)
    status, obj = WdfObjectCreate(attributes)
    assert status == STATUS_SUCCESS
    GetSessionContext(obj).count += 1
    assert GetSessionContext(obj).count == 1
    _, plain = WdfObjectCreate(None)
    assert GetSessionContext(plain) is None


def test_unload_deletes_every_object_and_frees_framework_pool():
    m = Machine()
    with m:
        _, parent = WdfObjectCreate(None)
        WdfMemoryCreate(child_attributes(parent, [], "M"), NonPagedPoolNx, 0, 100)
    m.unload()
    assert m.objects == {} and m.pool.live_blocks() == []


def test_wdfobjectcreate_allows_an_execution_level(machine):
    """fxuserobjectapi.cpp validates with FX_VALIDATE_OPTION_EXECUTION_LEVEL_ALLOWED only."""
    attributes = WDF_OBJECT_ATTRIBUTES()
    WDF_OBJECT_ATTRIBUTES_INIT(attributes)
    attributes.ExecutionLevel = WdfExecutionLevelPassive
    assert WdfObjectCreate(attributes)[0] == STATUS_SUCCESS
    attributes.SynchronizationScope = WdfSynchronizationScopeDevice
    assert WdfObjectCreate(attributes) == (STATUS_WDF_SYNCHRONIZATION_SCOPE_INVALID, None)


def test_a_parent_being_deleted_refuses_new_children(machine):
    """FxObject::Commit (AssignParentObject): STATUS_DELETE_PENDING, and no pool is used."""
    seen = {}

    def cleanup(handle):
        attributes = WDF_OBJECT_ATTRIBUTES()
        WDF_OBJECT_ATTRIBUTES_INIT(attributes)
        attributes.ParentObject = handle
        in_use = machine.pool.in_use[False]
        seen["object"] = WdfObjectCreate(attributes)
        seen["memory"] = WdfMemoryCreate(attributes, NonPagedPoolNx, 0, 16)
        seen["pool unchanged"] = machine.pool.in_use[False] == in_use

    attributes = WDF_OBJECT_ATTRIBUTES()
    WDF_OBJECT_ATTRIBUTES_INIT(attributes)
    attributes.EvtCleanupCallback = cleanup
    _, parent = WdfObjectCreate(attributes)
    WdfObjectDelete(parent)
    assert seen == {
        "object": (STATUS_DELETE_PENDING, None),
        "memory": (STATUS_DELETE_PENDING, None, None),
        "pool unchanged": True,
    }
