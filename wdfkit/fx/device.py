"""FxDevice (WDFDEVICE) and FxIoQueue (WDFQUEUE): where requests arrive and wait.

``EvtDriverDeviceAdd`` gets a WDFDEVICE_INIT, chooses the buffering method for reads and writes
(``WdfDeviceInitSetIoType``), creates the device and its default queue.  The device's default
I/O target is the driver below it.  The queue turns each IRP into a WDFREQUEST and presents it
to the driver's callback for its type — one at a time (sequential: the next waits until the
driver completes the current one) or all at once (parallel).  A type with no callback is
completed with STATUS_INVALID_DEVICE_REQUEST; a zero-length read or write is completed with
STATUS_SUCCESS unless the queue allows zero-length requests.

Mirrors: fxdevice.cpp (FxDevice::_Create), fxioqueue.cpp (DispatchEvents, the presented and
driver-owned lists), fxpkgio.cpp (Dispatch, CreateQueue, InitializeDefaultQueue),
fxdeviceinit.cpp.
Simplified: one device, one default queue, no power management, no locking (one thread).
"""

from collections import deque

from ..kernel.irp import (
    DO_BUFFERED_IO,
    DO_DIRECT_IO,
    IRP_MJ_DEVICE_CONTROL,
    IRP_MJ_INTERNAL_DEVICE_CONTROL,
    IRP_MJ_READ,
    IRP_MJ_WRITE,
)
from ..kernel.lowerdevice import LowerDevice
from ..kernel.ntstatus import (
    STATUS_INVALID_DEVICE_REQUEST,
    STATUS_INVALID_PARAMETER,
    STATUS_SUCCESS,
)
from ..sim.events import Event
from ..sim.snapshot import DeviceDetail, DeviceIoType, QueueDetail, QueueDispatch
from .handles import FX_TYPE_DEVICE, FX_TYPE_QUEUE
from .iotarget import FxIoTarget
from .object import FxObject
from .request import FxRequest

# WDF_DEVICE_IO_TYPE (wdfdevice.h; a driver's names are WdfDeviceIo…, in wdfkit.ddi.wdfdevice)
# and the device-object flag FxDevice::CreateDevice sets for each (fxdevice.cpp).
IO_BUFFERED, IO_NEITHER, IO_DIRECT = 1, 2, 3
IO_TYPE_FLAGS = {IO_BUFFERED: DO_BUFFERED_IO, IO_NEITHER: 0, IO_DIRECT: DO_DIRECT_IO}
IO_TYPE_NAMES = {IO_BUFFERED: "buffered", IO_NEITHER: "neither", IO_DIRECT: "direct"}
# WDF_IO_QUEUE_DISPATCH_TYPE (wdfio.h; WdfIoQueueDispatch…, in wdfkit.ddi.wdfio).
DISPATCH_SEQUENTIAL, DISPATCH_PARALLEL, DISPATCH_MANUAL = 1, 2, 3
DISPATCH_NAMES = {DISPATCH_SEQUENTIAL: "sequential", DISPATCH_PARALLEL: "parallel"}
DISPATCH_NAMES[DISPATCH_MANUAL] = "manual"


class WDFDEVICE_INIT:
    """What EvtDriverDeviceAdd receives: settings for the device about to be created."""

    def __init__(self) -> None:
        self.IoType = IO_BUFFERED
        self.used = False


class FxDevice(FxObject):
    """A WDFDEVICE: its buffering method, its default queue and its default I/O target.

    To the I/O manager it is a DEVICE_OBJECT (wdfkit.kernel.iomanager): ``Flags`` and
    ``dispatch``.
    """

    TYPE = FX_TYPE_DEVICE
    HANDLE_NAME = "WDFDEVICE"
    OBJECT_SIZE = 0x300
    no_delete_ddi = True

    def __init__(self, machine, block, io_type: int) -> None:
        FxObject.__init__(self, machine, block)
        self.io_type = io_type
        self.Flags = IO_TYPE_FLAGS[io_type]
        """DEVICE_OBJECT.Flags: DO_BUFFERED_IO or DO_DIRECT_IO, from the WDF_DEVICE_IO_TYPE."""
        self.default_queue: FxIoQueue | None = None
        self.lower = LowerDevice(machine)
        self.target: FxIoTarget | None = None

    @classmethod
    def create(cls, machine, attributes, device_init: WDFDEVICE_INIT):
        """FxDevice::_Create: construct the device and commit it under the driver, then give
        it its default I/O target (FxPkgFdo::PostCreateDeviceInitialize), the driver below it.
        *device_init* is used up.  ``(status, device)``.  Mirrors fxdevice.cpp."""
        status, device = super().create(machine, attributes, machine.driver, device_init.IoType)
        if device is None:
            return status, None
        status, device.target = FxIoTarget.create_default(device)
        if device.target is None:
            device.delete_from_failed_create()
            return status, None
        device_init.used = True
        machine.devices.append(device)
        return status, device

    def create_queue(self, attributes, parent: FxObject, config):
        """FxPkgIo::CreateQueue, then InitializeDefaultQueue for a default queue:
        ``(status, queue)``.

        The parent must be this device or one of its descendants (STATUS_INVALID_DEVICE_REQUEST
        otherwise).  A second default queue: KMDF creates the queue, then
        InitializeDefaultQueue refuses it with STATUS_UNSUCCESSFUL and deletes it; wdfkit
        refuses it first, with STATUS_INVALID_PARAMETER.  Mirrors fxpkgio.cpp.
        """
        if config.DefaultQueue and self.default_queue is not None:
            return STATUS_INVALID_PARAMETER, None
        if not parent.descends_from(self):
            return STATUS_INVALID_DEVICE_REQUEST, None
        status, queue = FxIoQueue.create(self.machine, attributes, parent, self, config)
        if queue is not None and config.DefaultQueue:
            self.default_queue = queue
        return status, queue

    def dispatch(self, irp) -> None:
        """FxPkgIo::Dispatch: hand the IRP to the default queue, or refuse it."""
        if self.default_queue is None:
            irp.complete(STATUS_INVALID_DEVICE_REQUEST, 0)
            return
        self.default_queue.receive(irp)

    def detail(self) -> DeviceDetail:
        return DeviceDetail(DeviceIoType(self.io_type))


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
        status, request = FxRequest.create_internal(self.machine, irp, self)
        if request is None:
            irp.complete(status, 0)
            return
        self.requests_seen += 1
        self.waiting.append(request)
        self._dispatch()

    def _dispatch(self) -> None:
        if self._dispatching:
            return
        self._dispatching = True
        try:
            sequential = self.config.DispatchType == DISPATCH_SEQUENTIAL
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
            events.emit(Event.REQUEST_PRESENTED, request.handle, irp.major_name, irp.requestor_mode)
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

    def detail(self) -> QueueDetail:
        return QueueDetail(
            QueueDispatch(self.config.DispatchType),
            bool(self.config.DefaultQueue),
            len(self.presented),
        )
