"""Issue 16 item 11: the application side — a process, CreateFile by symbolic link or device
interface, ReadFile/WriteFile/DeviceIoControl synchronous and overlapped, GetOverlappedResult,
CancelIo/CancelIoEx, CloseHandle (wdfkit.kernel.iomanager)."""
# ruff: noqa: F403, F405  (the tests use the DDI names exactly as a driver would)

import uuid

import pytest

from wdfkit import *
from wdfkit.course import scenarios

GUID_TEST = uuid.UUID("5d8e6f1a-2b3c-4d5e-8f90-a1b2c3d4e5f6")


def named_machine(callbacks=None, parallel=True):
    """A device named \\Device\\Test with the link \\??\\TEST and an interface of GUID_TEST
    (reference string "ref"), as WdfDeviceInitAssignName, WdfDeviceCreateSymbolicLink and
    WdfDeviceCreateDeviceInterface make them; ``held`` keeps the reads the driver holds."""
    held = []

    def EvtIoRead(Queue, Request, Length):
        held.append(Request)

    callbacks = callbacks or {"EvtIoRead": EvtIoRead}
    machine = boot("Toaster")
    machine.add_device(scenarios.queue_driver(WdfDeviceIoBuffered, callbacks, parallel=parallel))
    device = machine.devices[0]
    names = machine.namespace
    assert names.insert_device("\\Device\\Test", device) == STATUS_SUCCESS
    assert names.create_symbolic_link("\\DosDevices\\TEST", "\\Device\\Test") == STATUS_SUCCESS
    status, link = names.register_interface(GUID_TEST, device, "ROOT\\TEST\\0000", "ref")
    assert status == STATUS_SUCCESS and names.set_interface_state(link, True) == STATUS_SUCCESS
    machine.held = held
    return machine


def cancel_by_completing(machine, request):
    """An IRP cancel routine set by hand (as the framework's would be): complete the request."""

    def routine(irp):
        with machine:
            WdfRequestComplete(request, STATUS_CANCELLED)

    return routine


# -- CreateFile -------------------------------------------------------------------------------
def test_createfile_by_symbolic_link_and_io_on_the_handle():
    machine = named_machine({"EvtIoRead": lambda q, r, n: WdfRequestComplete(r, STATUS_SUCCESS)})
    status, handle = machine.process().CreateFile("\\\\.\\TEST")
    assert status == STATUS_SUCCESS and handle is not None
    assert handle.ReadFile(bytearray(4)).Status == STATUS_SUCCESS
    assert "IRP_MJ_CREATE" in "".join(machine.log_lines())
    assert handle.CloseHandle() == STATUS_SUCCESS


def test_createfile_by_interface_path():
    machine = named_machine()
    process = machine.process()
    (path,) = process.CM_Get_Device_Interface_List(GUID_TEST)
    assert path.startswith("\\\\?\\ROOT#TEST#0000#{") and path.endswith("}\\ref")
    status, handle = process.CreateFile(path)
    assert status == STATUS_SUCCESS and handle.file_object.FileName == "\\ref"


def test_createfile_statuses_for_names_that_lead_nowhere():
    process = named_machine().process()
    assert process.CreateFile("\\\\.\\NOSUCH") == (STATUS_OBJECT_NAME_NOT_FOUND, None)
    assert process.CreateFile("C:\\file.txt") == (STATUS_OBJECT_PATH_NOT_FOUND, None)
    assert process.CM_Get_Device_Interface_List(uuid.uuid4()) == []


def test_createfile_refuses_a_second_open_of_an_exclusive_device_until_the_first_is_closed():
    machine = named_machine()
    machine.devices[0].exclusive = True  # WdfDeviceInitSetExclusive(DeviceInit, TRUE)
    process = machine.process()
    status, first = process.CreateFile("\\\\.\\TEST")
    assert status == STATUS_SUCCESS
    assert process.CreateFile("\\\\.\\TEST") == (STATUS_ACCESS_DENIED, None)
    first.CloseHandle()
    assert process.CreateFile("\\\\.\\TEST")[0] == STATUS_SUCCESS


def test_createfile_refuses_a_removed_device():
    machine = named_machine()
    machine.devices[0].removed = True  # set once removal starts (machine.remove_device)
    assert machine.process().CreateFile("\\\\.\\TEST") == (STATUS_NO_SUCH_DEVICE, None)


def test_createfile_refuses_bad_arguments():
    process = named_machine().process()
    with pytest.raises(TypeError, match="^CreateFile: FileName"):
        process.CreateFile(b"\\\\.\\TEST")
    with pytest.raises(TypeError, match="^CreateFile: overlapped"):
        process.CreateFile("\\\\.\\TEST", overlapped=1)
    with pytest.raises(TypeError, match="^CM_Get_Device_Interface_List"):
        process.CM_Get_Device_Interface_List("{5d8e6f1a-2b3c-4d5e-8f90-a1b2c3d4e5f6}")


def test_application_opens_the_first_device_without_a_create_irp():
    """machine.application() on a device with no file object config: no IRP_MJ_CREATE, no pool
    touched, as the lessons have always had it."""
    machine = named_machine()
    before = [b.address for b in machine.pool.live_blocks()]
    app = machine.application()
    assert [b.address for b in machine.pool.live_blocks()] == before
    assert "IRP_MJ_CREATE" not in "".join(machine.log_lines())
    app.ReadFile(bytearray(4), overlapped=True)
    assert machine.held  # its I/O reaches the driver as before


# -- overlapped I/O and waiting ------------------------------------------------------------------
def test_getoverlappedresult_with_and_without_waiting():
    machine = named_machine()
    _, handle = machine.process().CreateFile("\\\\.\\TEST", overlapped=True)
    io = handle.ReadFile(bytearray(4), overlapped=True)
    assert handle.GetOverlappedResult(io, False) == IO_STATUS_BLOCK(STATUS_PENDING, 0)
    machine.clock.schedule(10**7, lambda: WdfRequestCompleteWithInformation(
        machine.held[0], STATUS_SUCCESS, 4
    ))  # fmt: skip
    assert handle.GetOverlappedResult(io, True) == IO_STATUS_BLOCK(STATUS_SUCCESS, 4)
    assert machine.clock.seconds == 1
    with pytest.raises(TypeError, match="^GetOverlappedResult: io"):
        machine.application().GetOverlappedResult(io, True)
    with pytest.raises(TypeError, match="^GetOverlappedResult: bWait"):
        handle.GetOverlappedResult(io, 1)


def test_a_synchronous_handle_waits_even_for_an_overlapped_call():
    machine = named_machine({"EvtIoRead": lambda q, r, n: WdfRequestComplete(r, STATUS_SUCCESS)})
    _, handle = machine.process().CreateFile("\\\\.\\TEST")
    io = handle.ReadFile(bytearray(4), overlapped=True)
    assert io == IO_STATUS_BLOCK(STATUS_SUCCESS, 0)


# -- cancellation -------------------------------------------------------------------------------
def test_cancelio_cancels_the_handles_pending_io_and_waits_for_it():
    machine = named_machine()
    _, handle = machine.process().CreateFile("\\\\.\\TEST", overlapped=True)
    ios = [handle.ReadFile(bytearray(4), overlapped=True) for _ in range(2)]
    for request in machine.held:
        irp = machine.objects[request.value].irp
        irp.set_cancel_routine(cancel_by_completing(machine, request))
    assert handle.CancelIo() == STATUS_SUCCESS
    assert [io.IoStatus.Status for io in ios] == [STATUS_CANCELLED, STATUS_CANCELLED]
    assert handle.CancelIo() == STATUS_SUCCESS  # nothing left: still a success


def test_cancelio_on_a_driver_that_ignores_cancellation_is_a_reported_hang():
    machine = named_machine()
    _, handle = machine.process().CreateFile("\\\\.\\TEST", overlapped=True)
    io = handle.ReadFile(bytearray(4), overlapped=True)
    assert handle.CancelIo() == STATUS_SUCCESS
    assert not io.done and io.irp.Cancel
    assert "CancelIo (waiting for 1 cancelled IRP(s)) is still waiting" in machine.log_lines()[-1]


def test_cancelioex_cancels_one_request_or_all_and_says_when_there_is_none():
    machine = named_machine()
    _, handle = machine.process().CreateFile("\\\\.\\TEST", overlapped=True)
    assert handle.CancelIoEx() == STATUS_NOT_FOUND
    ios = [handle.ReadFile(bytearray(4), overlapped=True) for _ in range(3)]
    for request in machine.held:
        irp = machine.objects[request.value].irp
        irp.set_cancel_routine(cancel_by_completing(machine, request))
    assert handle.CancelIoEx(ios[1]) == STATUS_SUCCESS
    assert [io.done for io in ios] == [False, True, False]
    assert handle.CancelIoEx(ios[1]) == STATUS_NOT_FOUND  # already completed
    assert handle.CancelIoEx() == STATUS_SUCCESS
    assert all(io.IoStatus.Status == STATUS_CANCELLED for io in ios)
    with pytest.raises(TypeError, match="^CancelIoEx: io"):
        handle.CancelIoEx(5)


# -- closing ------------------------------------------------------------------------------------
def test_a_closed_handle_answers_status_invalid_handle():
    machine = named_machine()
    _, handle = machine.process().CreateFile("\\\\.\\TEST", overlapped=True)
    assert handle.CloseHandle() == STATUS_SUCCESS
    assert handle.CloseHandle() == STATUS_INVALID_HANDLE
    assert handle.ReadFile(bytearray(4)) == IO_STATUS_BLOCK(STATUS_INVALID_HANDLE, 0)
    assert handle.WriteFile(b"x", overlapped=True).IoStatus.Status == STATUS_INVALID_HANDLE
    assert handle.CancelIo() == STATUS_INVALID_HANDLE
    assert handle.CancelIoEx() == STATUS_INVALID_HANDLE


def test_closehandle_sends_cleanup_now_and_close_after_the_last_irp_completes():
    machine = named_machine()
    _, handle = machine.process().CreateFile("\\\\.\\TEST", overlapped=True)
    io = handle.ReadFile(bytearray(4), overlapped=True)
    handle.CloseHandle()
    log = "".join(machine.log_lines())
    assert "IRP_MJ_CLEANUP" in log and "IRP_MJ_CLOSE" not in log
    assert machine.devices[0].ReferenceCount == 1  # the file object still references it
    WdfRequestComplete(machine.held[0], STATUS_SUCCESS)
    assert io.done
    machine.advance(0)  # the completing thread's APC drops the last reference
    assert "IRP_MJ_CLOSE" in machine.log_lines()[-2]
    assert machine.devices[0].ReferenceCount == 0


def test_closing_the_applications_handle_sends_cleanup_and_close_and_keeps_the_count():
    machine = named_machine()
    app = machine.application()
    assert app.CloseHandle() == STATUS_SUCCESS
    log = "".join(machine.log_lines())
    assert "CloseHandle: IRP_MJ_CLEANUP" in log and "CloseHandle: IRP_MJ_CLOSE" in log
    assert machine.devices[0].general.open_handle_count == 1  # the bias: the open was unseen


def test_application_on_an_exclusive_device_opens_it_with_a_create():
    """A device that asks something of a create is opened as CreateFile opens it; a second
    application() is refused as a second CreateFile would be."""
    machine = named_machine()
    machine.devices[0].exclusive = True
    machine.application()
    assert "IRP_MJ_CREATE" in "".join(machine.log_lines())
    with pytest.raises(RuntimeError, match="^Machine.application: .*STATUS_ACCESS_DENIED"):
        machine.application()
