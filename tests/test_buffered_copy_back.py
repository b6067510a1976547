"""What a buffered request's caller gets back: the I/O manager's copy-back by status severity."""
# ruff: noqa: F403, F405  (the tests use the DDI names exactly as a driver would)

import pytest

from wdfkit import *
from wdfkit.course import scenarios

IOCTL_BUFFERED = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
DATA = b"ABCDEFGH"


def driver(**callbacks):
    machine = boot("Toaster")
    add = scenarios.queue_driver(WdfDeviceIoBuffered, callbacks)
    assert machine.add_device(add) == STATUS_SUCCESS
    return machine


def fill_and_complete(status, information):
    """A callback that writes DATA into the output buffer and completes with *status*."""

    def callback(Queue, Request, *lengths):
        _, memory = WdfRequestRetrieveOutputMemory(Request)
        WdfMemoryCopyFromBuffer(memory, 0, DATA, len(DATA))
        WdfRequestCompleteWithInformation(Request, status, information)

    return callback


def test_severity_helpers_follow_the_two_top_bits():
    """ntdef.h: NT_SUCCESS is ``(LONG)Status >= 0``; NT_INFORMATION, NT_WARNING and NT_ERROR
    test the severity field ``(ULONG)Status >> 30`` for 1, 2 and 3."""
    cases = {
        STATUS_SUCCESS: (True, False, False, False),
        STATUS_WDF_QUEUED: (True, True, False, False),
        STATUS_BUFFER_OVERFLOW: (False, False, True, False),
        STATUS_INVALID_PARAMETER: (False, False, False, True),
    }
    for status, expected in cases.items():
        got = (NT_SUCCESS(status), NT_INFORMATION(status), NT_WARNING(status), NT_ERROR(status))
        assert got == expected, status
    assert int(STATUS_BUFFER_OVERFLOW) == 0x80000005
    assert repr(STATUS_BUFFER_OVERFLOW) == "STATUS_BUFFER_OVERFLOW (0x80000005)"


@pytest.mark.parametrize("status", [STATUS_SUCCESS, STATUS_BUFFER_OVERFLOW])
def test_buffered_read_completed_with_a_warning_still_copies_information_bytes(status):
    """IopCompleteRequest copies a buffered IRP's system buffer back when
    ``!NT_ERROR(Irp->IoStatus.Status)``, so
    STATUS_BUFFER_OVERFLOW (0x80000005, a warning: "here is the part that fits") with
    Information 5 gives the application 5 bytes, exactly as success does."""
    machine = driver(EvtIoRead=fill_and_complete(status, 5))
    buffer = bytearray(8)
    result = machine.application().ReadFile(buffer)
    assert (result.Status, result.Information) == (status, 5)
    assert bytes(buffer) == b"ABCDE\x00\x00\x00"


def test_buffered_read_completed_with_an_error_copies_nothing():
    """IopCompleteRequest skips the copy-back for an error status (``NT_ERROR``): the
    application's buffer keeps its own bytes even though the driver filled the system buffer
    and reported Information 5 (Information is still returned in the IO_STATUS_BLOCK)."""
    machine = driver(EvtIoRead=fill_and_complete(STATUS_INVALID_DEVICE_STATE, 5))
    buffer = bytearray(b"-" * 8)
    result = machine.application().ReadFile(buffer)
    assert (result.Status, result.Information) == (STATUS_INVALID_DEVICE_STATE, 5)
    assert bytes(buffer) == b"-" * 8


@pytest.mark.parametrize(
    "status, expected",
    [(STATUS_BUFFER_OVERFLOW, b"ABC-----"), (STATUS_UNSUCCESSFUL, b"--------")],
)
def test_method_buffered_ioctl_output_follows_the_same_rule(status, expected):
    """METHOD_BUFFERED output lives in the same system buffer and IopCompleteRequest copies it
    by the same test, ``!NT_ERROR``: a warning gives Information bytes, an error none."""
    machine = driver(EvtIoDeviceControl=fill_and_complete(status, 3))
    out = bytearray(b"-" * 8)
    result = machine.application().DeviceIoControl(IOCTL_BUFFERED, b"in", out)
    assert (result.Status, result.Information) == (status, 3)
    assert bytes(out) == expected


def test_verify_required_is_a_warning_that_copies_nothing():
    """IopCompleteRequest (the I/O manager's completion, iosubs.c in the Windows Research
    Kernel) copies a buffered IRP's system buffer back only when the status is neither an error
    nor STATUS_VERIFY_REQUIRED (0x80000016, removable media changed): that warning copies
    nothing, though NT_ERROR is false for it."""
    assert int(STATUS_VERIFY_REQUIRED) == 0x80000016 and NT_WARNING(STATUS_VERIFY_REQUIRED)
    machine = driver(EvtIoRead=fill_and_complete(STATUS_VERIFY_REQUIRED, 5))
    buffer = bytearray(8)
    result = machine.application().ReadFile(buffer)
    assert result.Status == STATUS_VERIFY_REQUIRED
    assert bytes(buffer) == bytes(8)
