"""Issue 16 item 5: file objects — WDF_FILEOBJECT_CONFIG, WdfDeviceInitSetFileObjectConfig,
EvtDeviceFileCreate / EvtFileCleanup / EvtFileClose, WdfRequestGetFileObject,
WdfFileObjectGetDevice, WdfFileObjectGetFileName (wdfkit.fx.fileobject)."""
# ruff: noqa: F403, F405  (the tests use the DDI names exactly as a driver would)

import pytest

from wdfkit import *
from wdfkit.ddi.wdfdevice import WDF_FILEOBJECT_CONFIG_SIZE


def file_machine(create=None, cleanup=None, close=None, attributes=None, configure=None,
                 read=None, verifier=True):  # fmt: skip
    """A device with a file object config (*configure(config)* may change it), a sequential
    default queue whose reads *read* answers (default: held in ``machine.held``), the name
    \\Device\\Files and the link \\??\\FILES.  ``machine.calls`` records the file events."""
    calls, held = [], []

    def EvtDeviceFileCreate(Device, Request, FileObject):
        calls.append(("create", Device, FileObject))
        if create is None:
            WdfRequestComplete(Request, STATUS_SUCCESS)
        else:
            create(Device, Request, FileObject)

    def EvtFileCleanup(FileObject):
        calls.append(("cleanup", FileObject))
        if cleanup is not None:
            cleanup(FileObject)

    def EvtFileClose(FileObject):
        calls.append(("close", FileObject))
        if close is not None:
            close(FileObject)

    def EvtIoRead(Queue, Request, Length):
        if read is None:
            held.append(Request)
        else:
            read(Queue, Request, Length)

    def EvtDriverDeviceAdd(Driver, DeviceInit):
        config = WDF_FILEOBJECT_CONFIG()
        WDF_FILEOBJECT_CONFIG_INIT(config, EvtDeviceFileCreate, EvtFileClose, EvtFileCleanup)
        if configure is not None:
            configure(config)
        WdfDeviceInitSetFileObjectConfig(DeviceInit, config, attributes)
        status, device = WdfDeviceCreate(DeviceInit, WDF_NO_OBJECT_ATTRIBUTES)
        if not NT_SUCCESS(status):
            return status
        queue_config = WDF_IO_QUEUE_CONFIG()
        WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(queue_config, WdfIoQueueDispatchSequential)
        queue_config.EvtIoRead = EvtIoRead
        return WdfIoQueueCreate(device, queue_config, WDF_NO_OBJECT_ATTRIBUTES)[0]

    machine = boot("Toaster", verifier=verifier)
    machine.add_status = machine.add_device(EvtDriverDeviceAdd)
    if machine.devices:
        machine.namespace.insert_device("\\Device\\Files", machine.devices[0])
        machine.namespace.create_symbolic_link("\\??\\FILES", "\\Device\\Files")
    machine.calls, machine.held = calls, held
    return machine


def open_files(machine, path="\\\\.\\FILES"):
    status, handle = machine.process().CreateFile(path, overlapped=True)
    assert status == STATUS_SUCCESS
    return handle


# -- the structure ------------------------------------------------------------------------------
def test_config_init_sets_size_callbacks_class_and_auto_forward():
    config = WDF_FILEOBJECT_CONFIG()
    assert list(vars(config)) == [
        "Size", "EvtDeviceFileCreate", "EvtFileClose", "EvtFileCleanup",
        "AutoForwardCleanupClose", "FileObjectClass",
    ]  # fmt: skip
    WDF_FILEOBJECT_CONFIG_INIT(config, None, print, None)
    assert config.Size == WDF_FILEOBJECT_CONFIG_SIZE == 0x28
    assert config.EvtFileClose is print and config.EvtDeviceFileCreate is None
    assert config.FileObjectClass == WdfFileObjectWdfCannotUseFsContexts
    assert config.AutoForwardCleanupClose == WdfUseDefault
    with pytest.raises(TypeError, match="^WDF_FILEOBJECT_CONFIG_INIT: FileEventCallbacks"):
        WDF_FILEOBJECT_CONFIG_INIT(None, None, None, None)
    with pytest.raises(TypeError, match="EvtFileCleanup must be a function"):
        config.EvtFileCleanup = 5


# -- create, cleanup, close ---------------------------------------------------------------------
def test_create_presents_device_request_and_file_object_and_close_deletes_it():
    machine = file_machine()
    handle = open_files(machine)
    ((kind, device, file_object),) = machine.calls
    assert kind == "create" and device == machine.devices[0].handle
    assert WdfFileObjectGetDevice(file_object) == device
    assert WdfFileObjectGetFileName(file_object) == ""
    assert file_object.value in machine.objects
    handle.CloseHandle()
    assert machine.calls[1:] == [("cleanup", file_object), ("close", file_object)]
    assert file_object.value not in machine.objects


def test_file_name_is_what_follows_the_device_name():
    names = []
    machine = file_machine(create=lambda d, r, f: (
        names.append(WdfFileObjectGetFileName(f)), WdfRequestComplete(r, STATUS_SUCCESS)
    ))  # fmt: skip
    open_files(machine, "\\\\.\\FILES\\stream\\7")
    assert names == ["\\stream\\7"]


def test_a_create_failed_by_the_driver_leaves_no_file_object_and_gets_no_cleanup_or_close():
    machine = file_machine(create=lambda d, r, f: WdfRequestComplete(r, STATUS_ACCESS_DENIED))
    assert machine.process().CreateFile("\\\\.\\FILES") == (STATUS_ACCESS_DENIED, None)
    ((_, _, file_object),) = machine.calls
    assert file_object.value not in machine.objects
    assert machine.devices[0].general.open_handle_count == 1  # back to the bias
    assert machine.devices[0].ReferenceCount == 0


def test_a_create_the_driver_never_completes_is_a_reported_hang():
    machine = file_machine(create=lambda d, r, f: None)
    assert machine.process().CreateFile("\\\\.\\FILES") == (STATUS_PENDING, None)
    line = machine.log_lines()[-1]
    assert "IRP_MJ_CREATE, IRP 0x" in line and "(WDFREQUEST 0x" in line and "still waiting" in line


def test_requests_carry_their_file_object():
    seen = []

    def read(Queue, Request, Length):
        seen.append(WdfRequestGetFileObject(Request))
        WdfRequestComplete(Request, STATUS_SUCCESS)

    machine = file_machine(read=read)
    first, second = open_files(machine), open_files(machine)
    first.ReadFile(bytearray(4))
    second.ReadFile(bytearray(4))
    file_objects = [call[2] for call in machine.calls]
    assert seen == file_objects and seen[0] != seen[1]


def test_a_device_without_file_object_config_has_none():
    from wdfkit.course import scenarios

    seen = []

    def read(Queue, Request, Length):
        seen.append(WdfRequestGetFileObject(Request))
        WdfRequestComplete(Request, STATUS_SUCCESS)

    machine = boot("Toaster")
    machine.add_device(scenarios.queue_driver(WdfDeviceIoBuffered, {"EvtIoRead": read}))
    machine.namespace.insert_device("\\Device\\Plain", machine.devices[0])
    machine.namespace.create_symbolic_link("\\??\\PLAIN", "\\Device\\Plain")
    status, handle = machine.process().CreateFile("\\\\.\\PLAIN")
    assert status == STATUS_SUCCESS  # KMDF's default create: STATUS_SUCCESS, no WDFFILEOBJECT
    handle.ReadFile(bytearray(4))
    assert seen == [None]


def test_cleanup_cancels_the_handles_waiting_requests_and_close_waits_for_the_owned_one():
    """FxPkgGeneral::OnCleanup: EvtFileCleanup, then FlushByFileObject cancels the requests
    still waiting in the queue for this file object; the one the driver owns stays its own,
    and IRP_MJ_CLOSE comes only once it is completed."""
    machine = file_machine()
    handle, other = open_files(machine), open_files(machine)
    owned = handle.ReadFile(bytearray(4), overlapped=True)  # presented: the driver holds it
    waiting = handle.ReadFile(bytearray(4), overlapped=True)  # sequential queue: waits
    others = other.ReadFile(bytearray(4), overlapped=True)
    handle.CloseHandle()
    assert waiting.IoStatus.Status == STATUS_CANCELLED
    assert not owned.done and not others.done
    assert [c[0] for c in machine.calls] == ["create", "create", "cleanup"]
    WdfRequestComplete(machine.held[0], STATUS_SUCCESS)
    machine.advance(0)
    assert [c[0] for c in machine.calls][-1] == "close"
    assert machine.held[1:] and not others.done  # the other handle's read is presented now


def test_cleanup_hands_a_forwarded_waiting_request_to_evt_io_canceled_on_queue():
    """fxioqueue.cpp: FxIoQueue::FlushByFileObject cancels each waiting request of the file
    object through CancelForQueue, which gives a request the driver had before (m_Presented:
    here forwarded to a manual queue) to EvtIoCanceledOnQueue instead of completing it."""
    canceled = []

    def EvtIoCanceledOnQueue(Queue, Request):
        canceled.append(Request)
        WdfRequestComplete(Request, STATUS_CANCELLED)

    def EvtDriverDeviceAdd(Driver, DeviceInit):
        config = WDF_FILEOBJECT_CONFIG()
        WDF_FILEOBJECT_CONFIG_INIT(config, None, None, None)
        WdfDeviceInitSetFileObjectConfig(DeviceInit, config, WDF_NO_OBJECT_ATTRIBUTES)
        status, device = WdfDeviceCreate(DeviceInit, WDF_NO_OBJECT_ATTRIBUTES)
        manual_config = WDF_IO_QUEUE_CONFIG()
        WDF_IO_QUEUE_CONFIG_INIT(manual_config, WdfIoQueueDispatchManual)
        manual_config.EvtIoCanceledOnQueue = EvtIoCanceledOnQueue
        status, manual = WdfIoQueueCreate(device, manual_config, WDF_NO_OBJECT_ATTRIBUTES)
        queue_config = WDF_IO_QUEUE_CONFIG()
        WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(queue_config, WdfIoQueueDispatchParallel)
        queue_config.EvtIoRead = lambda Queue, Request, Length: WdfRequestForwardToIoQueue(
            Request, manual
        )
        return WdfIoQueueCreate(device, queue_config, WDF_NO_OBJECT_ATTRIBUTES)[0]

    machine = boot("Toaster")
    assert machine.add_device(EvtDriverDeviceAdd) == STATUS_SUCCESS
    machine.namespace.insert_device("\\Device\\Files", machine.devices[0])
    machine.namespace.create_symbolic_link("\\??\\FILES", "\\Device\\Files")
    handle = open_files(machine)
    read = handle.ReadFile(bytearray(4), overlapped=True)
    assert not read.done
    handle.CloseHandle()
    assert len(canceled) == 1 and read.IoStatus.Status == STATUS_CANCELLED


def test_queue_ddis_on_a_create_request_answer_or_name_what_wdfkit_does_not_model():
    """A create request is driver-owned in KMDF's internal create queue (fxpkggeneral.cpp
    OnCreate → m_DefaultQueueForCreates->GetRequest): WdfRequestIsCanceled answers FALSE and,
    under Verifier, WdfRequestUnmarkCancelable refuses the never-marked request
    (FxIoQueue::VerifyRequestCancelable → VerifyRequestIsCancelable); marking it cancelable
    or forwarding it needs the internal queue wdfkit does not model: a named ValueError,
    not an AttributeError."""
    results = []

    def create(Device, Request, FileObject):
        results.append(WdfRequestIsCanceled(Request))
        results.append(WdfRequestUnmarkCancelable(Request))
        for ddi, args in (
            (WdfRequestMarkCancelable, (Request, lambda R: None)),
            (WdfRequestMarkCancelableEx, (Request, lambda R: None)),
            (WdfRequestForwardToIoQueue, (Request, WdfDeviceGetDefaultQueue(Device))),
        ):
            with pytest.raises(ValueError, match=f"^{ddi.__name__}: .* is a create request"):
                ddi(*args)
        WdfRequestComplete(Request, STATUS_SUCCESS)

    machine = file_machine(create=create)
    open_files(machine)
    assert results == [False, STATUS_INVALID_DEVICE_REQUEST]


def test_close_deletes_the_file_object_with_its_cleanup_callbacks():
    events = []
    attributes = WDF_OBJECT_ATTRIBUTES()
    WDF_OBJECT_ATTRIBUTES_INIT(attributes)
    attributes.EvtCleanupCallback = lambda o: events.append(("EvtCleanupCallback", o))
    attributes.EvtDestroyCallback = lambda o: events.append(("EvtDestroyCallback", o))
    machine = file_machine(attributes=attributes)
    open_files(machine).CloseHandle()
    file_object = machine.calls[0][2]
    assert [c[0] for c in machine.calls] == ["create", "cleanup", "close"]
    assert events == [("EvtCleanupCallback", file_object), ("EvtDestroyCallback", file_object)]


def test_the_driver_cannot_delete_a_file_object():
    machine = file_machine()
    open_files(machine)
    file_object = machine.calls[0][2]
    WdfObjectDelete(file_object)
    assert file_object.value in machine.objects


def test_not_required_class_gives_the_callbacks_no_file_object():
    machine = file_machine(
        configure=lambda c: setattr(c, "FileObjectClass", WdfFileObjectNotRequired)
    )
    open_files(machine).CloseHandle()
    assert machine.calls[0][2] is None and machine.calls[1:] == [("cleanup", None), ("close", None)]


def test_fscontext_classes_keep_the_object_in_the_file_object():
    for kind, field in ((WdfFileObjectWdfCanUseFsContext, "FsContext"),
                        (WdfFileObjectWdfCanUseFsContext2, "FsContext2")):  # fmt: skip
        machine = file_machine(configure=lambda c, k=kind: setattr(c, "FileObjectClass", k))
        handle = open_files(machine)
        assert getattr(handle.file_object, field).handle == machine.calls[0][2]
        handle.CloseHandle()
        assert getattr(handle.file_object, field) is None


def test_auto_forward_sends_create_to_the_lower_device():
    def configure(config):
        config.EvtDeviceFileCreate = None
        config.AutoForwardCleanupClose = WdfTrue

    machine = file_machine(configure=configure)
    handle = open_files(machine)
    assert machine.clock.seconds == pytest.approx(0.001)  # the lower device's latency
    handle.CloseHandle()
    machine.devices[0].lower.fail_status = STATUS_IO_DEVICE_ERROR
    assert machine.process().CreateFile("\\\\.\\FILES") == (STATUS_IO_DEVICE_ERROR, None)
    assert len(machine.devices[0].general.file_objects) == 0


def test_queue_scope_for_file_objects_fails_the_device():
    attributes = WDF_OBJECT_ATTRIBUTES()
    WDF_OBJECT_ATTRIBUTES_INIT(attributes)
    attributes.SynchronizationScope = WdfSynchronizationScopeQueue
    machine = file_machine(attributes=attributes)
    assert machine.add_status == STATUS_INVALID_DEVICE_REQUEST and not machine.devices


def test_device_scope_needs_a_passive_device():
    attributes = WDF_OBJECT_ATTRIBUTES()
    WDF_OBJECT_ATTRIBUTES_INIT(attributes)
    attributes.SynchronizationScope = WdfSynchronizationScopeDevice
    assert file_machine(attributes=attributes).add_status == STATUS_INVALID_DEVICE_REQUEST


# -- the DDIs' boundaries -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "field, value",
    [
        ("Size", 0x20),
        ("AutoForwardCleanupClose", 3),
        ("FileObjectClass", WdfFileObjectInvalid),
        ("FileObjectClass", 5),
        ("FileObjectClass", WdfFileObjectNotRequired | WdfFileObjectCanBeOptional),
    ],
)
def test_set_file_object_config_refuses_a_bad_config_and_sets_nothing(field, value):
    machine = file_machine(configure=lambda c: setattr(c, field, value))
    assert "WdfDeviceInitSetFileObjectConfig:" in "".join(machine.log_lines())
    status, handle = machine.process().CreateFile("\\\\.\\FILES")
    assert status == STATUS_SUCCESS and machine.calls == []  # the default create


def test_set_file_object_config_null_and_wrong_arguments():
    config = WDF_FILEOBJECT_CONFIG()
    WDF_FILEOBJECT_CONFIG_INIT(config, None, None, None)
    boot("Toaster")
    with pytest.raises(TypeError, match="^WdfDeviceInitSetFileObjectConfig: DeviceInit"):
        WdfDeviceInitSetFileObjectConfig(5, config, None)
    init = WDFDEVICE_INIT()
    with pytest.raises(TypeError, match="^WdfDeviceInitSetFileObjectConfig: FileObjectConfig"):
        WdfDeviceInitSetFileObjectConfig(init, 5, None)
    with pytest.raises(TypeError, match="^WdfDeviceInitSetFileObjectConfig: FileObjectAttrib"):
        WdfDeviceInitSetFileObjectConfig(init, config, 5)
    with pytest.raises(BugCheck) as raised:
        WdfDeviceInitSetFileObjectConfig(init, None, None)
    assert raised.value.code == 0x10D


def test_file_object_ddis_bug_check_on_a_wrong_handle():
    machine = file_machine()
    with pytest.raises(BugCheck) as raised:
        WdfFileObjectGetDevice(machine.devices[0].handle)
    assert raised.value.parameters[0] == 0x5
    file_machine()
    with pytest.raises(BugCheck):
        WdfFileObjectGetFileName(None)
    file_machine()
    with pytest.raises(BugCheck):
        WdfRequestGetFileObject(None)


def test_get_file_name_above_passive_level_is_null_under_verifier():
    names = []

    def create(Device, Request, FileObject):
        old = KeRaiseIrql(DISPATCH_LEVEL)
        names.append(WdfFileObjectGetFileName(FileObject))
        KeLowerIrql(old)
        WdfRequestComplete(Request, STATUS_SUCCESS)

    open_files(file_machine(create=create))
    assert names == [None]


def test_get_file_object_on_a_completed_request_is_null_under_verifier():
    after = []

    def read(Queue, Request, Length):
        WdfObjectReference(Request)  # keeps the handle valid past completion
        WdfRequestComplete(Request, STATUS_SUCCESS)
        after.append(WdfRequestGetFileObject(Request))
        WdfObjectDereference(Request)

    machine = file_machine(read=read)
    open_files(machine).ReadFile(bytearray(4))
    assert after == [None]


def test_open_read_close_leaves_no_pool_and_no_objects_behind():
    machine = file_machine(read=lambda q, r, n: WdfRequestComplete(r, STATUS_SUCCESS))
    before = ([b.address for b in machine.pool.live_blocks()], set(machine.objects))
    for _ in range(3):
        handle = open_files(machine)
        handle.ReadFile(bytearray(8))
        handle.CloseHandle()
    assert ([b.address for b in machine.pool.live_blocks()], set(machine.objects)) == before
    assert machine.devices[0].general.open_handle_count == 1
    assert machine.devices[0].ReferenceCount == 0
