"""The WDK echo sample (general/echo/kmdf/driver/AutoSync) on wdfkit, driven as echoapp drives it.

wdfkit.course.samples transcribes driver.c, device.c and queue.c; these tests load it with its
own DriverEntry, let the PnP manager find and start one device, and do what echoapp.cpp does on
Windows: find the device by its interface GUID (CM_Get_Device_Interface_List), open it, write a
pattern and read it back (PerformWriteReadTest with 512 and 30 KB), and in -Async mode keep
100 reads and 100 writes of 40 KB outstanding on an overlapped handle.  Then what echoapp
relies on without testing it: CancelIo and closing the handle with I/O outstanding, removing
the device (self-managed I/O suspend) and unloading the driver with no pool left behind.

Timing: the timer's first tick is 100 ms after the device starts (EchoEvtDeviceSelfManaged-
IoStart), then one every TIMER_PERIOD (2 s); the queue is sequential, so each tick completes the
one request the driver holds and the queue presents the next.

The break-it cases at the end are lesson 12's; their expected answers come from the KMDF
source as cited.
"""

import pytest

from wdfkit import (
    CANCEL_STATE_IN_COMPLETED_IRP,
    DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL,
    DRIVER_VERIFIER_DETECTED_VIOLATION,
    NT_SUCCESS,
    STATUS_BUFFER_OVERFLOW,
    STATUS_CANCELLED,
    STATUS_SUCCESS,
    WDF_INVALID_HANDLE,
    WDF_VIOLATION,
    BugCheck,
    ExFreePool,
    Machine,
    WdfDeviceGetDefaultQueue,
    WdfIoQueueStopSynchronously,
    WdfMemoryCopyFromBuffer,
    WdfMemoryGetBuffer,
    WdfRequestComplete,
    WdfRequestCompleteWithInformation,
    WdfRequestMarkCancelable,
    WdfRequestRetrieveOutputMemory,
    WdfRequestUnmarkCancelable,
    WdfTimerGetParentObject,
    WdfTimerStop,
)
from wdfkit.course import samples
from wdfkit.kernel.pool import DRIVER

FIRST_TICK = 0.1  # seconds from the device's start to the timer's first tick
PERIOD = 2.0  # TIMER_PERIOD, in seconds
NUM_ASYNCH_IO = 100  # echoapp.cpp: outstanding reads, and writes, in -Async mode
BUFFER_SIZE = 40 * 1024  # echoapp.cpp: each asynchronous read and write


def pattern(length: int, first: int = 0) -> bytes:
    """CreatePatternBuffer: byte i is (first + i) & 0xFF."""
    return bytes((first + i) & 0xFF for i in range(length))


def load_echo(**options) -> tuple[Machine, float]:
    """Load the driver (its DriverEntry), let PnP add and start one echo device.

    Returns the machine and the virtual time the device started at."""
    machine = Machine("echo", DriverEntry=samples.EchoDriverEntry, **options)
    with machine:
        assert machine.add_device() == STATUS_SUCCESS
    return machine, machine.clock.seconds


def open_echo(machine: Machine, overlapped: bool = False):
    """echoapp's GetDevicePath and CreateFile: the first interface of GUID_DEVINTERFACE_ECHO."""
    app = machine.process()
    paths = app.CM_Get_Device_Interface_List(samples.GUID_DEVINTERFACE_ECHO)
    assert len(paths) == 1
    status, hDevice = app.CreateFile(paths[0], overlapped=overlapped)
    assert status == STATUS_SUCCESS
    return app, hDevice


def driver_pool(machine: Machine) -> list:
    """The pool blocks the driver allocated itself and has not freed."""
    return [block for block in machine.pool.live_blocks() if block.owner == DRIVER]


# -- what echoapp does -------------------------------------------------------------------------
def test_write_then_read_back_as_echoapp_does():
    """PerformWriteReadTest(512) then (30 KB): each write and each read is held until a tick."""
    machine, start = load_echo()
    with machine:
        app, hDevice = open_echo(machine)
        ticks = 0
        for length in (512, 30 * 1024):
            written = hDevice.WriteFile(pattern(length))
            assert (written.Status, written.Information) == (STATUS_SUCCESS, length)
            ReadBuffer = bytearray(length)
            read = hDevice.ReadFile(ReadBuffer)
            assert (read.Status, read.Information) == (STATUS_SUCCESS, length)
            assert bytes(ReadBuffer) == pattern(length)  # VerifyPatternBuffer
            ticks += 2
        assert machine.clock.seconds == pytest.approx(start + FIRST_TICK + (ticks - 1) * PERIOD)
        hDevice.CloseHandle()


def test_what_completes_at_once():
    """A read before any write (nothing to echo: 0 bytes), a zero-length read (the queue
    completes it; the driver never sees it) and a write over MAX_WRITE_LENGTH
    (STATUS_BUFFER_OVERFLOW) complete without waiting for a tick."""
    machine, start = load_echo()
    with machine:
        app, hDevice = open_echo(machine)
        first = hDevice.ReadFile(bytearray(16))
        assert (first.Status, first.Information) == (STATUS_SUCCESS, 0)
        empty = hDevice.ReadFile(bytearray(0))
        assert (empty.Status, empty.Information) == (STATUS_SUCCESS, 0)
        too_long = hDevice.WriteFile(bytes(samples.MAX_WRITE_LENGTH + 1))
        assert (too_long.Status, too_long.Information) == (STATUS_BUFFER_OVERFLOW, 0)
        assert machine.clock.seconds == start
        assert driver_pool(machine) == []  # the refused write allocated nothing


def test_async_mode_keeps_a_hundred_reads_and_writes_outstanding():
    """echoapp -Async 100: 100 writes and 100 reads of 40 KB on an overlapped handle, all
    issued before the first completes.  The sequential queue feeds the driver one at a time and
    each tick completes one, so the last is done 199 periods after the first tick — far longer
    than any fixed give-up time; each wait lasts as long as the timer is still scheduled."""
    machine, start = load_echo()
    with machine:
        app, hDevice = open_echo(machine, overlapped=True)
        buffers = [bytearray(BUFFER_SIZE) for _ in range(NUM_ASYNCH_IO)]
        writes, reads = [], []
        for i in range(NUM_ASYNCH_IO):
            writes.append(hDevice.WriteFile(pattern(BUFFER_SIZE, i), overlapped=True))
            reads.append(hDevice.ReadFile(buffers[i], overlapped=True))
        assert not any(io.done for io in writes + reads)
        for i in range(NUM_ASYNCH_IO):
            written = hDevice.GetOverlappedResult(writes[i], True)
            assert (written.Status, written.Information) == (STATUS_SUCCESS, BUFFER_SIZE)
            read = hDevice.GetOverlappedResult(reads[i], True)
            assert (read.Status, read.Information) == (STATUS_SUCCESS, BUFFER_SIZE)
            assert bytes(buffers[i]) == pattern(BUFFER_SIZE, i)  # what write i left
        last = start + FIRST_TICK + (2 * NUM_ASYNCH_IO - 1) * PERIOD
        assert machine.clock.seconds == pytest.approx(last)
        hDevice.CloseHandle()


def test_CancelIo_cancels_the_held_read_and_the_waiting_ones():
    """Eight reads outstanding: the driver holds the first (marked cancelable), seven wait in
    the queue.  CancelIo cancels them all at once, without waiting for a tick: the held one
    through EchoEvtRequestCancel (which clears CurrentRequest), the others in the queue.  The
    driver is fine afterwards: the next read gets the data at the next tick."""
    machine, start = load_echo()
    with machine:
        app, hDevice = open_echo(machine, overlapped=True)
        written = hDevice.GetOverlappedResult(hDevice.WriteFile(pattern(64), overlapped=True), True)
        assert written.Status == STATUS_SUCCESS
        reads = [hDevice.ReadFile(bytearray(64), overlapped=True) for _ in range(8)]
        machine.advance(PERIOD / 4)  # between two ticks
        assert not any(io.done for io in reads)
        hDevice.CancelIo()
        for io in reads:
            result = hDevice.GetOverlappedResult(io, True)
            assert (result.Status, result.Information) == (STATUS_CANCELLED, 0)
        next_tick = start + FIRST_TICK + PERIOD
        assert machine.clock.seconds < next_tick  # cancelled, not completed by the timer
        ReadBuffer = bytearray(64)
        again = hDevice.GetOverlappedResult(hDevice.ReadFile(ReadBuffer, overlapped=True), True)
        assert (again.Status, again.Information) == (STATUS_SUCCESS, 64)
        assert bytes(ReadBuffer) == pattern(64)
        assert machine.clock.seconds == pytest.approx(next_tick)


def test_closing_the_handle_flushes_its_waiting_requests():
    """CloseHandle with four reads outstanding.  IRP_MJ_CLEANUP makes KMDF cancel the requests
    of that file object still waiting in its queues (FxPkgGeneral::OnCleanup ->
    FxPkgIo::FlushAllQueuesByFileObject -> FxIoQueue::FlushByFileObject, fxioqueue.cpp); the one
    the driver holds is the driver's to finish, and the timer completes it at the next tick.
    (The I/O manager itself cancels a thread's IRPs when the thread exits, IoCancelThreadIo,
    not when a handle is closed.)"""
    machine, start = load_echo()
    with machine:
        app, hDevice = open_echo(machine, overlapped=True)
        hDevice.GetOverlappedResult(hDevice.WriteFile(pattern(32), overlapped=True), True)
        reads = [hDevice.ReadFile(bytearray(32), overlapped=True) for _ in range(4)]
        machine.advance(PERIOD / 4)
        hDevice.CloseHandle()
        assert [io.IoStatus.Status for io in reads[1:]] == [STATUS_CANCELLED] * 3
        machine.advance(PERIOD)
        assert (reads[0].IoStatus.Status, reads[0].IoStatus.Information) == (STATUS_SUCCESS, 32)


@pytest.mark.parametrize("surprise", [False, True])
def test_removal_with_io_outstanding(surprise, monkeypatch):
    """Removing the device (orderly or surprise) while the driver holds a read and three more
    wait: KMDF calls EvtDeviceSelfManagedIoSuspend, which stops the queue and waits until the
    driver owns nothing — the timer completes the held read at the next tick — then stops the
    timer.  The removal then purges the queue: the waiting reads are cancelled.  The interface
    is gone from the list echoapp reads."""
    suspended = []
    sample_suspend = samples.EchoEvtDeviceSelfManagedIoSuspend

    def Suspend(Device):
        suspended.append(machine.clock.seconds)
        return sample_suspend(Device)

    monkeypatch.setattr(samples, "EchoEvtDeviceSelfManagedIoSuspend", Suspend)
    machine, start = load_echo()
    with machine:
        app, hDevice = open_echo(machine, overlapped=True)
        hDevice.GetOverlappedResult(hDevice.WriteFile(pattern(48), overlapped=True), True)
        buffers = [bytearray(48) for _ in range(4)]
        reads = [hDevice.ReadFile(buffer, overlapped=True) for buffer in buffers]
        machine.advance(PERIOD / 4)
        machine.remove_device(surprise=surprise)
        assert len(suspended) == 1
        assert (reads[0].IoStatus.Status, reads[0].IoStatus.Information) == (STATUS_SUCCESS, 48)
        assert bytes(buffers[0]) == pattern(48)
        assert [io.IoStatus.Status for io in reads[1:]] == [STATUS_CANCELLED] * 3
        assert machine.clock.seconds == pytest.approx(start + FIRST_TICK + PERIOD)
        assert app.CM_Get_Device_Interface_List(samples.GUID_DEVINTERFACE_ECHO) == []
        hDevice.CloseHandle()
        machine.unload()
    assert machine.state == "unloaded"
    assert driver_pool(machine) == []


def test_unload_waits_for_the_held_request_and_leaks_nothing():
    """Unloading removes the device first (the same path), so the held write still completes at
    the next tick; the queue's EvtDestroyCallback frees the kept buffer, and Driver Verifier's
    leak check at unload finds nothing."""
    machine, start = load_echo()
    with machine:
        app, hDevice = open_echo(machine, overlapped=True)
        write = hDevice.WriteFile(pattern(100), overlapped=True)
        machine.unload()
    assert (write.IoStatus.Status, write.IoStatus.Information) == (STATUS_SUCCESS, 100)
    assert machine.state == "unloaded"
    assert machine.bugcheck is None
    assert driver_pool(machine) == []


def test_without_the_destroy_callback_the_kept_buffer_leaks(monkeypatch):
    """The same run with EchoEvtIoQueueContextDestroy doing nothing: the last write's buffer is
    never freed, and Driver Verifier stops the machine at unload with 0xC4/0x62."""
    monkeypatch.setattr(samples, "EchoEvtIoQueueContextDestroy", lambda Object: None)
    machine, start = load_echo()
    with machine:
        app, hDevice = open_echo(machine)
        assert hDevice.WriteFile(pattern(100)).Status == STATUS_SUCCESS
        hDevice.CloseHandle()
        with pytest.raises(BugCheck) as caught:
            machine.unload()
    assert caught.value.code == DRIVER_VERIFIER_DETECTED_VIOLATION
    assert caught.value.parameters[0] == 0x62


# -- break it (lesson 12) ----------------------------------------------------------------------
def EchoEvtTimerFuncWithoutUnmark(Timer):
    """The timer completes the held request without WdfRequestUnmarkCancelable first."""
    queueContext = samples.QueueGetContext(WdfTimerGetParentObject(Timer))
    Request = queueContext.CurrentRequest
    if Request is not None:
        queueContext.CurrentRequest = None
        WdfRequestComplete(Request, queueContext.CurrentStatus)


def test_break_completing_a_cancelable_request(monkeypatch):
    """KMDF Verifier reports "Completing Cancelable WDFREQUEST" and
    breaks into the debugger (FxRequest::Complete, fxrequest.cpp); nothing stops the completion,
    so the IRP reaches IoCompleteRequest with its cancel routine still set: bug check 0x48
    CANCEL_STATE_IN_COMPLETED_IRP (parameter 1 the IRP)."""
    monkeypatch.setattr(samples, "EchoEvtTimerFunc", EchoEvtTimerFuncWithoutUnmark)
    machine, start = load_echo()
    with machine:
        app, hDevice = open_echo(machine)
        with pytest.raises(BugCheck) as caught:
            hDevice.WriteFile(pattern(16))
    assert caught.value.code == CANCEL_STATE_IN_COMPLETED_IRP
    assert machine.state == "crashed"
    assert machine.clock.seconds == pytest.approx(start + FIRST_TICK)
    assert any("completing cancelable" in line.lower() for line in machine.log_lines())


def EchoEvtRequestCancelKeepsIt(Request):
    """The cancel routine completes the request but leaves it in the timer's slot."""
    WdfRequestCompleteWithInformation(Request, STATUS_CANCELLED, 0)


def test_break_cancel_routine_leaves_the_request_for_the_timer(monkeypatch):
    """The application cancels the held read; the cancel routine
    completes it but leaves CurrentRequest naming it.  At the next tick the timer calls
    WdfRequestUnmarkCancelable on a request that no longer exists: KMDF would use freed memory
    (the handle is a disguised pointer); wdfkit catches every stale handle as the DDI pages
    promise, WDF_VIOLATION 0x10D / WDF_INVALID_HANDLE (0x5)."""
    monkeypatch.setattr(samples, "EchoEvtRequestCancel", EchoEvtRequestCancelKeepsIt)
    machine, start = load_echo()
    with machine:
        app, hDevice = open_echo(machine, overlapped=True)
        hDevice.GetOverlappedResult(hDevice.WriteFile(pattern(16), overlapped=True), True)
        read = hDevice.ReadFile(bytearray(16), overlapped=True)
        machine.advance(PERIOD / 4)
        hDevice.CancelIo()
        assert hDevice.GetOverlappedResult(read, True).Status == STATUS_CANCELLED
        with pytest.raises(BugCheck) as caught:
            machine.advance(PERIOD)
    assert (caught.value.code, caught.value.parameters[0]) == (WDF_VIOLATION, WDF_INVALID_HANDLE)


def EchoEvtIoReadCopyLater(Queue, Request, Length):
    """A read that only takes the request; the timer copies the data when it completes it."""
    queueContext = samples.QueueGetContext(Queue)
    if queueContext.Buffer is None:
        WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, 0)
        return
    WdfRequestMarkCancelable(Request, samples.EchoEvtRequestCancel)
    queueContext.CurrentRequest = Request
    queueContext.CurrentStatus = STATUS_SUCCESS


def EchoEvtTimerFuncCopies(Timer):
    """The tick copies the kept buffer into the held read, then completes it."""
    queueContext = samples.QueueGetContext(WdfTimerGetParentObject(Timer))
    Request = queueContext.CurrentRequest
    if Request is not None and WdfRequestUnmarkCancelable(Request) != STATUS_CANCELLED:
        queueContext.CurrentRequest = None
        status, memory = WdfRequestRetrieveOutputMemory(Request)
        if not NT_SUCCESS(status):  # a held write: it has no output, nothing to copy
            WdfRequestComplete(Request, queueContext.CurrentStatus)
            return
        length = min(queueContext.Length, WdfMemoryGetBuffer(memory)[1])
        status = WdfMemoryCopyFromBuffer(memory, 0, queueContext.Buffer, length)
        WdfRequestCompleteWithInformation(Request, status, length)


def EchoEvtDeviceSelfManagedIoSuspendFreesFirst(Device):
    """Suspend that frees the kept buffer before it stops the I/O that still reads it."""
    queueContext = samples.QueueGetContext(WdfDeviceGetDefaultQueue(Device))
    ExFreePool(queueContext.Buffer)  # the bug: the held read copies from it at the next tick
    WdfIoQueueStopSynchronously(WdfDeviceGetDefaultQueue(Device))
    WdfTimerStop(queueContext.Timer, True)
    return STATUS_SUCCESS


def test_break_free_the_buffer_a_read_still_copies_from(monkeypatch):
    """The read copies at the tick; on removal the suspend callback
    frees the buffer first, then waits for the held read — whose tick copies from freed pool.
    Driver Verifier serves the driver's ExAllocatePool2 from special pool, so the touch is bug
    check 0xD5 DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL, in the timer's DPC."""
    monkeypatch.setattr(samples, "EchoEvtIoRead", EchoEvtIoReadCopyLater)
    monkeypatch.setattr(samples, "EchoEvtTimerFunc", EchoEvtTimerFuncCopies)
    monkeypatch.setattr(
        samples, "EchoEvtDeviceSelfManagedIoSuspend", EchoEvtDeviceSelfManagedIoSuspendFreesFirst
    )
    machine, start = load_echo()
    with machine:
        app, hDevice = open_echo(machine, overlapped=True)
        hDevice.GetOverlappedResult(hDevice.WriteFile(pattern(64), overlapped=True), True)
        ReadBuffer = bytearray(64)
        ok = hDevice.GetOverlappedResult(hDevice.ReadFile(ReadBuffer, overlapped=True), True)
        assert (ok.Status, bytes(ReadBuffer)) == (STATUS_SUCCESS, pattern(64))  # the variant works
        hDevice.ReadFile(bytearray(64), overlapped=True)
        machine.advance(PERIOD / 4)
        with pytest.raises(BugCheck) as caught:
            machine.remove_device()
    assert caught.value.code == DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL
