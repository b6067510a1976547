"""DriverEntry and WdfDriverCreate: loading a learner's driver (fxdriverapi.cpp, fxdriver.cpp)."""
# ruff: noqa: F403, F405  (the tests use the DDI names exactly as a driver would)

import pytest

from wdfkit import *
from wdfkit.kernel.bugcheck import MachineHalted
from wdfkit.kernel.pool import tag_text


def entry(config_setup=None, attributes=None, after=None, status=None):
    """A DriverEntry that creates the driver; *config_setup(config)* edits the config,
    *after(DriverObject, RegistryPath, seen)* runs after WdfDriverCreate."""
    seen = {}

    def DriverEntry(DriverObject, RegistryPath):
        seen["args"] = (DriverObject, RegistryPath)
        config = WDF_DRIVER_CONFIG()
        WDF_DRIVER_CONFIG_INIT(config, None)
        if config_setup is not None:
            config_setup(config)
        seen["status"], seen["driver"] = WdfDriverCreate(
            DriverObject, RegistryPath, attributes, config
        )
        if after is not None:
            after(DriverObject, RegistryPath, seen)
        return seen["status"] if status is None else status

    return DriverEntry, seen


def test_driver_entry_gets_driver_object_and_registry_path():
    DriverEntry, seen = entry()
    machine = Machine("Echo", DriverEntry=DriverEntry)
    driver_object, registry_path = seen["args"]
    assert driver_object is machine.driver_object
    assert driver_object.DriverName == "\\Driver\\Echo"
    assert registry_path == "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\Echo"
    assert seen["status"] == STATUS_SUCCESS
    assert seen["driver"] == machine.driver.handle
    assert machine.state == "running" and machine.load_status == STATUS_SUCCESS


def test_pool_tag_from_config_else_from_service_name():
    DriverEntry, _ = entry(lambda c: setattr(c, "DriverPoolTag", int.from_bytes(b"Echo", "little")))
    machine = Machine("Whatever", DriverEntry=DriverEntry)
    assert tag_text(machine.driver.block.tag) == "Echo"
    DriverEntry, _ = entry()
    machine = Machine("WdfToaster", DriverEntry=DriverEntry)
    assert tag_text(machine.tag) == "Toas"


def test_globals_exist_before_driver_entry_and_ddis_act_on_the_loading_machine():
    def after(DriverObject, RegistryPath, seen):
        seen["get"] = WdfGetDriver()
        seen["object"] = WdfDriverWdmGetDriverObject(seen["driver"])

    DriverEntry, seen = entry(after=after)
    machine = Machine("Echo", DriverEntry=DriverEntry)
    assert seen["get"] == machine.driver.handle
    assert seen["object"] is machine.driver_object
    assert machine.driver_object.DriverUnload is not None


def test_second_create_is_driver_internal_error():
    def after(DriverObject, RegistryPath, seen):
        config = WDF_DRIVER_CONFIG()
        WDF_DRIVER_CONFIG_INIT(config, None)
        seen["again"] = WdfDriverCreate(DriverObject, RegistryPath, None, config)

    DriverEntry, seen = entry(after=after)
    Machine("Echo", DriverEntry=DriverEntry)
    assert seen["again"] == (STATUS_DRIVER_INTERNAL_ERROR, None)


@pytest.mark.parametrize(
    "setup, expected",
    [
        (lambda c: setattr(c, "Size", 0x18), STATUS_INFO_LENGTH_MISMATCH),
        (lambda c: setattr(c, "DriverInitFlags", 0x8), STATUS_INVALID_PARAMETER),
        (
            lambda c: (
                setattr(c, "DriverInitFlags", WdfDriverInitNonPnpDriver),
                setattr(c, "EvtDriverDeviceAdd", lambda d, i: STATUS_SUCCESS),
            ),
            STATUS_INVALID_PARAMETER,
        ),
    ],
)
def test_bad_config_fails_create_and_load(setup, expected):
    DriverEntry, seen = entry(setup)
    machine = Machine("Echo", DriverEntry=DriverEntry)
    assert seen["status"] == expected and seen["driver"] is None
    assert machine.state == "unloaded" and machine.load_status == expected
    with pytest.raises(MachineHalted, match="never loaded.*STATUS_"):
        with machine:
            WdfGetDriver()


def test_non_pnp_with_no_dispatch_override_may_have_device_add():
    def setup(c):
        c.DriverInitFlags = WdfDriverInitNonPnpDriver | WdfDriverInitNoDispatchOverride
        c.EvtDriverDeviceAdd = lambda d, i: STATUS_SUCCESS

    DriverEntry, seen = entry(setup)
    Machine("Echo", DriverEntry=DriverEntry)
    assert seen["status"] == STATUS_SUCCESS


def test_parent_in_driver_attributes_is_refused():
    attributes = WDF_OBJECT_ATTRIBUTES()
    WDF_OBJECT_ATTRIBUTES_INIT(attributes)
    holder = {}

    def DriverEntry(DriverObject, RegistryPath):
        config = WDF_DRIVER_CONFIG()
        WDF_DRIVER_CONFIG_INIT(config, None)
        status, holder["driver"] = WdfDriverCreate(DriverObject, RegistryPath, attributes, config)
        return status

    machine = Machine("Echo", DriverEntry=DriverEntry)
    attributes.ParentObject = machine.driver.handle
    other = Machine("Echo", DriverEntry=DriverEntry)
    assert other.load_status == STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED


def test_failing_driver_entry_deletes_driver_without_unload_callback():
    calls = []

    def cleanup(Object):
        calls.append("cleanup")

    attributes = WDF_OBJECT_ATTRIBUTES()
    WDF_OBJECT_ATTRIBUTES_INIT(attributes)
    attributes.EvtCleanupCallback = cleanup
    DriverEntry, seen = entry(
        lambda c: setattr(c, "EvtDriverUnload", lambda d: calls.append("unload")),
        attributes=attributes,
        status=STATUS_UNSUCCESSFUL,
    )
    machine = Machine("Echo", DriverEntry=DriverEntry)
    assert calls == ["cleanup"]
    assert machine.state == "unloaded" and machine.load_status == STATUS_UNSUCCESSFUL
    assert machine.objects == {} and not machine.pool.live_blocks()
    with pytest.raises(MachineHalted, match="never loaded"):
        machine.add_device()


def test_failing_driver_entry_that_leaks_pool_is_caught_by_driver_verifier():
    def after(DriverObject, RegistryPath, seen):
        ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, "kaeL")

    DriverEntry, _ = entry(after=after, status=STATUS_UNSUCCESSFUL)
    with pytest.raises(BugCheck) as crash:
        Machine("Echo", DriverEntry=DriverEntry)
    assert crash.value.code == 0xC4 and crash.value.parameters[0] == 0x62


def test_driver_entry_without_wdf_driver_create_stops_the_machine():
    with pytest.raises(RuntimeError, match="without calling WdfDriverCreate"):
        Machine("Echo", DriverEntry=lambda DriverObject, RegistryPath: STATUS_SUCCESS)


def test_driver_entry_must_return_a_status():
    with pytest.raises(TypeError, match="NTSTATUS"):
        Machine("Echo", DriverEntry=lambda DriverObject, RegistryPath: None)
    with pytest.raises(TypeError, match="DriverEntry must be a function"):
        Machine("Echo", DriverEntry="DriverEntry")


def test_null_arguments_bug_check():
    for null in ("DriverObject", "RegistryPath", "DriverConfig"):

        def DriverEntry(DriverObject, RegistryPath, null=null):
            config = WDF_DRIVER_CONFIG()
            WDF_DRIVER_CONFIG_INIT(config, None)
            args = {"DriverObject": DriverObject, "RegistryPath": RegistryPath}
            args["DriverConfig"] = config
            args[null] = None
            return WdfDriverCreate(
                args["DriverObject"], args["RegistryPath"], None, args["DriverConfig"]
            )[0]

        with pytest.raises(BugCheck) as crash:
            Machine("Echo", DriverEntry=DriverEntry)
        assert crash.value.parameters[:1] == (0x4,)


def test_bad_types_name_the_ddi():
    def DriverEntry(DriverObject, RegistryPath):
        config = WDF_DRIVER_CONFIG()
        WDF_DRIVER_CONFIG_INIT(config, None)
        with pytest.raises(TypeError, match="WdfDriverCreate: DriverObject"):
            WdfDriverCreate(object(), RegistryPath, None, config)
        with pytest.raises(TypeError, match="WdfDriverCreate: RegistryPath"):
            WdfDriverCreate(DriverObject, 5, None, config)
        with pytest.raises(TypeError, match="WdfDriverCreate: DriverConfig"):
            WdfDriverCreate(DriverObject, RegistryPath, None, object())
        with pytest.raises(TypeError, match="EvtDriverUnload"):
            config.EvtDriverUnload = 5
        return WdfDriverCreate(DriverObject, RegistryPath, None, config)[0]

    assert Machine("Echo", DriverEntry=DriverEntry).state == "running"


def test_wdm_get_driver_object_bad_handle_bug_checks():
    machine = boot("Toaster")
    with pytest.raises(BugCheck) as crash:
        WdfDriverWdmGetDriverObject(WDF_NO_HANDLE)
    assert crash.value.parameters[0] in (0x4, 0x5)
    assert machine.state == "crashed"


def test_machine_without_driver_entry_is_unchanged():
    machine = Machine("Toaster")
    assert machine.driver is not None and machine.load_status == STATUS_SUCCESS
    assert machine.driver.device_add is None
    assert machine.driver_object.DriverUnload is not None
    machine.unload()
    assert machine.state == "unloaded"
    with pytest.raises(MachineHalted, match="has been unloaded"):
        with machine:
            WdfGetDriver()


def test_unload_calls_evt_driver_unload_after_removing_devices():
    order = []

    def add(Driver, DeviceInit):
        callbacks = WDF_PNPPOWER_EVENT_CALLBACKS()
        WDF_PNPPOWER_EVENT_CALLBACKS_INIT(callbacks)
        callbacks.EvtDeviceSelfManagedIoCleanup = lambda Device: order.append("cleanup")
        WdfDeviceInitSetPnpPowerEventCallbacks(DeviceInit, callbacks)
        return WdfDeviceCreate(DeviceInit, None)[0]

    def setup(c):
        c.EvtDriverDeviceAdd = add
        c.EvtDriverUnload = lambda Driver: order.append("unload")

    DriverEntry, _ = entry(setup)
    machine = Machine("Echo", DriverEntry=DriverEntry)
    assert machine.add_device() == STATUS_SUCCESS
    machine.unload()
    assert order == ["cleanup", "unload"]
    assert machine.state == "unloaded" and not machine.devices


def test_non_pnp_driver_without_unload_cannot_be_unloaded():
    DriverEntry, _ = entry(lambda c: setattr(c, "DriverInitFlags", WdfDriverInitNonPnpDriver))
    machine = Machine("NonPnp", DriverEntry=DriverEntry)
    assert machine.driver_object.DriverUnload is None
    with pytest.raises(RuntimeError, match="cannot be unloaded"):
        machine.unload()
    assert machine.state == "running"
    with pytest.raises(RuntimeError, match="no EvtDriverDeviceAdd"):
        machine.add_device()


def test_boot_takes_driver_entry():
    DriverEntry, seen = entry()
    machine = boot("Echo", DriverEntry=DriverEntry)
    assert WdfGetDriver() == seen["driver"]
    machine.deactivate()


def test_wdf_driver_create_on_a_machine_that_made_its_driver_is_a_second_create():
    machine = boot("Toaster")
    config = WDF_DRIVER_CONFIG()
    WDF_DRIVER_CONFIG_INIT(config, None)
    status, driver = WdfDriverCreate(machine.driver_object, machine.registry_path, None, config)
    assert (status, driver) == (STATUS_DRIVER_INTERNAL_ERROR, None)
    machine.deactivate()
