"""FxDevice (WDFDEVICE): the device requests arrive at, and WDFDEVICE_INIT, its settings.

``EvtDriverDeviceAdd`` gets a WDFDEVICE_INIT, chooses the buffering method for reads and writes
(``WdfDeviceInitSetIoType``), creates the device and its default queue (wdfkit.fx.queue).  The
device's default I/O target is the driver below it.  To the I/O manager the device is a
DEVICE_OBJECT: ``Flags`` say how reads and writes reach it and ``dispatch`` takes every IRP,
which the device hands to its default queue.

Mirrors: fxdevice.cpp (FxDevice::_Create), fxdevicebase.cpp (FxDeviceBase::ConfigureConstraints),
fxpkgio.cpp (Dispatch), fxdeviceinit.cpp.
Simplified: one default queue, no power management.
"""

from ..kernel.irp import DO_BUFFERED_IO, DO_DIRECT_IO
from ..kernel.lowerdevice import LowerDevice
from ..kernel.ntstatus import STATUS_INVALID_DEVICE_REQUEST
from ..sim.snapshot import DeviceDetail, DeviceIoType
from .fileobject import FILE_MAJORS, FxPkgGeneral
from .handles import FX_TYPE_DEVICE
from .iotarget import FxIoTarget
from .object import FxObject
from .queue import FxIoQueue
from .synchronization import EXECUTION_LEVEL_PASSIVE, FxCallbackLock, constraints

# WDF_DEVICE_IO_TYPE (wdfdevice.h; a driver's names are WdfDeviceIo…, in wdfkit.ddi.wdfdevice)
# and the device-object flag FxDevice::CreateDevice sets for each (fxdevice.cpp).
IO_BUFFERED, IO_NEITHER, IO_DIRECT = 1, 2, 3
IO_TYPE_FLAGS = {IO_BUFFERED: DO_BUFFERED_IO, IO_NEITHER: 0, IO_DIRECT: DO_DIRECT_IO}


class WDFDEVICE_INIT:
    """What EvtDriverDeviceAdd receives: settings for the device about to be created."""

    def __init__(self) -> None:
        self.IoType = IO_BUFFERED
        self.used = False
        self.FileObject = None
        """DeviceInit->FileObject: the settings WdfDeviceInitSetFileObjectConfig copied in
        (a FileObjectSettings, wdfkit.fx.fileobject), or None."""


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
        self.queues: list[FxIoQueue] = []
        """Every queue created for the device, oldest first (FxPkgIo's m_IoQueueListHead)."""
        self.lower = LowerDevice(machine)
        self.target: FxIoTarget | None = None
        self.configure_constraints(None)  # until create() applies the attributes

    @classmethod
    def create(cls, machine, attributes, device_init: WDFDEVICE_INIT):
        """FxDevice::_Create: construct the device and commit it under the driver, then give
        it its default I/O target (FxPkgFdo::PostCreateDeviceInitialize), the driver below it.
        *device_init* is used up.  ``(status, device)``.  Mirrors fxdevice.cpp."""
        status, device = super().create(machine, attributes, machine.driver, device_init.IoType)
        if device is None:
            return status, None
        device.configure_constraints(attributes)
        status, device.target = FxIoTarget.create_default(device)
        if device.target is None:
            device.delete_from_failed_create()
            return status, None
        status, device.general = FxPkgGeneral.initialize(device, device_init.FileObject)
        if device.general is None:
            device.delete_from_failed_create()
            return status, None
        device_init.used = True
        machine.devices.append(device)
        return status, device

    def configure_constraints(self, attributes) -> None:
        """FxDeviceBase::ConfigureConstraints: the device's execution level and scope (the
        driver's where the attributes inherit) and its callback lock, a passive one for
        WdfExecutionLevelPassive, else a spin lock.  Queues with WdfSynchronizationScopeDevice
        share this lock; a queue inherits level and scope from here (GetConstraints)."""
        driver = self.machine.driver
        self.execution_level, self.synchronization_scope = constraints(
            attributes, driver.execution_level, driver.synchronization_scope
        )
        self.callback_lock = FxCallbackLock(
            self.machine, self.execution_level == EXECUTION_LEVEL_PASSIVE
        )

    def dispatch(self, irp) -> None:
        """FxDevice::Dispatch: create, cleanup and close go to the general package
        (FxPkgGeneral::Dispatch, wdfkit.fx.fileobject); every other IRP to FxPkgIo::Dispatch,
        which hands it to the default queue, or refuses it."""
        if irp.major in FILE_MAJORS:
            self.general.dispatch(irp)
            return
        if self.default_queue is None:
            irp.complete(STATUS_INVALID_DEVICE_REQUEST, 0)
            return
        self.default_queue.receive(irp)

    def detail(self) -> DeviceDetail:
        return DeviceDetail(DeviceIoType(self.io_type))
