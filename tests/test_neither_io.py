"""Neither I/O: WdfRequestRetrieveUnsafeUser{Input,Output}Buffer, WdfRequestProbeAndLockUser-
BufferFor{Read,Write} and WdfRequestGetRequestorMode (fxrequestapi.cpp, fxrequestkm.cpp,
fxrequestmemory.cpp), with the buffers' memory stored per request as the WDK's nonpnp sample
keeps it in its request context."""
# ruff: noqa: F403, F405  (the tests use the DDI names exactly as a driver would)

import pytest

from wdfkit import *
from wdfkit.course import scenarios
from wdfkit.sim.machine import current_machine

IOCTL_NEITHER = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_NEITHER, FILE_ANY_ACCESS)
IOCTL_BUFFERED = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)


def run(in_caller_context, io=None, io_type=WdfDeviceIoBuffered, mode=UserMode, **options):
    """Boot a driver whose EvtIoInCallerContext is *in_caller_context*, whose queue has the
    EvtIo callbacks in *options* (else EvtIoDefault *io*: complete with STATUS_SUCCESS), the
    rest of *options* being Machine options: ``(machine, application)`` in requestor *mode*."""
    callbacks = {k: options.pop(k) for k in list(options) if k.startswith("EvtIo")}
    callbacks.setdefault("EvtIoDefault", io or complete_success)
    add = scenarios.queue_driver(io_type, callbacks)

    def EvtDriverDeviceAdd(Driver, DeviceInit):
        WdfDeviceInitSetIoInCallerContextCallback(DeviceInit, in_caller_context)
        return add(Driver, DeviceInit)

    machine = boot("Toaster", **options)
    assert machine.add_device(EvtDriverDeviceAdd) == STATUS_SUCCESS
    return machine, machine.application(mode)


def complete_success(Queue, Request):
    WdfRequestComplete(Request, STATUS_SUCCESS)


def enqueue(Device, Request):
    assert WdfDeviceEnqueueRequest(Device, Request) == STATUS_SUCCESS


# -- WdfRequestRetrieveUnsafeUser…Buffer ----------------------------------------------------------
def unsafe(seen, required=0):
    def EvtIoInCallerContext(Device, Request):
        seen["in"] = WdfRequestRetrieveUnsafeUserInputBuffer(Request, required)
        seen["out"] = WdfRequestRetrieveUnsafeUserOutputBuffer(Request, required)
        enqueue(Device, Request)

    return EvtIoInCallerContext


def statuses(seen):
    return seen["in"][0], seen["out"][0]


def test_unsafe_buffers_of_a_method_neither_ioctl_are_the_callers_user_addresses():
    seen = {}
    machine, app = run(unsafe(seen))
    app.DeviceIoControl(IOCTL_NEITHER, b"hello", bytearray(16))
    (s_in, p_in, n_in), (s_out, p_out, n_out) = seen["in"], seen["out"]
    assert (s_in, n_in, s_out, n_out) == (STATUS_SUCCESS, 5, STATUS_SUCCESS, 16)
    assert p_in.address < 0x8000_0000_0000 and p_out.address < 0x8000_0000_0000
    assert machine.user_memory.buffer_at(p_in.address) is None  # gone with the IRP


@pytest.mark.parametrize(
    "call, expected",
    [
        ("read", (STATUS_INVALID_DEVICE_REQUEST, STATUS_SUCCESS)),
        ("write", (STATUS_SUCCESS, STATUS_INVALID_DEVICE_REQUEST)),
    ],
)
def test_a_neither_io_read_has_only_an_output_buffer_and_a_write_only_an_input(call, expected):
    seen = {}
    machine, app = run(unsafe(seen), io_type=WdfDeviceIoNeither)
    app.ReadFile(bytearray(4)) if call == "read" else app.WriteFile(b"four")
    assert statuses(seen) == expected


def test_buffered_and_direct_requests_and_internal_ioctls_are_refused():
    seen = {}
    machine, app = run(unsafe(seen))
    app.DeviceIoControl(IOCTL_BUFFERED, b"x", bytearray(1))
    assert statuses(seen) == (STATUS_INVALID_DEVICE_REQUEST,) * 2
    assert any("only METHOD_NEITHER" in line for line in machine.log_lines())  # input's break
    app.ReadFile(bytearray(1))
    assert statuses(seen) == (STATUS_INVALID_DEVICE_REQUEST,) * 2
    machine.application(KernelMode).DeviceIoControl(IOCTL_NEITHER, b"x", None, internal=True)
    assert statuses(seen) == (STATUS_INVALID_DEVICE_REQUEST,) * 2


def test_a_buffer_shorter_than_required_is_too_small_and_an_empty_one_is_null():
    seen = {}
    machine, app = run(unsafe(seen, required=6))
    app.DeviceIoControl(IOCTL_NEITHER, b"hello", bytearray(16))
    assert seen["in"] == (STATUS_BUFFER_TOO_SMALL, None, 0) and seen["out"][0] == STATUS_SUCCESS
    machine, app = run(unsafe(seen))
    app.DeviceIoControl(IOCTL_NEITHER, b"", None)
    assert seen["in"] == (STATUS_SUCCESS, None, 0) == seen["out"]


def test_outside_the_callers_context_kmdf_verifier_refuses_and_without_it_the_address_faults():
    seen = {}

    def EvtIoDeviceControl(Queue, Request, OutputBufferLength, InputBufferLength, Code):
        seen["in"] = WdfRequestRetrieveUnsafeUserInputBuffer(Request, 0)
        if seen["in"][1] is not None:
            seen["in"][1].read(1)
        WdfRequestComplete(Request, STATUS_SUCCESS)

    machine, app = run(enqueue, EvtIoDeviceControl=EvtIoDeviceControl)
    app.DeviceIoControl(IOCTL_NEITHER, b"hello", bytearray(1))
    assert seen["in"] == (STATUS_INVALID_DEVICE_REQUEST, None, 0)
    machine, app = run(enqueue, EvtIoDeviceControl=EvtIoDeviceControl, verifier=False)
    with pytest.raises(BugCheck):
        app.DeviceIoControl(IOCTL_NEITHER, b"hello", bytearray(1))
    assert seen["in"][0] == STATUS_SUCCESS
    assert machine.bugcheck.code == KMODE_EXCEPTION_NOT_HANDLED


def test_a_kernel_mode_requestors_neither_buffer_is_kernel_memory_usable_anywhere():
    seen = {}

    def EvtIoInCallerContext(Device, Request):
        seen["mode"] = WdfRequestGetRequestorMode(Request)
        enqueue(Device, Request)

    def EvtIoDeviceControl(Queue, Request, OutputBufferLength, InputBufferLength, Code):
        status, buffer, length = WdfRequestRetrieveUnsafeUserOutputBuffer(Request, 0)
        buffer.write(b"ok")
        WdfRequestCompleteWithInformation(Request, status, 2)

    machine, app = run(
        EvtIoInCallerContext, mode=KernelMode, verifier=False, EvtIoDeviceControl=EvtIoDeviceControl
    )
    out = bytearray(2)
    assert app.DeviceIoControl(IOCTL_NEITHER, b"", out).Status == STATUS_SUCCESS
    assert out == b"ok" and seen["mode"] == KernelMode


# -- WdfRequestProbeAndLockUserBufferFor… ---------------------------------------------------------
def sample_driver(memories):
    """The nonpnp sample's shape: EvtIoInCallerContext probes and locks a METHOD_NEITHER
    IOCTL's buffers and keeps the memory objects for the request (the sample's request
    context); EvtIoDeviceControl, later and in any thread, upper-cases input into output."""

    def EvtIoInCallerContext(Device, Request):
        _, inbuf, n_in = WdfRequestRetrieveUnsafeUserInputBuffer(Request, 0)
        _, outbuf, n_out = WdfRequestRetrieveUnsafeUserOutputBuffer(Request, 0)
        status, in_memory = WdfRequestProbeAndLockUserBufferForRead(Request, inbuf, n_in)
        if NT_SUCCESS(status):
            status, out_memory = WdfRequestProbeAndLockUserBufferForWrite(Request, outbuf, n_out)
        memories["status"] = status
        if not NT_SUCCESS(status):
            WdfRequestComplete(Request, status)
            return
        memories[Request] = (in_memory, out_memory)
        enqueue(Device, Request)

    def EvtIoDeviceControl(Queue, Request, OutputBufferLength, InputBufferLength, Code):
        in_memory, out_memory = memories[Request]
        source, _ = WdfMemoryGetBuffer(in_memory)
        target, _ = WdfMemoryGetBuffer(out_memory)
        target.write(source.read(InputBufferLength).upper())
        memories["parent"] = current_machine().objects[out_memory.value].parent.handle
        memories["request"] = Request
        WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, InputBufferLength)

    return EvtIoInCallerContext, EvtIoDeviceControl


def test_probe_and_lock_gives_memory_usable_from_any_context_until_completion():
    memories = {}
    caller, ioctl = sample_driver(memories)
    machine, app = run(caller, EvtIoDeviceControl=ioctl, timeline=True)
    blocks = len(machine.pool.live_blocks())
    out = bytearray(8)
    result = app.DeviceIoControl(IOCTL_NEITHER, b"hello", out)
    assert (result.Status, result.Information, out) == (STATUS_SUCCESS, 5, b"HELLO\0\0\0")
    assert memories["parent"] == memories["request"]
    in_memory, out_memory = memories[memories["request"]]
    assert in_memory.value not in machine.objects and out_memory.value not in machine.objects
    assert len(machine.pool.live_blocks()) == blocks  # MDLs, mappings and objects freed
    texts = [text for _, _, label, text in machine.timeline.events]
    assert texts[0] == "IRP_MJ_DEVICE_CONTROL from the application"  # presented once, to the
    assert texts.count("IRP_MJ_DEVICE_CONTROL from the application") == 1  # caller's context
    assert texts[-3:] == ["destroyed", "destroyed", "completed: handle invalid"]
    with pytest.raises(BugCheck):
        WdfMemoryGetBuffer(out_memory)  # died with its request


def test_the_locked_mdl_describes_the_user_pages_and_the_memory_for_read_is_read_only():
    seen = {}

    def EvtIoInCallerContext(Device, Request):
        _, inbuf, n = WdfRequestRetrieveUnsafeUserInputBuffer(Request, 0)
        status, memory = WdfRequestProbeAndLockUserBufferForRead(Request, inbuf, n)
        obj = machine.objects[memory.value]
        mdl = obj.mdl
        seen["mdl"] = (mdl.StartVa + mdl.ByteOffset, mdl.ByteCount, mdl.MdlFlags)
        seen["user"] = inbuf.address
        seen["copy"] = WdfMemoryCopyFromBuffer(memory, 0, b"x", 1)
        WdfRequestComplete(Request, STATUS_SUCCESS)

    machine, app = run(EvtIoInCallerContext)
    app.DeviceIoControl(IOCTL_NEITHER, b"hello", None)
    address, count, flags = seen["mdl"]
    assert (address, count) == (seen["user"], 5)
    assert flags & MDL_PAGES_LOCKED and flags & MDL_MAPPED_TO_SYSTEM_VA
    assert not flags & MDL_WRITE_OPERATION
    assert seen["copy"] == STATUS_ACCESS_VIOLATION


@pytest.mark.parametrize(
    "where, length, expected",
    [
        (lambda p: p, 0, STATUS_INVALID_USER_BUFFER),
        (lambda p: p, 1 << 32, STATUS_INVALID_USER_BUFFER),  # (ULONG) Length: 0
        (lambda p: p, 16 + 0x100, STATUS_SUCCESS),  # past the buffer, still on its page
        (lambda p: p, 0x1000, STATUS_ACCESS_VIOLATION),  # into the unmapped page after it
        (lambda p: p + 0x100000, 4, STATUS_ACCESS_VIOLATION),  # never mapped
        (lambda p: p + 0xFFFF_0000_0000_0000, 4, STATUS_ACCESS_VIOLATION),  # a kernel address
    ],
)
def test_probe_and_lock_statuses_for_bad_user_ranges(where, length, expected):
    memories = {}

    def EvtIoInCallerContext(Device, Request):
        _, outbuf, _ = WdfRequestRetrieveUnsafeUserOutputBuffer(Request, 0)
        memories["status"], _ = WdfRequestProbeAndLockUserBufferForWrite(
            Request, where(outbuf), length
        )
        WdfRequestComplete(Request, STATUS_SUCCESS)

    machine, app = run(EvtIoInCallerContext)
    app.DeviceIoControl(IOCTL_NEITHER, b"", bytearray(16))
    assert memories["status"] == expected
    assert machine.state == "running"


def test_a_read_only_user_buffer_cannot_be_locked_for_writing():
    memories = {}

    def EvtIoInCallerContext(Device, Request):
        _, inbuf, n = WdfRequestRetrieveUnsafeUserInputBuffer(Request, 0)
        memories["write"] = WdfRequestProbeAndLockUserBufferForWrite(Request, inbuf, n)[0]
        memories["read"] = WdfRequestProbeAndLockUserBufferForRead(Request, inbuf, n)[0]
        WdfRequestComplete(Request, STATUS_SUCCESS)

    machine, app = run(EvtIoInCallerContext)
    app.DeviceIoControl(IOCTL_NEITHER, b"const", None)
    assert memories == {"write": STATUS_ACCESS_VIOLATION, "read": STATUS_SUCCESS}


def test_a_kernel_mode_requestors_buffer_fails_the_user_mode_probe():
    memories = {}
    caller, ioctl = sample_driver(memories)
    machine, app = run(caller, EvtIoDeviceControl=ioctl, mode=KernelMode)
    result = app.DeviceIoControl(IOCTL_NEITHER, b"hello", bytearray(8))
    assert memories["status"] == STATUS_ACCESS_VIOLATION == result.Status


@pytest.mark.parametrize("verifier", [True, False])
def test_probe_and_lock_outside_the_callers_context_is_an_access_violation(verifier):
    seen = {}

    def EvtIoInCallerContext(Device, Request):
        seen["out"] = WdfRequestRetrieveUnsafeUserOutputBuffer(Request, 0)[1]
        enqueue(Device, Request)

    def EvtIoDeviceControl(Queue, Request, OutputBufferLength, InputBufferLength, Code):
        status, _ = WdfRequestProbeAndLockUserBufferForWrite(Request, seen["out"], 4)
        WdfRequestComplete(Request, status)

    machine, app = run(
        EvtIoInCallerContext, verifier=verifier, EvtIoDeviceControl=EvtIoDeviceControl
    )
    assert app.DeviceIoControl(IOCTL_NEITHER, b"", bytearray(4)).Status == STATUS_ACCESS_VIOLATION
    wrong_process = any("wrong process" in line for line in machine.log_lines())
    assert wrong_process == verifier  # KMDF Verifier's VerifyProbeAndLock, else the probe


def test_probe_and_lock_argument_checks():
    def with_buffer(check):
        def EvtIoInCallerContext(Device, Request):
            check(Request, WdfRequestRetrieveUnsafeUserOutputBuffer(Request, 0)[1])

        return EvtIoInCallerContext

    def null_buffer(Request, buffer):
        WdfRequestProbeAndLockUserBufferForRead(Request, None, 4)

    machine, app = run(with_buffer(null_buffer))
    with pytest.raises(BugCheck):
        app.DeviceIoControl(IOCTL_NEITHER, b"", bytearray(4))
    assert machine.bugcheck.parameters[0] == WDF_REQUIRED_PARAMETER_IS_NULL

    def number_buffer(Request, buffer):
        WdfRequestProbeAndLockUserBufferForRead(Request, buffer.address, 4)

    machine, app = run(with_buffer(number_buffer))
    with pytest.raises(TypeError, match="WdfRequestProbeAndLockUserBufferForRead: Buffer"):
        app.DeviceIoControl(IOCTL_NEITHER, b"", bytearray(4))

    def negative_length(Request, buffer):
        WdfRequestProbeAndLockUserBufferForWrite(Request, buffer, -1)

    machine, app = run(with_buffer(negative_length))
    with pytest.raises(ValueError, match="WdfRequestProbeAndLockUserBufferForWrite: Length"):
        app.DeviceIoControl(IOCTL_NEITHER, b"", bytearray(4))


def test_probe_and_lock_above_passive_level_is_refused_under_kmdf_verifier():
    seen = {}

    def EvtIoInCallerContext(Device, Request):
        buffer = WdfRequestRetrieveUnsafeUserOutputBuffer(Request, 0)[1]
        old = KeRaiseIrql(DISPATCH_LEVEL)
        seen["status"] = WdfRequestProbeAndLockUserBufferForWrite(Request, buffer, 4)[0]
        seen["unsafe"] = WdfRequestRetrieveUnsafeUserOutputBuffer(Request, 0)[0]
        KeLowerIrql(old)
        WdfRequestComplete(Request, STATUS_SUCCESS)

    machine, app = run(EvtIoInCallerContext)
    app.DeviceIoControl(IOCTL_NEITHER, b"", bytearray(4))
    assert seen == {
        "status": STATUS_INVALID_DEVICE_REQUEST,
        "unsafe": STATUS_INVALID_DEVICE_REQUEST,
    }


def test_probe_and_lock_with_pool_exhausted_is_insufficient_resources():
    seen = {}

    def EvtIoInCallerContext(Device, Request):
        buffer = WdfRequestRetrieveUnsafeUserOutputBuffer(Request, 0)[1]
        machine.pool.limit = machine.pool.in_use[False]  # nothing more to hand out
        seen["status"] = WdfRequestProbeAndLockUserBufferForWrite(Request, buffer, 4)[0]
        WdfRequestComplete(Request, STATUS_SUCCESS)

    machine, app = run(EvtIoInCallerContext)
    app.DeviceIoControl(IOCTL_NEITHER, b"", bytearray(4))
    assert seen["status"] == STATUS_INSUFFICIENT_RESOURCES


def test_a_reference_still_held_on_locked_memory_at_completion_is_wdf_violation():
    def EvtIoInCallerContext(Device, Request):
        buffer = WdfRequestRetrieveUnsafeUserOutputBuffer(Request, 0)[1]
        _, memory = WdfRequestProbeAndLockUserBufferForWrite(Request, buffer, 4)
        WdfObjectReference(memory)
        WdfRequestComplete(Request, STATUS_SUCCESS)

    machine, app = run(EvtIoInCallerContext)
    with pytest.raises(BugCheck):
        app.DeviceIoControl(IOCTL_NEITHER, b"", bytearray(4))
    assert machine.bugcheck.code == WDF_VIOLATION
    assert machine.bugcheck.parameters[:3:2] == (0x3, 1)  # WDF_VERIFIER_FATAL_ERROR, 1 held


def test_requestor_mode():
    modes = []

    def EvtIoInCallerContext(Device, Request):
        modes.append(WdfRequestGetRequestorMode(Request))
        WdfRequestComplete(Request, STATUS_SUCCESS)

    machine, app = run(EvtIoInCallerContext)
    app.ReadFile(bytearray(1))
    machine.application(KernelMode).ReadFile(bytearray(1))
    assert modes == [UserMode, KernelMode]
    with pytest.raises(BugCheck):
        WdfRequestGetRequestorMode(None)


@pytest.mark.parametrize("verifier", [True, False])
def test_a_completed_request_still_referenced(verifier):
    seen = {}

    def EvtIoInCallerContext(Device, Request):
        buffer = WdfRequestRetrieveUnsafeUserOutputBuffer(Request, 0)[1]
        WdfObjectReference(Request)
        WdfRequestComplete(Request, STATUS_SUCCESS)
        seen["probe"] = WdfRequestProbeAndLockUserBufferForWrite(Request, buffer, 4)[0]
        seen["mode"] = WdfRequestGetRequestorMode(Request)
        WdfObjectDereference(Request)

    machine, app = run(EvtIoInCallerContext, mode=KernelMode, verifier=verifier)
    app.DeviceIoControl(IOCTL_NEITHER, b"", bytearray(4))
    assert seen["probe"] == STATUS_INVALID_DEVICE_REQUEST
    assert seen["mode"] == (UserMode if verifier else KernelMode)  # Verifier: "completed"
