"""Two WDK sample drivers, transcribed into Python: the echo driver and the non-PnP IOCTL driver.

Lesson 12 and tests/test_sample_echo.py, tests/test_sample_nonpnp.py load these on a machine
and drive them the way the samples' own test applications do on Windows (echoapp.exe,
nonpnpapp.exe).  Each routine keeps its sample's name, its place in the C order and its DDIs in
the order the C calls them; the comments are ours.  What the Python changes to read as Python:

* pure out-parameters come back after the return value (``status, device =
  WdfDeviceCreate(DeviceInit, attributes)``), and a helper with an out-parameter does the same
  (``EchoTimerCreate`` returns ``(status, Timer)``);
* ``WdfDeviceCreate(&DeviceInit, ...)`` cannot clear the caller's variable, so the code sets
  ``DeviceInit = None`` itself where the C relies on the DDI doing it;
* ``goto End`` becomes a chain of ``if NT_SUCCESS(status):`` steps that falls through to the
  one exit, and a ``switch`` on the IOCTL code an ``if``/``elif`` chain (a ``match`` with bare
  constant names would bind them instead of comparing them);
* ``KdPrint``, WPP tracing and PAGED_CODE() are left out: wdfkit models none of them.

The two drivers cannot share the name DriverEntry in one module, so each gets its sample's
prefix: :func:`EchoDriverEntry`, :func:`NonPnpDriverEntry`.
"""

import uuid

from ..ddi.wdfcontrol import (
    SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_RW_RES_R,
    WdfControlDeviceInitAllocate,
    WdfControlDeviceInitSetShutdownNotification,
    WdfControlFinishInitializing,
    WdfDeviceShutdown,
)
from ..ddi.wdfcore import WDF_REL_TIMEOUT_IN_MS
from ..ddi.wdfdevice import (
    WDF_FILEOBJECT_CONFIG,
    WDF_FILEOBJECT_CONFIG_INIT,
    WDF_PNPPOWER_EVENT_CALLBACKS,
    WDF_PNPPOWER_EVENT_CALLBACKS_INIT,
    WdfDeviceCreate,
    WdfDeviceCreateDeviceInterface,
    WdfDeviceCreateSymbolicLink,
    WdfDeviceEnqueueRequest,
    WdfDeviceGetDefaultQueue,
    WdfDeviceInitAssignName,
    WdfDeviceInitFree,
    WdfDeviceInitSetExclusive,
    WdfDeviceInitSetFileObjectConfig,
    WdfDeviceInitSetIoInCallerContextCallback,
    WdfDeviceInitSetIoType,
    WdfDeviceInitSetPnpPowerEventCallbacks,
    WdfDeviceIoBuffered,
)
from ..ddi.wdfdriver import (
    WDF_DRIVER_CONFIG,
    WDF_DRIVER_CONFIG_INIT,
    WdfDriverCreate,
    WdfDriverInitNonPnpDriver,
)
from ..ddi.wdffileobject import WdfFileObjectGetDevice, WdfFileObjectGetFileName
from ..ddi.wdfio import (
    WDF_IO_QUEUE_CONFIG,
    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE,
    WdfIoQueueCreate,
    WdfIoQueueDispatchSequential,
    WdfIoQueueGetDevice,
    WdfIoQueueStart,
    WdfIoQueueStopSynchronously,
)
from ..ddi.wdfmemory import WdfMemoryCopyFromBuffer, WdfMemoryCopyToBuffer, WdfMemoryGetBuffer
from ..ddi.wdfobject import (
    WDF_DECLARE_CONTEXT_TYPE,
    WDF_DECLARE_CONTEXT_TYPE_WITH_NAME,
    WDF_NO_OBJECT_ATTRIBUTES,
    WDF_OBJECT_ATTRIBUTES,
    WDF_OBJECT_ATTRIBUTES_INIT,
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE,
    WdfObjectAllocateContext,
    WdfSynchronizationScopeQueue,
)
from ..ddi.wdfrequest import (
    WDF_REQUEST_PARAMETERS,
    WDF_REQUEST_PARAMETERS_INIT,
    WdfRequestComplete,
    WdfRequestCompleteWithInformation,
    WdfRequestGetIoQueue,
    WdfRequestGetParameters,
    WdfRequestMarkCancelable,
    WdfRequestProbeAndLockUserBufferForRead,
    WdfRequestProbeAndLockUserBufferForWrite,
    WdfRequestRetrieveInputBuffer,
    WdfRequestRetrieveInputMemory,
    WdfRequestRetrieveOutputBuffer,
    WdfRequestRetrieveOutputMemory,
    WdfRequestRetrieveUnsafeUserInputBuffer,
    WdfRequestRetrieveUnsafeUserOutputBuffer,
    WdfRequestSetInformation,
    WdfRequestTypeDeviceControl,
    WdfRequestUnmarkCancelable,
)
from ..ddi.wdftimer import (
    WDF_TIMER_CONFIG,
    WDF_TIMER_CONFIG_INIT_PERIODIC,
    WdfTimerCreate,
    WdfTimerGetParentObject,
    WdfTimerStart,
    WdfTimerStop,
)
from ..ddi.wdm import (
    CTL_CODE,
    FILE_ANY_ACCESS,
    METHOD_BUFFERED,
    METHOD_IN_DIRECT,
    METHOD_NEITHER,
    METHOD_OUT_DIRECT,
    POOL_FLAG_NON_PAGED,
    POOL_FLAG_PAGED,
    ExAllocatePool2,
    ExFreePool,
    RtlCopyMemory,
)
from ..kernel.ntstatus import (
    NT_SUCCESS,
    STATUS_BUFFER_OVERFLOW,
    STATUS_CANCELLED,
    STATUS_INSUFFICIENT_RESOURCES,
    STATUS_INVALID_DEVICE_REQUEST,
    STATUS_INVALID_PARAMETER,
    STATUS_SUCCESS,
)

# ==============================================================================================
# The echo sample (general/echo/kmdf/driver/AutoSync: driver.c, device.c, queue.c)
# ==============================================================================================

GUID_DEVINTERFACE_ECHO = uuid.UUID("cdc35b6e-0be4-4936-bf5f-5537380a7c1a")
"""The interface class the echo device registers and echoapp looks up (public.h)."""

MAX_WRITE_LENGTH = 1024 * 40
"""The longest write the echo driver keeps (queue.h); a longer one gets STATUS_BUFFER_OVERFLOW."""

TIMER_PERIOD = 1000 * 2
"""The echo timer's period in milliseconds (queue.h): each tick completes the held request."""

ECHO_POOL_TAG = "sam1"
"""The tag of the buffer the echo driver keeps the last write in (queue.c)."""


class DEVICE_CONTEXT:
    """The echo device's context (device.h): a placeholder the sample only zeroes."""

    PrivateDeviceData = 0


class QUEUE_CONTEXT:
    """The echo queue's context (queue.h): the data of the last write and the held request.

    Every routine that touches it — EvtIoRead, EvtIoWrite, the cancel routine, the timer — runs
    under the queue's lock (synchronization scope queue; the timer is the queue's child with
    automatic serialization), so none of them takes a lock of its own."""

    Buffer = None  # PVOID: the pool buffer holding the last write (NULL before any write)
    Length = 0  # how many bytes of it are valid
    Timer = None  # WDFTIMER that completes the held request
    CurrentRequest = None  # WDFREQUEST the driver holds until the next tick (or None)
    CurrentStatus = STATUS_INVALID_DEVICE_REQUEST  # the status it will be completed with


WdfObjectGet_DEVICE_CONTEXT = WDF_DECLARE_CONTEXT_TYPE(DEVICE_CONTEXT)
QueueGetContext = WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(QUEUE_CONTEXT, "QueueGetContext")


# -- driver.c ----------------------------------------------------------------------------------
def EchoDriverEntry(DriverObject, RegistryPath):
    """DriverEntry of the echo sample (driver.c): create the WDFDRIVER, name EvtDeviceAdd.

    The sample also prints the framework's version string when built for debugging
    (EchoPrintDriverVersion); wdfkit has no WDFSTRING, so that part is left out.
    """
    config = WDF_DRIVER_CONFIG()
    WDF_DRIVER_CONFIG_INIT(config, EchoEvtDeviceAdd)
    status, _ = WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, config)
    return status  # WDF_NO_HANDLE in C: the sample does not keep the WDFDRIVER


def EchoEvtDeviceAdd(Driver, DeviceInit):
    """EvtDriverDeviceAdd (driver.c): the PnP manager found an echo device; create it."""
    return EchoDeviceCreate(DeviceInit)


# -- device.c ----------------------------------------------------------------------------------
def EchoDeviceCreate(DeviceInit):
    """Create the device with its PnP/power callbacks, its context, its interface and its queue
    (device.c).  The self-managed I/O callbacks start and stop the queue and the timer as the
    device starts, is suspended or removed, and restarts."""
    pnpPowerCallbacks = WDF_PNPPOWER_EVENT_CALLBACKS()
    WDF_PNPPOWER_EVENT_CALLBACKS_INIT(pnpPowerCallbacks)
    pnpPowerCallbacks.EvtDeviceSelfManagedIoInit = EchoEvtDeviceSelfManagedIoStart
    pnpPowerCallbacks.EvtDeviceSelfManagedIoSuspend = EchoEvtDeviceSelfManagedIoSuspend
    # One routine serves both Init (first start) and Restart (back from a suspend).
    pnpPowerCallbacks.EvtDeviceSelfManagedIoRestart = EchoEvtDeviceSelfManagedIoStart
    WdfDeviceInitSetPnpPowerEventCallbacks(DeviceInit, pnpPowerCallbacks)

    deviceAttributes = WDF_OBJECT_ATTRIBUTES()
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(deviceAttributes, DEVICE_CONTEXT)
    status, device = WdfDeviceCreate(DeviceInit, deviceAttributes)
    if NT_SUCCESS(status):
        deviceContext = WdfObjectGet_DEVICE_CONTEXT(device)
        deviceContext.PrivateDeviceData = 0
        # The interface is how echoapp finds the device: it asks for the interfaces of
        # GUID_DEVINTERFACE_ECHO and opens the first one.  No reference string.
        status = WdfDeviceCreateDeviceInterface(device, GUID_DEVINTERFACE_ECHO, None)
        if NT_SUCCESS(status):
            status = EchoQueueInitialize(device)
    return status


def EchoEvtDeviceSelfManagedIoStart(Device):
    """EvtDeviceSelfManagedIoInit and …Restart (device.c): start the queue, then the timer.

    The first tick comes 100 ms from now; after it, one every TIMER_PERIOD ms."""
    queueContext = QueueGetContext(WdfDeviceGetDefaultQueue(Device))
    # Restart the queue and the periodic timer: the suspend callback stopped both.
    WdfIoQueueStart(WdfDeviceGetDefaultQueue(Device))
    DueTime = WDF_REL_TIMEOUT_IN_MS(100)
    WdfTimerStart(queueContext.Timer, DueTime)
    return STATUS_SUCCESS


def EchoEvtDeviceSelfManagedIoSuspend(Device):
    """EvtDeviceSelfManagedIoSuspend (device.c): the device is leaving D0 (a suspend, a
    rebalance, or its removal).

    The framework cannot power the device down while the driver owns a request.  The sample
    has no EvtIoStop; instead it stops its queue and waits until the driver owns nothing —
    which takes up to one timer period, since only the timer completes the held request — and
    then stops the timer, waiting for a tick already running.  Requests still waiting in the
    queue stay there (removal then cancels them)."""
    queueContext = QueueGetContext(WdfDeviceGetDefaultQueue(Device))
    WdfIoQueueStopSynchronously(WdfDeviceGetDefaultQueue(Device))
    WdfTimerStop(queueContext.Timer, True)
    return STATUS_SUCCESS


# -- queue.c -----------------------------------------------------------------------------------
def EchoQueueInitialize(Device):
    """Create the default queue (sequential: one request in the driver at a time) with the
    queue context, queue-scope synchronization and a destroy callback, then its timer
    (queue.c)."""
    queueConfig = WDF_IO_QUEUE_CONFIG()
    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(queueConfig, WdfIoQueueDispatchSequential)
    queueConfig.EvtIoRead = EchoEvtIoRead
    queueConfig.EvtIoWrite = EchoEvtIoWrite

    queueAttributes = WDF_OBJECT_ATTRIBUTES()
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(queueAttributes, QUEUE_CONTEXT)
    # Queue scope: the framework serialises this queue's callbacks (EvtIoRead, EvtIoWrite, the
    # cancel routine) and the callbacks of its children that ask for it (the timer).
    queueAttributes.SynchronizationScope = WdfSynchronizationScopeQueue
    queueAttributes.EvtDestroyCallback = EchoEvtIoQueueContextDestroy

    status, queue = WdfIoQueueCreate(Device, queueConfig, queueAttributes)
    if not NT_SUCCESS(status):
        return status

    queueContext = QueueGetContext(queue)
    queueContext.Buffer = None
    queueContext.Timer = None
    queueContext.CurrentRequest = None
    queueContext.CurrentStatus = STATUS_INVALID_DEVICE_REQUEST

    status, queueContext.Timer = EchoTimerCreate(TIMER_PERIOD, queue)
    return status


def EchoTimerCreate(Period, Queue):
    """Create the periodic timer as the queue's child: ``(status, Timer)`` (queue.c; the C
    returns the timer through its first parameter, a WDFTIMER*).

    WDF_TIMER_CONFIG_INIT_PERIODIC sets AutomaticSerialization, so with the queue as parent the
    timer's callback takes the queue's lock like EvtIoRead and EvtIoWrite."""
    timerConfig = WDF_TIMER_CONFIG()
    WDF_TIMER_CONFIG_INIT_PERIODIC(timerConfig, EchoEvtTimerFunc, Period)
    timerAttributes = WDF_OBJECT_ATTRIBUTES()
    WDF_OBJECT_ATTRIBUTES_INIT(timerAttributes)
    timerAttributes.ParentObject = Queue
    return WdfTimerCreate(timerConfig, timerAttributes)


def EchoEvtIoQueueContextDestroy(Object):
    """EvtDestroyCallback of the queue (queue.c): free the kept buffer; the context itself goes
    with the queue once this returns."""
    queueContext = QueueGetContext(Object)
    if queueContext.Buffer is not None:
        ExFreePool(queueContext.Buffer)


def EchoEvtRequestCancel(Request):
    """EvtRequestCancel (queue.c): the held request was cancelled; complete it here.

    It runs under the queue's lock, so it cannot race the timer: either the timer unmarked the
    request first (and this never runs) or this runs and the timer finds CurrentRequest NULL."""
    queueContext = QueueGetContext(WdfRequestGetIoQueue(Request))
    WdfRequestCompleteWithInformation(Request, STATUS_CANCELLED, 0)
    assert queueContext.CurrentRequest == Request  # the sample's ASSERT
    queueContext.CurrentRequest = None


def EchoEvtIoRead(Queue, Request, Length):
    """EvtIoRead (queue.c): copy what the last write left into the request now, complete it
    at the next tick.

    With no write yet the read completes at once with 0 bytes.  Length is never 0: the queue
    completes zero-length reads itself (AllowZeroLengthRequests is FALSE)."""
    queueContext = QueueGetContext(Queue)
    if queueContext.Buffer is None:
        WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, 0)
        return
    if queueContext.Length < Length:  # read what there is
        Length = queueContext.Length

    status, memory = WdfRequestRetrieveOutputMemory(Request)
    if not NT_SUCCESS(status):
        WdfRequestCompleteWithInformation(Request, status, 0)
        return
    status = WdfMemoryCopyFromBuffer(memory, 0, queueContext.Buffer, Length)
    if not NT_SUCCESS(status):
        WdfRequestComplete(Request, status)
        return
    WdfRequestSetInformation(Request, Length)

    # Hold the request for the timer, cancelable meanwhile.  MarkCancelable (not …Ex): under
    # the queue's lock, a request already cancelled gets its cancel routine called after this
    # callback returns, so the bookkeeping below is done by then.
    WdfRequestMarkCancelable(Request, EchoEvtRequestCancel)
    queueContext.CurrentRequest = Request
    queueContext.CurrentStatus = status


def EchoEvtIoWrite(Queue, Request, Length):
    """EvtIoWrite (queue.c): keep a copy of the data in a new pool buffer (freeing the last
    one), complete the write at the next tick."""
    queueContext = QueueGetContext(Queue)
    if Length > MAX_WRITE_LENGTH:
        WdfRequestCompleteWithInformation(Request, STATUS_BUFFER_OVERFLOW, 0)
        return

    status, memory = WdfRequestRetrieveInputMemory(Request)
    if not NT_SUCCESS(status):
        WdfRequestComplete(Request, status)
        return

    if queueContext.Buffer is not None:  # drop the previous write's data
        ExFreePool(queueContext.Buffer)
        queueContext.Buffer = None
        queueContext.Length = 0

    queueContext.Buffer = ExAllocatePool2(POOL_FLAG_NON_PAGED, Length, ECHO_POOL_TAG)
    if queueContext.Buffer is None:
        WdfRequestComplete(Request, STATUS_INSUFFICIENT_RESOURCES)
        return

    status = WdfMemoryCopyToBuffer(memory, 0, queueContext.Buffer, Length)
    if not NT_SUCCESS(status):
        ExFreePool(queueContext.Buffer)
        queueContext.Buffer = None
        queueContext.Length = 0
        WdfRequestComplete(Request, status)
        return

    queueContext.Length = Length
    WdfRequestSetInformation(Request, Length)
    WdfRequestMarkCancelable(Request, EchoEvtRequestCancel)
    queueContext.CurrentRequest = Request
    queueContext.CurrentStatus = status


def EchoEvtTimerFunc(Timer):
    """EvtTimerFunc (queue.c), at DISPATCH_LEVEL under the queue's lock: complete the held
    request, unless its cancellation got there first.

    WdfRequestUnmarkCancelable answers STATUS_CANCELLED when the request was cancelled and the
    cancel routine owns it (it has run or is about to): then the timer must not complete it."""
    queue = WdfTimerGetParentObject(Timer)
    queueContext = QueueGetContext(queue)
    Request = queueContext.CurrentRequest
    if Request is not None:
        status = WdfRequestUnmarkCancelable(Request)
        if status != STATUS_CANCELLED:
            queueContext.CurrentRequest = None
            status = queueContext.CurrentStatus
            WdfRequestComplete(Request, status)


# ==============================================================================================
# The non-PnP IOCTL sample (general/ioctl/kmdf/sys: nonpnp.c, nonpnp.h, public.h)
# ==============================================================================================

FILEIO_TYPE = 40001
"""The device type in the sample's IOCTL codes (public.h): in the range for customers."""

IOCTL_NONPNP_METHOD_IN_DIRECT = CTL_CODE(FILEIO_TYPE, 0x900, METHOD_IN_DIRECT, FILE_ANY_ACCESS)
IOCTL_NONPNP_METHOD_OUT_DIRECT = CTL_CODE(FILEIO_TYPE, 0x901, METHOD_OUT_DIRECT, FILE_ANY_ACCESS)
IOCTL_NONPNP_METHOD_BUFFERED = CTL_CODE(FILEIO_TYPE, 0x902, METHOD_BUFFERED, FILE_ANY_ACCESS)
IOCTL_NONPNP_METHOD_NEITHER = CTL_CODE(FILEIO_TYPE, 0x903, METHOD_NEITHER, FILE_ANY_ACCESS)

NTDEVICE_NAME_STRING = "\\Device\\NONPNP"
SYMBOLIC_NAME_STRING = "\\DosDevices\\NONPNP"
POOL_TAG = "ELIF"
DEVICE_NAME = "\\\\.\\NONPNP\\nonpnpsamp.log"
"""What nonpnpapp opens (public.h): the link, then the name of the file the driver keeps."""

DRIVER_DATA = b"this String is from Device Driver !!!\0"
"""The string every IOCTL answers with, its NUL included (``data``/``datalen`` in nonpnp.c)."""

TEMP_DIRECTORY = "\\SystemRoot\\temp"


class CONTROL_DEVICE_EXTENSION:
    """The control device's context (nonpnp.h).

    The sample keeps the HANDLE of a file it opens with ZwCreateFile under \\SystemRoot\\temp.
    wdfkit has no file system, so the file's bytes are kept here instead, in a pool buffer the
    driver allocates (see NonPnpEvtDeviceFileCreate)."""

    FileName = None  # "\\SystemRoot\\temp\\<name>": the file this handle opened
    FileBuffer = None  # PVOID: the file's contents (NULL while it is empty)
    FileLength = 0  # how many bytes the file holds


class REQUEST_CONTEXT:
    """The context NonPnpEvtDeviceIoInCallerContext gives a METHOD_NEITHER request (nonpnp.h):
    the memory objects over the caller's buffers, locked while still in its process."""

    InputMemoryBuffer = None  # WDFMEMORY, child of the request
    OutputMemoryBuffer = None


ControlGetData = WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(CONTROL_DEVICE_EXTENSION, "ControlGetData")
GetRequestContext = WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(REQUEST_CONTEXT, "GetRequestContext")


def NonPnpDriverEntry(DriverObject, RegistryPath):
    """DriverEntry of the non-PnP sample (nonpnp.c): a driver with no AddDevice that makes its
    one device, a control device, itself.

    Left out: WPP tracing (WPP_INIT_TRACING here, and the driver's EvtCleanupCallback that only
    calls WPP_CLEANUP)."""
    config = WDF_DRIVER_CONFIG()
    WDF_DRIVER_CONFIG_INIT(config, None)  # WDF_NO_EVENT_CALLBACK: no EvtDriverDeviceAdd
    # Non-PnP: the framework installs no AddDevice; such a driver must name an unload routine
    # to be unloadable at all.
    config.DriverInitFlags |= WdfDriverInitNonPnpDriver
    config.EvtDriverUnload = NonPnpEvtDriverUnload

    status, hDriver = WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, config)
    if not NT_SUCCESS(status):
        return status

    # A control device starts from a WDFDEVICE_INIT the driver allocates (a PnP driver gets one
    # in EvtDriverDeviceAdd).  The SDDL string is the device's security descriptor.
    pInit = WdfControlDeviceInitAllocate(hDriver, SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_RW_RES_R)
    if pInit is None:
        return STATUS_INSUFFICIENT_RESOURCES
    return NonPnpDeviceAdd(hDriver, pInit)


def NonPnpDeviceAdd(Driver, DeviceInit):
    """Create the control device (nonpnp.c); called by DriverEntry, not by the framework.

    It owns *DeviceInit*: WdfDeviceCreate uses it up on success; on any failure before that
    the routine frees it with WdfDeviceInitFree."""
    # Exclusive: one handle at a time; a second CreateFile is refused.
    WdfDeviceInitSetExclusive(DeviceInit, True)
    WdfDeviceInitSetIoType(DeviceInit, WdfDeviceIoBuffered)

    status = WdfDeviceInitAssignName(DeviceInit, NTDEVICE_NAME_STRING)
    if NT_SUCCESS(status):
        WdfControlDeviceInitSetShutdownNotification(DeviceInit, NonPnpShutdown, WdfDeviceShutdown)

        # Create and close: the driver wants to see each open (to open its file) and each close
        # (to close it); it registers no cleanup callback.
        fileConfig = WDF_FILEOBJECT_CONFIG()
        WDF_FILEOBJECT_CONFIG_INIT(
            fileConfig, NonPnpEvtDeviceFileCreate, NonPnpEvtFileClose, None
        )  # None: WDF_NO_EVENT_CALLBACK for EvtFileCleanup
        WdfDeviceInitSetFileObjectConfig(DeviceInit, fileConfig, WDF_NO_OBJECT_ATTRIBUTES)

        # METHOD_NEITHER buffers are user addresses, valid only in the caller's process: the
        # driver must see the request there, before the framework queues it.
        WdfDeviceInitSetIoInCallerContextCallback(DeviceInit, NonPnpEvtDeviceIoInCallerContext)

        attributes = WDF_OBJECT_ATTRIBUTES()
        WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(attributes, CONTROL_DEVICE_EXTENSION)
        status, controlDevice = WdfDeviceCreate(DeviceInit, attributes)
        if NT_SUCCESS(status):
            DeviceInit = None  # WdfDeviceCreate(&DeviceInit, ...) sets it to NULL in C

    if NT_SUCCESS(status):
        # \DosDevices\NONPNP: what makes \\.\NONPNP reachable from user mode.  On failure the
        # framework deletes the control device with the driver.
        status = WdfDeviceCreateSymbolicLink(controlDevice, SYMBOLIC_NAME_STRING)

    if NT_SUCCESS(status):
        ioQueueConfig = WDF_IO_QUEUE_CONFIG()
        WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(ioQueueConfig, WdfIoQueueDispatchSequential)
        ioQueueConfig.EvtIoRead = FileEvtIoRead
        ioQueueConfig.EvtIoWrite = FileEvtIoWrite
        ioQueueConfig.EvtIoDeviceControl = FileEvtIoDeviceControl
        WDF_OBJECT_ATTRIBUTES_INIT(attributes)
        # No EvtIoStop: every request is completed inside its callback, so the framework can
        # simply wait for the driver to finish before it removes the device.
        status, queue = WdfIoQueueCreate(controlDevice, ioQueueConfig, attributes)

    if NT_SUCCESS(status):
        # A control device gets no I/O until the driver says it is ready.
        WdfControlFinishInitializing(controlDevice)

    # End:
    if DeviceInit is not None:
        WdfDeviceInitFree(DeviceInit)
    return status


def NonPnpEvtDeviceFileCreate(Device, Request, FileObject):
    """EvtDeviceFileCreate (nonpnp.c): an application opened \\\\.\\NONPNP\\<name>.

    The sample builds ``\\SystemRoot\\temp`` + the file name in paged pool and opens that file
    with ZwCreateFile.  Here the name is built the same way and kept in the device context; the
    "file" starts empty (see CONTROL_DEVICE_EXTENSION)."""
    devExt = ControlGetData(Device)
    # The object manager passes what follows the device's name, starting with one "\".
    fileName = WdfFileObjectGetFileName(FileObject) or ""
    length = 2 * (len(TEMP_DIRECTORY) + len(fileName))  # UNICODE_STRING lengths are in bytes
    absFileName = ExAllocatePool2(POOL_FLAG_PAGED, length, POOL_TAG)
    if absFileName is None:
        status = STATUS_INSUFFICIENT_RESOURCES
    else:
        RtlCopyMemory(absFileName, (TEMP_DIRECTORY + fileName).encode("utf-16-le"), length)
        devExt.FileName = absFileName.read(length).decode("utf-16-le")
        devExt.FileBuffer, devExt.FileLength = None, 0  # ZwCreateFile(..., FILE_OPEN_IF, ...)
        status = STATUS_SUCCESS
        ExFreePool(absFileName)
    WdfRequestComplete(Request, status)


def NonPnpEvtFileClose(FileObject):
    """EvtFileClose (nonpnp.c): the last handle is gone; close the file (ZwClose in the sample:
    here, free its buffer)."""
    devExt = ControlGetData(WdfFileObjectGetDevice(FileObject))
    if devExt.FileBuffer is not None:
        ExFreePool(devExt.FileBuffer)
        devExt.FileBuffer, devExt.FileLength = None, 0


def FileEvtIoRead(Queue, Request, Length):
    """EvtIoRead (nonpnp.c): read the file from its start into the request's system buffer."""
    bytesRead = 0
    status, outBuf, bufLength = WdfRequestRetrieveOutputBuffer(Request, 0)
    if not NT_SUCCESS(status):
        WdfRequestComplete(Request, status)
        return
    devExt = ControlGetData(WdfIoQueueGetDevice(Queue))
    if devExt.FileBuffer is not None:  # ZwSetInformationFile to 0, then ZwReadFile
        bytesRead = min(Length, devExt.FileLength)
        RtlCopyMemory(outBuf, devExt.FileBuffer, bytesRead)
    WdfRequestCompleteWithInformation(Request, status, bytesRead)


def FileEvtIoWrite(Queue, Request, Length):
    """EvtIoWrite (nonpnp.c): write the request's system buffer to the file from its start."""
    bytesWritten = 0
    status, inBuf, bufLength = WdfRequestRetrieveInputBuffer(Request, 0)
    if not NT_SUCCESS(status):
        WdfRequestComplete(Request, status)
        return
    devExt = ControlGetData(WdfIoQueueGetDevice(Queue))
    if devExt.FileName is not None:  # ZwSetInformationFile to 0, then ZwWriteFile
        if devExt.FileBuffer is not None:
            ExFreePool(devExt.FileBuffer)
            devExt.FileBuffer, devExt.FileLength = None, 0
        devExt.FileBuffer = ExAllocatePool2(POOL_FLAG_NON_PAGED, Length, POOL_TAG)
        if devExt.FileBuffer is None:
            status = STATUS_INSUFFICIENT_RESOURCES
        else:
            RtlCopyMemory(devExt.FileBuffer, inBuf, Length)
            devExt.FileLength = bytesWritten = Length
    WdfRequestCompleteWithInformation(Request, status, bytesWritten)


def FileEvtIoDeviceControl(Queue, Request, OutputBufferLength, InputBufferLength, IoControlCode):
    """EvtIoDeviceControl (nonpnp.c): the four transfer methods, each answering DRIVER_DATA.

    What each method hands the driver:

    * METHOD_BUFFERED: one system buffer for both directions; the input and output buffers
      are the same address, so read the input before writing the output.  The I/O manager
      copies Information bytes back to the caller at completion.
    * METHOD_IN_DIRECT: the input in the system buffer; the *output* buffer is the caller's,
      locked and mapped (an MDL), and for this method it carries data *to* the driver.
      Information says how many of its bytes the driver took.
    * METHOD_OUT_DIRECT: the output buffer locked and mapped; the driver writes the caller's
      memory directly.
    * METHOD_NEITHER: the caller's own addresses; NonPnpEvtDeviceIoInCallerContext locked them
      into memory objects kept in the request's context, usable here in any context.

    The sample copies OutputBufferLength bytes of the 38-byte string, reading past its end in
    the driver image; wdfkit refuses a source shorter than the copy, so this copies what
    Information reports: min(OutputBufferLength, datalen) bytes.
    """
    status = STATUS_SUCCESS
    data, datalen = DRIVER_DATA, len(DRIVER_DATA)
    copied = min(OutputBufferLength, datalen)
    if not OutputBufferLength or not InputBufferLength:
        WdfRequestComplete(Request, STATUS_INVALID_PARAMETER)
        return

    if IoControlCode == IOCTL_NONPNP_METHOD_BUFFERED:
        status, inBuf, bufSize = WdfRequestRetrieveInputBuffer(Request, 0)
        if not NT_SUCCESS(status):
            status = STATUS_INSUFFICIENT_RESOURCES
        else:
            assert bufSize == InputBufferLength  # the sample's ASSERT
            status, outBuf, bufSize = WdfRequestRetrieveOutputBuffer(Request, 0)
            if not NT_SUCCESS(status):
                status = STATUS_INSUFFICIENT_RESOURCES
            else:
                assert bufSize == OutputBufferLength
                RtlCopyMemory(outBuf, data, copied)  # overwrites the input: same buffer
                WdfRequestSetInformation(Request, copied)

    elif IoControlCode == IOCTL_NONPNP_METHOD_IN_DIRECT:
        status, inBuf, bufSize = WdfRequestRetrieveInputBuffer(Request, 0)
        if not NT_SUCCESS(status):
            status = STATUS_INSUFFICIENT_RESOURCES
        else:
            assert bufSize == InputBufferLength
            # The mapped output buffer: data from the application, read, never written.
            status, buffer, bufSize = WdfRequestRetrieveOutputBuffer(Request, 0)
            if NT_SUCCESS(status):
                assert bufSize == OutputBufferLength
                WdfRequestSetInformation(Request, OutputBufferLength)

    elif IoControlCode == IOCTL_NONPNP_METHOD_OUT_DIRECT:
        status, inBuf, bufSize = WdfRequestRetrieveInputBuffer(Request, 0)
        if not NT_SUCCESS(status):
            status = STATUS_INSUFFICIENT_RESOURCES
        else:
            assert bufSize == InputBufferLength
            status, buffer, bufSize = WdfRequestRetrieveOutputBuffer(Request, 0)
            if NT_SUCCESS(status):
                assert bufSize == OutputBufferLength
                RtlCopyMemory(buffer, data, copied)  # straight into the caller's pages
                WdfRequestSetInformation(Request, copied)

    elif IoControlCode == IOCTL_NONPNP_METHOD_NEITHER:
        # The caller-context callback locked both buffers and kept the memory objects; their
        # system addresses are valid here, whatever process is current.
        reqContext = GetRequestContext(Request)
        inBuf, inBufLength = WdfMemoryGetBuffer(reqContext.InputMemoryBuffer)
        outBuf, outBufLength = WdfMemoryGetBuffer(reqContext.OutputMemoryBuffer)
        assert inBufLength == InputBufferLength
        assert outBufLength == OutputBufferLength
        RtlCopyMemory(outBuf, data, min(outBufLength, datalen))
        WdfRequestSetInformation(Request, min(outBufLength, datalen))

    else:
        status = STATUS_INVALID_DEVICE_REQUEST  # not one of ours

    WdfRequestComplete(Request, status)


def NonPnpEvtDeviceIoInCallerContext(Device, Request):
    """EvtIoInCallerContext (nonpnp.c): every read, write and IOCTL comes here first, in the
    thread (and process) of the caller, before any queue.

    Everything but a METHOD_NEITHER IOCTL goes straight back to the framework, which queues it
    (WdfDeviceEnqueueRequest).  For METHOD_NEITHER the buffers are plain user addresses: the
    driver retrieves them, gives the request a context, probes and locks both (each becomes a
    WDFMEMORY whose parent is the request, so it goes when the request completes), and only
    then queues it.  Any failure completes the request here (the sample's ``goto End``)."""
    params = WDF_REQUEST_PARAMETERS()
    WDF_REQUEST_PARAMETERS_INIT(params)
    WdfRequestGetParameters(Request, params)

    if not (
        params.Type == WdfRequestTypeDeviceControl
        and params.Parameters.DeviceIoControl.IoControlCode == IOCTL_NONPNP_METHOD_NEITHER
    ):
        status = WdfDeviceEnqueueRequest(Device, Request)
        if not NT_SUCCESS(status):
            WdfRequestComplete(Request, status)  # End:
        return

    # Type3InputBuffer and UserBuffer: the caller's addresses, unchecked.
    status, inBuf, inBufLen = WdfRequestRetrieveUnsafeUserInputBuffer(Request, 0)
    if NT_SUCCESS(status):
        status, outBuf, outBufLen = WdfRequestRetrieveUnsafeUserOutputBuffer(Request, 0)
    if NT_SUCCESS(status):
        attributes = WDF_OBJECT_ATTRIBUTES()
        WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(attributes, REQUEST_CONTEXT)
        status, reqContext = WdfObjectAllocateContext(Request, attributes)
    if NT_SUCCESS(status):
        status, reqContext.InputMemoryBuffer = WdfRequestProbeAndLockUserBufferForRead(
            Request, inBuf, inBufLen
        )
    if NT_SUCCESS(status):
        status, reqContext.OutputMemoryBuffer = WdfRequestProbeAndLockUserBufferForWrite(
            Request, outBuf, outBufLen
        )
    if NT_SUCCESS(status):
        status = WdfDeviceEnqueueRequest(Device, Request)
    if NT_SUCCESS(status):
        return
    # End:
    WdfRequestComplete(Request, status)


def NonPnpShutdown(Device):
    """EvtDeviceShutdownNotification (nonpnp.c): the machine is shutting down.  The sample does
    nothing here; a driver with files open would close them."""


def NonPnpEvtDriverUnload(Driver):
    """EvtDriverUnload (nonpnp.c).  Nothing to free: the control device is the driver's child
    and the framework deletes it with the driver."""


__all__ = [
    "CONTROL_DEVICE_EXTENSION",
    "DEVICE_CONTEXT",
    "DEVICE_NAME",
    "DRIVER_DATA",
    "ECHO_POOL_TAG",
    "EchoDeviceCreate",
    "EchoDriverEntry",
    "EchoEvtDeviceAdd",
    "EchoEvtDeviceSelfManagedIoStart",
    "EchoEvtDeviceSelfManagedIoSuspend",
    "EchoEvtIoQueueContextDestroy",
    "EchoEvtIoRead",
    "EchoEvtIoWrite",
    "EchoEvtRequestCancel",
    "EchoEvtTimerFunc",
    "EchoQueueInitialize",
    "EchoTimerCreate",
    "FILEIO_TYPE",
    "FileEvtIoDeviceControl",
    "FileEvtIoRead",
    "FileEvtIoWrite",
    "GUID_DEVINTERFACE_ECHO",
    "GetRequestContext",
    "IOCTL_NONPNP_METHOD_BUFFERED",
    "IOCTL_NONPNP_METHOD_IN_DIRECT",
    "IOCTL_NONPNP_METHOD_NEITHER",
    "IOCTL_NONPNP_METHOD_OUT_DIRECT",
    "MAX_WRITE_LENGTH",
    "NTDEVICE_NAME_STRING",
    "NonPnpDeviceAdd",
    "NonPnpDriverEntry",
    "NonPnpEvtDeviceFileCreate",
    "NonPnpEvtDeviceIoInCallerContext",
    "NonPnpEvtDriverUnload",
    "NonPnpEvtFileClose",
    "NonPnpShutdown",
    "POOL_TAG",
    "QUEUE_CONTEXT",
    "QueueGetContext",
    "REQUEST_CONTEXT",
    "SYMBOLIC_NAME_STRING",
    "TEMP_DIRECTORY",
    "TIMER_PERIOD",
    "WdfObjectGet_DEVICE_CONTEXT",
]
