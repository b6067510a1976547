"""PnP start and removal in KMDF's order (pnpstatemachine.cpp, powerstatemachine.cpp), device
names, symbolic links and interfaces (fxdeviceapi.cpp, fxdeviceinterfaceapi.cpp)."""
# ruff: noqa: F403, F405  (the tests use the DDI names exactly as a driver would)

import uuid

import pytest

from wdfkit import *
from wdfkit.fx.queue import FxIoQueue

GUID_DEVINTERFACE_ECHO = GUID("cdc35b6e-0be4-4936-bf5f-5537380a7c1a")
STARTED = ["EvtDevicePrepareHardware", "EvtDeviceD0Entry", "EvtDeviceSelfManagedIoInit"]


def recording(order, fail=None, **extra):
    """WDF_PNPPOWER_EVENT_CALLBACKS whose every callback appends its name (and argument) to
    *order*; the one named *fail* returns STATUS_UNSUCCESSFUL."""
    callbacks = WDF_PNPPOWER_EVENT_CALLBACKS()
    WDF_PNPPOWER_EVENT_CALLBACKS_INIT(callbacks)

    def status_callback(name):
        def callback(Device, *args):
            order.append((name, *args) if name.startswith("EvtDeviceD0") else name)
            return STATUS_UNSUCCESSFUL if name == fail else STATUS_SUCCESS

        return callback

    def void_callback(name):
        return lambda Device: order.append(name)

    for name in ("D0Entry", "D0Exit", "PrepareHardware", "ReleaseHardware"):
        setattr(callbacks, f"EvtDevice{name}", status_callback(f"EvtDevice{name}"))
    for name in ("SelfManagedIoInit", "SelfManagedIoSuspend"):
        setattr(callbacks, f"EvtDevice{name}", status_callback(f"EvtDevice{name}"))
    for name in ("SelfManagedIoFlush", "SelfManagedIoCleanup", "SurpriseRemoval"):
        setattr(callbacks, f"EvtDevice{name}", void_callback(f"EvtDevice{name}"))
    for name, value in extra.items():
        setattr(callbacks, name, value)
    return callbacks


def pnp_machine(order, fail=None, setup=None, EvtIoRead=None, name=None, sequential=False):
    """A loaded driver whose EvtDriverDeviceAdd makes a device with recording callbacks, a
    default queue (EvtIoRead) and, via *setup(device)*, whatever else: ``(machine, holder)``."""
    holder = {}

    def EvtDriverDeviceAdd(Driver, DeviceInit):
        WdfDeviceInitSetPnpPowerEventCallbacks(DeviceInit, recording(order, fail))
        if name is not None:
            assert WdfDeviceInitAssignName(DeviceInit, name) == STATUS_SUCCESS
        status, device = WdfDeviceCreate(DeviceInit, None)
        if not NT_SUCCESS(status):
            return status
        holder["device"] = device
        config = WDF_IO_QUEUE_CONFIG()
        dispatch = WdfIoQueueDispatchSequential if sequential else WdfIoQueueDispatchParallel
        WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(config, dispatch)
        config.EvtIoRead = EvtIoRead or (lambda Q, R, L: WdfRequestComplete(R, STATUS_SUCCESS))
        status, holder["queue"] = WdfIoQueueCreate(device, config, None)
        if NT_SUCCESS(status) and setup is not None:
            status = setup(device)
        return status

    def DriverEntry(DriverObject, RegistryPath):
        config = WDF_DRIVER_CONFIG()
        WDF_DRIVER_CONFIG_INIT(config, EvtDriverDeviceAdd)
        return WdfDriverCreate(DriverObject, RegistryPath, None, config)[0]

    return Machine("Echo", DriverEntry=DriverEntry), holder


def test_start_calls_callbacks_in_kmdf_order():
    order = []
    machine, holder = pnp_machine(order)
    assert machine.add_device() == STATUS_SUCCESS
    assert order == [
        "EvtDevicePrepareHardware",
        ("EvtDeviceD0Entry", WdfPowerDeviceD3Final),
        "EvtDeviceSelfManagedIoInit",
    ]
    device = machine.devices[0]
    assert device.started and not device.removed


@pytest.mark.parametrize(
    "fail, undone",
    [
        (
            "EvtDevicePrepareHardware",
            ["EvtDevicePrepareHardware", "EvtDeviceReleaseHardware"],
        ),
        (
            "EvtDeviceD0Entry",
            [
                "EvtDevicePrepareHardware",
                ("EvtDeviceD0Entry", WdfPowerDeviceD3Final),
                "EvtDeviceReleaseHardware",
            ],
        ),
        (
            "EvtDeviceSelfManagedIoInit",
            [
                *STARTED[:1],
                ("EvtDeviceD0Entry", WdfPowerDeviceD3Final),
                "EvtDeviceSelfManagedIoInit",
                ("EvtDeviceD0Exit", WdfPowerDeviceD3Final),
                "EvtDeviceReleaseHardware",
                "EvtDeviceSelfManagedIoFlush",
                "EvtDeviceSelfManagedIoCleanup",
            ],
        ),
    ],
)
def test_failing_start_callback_fails_start_and_removes_device(fail, undone):
    order = []
    machine, holder = pnp_machine(order, fail=fail)
    assert machine.add_device() == STATUS_UNSUCCESSFUL
    assert order == undone
    assert machine.devices == [] and machine.state == "running"


def test_failing_device_add_deletes_the_device_it_created():
    order = []
    machine, holder = pnp_machine(order, setup=lambda device: STATUS_UNSUCCESSFUL)
    assert machine.add_device() == STATUS_UNSUCCESSFUL
    assert order == [] and machine.devices == []
    assert holder["device"].value not in machine.objects


def test_orderly_removal_calls_callbacks_in_kmdf_order_and_deletes_device():
    order = []
    machine, holder = pnp_machine(order)
    machine.add_device()
    del order[:]
    machine.remove_device()
    assert order == [
        "EvtDeviceSelfManagedIoSuspend",
        ("EvtDeviceD0Exit", WdfPowerDeviceD3Final),
        "EvtDeviceReleaseHardware",
        "EvtDeviceSelfManagedIoFlush",
        "EvtDeviceSelfManagedIoCleanup",
    ]
    assert machine.devices == []
    assert holder["device"].value not in machine.objects
    assert holder["queue"].value not in machine.objects


def test_surprise_removal_calls_surprise_removal_first():
    order = []
    machine, holder = pnp_machine(order)
    machine.add_device()
    del order[:]
    machine.remove_device(holder["device"], surprise=True)
    assert order[0] == "EvtDeviceSurpriseRemoval"
    assert order[1:3] == [
        "EvtDeviceSelfManagedIoSuspend",
        ("EvtDeviceD0Exit", WdfPowerDeviceD3Final),
    ]
    assert machine.devices == []


def test_remove_device_argument_checks():
    order = []
    machine, holder = pnp_machine(order)
    with pytest.raises(RuntimeError, match="no PnP device"):
        machine.remove_device()
    machine.add_device()
    with pytest.raises(TypeError, match="WDFDEVICE handle"):
        machine.remove_device("device")
    with pytest.raises(ValueError, match="not a PnP device"):
        machine.remove_device(holder["queue"])


def test_removal_waits_for_a_request_the_driver_completes_later():
    order = []
    held = []

    def EvtIoRead(Queue, Request, Length):
        held.append(Request)
        machine.clock.schedule(
            10_000_000, lambda: WdfRequestCompleteWithInformation(held.pop(), STATUS_SUCCESS, 0)
        )

    machine, holder = pnp_machine(order, EvtIoRead=EvtIoRead)
    machine.add_device()
    io = machine.application().ReadFile(bytearray(4), overlapped=True)
    assert not io.done
    machine.remove_device()
    assert io.done and io.IoStatus.Status == STATUS_SUCCESS
    assert machine.clock.seconds >= 1.0
    assert "EvtDeviceSelfManagedIoCleanup" in order


def test_removal_hang_is_reported_and_can_be_finished_later():
    order = []
    held = []
    machine, holder = pnp_machine(order, EvtIoRead=lambda Q, R, L: held.append(R))
    machine.add_device()
    io = machine.application().ReadFile(bytearray(4), overlapped=True)
    with pytest.raises(RuntimeError, match=r"still owns WDFREQUEST.*for ever"):
        machine.remove_device()
    device = machine.devices[0]
    assert machine.state == "running" and device.removed
    assert order[-1] == "EvtDeviceSelfManagedIoSuspend"
    with machine:
        WdfRequestComplete(held.pop(), STATUS_CANCELLED)
    assert io.IoStatus.Status == STATUS_CANCELLED
    machine.remove_device()
    assert order.count("EvtDeviceSelfManagedIoSuspend") == 1
    assert order[-1] == "EvtDeviceSelfManagedIoCleanup" and machine.devices == []


@pytest.mark.skipif(
    not hasattr(FxIoQueue, "stop_processing_for_power"),
    reason="the queue's power hooks (wt-q) are not in this branch yet",
)
def test_removal_purges_requests_waiting_in_a_queue():
    """A sequential queue: the driver owns the first read (it completes it a second later),
    the second waits.  Removal holds the queue, waits for the first, then the purge cancels
    the second (FxIoQueue purge: waiting requests completed with STATUS_CANCELLED)."""
    order = []

    def EvtIoRead(Queue, Request, Length):
        machine.clock.schedule(
            10_000_000, lambda: WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, 0)
        )

    machine, holder = pnp_machine(order, EvtIoRead=EvtIoRead, sequential=True)
    machine.add_device()
    app = machine.application()
    first = app.ReadFile(bytearray(4), overlapped=True)
    second = app.ReadFile(bytearray(4), overlapped=True)
    machine.remove_device()
    assert first.IoStatus.Status == STATUS_SUCCESS
    assert second.IoStatus.Status == STATUS_CANCELLED
    assert machine.devices == []


def test_flush_runs_before_non_power_managed_queues_are_purged():
    """pnpstatemachine.cpp: PnpCleanupForRemove purges the power-managed queues, then calls
    EvtDeviceSelfManagedIoFlush; only PnpEventRemovedCommonCode purges the other queues
    (StopProcessingForPower(PurgeNonManaged)) before EvtDeviceSelfManagedIoCleanup.  So a
    driver completes in Flush the request it holds from a non-power-managed queue, and the
    removal does not wait for it before Flush."""
    order, held = [], []

    def flush(Device):
        order.append("EvtDeviceSelfManagedIoFlush")
        WdfRequestComplete(held.pop(), STATUS_CANCELLED)

    def EvtDriverDeviceAdd(Driver, DeviceInit):
        callbacks = recording(order, EvtDeviceSelfManagedIoFlush=flush)
        WdfDeviceInitSetPnpPowerEventCallbacks(DeviceInit, callbacks)
        status, device = WdfDeviceCreate(DeviceInit, None)
        config = WDF_IO_QUEUE_CONFIG()
        WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(config, WdfIoQueueDispatchParallel)
        config.PowerManaged = WdfFalse
        config.EvtIoRead = lambda Queue, Request, Length: held.append(Request)
        return WdfIoQueueCreate(device, config, None)[0]

    machine = boot("Echo")
    assert machine.add_device(EvtDriverDeviceAdd) == STATUS_SUCCESS
    io = machine.application().ReadFile(bytearray(4), overlapped=True)
    assert held and not io.done
    machine.remove_device()
    assert io.IoStatus.Status == STATUS_CANCELLED and machine.devices == []
    assert order[-4:] == [
        ("EvtDeviceD0Exit", WdfPowerDeviceD3Final),
        "EvtDeviceReleaseHardware",
        "EvtDeviceSelfManagedIoFlush",
        "EvtDeviceSelfManagedIoCleanup",
    ]


def test_interfaces_are_enabled_at_start_and_disabled_at_removal():
    order = []

    def setup(device):
        return WdfDeviceCreateDeviceInterface(device, GUID_DEVINTERFACE_ECHO, None)

    machine, holder = pnp_machine(order, setup=setup)
    assert machine.namespace.interface_list(GUID_DEVINTERFACE_ECHO) == []
    machine.add_device()
    (path,) = machine.namespace.interface_list(GUID_DEVINTERFACE_ECHO)
    assert path.startswith("\\\\?\\ROOT#ECHO#") and path.endswith(f"#{{{GUID_DEVINTERFACE_ECHO}}}")
    status, device, name = machine.namespace.lookup("\\??\\" + path[4:])
    assert status == STATUS_SUCCESS and device is machine.devices[0] and name == ""
    machine.remove_device()
    assert machine.namespace.interface_list(GUID_DEVINTERFACE_ECHO) == []


def test_interface_created_after_start_is_registered_but_not_enabled():
    """fxdeviceinterfaceapi.cpp (WdfDeviceCreateDeviceInterface) only registers the interface
    and links it into the device's list; pnpstatemachine.cpp (PnpEnableInterfacesAndRegisterWmi)
    enables the list at start.  One created after the start stays disabled (the driver would
    call WdfDeviceSetDeviceInterfaceState), so applications do not see it."""
    order = []
    machine, holder = pnp_machine(order)
    machine.add_device()
    with machine:
        status = WdfDeviceCreateDeviceInterface(holder["device"], GUID_DEVINTERFACE_ECHO, "ref")
        assert status == STATUS_SUCCESS
        bad = WdfDeviceCreateDeviceInterface(holder["device"], GUID_DEVINTERFACE_ECHO, "a\\b")
        assert bad == STATUS_INVALID_PARAMETER
        with pytest.raises(TypeError, match="InterfaceClassGUID must be a GUID"):
            WdfDeviceCreateDeviceInterface(holder["device"], str(uuid.uuid4()), None)
    assert machine.namespace.interface_list(GUID_DEVINTERFACE_ECHO) == []
    (registered,) = [i for i in machine.namespace.interfaces if i.guid == GUID_DEVINTERFACE_ECHO]
    assert registered.link.endswith("\\ref") and not registered.enabled


def test_interface_with_an_empty_reference_string_is_registered_without_one():
    """km/fxdeviceinterfacekm.cpp (FxDeviceInterface::Register): a zero-length reference
    string is passed to IoRegisterDeviceInterface as NULL, so it succeeds like None."""
    order = []

    def setup(device):
        return WdfDeviceCreateDeviceInterface(device, GUID_DEVINTERFACE_ECHO, "")

    machine, holder = pnp_machine(order, setup=setup)
    machine.add_device()
    (path,) = machine.namespace.interface_list(GUID_DEVINTERFACE_ECHO)
    assert path.endswith(f"#{{{GUID_DEVINTERFACE_ECHO}}}")


def test_named_device_and_symbolic_link_go_at_removal():
    order = []

    def setup(device):
        return WdfDeviceCreateSymbolicLink(device, "\\DosDevices\\ECHO")

    machine, holder = pnp_machine(order, setup=setup, name="\\Device\\Echo")
    machine.add_device()
    device = machine.devices[0]
    assert device.name == "\\Device\\Echo"
    status, found, _ = machine.namespace.lookup(win32_path("\\\\.\\ECHO"))
    assert status == STATUS_SUCCESS and found is device
    with machine:
        assert WdfDeviceCreateSymbolicLink(holder["device"], "\\??\\OTHER") == (
            STATUS_INVALID_DEVICE_REQUEST
        )
        assert WdfDeviceCreateSymbolicLink(holder["device"], "") == STATUS_INVALID_DEVICE_REQUEST
    machine.remove_device()
    assert machine.namespace.lookup("\\??\\ECHO")[0] == STATUS_OBJECT_NAME_NOT_FOUND
    assert machine.namespace.lookup("\\Device\\Echo")[0] == STATUS_OBJECT_NAME_NOT_FOUND


def win32_path(path):
    from wdfkit.kernel.namespace import win32_to_nt

    return win32_to_nt(path)


def test_unnamed_pnp_device_link_points_at_its_pdo():
    order = []
    machine, holder = pnp_machine(
        order, setup=lambda device: WdfDeviceCreateSymbolicLink(device, "\\DosDevices\\ECHO")
    )
    assert machine.add_device() == STATUS_SUCCESS
    device = machine.devices[0]
    assert device.name is None and device.pdo_name.startswith("\\Device\\")
    assert machine.namespace.lookup("\\??\\ECHO")[1] is device


def test_name_collision_fails_device_create():
    order = []
    machine, holder = pnp_machine(order, name="\\Device\\Echo")
    assert machine.add_device() == STATUS_SUCCESS
    assert machine.add_device() == STATUS_OBJECT_NAME_COLLISION
    assert len(machine.devices) == 1


def test_device_init_settings_reach_the_device():
    seen = {}

    def add(Driver, DeviceInit):
        WdfDeviceInitSetExclusive(DeviceInit, True)
        WdfDeviceInitSetDeviceType(DeviceInit, FILE_DEVICE_NULL)
        WdfDeviceInitSetCharacteristics(DeviceInit, FILE_REMOVABLE_MEDIA, False)
        WdfDeviceInitSetCharacteristics(DeviceInit, FILE_READ_ONLY_DEVICE, True)
        status, seen["device"] = WdfDeviceCreate(DeviceInit, None)
        return status

    machine = boot("Toaster")
    machine.add_device(add)
    device = machine.devices[0]
    assert device.exclusive and not device.is_control
    assert device.device_type == FILE_DEVICE_NULL
    assert device.characteristics == (
        FILE_REMOVABLE_MEDIA | FILE_READ_ONLY_DEVICE | FILE_DEVICE_SECURE_OPEN
    )
    assert WdfDeviceGetDefaultQueue(seen["device"]) is None
    machine.deactivate()


def test_autogenerated_name_characteristic_drops_an_assigned_name():
    def add(Driver, DeviceInit):
        WdfDeviceInitAssignName(DeviceInit, "\\Device\\Gone")
        WdfDeviceInitSetCharacteristics(DeviceInit, FILE_AUTOGENERATED_DEVICE_NAME, True)
        return WdfDeviceCreate(DeviceInit, None)[0]

    machine = boot("Toaster")
    machine.add_device(add)
    assert machine.devices[0].name.startswith("\\Device\\0")
    machine.deactivate()


def test_device_init_ddis_check_their_arguments():
    machine = boot("Toaster")
    init_holder = {}

    def add(Driver, DeviceInit):
        init_holder["init"] = DeviceInit
        with pytest.raises(TypeError, match="WdfDeviceInitAssignName: DeviceName must be a str"):
            WdfDeviceInitAssignName(DeviceInit, 5)
        with pytest.raises(TypeError, match="WdfDeviceInitSetDeviceType: DeviceType"):
            WdfDeviceInitSetDeviceType(DeviceInit, "disk")
        with pytest.raises(ValueError, match="DeviceCharacteristics"):
            WdfDeviceInitSetCharacteristics(DeviceInit, -1, False)
        with pytest.raises(TypeError, match="DeviceInit must be the WDFDEVICE_INIT"):
            WdfDeviceInitSetExclusive(object(), True)
        assert WdfDeviceInitAssignName(DeviceInit, None) == STATUS_SUCCESS
        return STATUS_SUCCESS

    machine.add_device(add)
    with pytest.raises(BugCheck) as crash:
        WdfDeviceInitSetExclusive(None, True)
    assert crash.value.parameters[0] == 0x4
    machine.deactivate()


def test_pnp_power_callbacks_size_and_usage_checks_are_debug_breaks():
    order = []

    def add(Driver, DeviceInit):
        callbacks = recording(order)
        callbacks.Size = 0x40
        WdfDeviceInitSetPnpPowerEventCallbacks(DeviceInit, callbacks)
        callbacks = recording(order)
        callbacks.EvtDeviceUsageNotification = lambda *a: None
        callbacks.EvtDeviceUsageNotificationEx = lambda *a: STATUS_SUCCESS
        WdfDeviceInitSetPnpPowerEventCallbacks(DeviceInit, callbacks)
        with pytest.raises(TypeError, match="PnpPowerEventCallbacks must be a"):
            WdfDeviceInitSetPnpPowerEventCallbacks(DeviceInit, object())
        return WdfDeviceCreate(DeviceInit, None)[0]

    machine = boot("Toaster")
    machine.add_device(add)
    assert order == []  # neither structure was taken
    assert any("size 64 is invalid" in line for line in machine.log_lines())
    with pytest.raises(BugCheck):
        WdfDeviceInitSetPnpPowerEventCallbacks(WDFDEVICE_INIT(), None)
    machine.deactivate()


def test_callback_returning_no_status_is_a_type_error():
    order = []
    machine, holder = pnp_machine(order)

    def add(Driver, DeviceInit):
        WdfDeviceInitSetPnpPowerEventCallbacks(
            DeviceInit, recording(order, EvtDeviceD0Entry=lambda Device, State: None)
        )
        return WdfDeviceCreate(DeviceInit, None)[0]

    with pytest.raises(TypeError, match="EvtDeviceD0Entry must return an NTSTATUS"):
        machine.add_device(add)
    assert machine.state == "stopped" and "EvtDeviceD0Entry" in machine.stopped_by


def test_get_default_queue():
    order = []
    machine, holder = pnp_machine(order)
    machine.add_device()
    with machine:
        assert WdfDeviceGetDefaultQueue(holder["device"]) == holder["queue"]
        with pytest.raises(BugCheck):
            WdfDeviceGetDefaultQueue(holder["queue"])


def test_driver_cannot_delete_its_pnp_device_and_driver_object_lists_it():
    order = []
    machine, holder = pnp_machine(order)
    machine.add_device()
    assert machine.driver_object.DeviceObject is machine.devices[0]
    with machine:
        WdfObjectDelete(holder["device"])
    assert machine.devices and holder["device"].value in machine.objects
    assert machine.state == "running"
