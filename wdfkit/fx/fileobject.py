"""FxFileObject (WDFFILEOBJECT) and the device's package for create, cleanup and close.

Every ``CreateFile`` on a device makes the I/O manager send IRP_MJ_CREATE with a new FILE_OBJECT
(wdfkit.kernel.iomanager); the last ``CloseHandle`` on it sends IRP_MJ_CLEANUP, and once no IRP
references the file object any more, IRP_MJ_CLOSE.  KMDF's general package (FxPkgGeneral)
answers all three for the device:

* **create** (FxPkgGeneral::OnCreate): counts the open (m_OpenHandleCount, biased by one); an
  exclusive device refuses a second open with STATUS_ACCESS_DENIED; a WDFFILEOBJECT is created,
  parented to the device, unless the file object class is WdfFileObjectNotRequired — the class
  of a device whose driver set no file object config, so such a device has no WDFFILEOBJECT
  at all.  With no EvtDeviceFileCreate the create is completed with STATUS_SUCCESS (or sent
  down, with AutoForwardCleanupClose); else a WDFREQUEST is made for it and presented to
  ``EvtDeviceFileCreate(Device, Request, FileObject)``, which must complete it.  A create
  completed with an error deletes the WDFFILEOBJECT again (CreateCompleted): the I/O manager
  sends no cleanup or close for a failed create.
* **cleanup** (OnCleanup): ``EvtFileCleanup(FileObject)``, then every queue of the device
  cancels the requests *still waiting in it* that were sent on this file object
  (FxPkgIo::FlushAllQueuesByFileObject → FxIoQueue::FlushByFileObject → CancelForQueue:
  completed with STATUS_CANCELLED, or given to EvtIoCanceledOnQueue if the driver had it
  before).  Requests already presented to the driver are the driver's to complete
  (EvtFileCleanup is where it should); the I/O manager itself cancels nothing when a handle
  is closed.
* **close** (OnClose): ``EvtFileClose(FileObject)``, then the WDFFILEOBJECT is deleted
  (_DestroyFileObject: its EvtCleanupCallback and EvtDestroyCallback run) and the open count
  drops.

The three callbacks run at PASSIVE_LEVEL in the caller's thread; with
WdfSynchronizationScopeDevice in the file object attributes they hold the device's callback
lock (FxPkgGeneral::ConfigureConstraints).

Mirrors: fxpkggeneral.cpp (Initialize, ConfigureConstraints, ConfigureFileObjectClass,
OnCreate, CreateCompleted, OnCleanup, OnClose), fxfileobject.cpp (_CreateFileObject,
_DestroyFileObject, _GetFileObjectFromWdm), fxioqueue.cpp (FlushByFileObject, CancelForQueue),
fxdeviceinitapi.cpp (WdfDeviceInitSetFileObjectConfig), fxdevice.cpp (the
AutoForwardCleanupClose choice).
Simplified: no class extensions and no driver queue configured for creates
(WdfDeviceConfigureRequestDispatching with WdfRequestTypeCreate); the internal manual queue
KMDF passes create requests through is not a WDFQUEUE here (WdfRequestGetIoQueue on a create
request has no queue to name); FsContext/FsContext2 are kept on wdfkit's FILE_OBJECT as KMDF
keeps them; a forwarded create, cleanup or close goes to the device's lower device, which
completes it like any transfer.
"""

from dataclasses import dataclass

from ..kernel.irp import IRP_MJ_CLEANUP, IRP_MJ_CLOSE, IRP_MJ_CREATE
from ..kernel.lowerdevice import Transfer
from ..kernel.ntstatus import (
    NT_SUCCESS,
    STATUS_ACCESS_DENIED,
    STATUS_INVALID_DEVICE_REQUEST,
    STATUS_SUCCESS,
)
from ..kernel.pool import DISPATCH_LEVEL
from ..sim.events import Event
from .handles import FX_TYPE_FILEOBJECT
from .object import FxObject
from .request import FxRequest
from .synchronization import (
    EXECUTION_LEVEL_PASSIVE,
    SYNCHRONIZATION_SCOPE_DEVICE,
    SYNCHRONIZATION_SCOPE_QUEUE,
    constraints,
)

# WDF_FILEOBJECT_CLASS (wdfdevice.h; re-exported by wdfkit.ddi.wdfdevice).
WdfFileObjectInvalid = 0
WdfFileObjectNotRequired = 1
WdfFileObjectWdfCanUseFsContext = 2
WdfFileObjectWdfCanUseFsContext2 = 3
WdfFileObjectWdfCannotUseFsContexts = 4
WdfFileObjectCanBeOptional = 0x80000000

# WDF_TRI_STATE (wdftypes.h).
WdfFalse, WdfTrue, WdfUseDefault = 0, 1, 2

FILE_MAJORS = frozenset((IRP_MJ_CREATE, IRP_MJ_CLEANUP, IRP_MJ_CLOSE))
"""The majors FxDevice::Dispatch hands to the general package instead of the I/O package."""


def normalized(file_object_class: int) -> int:
    """FxFileObjectClassNormalize: the class without the WdfFileObjectCanBeOptional flag."""
    return file_object_class & ~WdfFileObjectCanBeOptional


def is_optional(file_object_class: int) -> bool:
    """FxIsFileObjectOptional."""
    return bool(file_object_class & WdfFileObjectCanBeOptional)


@dataclass(frozen=True)
class FileObjectSettings:
    """What WdfDeviceInitSetFileObjectConfig copies into WDFDEVICE_INIT (DeviceInit->FileObject):
    the callbacks, AutoForwardCleanupClose, the class and the file object attributes."""

    EvtDeviceFileCreate: object
    EvtFileClose: object
    EvtFileCleanup: object
    AutoForwardCleanupClose: int
    FileObjectClass: int
    attributes: object


class FxFileObject(FxObject):
    """A WDFFILEOBJECT: the framework's object for one FILE_OBJECT (one open of the device).

    Its parent is the device; the driver cannot delete it (MarkNoDeleteDDI); it lives from the
    create to the close (or to a failed create's completion)."""

    TYPE = FX_TYPE_FILEOBJECT
    HANDLE_NAME = "WDFFILEOBJECT"
    OBJECT_SIZE = 0x90
    no_delete_ddi = True

    def __init__(self, machine, block, device, wdm_file_object) -> None:
        FxObject.__init__(self, machine, block)
        self.device = device
        self.wdm_file_object = wdm_file_object
        """The I/O manager's FILE_OBJECT (m_FileObject), or None."""


class CreateRequests:
    """m_DefaultQueueForCreates: the manual queue a create request sits in while
    EvtDeviceFileCreate owns it (the request's queue, for the framework's bookkeeping).

    It is one of the device's I/O package queues (FxPkgGeneral::Initialize creates it with
    FxPkgIo::CreateQueue, not power-managed), so removal's purge waits for the creates the
    driver still owns, as for any queue's: ``presented`` lists them (wdfkit.fx.pnp)."""

    handle = None  # not a WDFQUEUE in wdfkit (see the module docstring)

    def __init__(self, package: "FxPkgGeneral") -> None:
        self.device = package.device
        self.presented: dict[FxRequest, None] = {}
        """m_DriverOwned: the create requests EvtDeviceFileCreate has and has not completed
        (what the Verifier's ownership checks look at)."""

    def request_done(self, request: FxRequest) -> None:
        """A manual queue presents nothing by itself: a completed create leaves no next
        request to dispatch, only leaves the driver-owned list.  (The package hears of the
        completion through the IRP: see FxPkgGeneral.create_completed.)"""
        self.presented.pop(request, None)


class FxPkgGeneral:
    """The device's create/cleanup/close package: its file object settings and open files."""

    def __init__(self, device, settings: FileObjectSettings | None) -> None:
        self.device = device
        self.machine = device.machine
        self.settings = settings
        self.open_handle_count = 1  # m_OpenHandleCount: biased by one (fxpkggeneral.cpp)
        self.file_objects: dict[FxFileObject, None] = {}
        """m_FileObjectListHead on the device (an ordered set, oldest first; KMDF inserts at
        the head and walks the list, which wdfkit replaces with :attr:`by_wdm`)."""
        self.by_wdm: dict = {}
        """FILE_OBJECT -> its WDFFILEOBJECT: what KMDF's list walk finds, found in O(1), so
        closing one of many thousands of open handles costs no more than closing the only one."""
        self.file_object_class = WdfFileObjectNotRequired
        self.callback_lock = None
        self.create_queue = CreateRequests(self)
        self.auto_forward = False

    @classmethod
    def initialize(cls, device, settings: FileObjectSettings | None):
        """FxPkgGeneral::Initialize with the file object settings (None: none were set):
        ``(status, package)``.

        ConfigureConstraints: the attributes' synchronization scope (InheritFromParent: the
        device's) may not be Queue (STATUS_INVALID_DEVICE_REQUEST); Device needs the device
        at WdfExecutionLevelPassive (else STATUS_INVALID_DEVICE_REQUEST) and makes the
        callbacks take the device's lock.  ConfigureFileObjectClass: the driver's class, but
        WdfFileObjectNotRequired stays the device's class when nothing else asks.
        AutoForwardCleanupClose: WdfTrue forwards unless the device is a control device
        (m_Legacy); WdfUseDefault forwards only for a filter, which wdfkit has not.
        """
        package = cls(device, settings)
        if settings is None:
            return STATUS_SUCCESS, package
        if settings.attributes is not None:
            _, scope = constraints(
                settings.attributes, device.execution_level, device.synchronization_scope
            )
            if scope == SYNCHRONIZATION_SCOPE_QUEUE:
                return STATUS_INVALID_DEVICE_REQUEST, None
            if scope == SYNCHRONIZATION_SCOPE_DEVICE:
                if device.execution_level != EXECUTION_LEVEL_PASSIVE:
                    return STATUS_INVALID_DEVICE_REQUEST, None
                package.callback_lock = device.callback_lock
        if normalized(settings.FileObjectClass) != WdfFileObjectNotRequired:
            package.file_object_class = settings.FileObjectClass
        package.auto_forward = settings.AutoForwardCleanupClose == WdfTrue and not getattr(
            device, "is_control", False
        )
        return STATUS_SUCCESS, package

    def callback(self, name: str):
        return None if self.settings is None else getattr(self.settings, name)

    # -- the three IRPs ---------------------------------------------------------------------
    def dispatch(self, irp) -> None:
        """FxPkgGeneral::Dispatch: create, cleanup or close."""
        if irp.major == IRP_MJ_CREATE:
            self.on_create(irp)
        elif irp.major == IRP_MJ_CLEANUP:
            self.on_cleanup(irp)
        else:
            self.on_close(irp)

    def on_create(self, irp) -> None:
        """FxPkgGeneral::OnCreate (see the module docstring)."""
        machine, device = self.machine, self.device
        self.open_handle_count += 1
        if getattr(device, "exclusive", False) and self.open_handle_count > 2:
            machine.trace("Exclusive %r: only one open handle is allowed", device.handle)
            self._fail_create(irp, STATUS_ACCESS_DENIED, None)
            return
        file_object = None
        if normalized(self.file_object_class) != WdfFileObjectNotRequired:
            attributes = self.settings.attributes
            status, file_object = FxFileObject.create(
                machine, attributes, device, device, irp.FileObject
            )
            if file_object is None:
                self._fail_create(irp, status, None)
                return
            self.file_objects[file_object] = None
            if irp.FileObject is not None:
                self.by_wdm[irp.FileObject] = file_object
            self._set_context(irp.FileObject, file_object)
        create = self.callback("EvtDeviceFileCreate")
        if create is None:
            if self.auto_forward:  # the lower driver's answer may fail the create
                irp.on_complete = self.create_completed
            self._finish(irp)
            return
        if machine.irql >= DISPATCH_LEVEL:  # m_ExecutionLevel is passive (KMDF >= 1.11)
            machine.trace("%r cannot handle a create at DISPATCH_LEVEL", device.handle)
            self._fail_create(irp, STATUS_INVALID_DEVICE_REQUEST, file_object)
            return
        status, request = FxRequest.create_internal(machine, irp, self.create_queue)
        if request is None:
            self._fail_create(irp, status, file_object)
            return
        irp.on_complete = self.create_completed
        self.create_queue.presented[request] = None  # GetRequest: InsertInDriverOwnedList
        events = machine.events
        if events.listeners:
            events.emit(Event.REQUEST_PRESENTED, request.handle, irp.major_name, irp.requestor_mode)
        handle = None if file_object is None else file_object.handle
        self._invoke("EvtDeviceFileCreate", create, device.handle, request.handle, handle)

    def _fail_create(self, irp, status: int, file_object) -> None:
        """OnCreate's Error path: delete the file object, drop the open count, fail the IRP."""
        if file_object is not None:
            self._destroy(file_object)
        self.open_handle_count -= 1
        irp.complete(status, 0)

    def create_completed(self, irp) -> None:
        """FxPkgGeneral::CreateCompleted: a failed create takes its WDFFILEOBJECT and its count
        back (no cleanup or close will come for it).  KMDF calls it from
        FxRequest::CompleteInternal for every IRP_MJ_CREATE, and from _CreateCompletionRoutine
        for a forwarded one; wdfkit hangs it on the IRP's completion, so it runs however the
        create is completed."""
        if not NT_SUCCESS(irp.IoStatus.Status):
            file_object = self.lookup(irp.FileObject)
            if file_object is not None:
                self._destroy(file_object)
            self.open_handle_count -= 1

    def on_cleanup(self, irp) -> None:
        """FxPkgGeneral::OnCleanup: EvtFileCleanup, then flush every queue by file object."""
        file_object = self.lookup(irp.FileObject)
        cleanup = self.callback("EvtFileCleanup")
        if cleanup is not None:
            handle = None if file_object is None else file_object.handle
            self._invoke("EvtFileCleanup", cleanup, handle)
        if irp.FileObject is not None:
            for queue in list(self.device.queues):
                flush_by_file_object(queue, irp.FileObject)
        self._finish(irp)

    def on_close(self, irp) -> None:
        """FxPkgGeneral::OnClose: EvtFileClose, delete the WDFFILEOBJECT, complete, count down."""
        file_object = self.lookup(irp.FileObject)
        close = self.callback("EvtFileClose")
        if close is not None:
            handle = None if file_object is None else file_object.handle
            self._invoke("EvtFileClose", close, handle)
        if file_object is not None:
            self._destroy(file_object)
        self._finish(irp)
        if not getattr(irp.FileObject, "opened_unseen", False):  # machine.application()'s
            self.open_handle_count -= 1

    def _finish(self, irp) -> None:
        """A create without EvtDeviceFileCreate, a cleanup and a close end the same way: sent
        down (AutoForwardCleanupClose) or completed here with STATUS_SUCCESS."""
        if self.auto_forward:
            self._forward(irp, lambda status, _: irp.complete(status, 0))
        else:
            irp.complete(STATUS_SUCCESS, 0)

    def _forward(self, irp, done) -> None:
        self.device.lower.start(Transfer(irp.major, (None, 0), (None, 0), 0, done))

    def _invoke(self, name: str, callback, *args) -> None:
        """Call a file event callback, under the device's lock when the scope says so."""
        machine, lock = self.machine, self.callback_lock
        previous = lock.acquire() if lock is not None else None
        try:
            machine.trace("%s(%s)", name, ", ".join(repr(a) for a in args))
            machine.run_callback(name, callback, *args)
        finally:
            if lock is not None:
                lock.release(previous)

    # -- finding and forgetting file objects ------------------------------------------------
    def _set_context(self, wdm_file_object, file_object: FxFileObject) -> None:
        """SetFileObjectContext: FsContext or FsContext2 when the class allows it."""
        kind = normalized(self.file_object_class)
        if wdm_file_object is None:
            return
        if kind == WdfFileObjectWdfCanUseFsContext:
            wdm_file_object.FsContext = file_object
        elif kind == WdfFileObjectWdfCanUseFsContext2:
            wdm_file_object.FsContext2 = file_object

    def lookup(self, wdm_file_object) -> FxFileObject | None:
        """FxFileObject::_GetFileObjectFromWdm: the WDFFILEOBJECT of *wdm_file_object*, by
        FsContext, FsContext2 or the device's list as the class says; None for
        WdfFileObjectNotRequired, or when it is not found (a verifier break unless optional)."""
        kind = normalized(self.file_object_class)
        if kind == WdfFileObjectNotRequired or wdm_file_object is None:
            return None
        if kind == WdfFileObjectWdfCanUseFsContext:
            found = wdm_file_object.FsContext
        elif kind == WdfFileObjectWdfCanUseFsContext2:
            found = wdm_file_object.FsContext2
        else:
            found = self.by_wdm.get(wdm_file_object)
        if found is None and not is_optional(self.file_object_class):
            self.machine.trace(
                "Could not locate WDFFILEOBJECT for the FILE_OBJECT of this request (debug break)"
            )
        return found

    def _destroy(self, file_object: FxFileObject) -> None:
        """_DestroyFileObject: off the device's list, then DeleteObject."""
        self.file_objects.pop(file_object, None)
        wdm = file_object.wdm_file_object
        if wdm is not None:
            if self.by_wdm.get(wdm) is file_object:
                del self.by_wdm[wdm]
            if wdm.FsContext is file_object:
                wdm.FsContext = None
            if wdm.FsContext2 is file_object:
                wdm.FsContext2 = None
        with self.machine.running_driver_code():  # its cleanup/destroy callbacks
            file_object.delete_object()


def flush_by_file_object(queue, wdm_file_object) -> None:
    """FxIoQueue::FlushByFileObject: every request still waiting in *queue* (not yet presented)
    that was sent on *wdm_file_object* leaves the queue and is cancelled as a purge cancels it
    (FxIoQueue::CancelForQueue): completed with STATUS_CANCELLED — or, for a request the driver
    had before (forwarded, or requeued after EvtIoStop) on a queue with EvtIoCanceledOnQueue,
    handed back to the driver there; then the queue dispatches again.  Requests the driver
    owns are not touched."""
    machine = queue.machine
    for request in [r for r in queue.waiting if r.irp.FileObject is wdm_file_object]:
        machine.trace("%r: the handle it was sent on is being cleaned up", request.handle)
        queue.cancel_for_queue(request)
