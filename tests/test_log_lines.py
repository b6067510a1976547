"""What the framework log says about the driver's pool calls, IOCTLs, completions and power-off.

The driver's ExAllocatePoolWithTag / ExAllocatePool2 / ExFreePoolWithTag / ExFreePool are logged
as WDF DDIs are (the address, the size, the tag as ``!pool`` prints it), so a 0xD5's Arg1 can be
matched to its block; KMDF's own pool use (WdfMemoryCreate's buffers) is the framework's and is
not logged as these DDIs.
"""
# ruff: noqa: F403, F405  (the tests use the DDI names exactly as a driver would)

import pytest

from wdfkit import *
from wdfkit.course import scenarios


def lines_with(machine, text):
    return [line for line in machine.log_lines() if text in line]


def test_the_drivers_pool_calls_are_logged_with_address_size_and_tag(machine):
    p = ExAllocatePoolWithTag(NonPagedPoolNx, 40, "bawB")
    q = ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, "bawB")
    ExFreePoolWithTag(q, "bawB")
    ExFreePool(p)
    assert [line.split("] ", 1)[1] for line in machine.log_lines()[-4:]] == [
        f"ExAllocatePoolWithTag(NonPagedPoolNx, 0x28, 'Bwab') -> 0x{p.address:016X}",
        f"ExAllocatePool2(0x40, 0x10, 'Bwab') -> 0x{q.address:016X}",
        f"ExFreePoolWithTag(0x{q.address:016X}, 'Bwab')",
        f"ExFreePool(0x{p.address:016X})",
    ]


def test_a_failed_allocation_is_logged_as_null():
    with Machine(pool_limit=4096) as machine:
        assert ExAllocatePoolWithTag(PagedPool, 8192, "bawB") is None
        assert machine.log_lines()[-1].endswith(
            "ExAllocatePoolWithTag(PagedPool, 0x2000, 'Bwab') -> NULL: the pool is exhausted"
        )


def test_a_0xd5s_arg1_is_an_address_the_log_shows(machine):
    p = ExAllocatePoolWithTag(NonPagedPoolNx, 8, "bawB")
    ExAllocatePoolWithTag(NonPagedPoolNx, 8, "bawB")
    ExFreePoolWithTag(p, "bawB")
    with pytest.raises(BugCheck) as info:
        p.write(b"x")
    assert info.value.code == DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL
    named = lines_with(machine, f"0x{info.value.parameters[0]:016X}")
    assert [line.split("] ", 1)[1].split("(")[0] for line in named] == [
        "ExAllocatePoolWithTag",
        "ExFreePoolWithTag",
        "*** BUG CHECK 0xD5 DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL ",
    ]


def test_wdfmemorycreate_logs_no_pool_ddi(machine):
    WdfMemoryCreate(None, NonPagedPoolNx, 0, 64)
    assert not lines_with(machine, "ExAllocatePool")


def EvtIoDeviceControl(Queue, Request, OutputBufferLength, InputBufferLength, Code):
    WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, 0)


def ioctl_machine():
    machine = Machine()
    add = scenarios.queue_driver(WdfDeviceIoBuffered, {"EvtIoDeviceControl": EvtIoDeviceControl})
    machine.add_device(add)
    return machine


def test_an_ioctl_code_is_logged_in_hex_and_the_completion_under_the_ddi_called():
    machine = ioctl_machine()
    machine.application().DeviceIoControl(0x222000, b"ab", bytearray(3))
    (presented,) = lines_with(machine, "EvtIoDeviceControl(")
    assert presented.endswith(", 3, 2, 0x222000)")
    (completed,) = lines_with(machine, "WdfRequestComplete")
    assert "WdfRequestCompleteWithInformation(WDFREQUEST " in completed
    assert completed.endswith("STATUS_SUCCESS (0x00000000), 0)")


def test_a_removed_devices_queue_is_logged_powered_off_once():
    machine = ioctl_machine()
    machine.remove_device()
    assert len(lines_with(machine, "is powered off")) == 1
