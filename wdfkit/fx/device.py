"""FxDevice (WDFDEVICE) and FxIoQueue (WDFQUEUE): where requests arrive and wait.

``EvtDriverDeviceAdd`` gets a WDFDEVICE_INIT, chooses the buffering method for reads and writes
(``WdfDeviceInitSetIoType``), creates the device and its default queue.  The device's default
I/O target is the driver below it.  The queue turns each IRP into a WDFREQUEST and presents it
to the driver's callback for its type — one at a time (sequential: the next waits until the
driver completes the current one) or all at once (parallel).  A type with no callback is
completed with STATUS_INVALID_DEVICE_REQUEST; a zero-length read or write is completed with
STATUS_SUCCESS unless the queue allows zero-length requests.

Mirrors: fxdevice.cpp, fxioqueue.cpp (DispatchEvents, the presented and driver-owned lists),
fxpkgio.cpp (Dispatch), fxdeviceinit.cpp.
Simplified: one device, one default queue, no power management, no locking (one thread).
"""

from collections import deque

from ..kernel.irp import (
    IRP_MJ_DEVICE_CONTROL,
    IRP_MJ_INTERNAL_DEVICE_CONTROL,
    IRP_MJ_READ,
    IRP_MJ_WRITE,
    WdfDeviceIoBuffered,
)
from ..kernel.lowerdevice import LowerDevice
from ..kernel.ntstatus import (
    STATUS_INSUFFICIENT_RESOURCES,
    STATUS_INVALID_DEVICE_REQUEST,
    STATUS_SUCCESS,
)
from ..sim.events import Event
from .handles import FX_TYPE_DEVICE, FX_TYPE_QUEUE
from .iotarget import FxIoTarget
from .object import FxObject
from .request import FxRequest

WdfIoQueueDispatchSequential = 1
WdfIoQueueDispatchParallel = 2
WdfIoQueueDispatchManual = 3


class WDFDEVICE_INIT:
    """What EvtDriverDeviceAdd receives: settings for the device about to be created."""

    def __init__(self) -> None:
        self.IoType = WdfDeviceIoBuffered
        self.used = False


class FxDevice(FxObject):
    """A WDFDEVICE: its buffering method, its default queue and its default I/O target."""

    TYPE = FX_TYPE_DEVICE
    HANDLE_NAME = "WDFDEVICE"
    OBJECT_SIZE = 0x300
    no_delete_ddi = True

    def __init__(self, machine, block, io_type: int) -> None:
        FxObject.__init__(self, machine, block)
        self.io_type = io_type
        self.default_queue: FxIoQueue | None = None
        self.lower = LowerDevice(machine)
        self.target: FxIoTarget | None = None

    def dispatch(self, irp) -> None:
        """FxPkgIo::Dispatch: hand the IRP to the default queue, or refuse it."""
        if self.default_queue is None:
            irp.complete(STATUS_INVALID_DEVICE_REQUEST, 0)
            return
        self.default_queue.receive(irp)

    def describe(self) -> str:
        kinds = {1: "buffered", 2: "neither", 3: "direct"}
        return f"device, {kinds[self.io_type]} I/O for reads and writes"


class FxIoQueue(FxObject):
    """A WDFQUEUE: makes requests from IRPs and presents them to the driver's callbacks."""

    TYPE = FX_TYPE_QUEUE
    HANDLE_NAME = "WDFQUEUE"
    OBJECT_SIZE = 0x2A0

    def __init__(self, machine, block, device: FxDevice, config) -> None:
        FxObject.__init__(self, machine, block)
        self.device = device
        self.config = config
        self.no_delete_ddi = bool(config.DefaultQueue)
        self.waiting: deque[FxRequest] = deque()
        self.presented: dict[FxRequest, None] = {}  # driver-owned, in order
        self._dispatching = False
        self.requests_seen = 0

    def receive(self, irp) -> None:
        """A new IRP: wrap it in a request and dispatch."""
        machine = self.machine
        request = FxRequest.new(machine, irp, self)
        if request is None:
            irp.complete(STATUS_INSUFFICIENT_RESOURCES, 0)
            return
        machine.objects[request.handle.value] = request
        self.requests_seen += 1
        self.waiting.append(request)
        self._dispatch()

    def _dispatch(self) -> None:
        if self._dispatching:
            return
        self._dispatching = True
        try:
            sequential = self.config.DispatchType == WdfIoQueueDispatchSequential
            while self.waiting and not (sequential and self.presented):
                request = self.waiting.popleft()
                self.presented[request] = None
                self._present(request)
        finally:
            self._dispatching = False

    def _present(self, request: FxRequest) -> None:
        machine, irp, config = self.machine, request.irp, self.config
        major = irp.major
        events = machine.events
        if events.listeners:
            events.emit(Event.REQUEST_PRESENTED, request.handle, irp.major_name)
        if major in (IRP_MJ_READ, IRP_MJ_WRITE) and irp.length == 0:
            if not config.AllowZeroLengthRequests:
                request.complete(STATUS_SUCCESS, 0)
                return
        callback, args = None, ()
        if major == IRP_MJ_READ:
            callback, args = config.EvtIoRead, (irp.length,)
        elif major == IRP_MJ_WRITE:
            callback, args = config.EvtIoWrite, (irp.length,)
        elif major == IRP_MJ_DEVICE_CONTROL:
            callback = config.EvtIoDeviceControl
            args = (irp.output_length, irp.input_length, irp.ioctl_code)
        elif major == IRP_MJ_INTERNAL_DEVICE_CONTROL:
            callback = config.EvtIoInternalDeviceControl
            args = (irp.output_length, irp.input_length, irp.ioctl_code)
        if callback is None and config.EvtIoDefault is not None:
            callback, args = config.EvtIoDefault, ()
        if callback is None:
            request.complete(STATUS_INVALID_DEVICE_REQUEST, 0)
            return
        machine.trace(
            "%s(%r, %r%s)",
            getattr(callback, "__name__", "callback"),
            self.handle,
            request.handle,
            "".join(f", {a}" for a in args),
        )
        callback(self.handle, request.handle, *args)

    def request_done(self, request: FxRequest) -> None:
        """The driver completed (or forgot) a request it owned: present the next one."""
        self.presented.pop(request, None)
        self._dispatch()

    def describe(self) -> str:
        kind = {1: "sequential", 2: "parallel", 3: "manual"}[self.config.DispatchType]
        default = "default " if self.config.DefaultQueue else ""
        return f"{default}queue, {kind}, {len(self.presented)} request(s) with the driver"
