import pytest

from wdfkit import (
    DISPATCH_LEVEL,
    STATUS_ACCESS_VIOLATION,
    STATUS_BUFFER_TOO_SMALL,
    STATUS_INFO_LENGTH_MISMATCH,
    STATUS_INSUFFICIENT_RESOURCES,
    STATUS_INVALID_BUFFER_SIZE,
    STATUS_INVALID_DEVICE_REQUEST,
    STATUS_INVALID_PARAMETER,
    STATUS_SUCCESS,
    STATUS_WDF_EXECUTION_LEVEL_INVALID,
    STATUS_WDF_OBJECT_ATTRIBUTES_INVALID,
    STATUS_WDF_SYNCHRONIZATION_SCOPE_INVALID,
    WDF_OBJECT_ATTRIBUTES,
    WDF_OBJECT_ATTRIBUTES_INIT,
    WDF_VIOLATION,
    BugCheck,
    ExAllocatePoolWithTag,
    KeRaiseIrql,
    Machine,
    MachineHalted,
    NonPagedPoolNx,
    PagedPool,
    WdfExecutionLevelPassive,
    WdfMemoryAssignBuffer,
    WdfMemoryCopyFromBuffer,
    WdfMemoryCopyToBuffer,
    WdfMemoryCreate,
    WdfMemoryCreatePreallocated,
    WdfMemoryGetBuffer,
    WdfObjectDelete,
    WdfSynchronizationScopeDevice,
    WdfSynchronizationScopeNone,
)


def bugcheck(call, *args):
    with pytest.raises(BugCheck) as info:
        call(*args)
    return info.value


def test_wdfmemorycreate_returns_status_handle_and_buffer(machine):
    status, memory, buffer = WdfMemoryCreate(None, NonPagedPoolNx, "1gaT", 64)
    assert status == STATUS_SUCCESS
    assert WdfMemoryGetBuffer(memory) == (buffer, 64)


def test_wdfmemorycreate_zero_size_is_invalid_parameter(machine):
    assert WdfMemoryCreate(None, NonPagedPoolNx, 0, 0) == (STATUS_INVALID_PARAMETER, None, None)
    assert WdfMemoryCreate(None, NonPagedPoolNx, 0, 1)[0] == STATUS_SUCCESS


def test_wdfmemorycreate_exhausted_pool_is_insufficient_resources():
    with Machine(pool_limit=1 << 20):
        assert WdfMemoryCreate(None, NonPagedPoolNx, 0, 1 << 40)[0] == STATUS_INSUFFICIENT_RESOURCES


def test_wdfmemorycreate_one_terabyte_fails_without_using_host_memory(machine):
    assert WdfMemoryCreate(None, NonPagedPoolNx, 0, 1 << 40)[0] == STATUS_INSUFFICIENT_RESOURCES
    assert ExAllocatePoolWithTag(NonPagedPoolNx, 1 << 40, "1gaT") is None


def test_wdfmemorycreate_paged_above_apc_level_fails_under_verifier(machine):
    KeRaiseIrql(DISPATCH_LEVEL)
    assert WdfMemoryCreate(None, PagedPool, 0, 16)[0] == STATUS_INVALID_DEVICE_REQUEST
    assert WdfMemoryCreate(None, NonPagedPoolNx, 0, 16)[0] == STATUS_SUCCESS


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"Size": 0x37}, STATUS_INFO_LENGTH_MISMATCH),
        ({"ExecutionLevel": 9}, STATUS_WDF_OBJECT_ATTRIBUTES_INVALID),
        ({"ExecutionLevel": WdfExecutionLevelPassive}, STATUS_WDF_EXECUTION_LEVEL_INVALID),
        (
            {"SynchronizationScope": WdfSynchronizationScopeDevice},
            STATUS_WDF_SYNCHRONIZATION_SCOPE_INVALID,
        ),
        ({"SynchronizationScope": WdfSynchronizationScopeNone}, STATUS_SUCCESS),
    ],
)
def test_wdfmemorycreate_validates_attributes(machine, change, expected):
    attributes = WDF_OBJECT_ATTRIBUTES()
    WDF_OBJECT_ATTRIBUTES_INIT(attributes)
    for field, value in change.items():
        setattr(attributes, field, value)
    assert WdfMemoryCreate(attributes, NonPagedPoolNx, 0, 8)[0] == expected


def test_uninitialised_attributes_are_a_length_mismatch(machine):
    assert (
        WdfMemoryCreate(WDF_OBJECT_ATTRIBUTES(), NonPagedPoolNx, 0, 8)[0]
        == STATUS_INFO_LENGTH_MISMATCH
    )


def test_wdfmemorycreate_representation_follows_fxmemoryobject_create():
    for verifier, size, pool, kind in [
        (False, 64, NonPagedPoolNx, "embedded"),
        (False, 4096, NonPagedPoolNx, "pool"),
        (False, 64, PagedPool, "pool"),
        (True, 64, NonPagedPoolNx, "pool"),
    ]:
        with Machine(verifier=verifier) as m:
            _, memory, _ = WdfMemoryCreate(None, pool, 0, size)
            assert m.objects[memory.value].kind == kind


def test_wdfmemorycopyfrombuffer_boundaries(machine):
    """IFxMemory::_CopyPtrToPtr (fxmemoryobject.cpp): a destination offset at or past the end
    and a count running past it are both STATUS_INVALID_BUFFER_SIZE.  The DDI page agrees for
    the offset and says STATUS_BUFFER_TOO_SMALL for the count; the source wins."""
    _, memory, buffer = WdfMemoryCreate(None, NonPagedPoolNx, 0, 16)
    assert WdfMemoryCopyFromBuffer(memory, 8, b"12345678", 8) == STATUS_SUCCESS
    assert WdfMemoryCopyFromBuffer(memory, 9, b"12345678", 8) == STATUS_INVALID_BUFFER_SIZE
    assert WdfMemoryCopyFromBuffer(memory, 16, b"1", 1) == STATUS_INVALID_BUFFER_SIZE
    assert WdfMemoryCopyFromBuffer(memory, 0, b"1", 0) == STATUS_INVALID_PARAMETER
    assert buffer.read(16)[8:] == b"12345678"


def test_wdfmemorycopytobuffer_boundaries(machine):
    _, memory, buffer = WdfMemoryCreate(None, NonPagedPoolNx, 0, 16)
    buffer.write(bytes(range(16)))
    out = bytearray(8)
    assert WdfMemoryCopyToBuffer(memory, 8, out, 8) == STATUS_SUCCESS
    assert out == bytes(range(8, 16))
    assert WdfMemoryCopyToBuffer(memory, 9, out, 8) == STATUS_BUFFER_TOO_SMALL
    assert WdfMemoryCopyToBuffer(memory, 16, out, 1) == STATUS_BUFFER_TOO_SMALL
    assert WdfMemoryCopyToBuffer(memory, 0, out, 0) == STATUS_INVALID_PARAMETER


def test_copy_with_null_buffer_is_required_parameter_bugcheck(machine):
    _, memory, _ = WdfMemoryCreate(None, NonPagedPoolNx, 0, 16)
    assert bugcheck(WdfMemoryCopyFromBuffer, memory, 0, None, 1).parameters[:2] == (0x4, 0)


def test_read_only_memory_refuses_copy_from_buffer(machine):
    _, memory, _ = WdfMemoryCreate(None, NonPagedPoolNx, 0, 16)
    machine.objects[memory.value].read_only = True  # as request input memory of a write
    assert WdfMemoryCopyFromBuffer(memory, 0, b"x", 1) == STATUS_ACCESS_VIOLATION


def test_assign_buffer_on_non_preallocated_memory_is_0x10d_0x5_0x1022(machine):
    _, memory, _ = WdfMemoryCreate(None, NonPagedPoolNx, 0, 16)
    other = ExAllocatePoolWithTag(NonPagedPoolNx, 16, "1gaT")
    crash = bugcheck(WdfMemoryAssignBuffer, memory, other, 16)
    assert (crash.code, crash.parameters[:3]) == (WDF_VIOLATION, (0x5, memory.value, 0x1022))
    with pytest.raises(MachineHalted):
        WdfMemoryGetBuffer(memory)


def test_preallocated_memory_does_not_own_its_buffer(machine):
    buffer = ExAllocatePoolWithTag(NonPagedPoolNx, 32, "1gaT")
    status, memory = WdfMemoryCreatePreallocated(None, buffer, 32)
    assert status == STATUS_SUCCESS
    other = ExAllocatePoolWithTag(NonPagedPoolNx, 8, "1gaT")
    assert WdfMemoryAssignBuffer(memory, other, 8) == STATUS_SUCCESS
    assert WdfMemoryAssignBuffer(memory, other, 0) == STATUS_INVALID_PARAMETER
    WdfObjectDelete(memory)
    assert buffer.read(4)  # still valid: the caller owns it


def test_preallocated_null_buffer_bugchecks(machine):
    assert bugcheck(WdfMemoryCreatePreallocated, None, None, 8).parameters[0] == 0x4


def test_preallocated_zero_size_is_invalid_parameter(machine):
    buffer = ExAllocatePoolWithTag(NonPagedPoolNx, 8, "1gaT")
    assert WdfMemoryCreatePreallocated(None, buffer, 0) == (STATUS_INVALID_PARAMETER, None)


def test_buffer_of_deleted_memory_object_faults(machine):
    _, memory, buffer = WdfMemoryCreate(None, NonPagedPoolNx, 0, 64)
    WdfObjectDelete(memory)
    assert bugcheck(buffer.read, 1).code == 0x50
