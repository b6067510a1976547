"""A learner's mistakes in options, structures, callbacks and helpers get a named answer.

Issue 15, items 7-10, 14 and 15: a Python type mistake is a TypeError/ValueError that starts
with the DDI, macro, struct or option it concerns; what KMDF answers with a status, wdfkit
answers with the same status.
"""
# ruff: noqa: F403, F405  (the tests use the DDI names exactly as a driver would)

import math

import pytest

from wdfkit import *
from wdfkit.course import scenarios
from wdfkit.ddi.wdfiotarget import (
    WDF_IO_TARGET_OPEN_PARAMS,
    WDF_IO_TARGET_OPEN_PARAMS_INIT_OPEN_BY_NAME,
)
from wdfkit.ddi.wdfmemory import WDF_MEMORY_DESCRIPTOR_HANDLE_TYPE, WDF_MEMORY_DESCRIPTOR_MDL_TYPE


def driver(io_type=WdfDeviceIoBuffered, **callbacks):
    machine = boot("Toaster")
    add = scenarios.queue_driver(io_type, callbacks)
    assert machine.add_device(add) == STATUS_SUCCESS
    return machine


def forward(Queue, Request, Length):
    """EvtIoRead that sends the read down with the documentation's completion routine."""
    target = WdfDeviceGetIoTarget(WdfIoQueueGetDevice(Queue))
    status, memory = WdfRequestRetrieveOutputMemory(Request)
    if NT_SUCCESS(status):
        status = WdfIoTargetFormatRequestForRead(target, Request, memory, None, None)
    if NT_SUCCESS(status):
        WdfRequestSetCompletionRoutine(Request, scenarios.RequestCompletionRoutine, None)
        if WdfRequestSend(Request, target, WDF_NO_SEND_OPTIONS):
            return
        status = WdfRequestGetStatus(Request)
    WdfRequestComplete(Request, status)


# -- item 15: Machine and lower-device options ---------------------------------------------
@pytest.mark.parametrize(
    "option, value, error",
    [
        ("driver_pool_tag", -1, ValueError),
        ("driver_pool_tag", 2**40, ValueError),
        ("driver_pool_tag", "Toas", TypeError),
        ("log_size", 2**64, ValueError),
        ("log_size", 0, ValueError),
        ("log_size", 1.5, TypeError),
        ("seed", [1], TypeError),
        ("scan_phase", 3, ValueError),
        ("scan_phase", True, TypeError),
    ],
)
def test_machine_options_are_checked_when_the_machine_is_made(option, value, error):
    """driver_pool_tag is WDF_DRIVER_CONFIG.DriverPoolTag, a ULONG (wdfdriver.h); the others
    are wdfkit's own.  Each is refused at construction, naming Machine and the option."""
    with pytest.raises(error, match=f"^Machine: {option} must"):
        Machine(**{option: value})


def test_a_good_pool_tag_and_log_size_are_kept():
    machine = Machine(driver_pool_tag=0x31747354, log_size=3)
    assert machine.tag == 0x31747354
    assert machine.log.maxlen == 3


@pytest.mark.parametrize(
    "prop, value, error",
    [
        ("latency", math.nan, ValueError),
        ("latency", math.inf, ValueError),
        ("latency", -0.001, ValueError),
        ("latency", "1ms", TypeError),
        ("latency", True, TypeError),
        ("fail_status", "bad", TypeError),
        ("fail_status", STATUS_SUCCESS, ValueError),
        ("fail_status", 2**32, ValueError),
    ],
)
def test_lower_device_properties_are_checked_when_set(prop, value, error):
    """A bad latency or failure status is refused on assignment, not at the next send."""
    machine = driver(EvtIoRead=forward)
    before = getattr(machine.lower_device, prop)
    with pytest.raises(error, match=f"^LowerDevice.{prop}: must"):
        setattr(machine.lower_device, prop, value)
    assert getattr(machine.lower_device, prop) == before  # nothing changed


def test_a_lower_device_failure_status_is_still_used():
    machine = driver(EvtIoRead=forward)
    machine.lower_device.fail_status = STATUS_IO_DEVICE_ERROR
    machine.lower_device.latency = 0
    assert machine.application().ReadFile(bytearray(16)).Status == STATUS_IO_DEVICE_ERROR


# -- item 7: WDFMEMORY_OFFSET and descriptor fields are size_t / ULONG -----------------------
def sync_read(machine, descriptor):
    target = WdfDeviceGetIoTarget(machine.devices[0].handle)
    return WdfIoTargetSendReadSynchronously(target, None, descriptor, None, None)


@pytest.mark.parametrize("offset, length", [(-16, 16), (0, -8), (1.5, 0), ("0", 0), (None, 0)])
def test_a_negative_or_non_int_memory_offset_is_refused(offset, length):
    """WDFMEMORY_OFFSET's two fields are size_t (wdfmemory.h): -16 cannot be stored in one."""
    with pytest.raises((TypeError, ValueError), match=r"^WDFMEMORY_OFFSET: Buffer\w+ must"):
        WDFMEMORY_OFFSET(offset, length)
    offsets = WDFMEMORY_OFFSET()
    with pytest.raises((TypeError, ValueError), match="^WDFMEMORY_OFFSET: BufferOffset must"):
        offsets.BufferOffset = offset if offset != 0 else -1


@pytest.mark.parametrize(
    "offset, length",
    [(2**64 - 16, 16), (0, 2**64 - 8), (1, 64), (64, 1), (2**64 - 1, 2**64 - 1)],
)
def test_offsets_past_the_memory_are_an_integer_overflow(offset, length):
    """IFxMemory::ValidateMemoryOffsets (ifxmemory.hpp): RtlSizeTAdd(BufferLength,
    BufferOffset) fails with STATUS_INTEGER_OVERFLOW, and a total past GetBufferSize() is
    STATUS_INTEGER_OVERFLOW too; FxRequestBuffer::ValidateMemoryDescriptor
    (fxrequestbuffer.cpp) returns that status.  (-16, 16) in C is (2**64 - 16, 16) here."""
    machine = driver()
    _, memory, _ = WdfMemoryCreate(None, NonPagedPoolNx, "1gaT", 64)
    descriptor = WDF_MEMORY_DESCRIPTOR()
    WDF_MEMORY_DESCRIPTOR_INIT_HANDLE(descriptor, memory, WDFMEMORY_OFFSET(offset, length))
    status, information = sync_read(machine, descriptor)
    assert (status, information) == (STATUS_INTEGER_OVERFLOW, 0)
    assert machine.state == "running"


def test_offsets_inside_the_memory_read_into_that_window():
    machine = driver()
    _, memory, _ = WdfMemoryCreate(None, NonPagedPoolNx, "1gaT", 64)
    descriptor = WDF_MEMORY_DESCRIPTOR()
    WDF_MEMORY_DESCRIPTOR_INIT_HANDLE(descriptor, memory, WDFMEMORY_OFFSET(16, 8))
    assert sync_read(machine, descriptor) == (STATUS_SUCCESS, 8)


@pytest.mark.parametrize("field, value", [("Length", -5), ("Length", 2**32), ("Length", 1.0)])
def test_descriptor_lengths_are_ulongs(field, value):
    """WDF_MEMORY_DESCRIPTOR's BufferType.Length and MdlType.BufferLength are ULONGs."""
    descriptor = WDF_MEMORY_DESCRIPTOR()
    with pytest.raises((TypeError, ValueError), match="^WDF_MEMORY_DESCRIPTOR_BUFFER_TYPE: Length"):
        descriptor.u.BufferType.Length = value
    with pytest.raises((TypeError, ValueError), match="^WDF_MEMORY_DESCRIPTOR_MDL_TYPE: BufferLe"):
        descriptor.u.MdlType.BufferLength = value
    with pytest.raises(ValueError, match="^WDF_MEMORY_DESCRIPTOR_INIT_BUFFER: BufferLength"):
        WDF_MEMORY_DESCRIPTOR_INIT_BUFFER(descriptor, None, -5)


def test_a_null_buffer_in_a_descriptor_is_invalid_parameter():
    """FxRequestBuffer::ValidateMemoryDescriptor: "A NULL Buffer is not allowed" —
    STATUS_INVALID_PARAMETER (a synchronous send passes no flags)."""
    machine = driver()
    descriptor = WDF_MEMORY_DESCRIPTOR()
    WDF_MEMORY_DESCRIPTOR_INIT_BUFFER(descriptor, None, 16)
    assert sync_read(machine, descriptor) == (STATUS_INVALID_PARAMETER, 0)


# -- item 8: structures and their fields are typed -------------------------------------------
def test_a_host_buffer_in_a_descriptor_says_a_pvoid_is_needed():
    descriptor = WDF_MEMORY_DESCRIPTOR()
    with pytest.raises(TypeError, match="ExAllocatePoolWithTag.*WdfMemoryGetBuffer") as caught:
        WDF_MEMORY_DESCRIPTOR_INIT_BUFFER(descriptor, bytearray(16), 16)
    assert str(caught.value).startswith("WDF_MEMORY_DESCRIPTOR_INIT_BUFFER: ")
    assert "must be a PVOID" in str(caught.value)
    assert descriptor == WDF_MEMORY_DESCRIPTOR()  # left as it was


@pytest.mark.parametrize(
    "struct, field, value",
    [
        (WDF_OBJECT_ATTRIBUTES, "ContextTypeInfo", 5),
        (WDF_OBJECT_ATTRIBUTES, "EvtCleanupCallback", 5),
        (WDF_OBJECT_ATTRIBUTES, "ParentObject", 7),
        (WDF_OBJECT_ATTRIBUTES, "ContextSizeOverride", -1),
        (WDF_REQUEST_SEND_OPTIONS, "Flags", None),
        (WDF_REQUEST_SEND_OPTIONS, "Timeout", "1s"),
        (WDF_REQUEST_SEND_OPTIONS, "Timeout", 2**63),
        (WDF_IO_QUEUE_CONFIG, "EvtIoRead", 5),
        (WDF_IO_QUEUE_CONFIG, "DispatchType", "parallel"),
        (WDF_IO_QUEUE_CONFIG, "DefaultQueue", 2.0),
        (WDF_DMA_ENABLER_CONFIG, "MaximumLength", -1),
        (WDF_REQUEST_REUSE_PARAMS, "Status", "ok"),
        (WDF_MEMORY_DESCRIPTOR, "u", None),
        (WDF_MEMORY_DESCRIPTOR_HANDLE_TYPE, "Offsets", (0, 8)),
        (WDF_MEMORY_DESCRIPTOR_MDL_TYPE, "Mdl", 0x1000),
        (WDF_IO_TARGET_OPEN_PARAMS, "TargetDeviceName", b"\\Device\\Lower"),
    ],
)
def test_every_field_is_checked_as_it_is_set(struct, field, value):
    """In C these assignments would not compile; here each names the structure and field."""
    instance = struct()
    before = getattr(instance, field)
    with pytest.raises((TypeError, ValueError), match=f"^{struct.__name__}: {field} must"):
        setattr(instance, field, value)
    with pytest.raises((TypeError, ValueError), match=f"^{struct.__name__}: {field} must"):
        struct(**{field: value})
    assert getattr(instance, field) == before


def test_a_misspelt_field_is_refused():
    config = WDF_IO_QUEUE_CONFIG()
    with pytest.raises(TypeError, match="^WDF_IO_QUEUE_CONFIG: no field 'EvtIoReed'"):
        config.EvtIoReed = lambda *args: None


def test_every_ddi_structure_checks_its_fields():
    """Every dataclass in wdfkit/ddi/*.py has a checking __setattr__ (wdfkit.ddi._struct)."""
    import dataclasses
    import importlib
    import pkgutil

    import wdfkit.ddi

    structs = {
        value
        for module in pkgutil.iter_modules(wdfkit.ddi.__path__)
        for value in vars(importlib.import_module(f"wdfkit.ddi.{module.name}")).values()
        if dataclasses.is_dataclass(value) and value.__module__.startswith("wdfkit.ddi.")
    }
    assert len(structs) >= 15
    for struct in structs:
        field = dataclasses.fields(struct)[0].name
        with pytest.raises(TypeError, match=f"^{struct.__name__}: "):
            setattr(struct(), field, object())


def machine_with_a_device():
    """A booted machine and the WDFDEVICE its EvtDriverDeviceAdd created."""
    holder = {}

    def add(Driver, DeviceInit):
        status, holder["device"] = WdfDeviceCreate(DeviceInit, None)
        return status

    machine = boot()
    machine.add_device(add)
    return machine, holder["device"]


def test_struct_arguments_of_the_wrong_type_name_the_ddi_and_parameter():
    machine, device = machine_with_a_device()
    with pytest.raises(TypeError, match="^WdfDmaEnablerCreate: Config must be a WDF_DMA_ENAB"):
        WdfDmaEnablerCreate(device, 0, None)
    _, target = WdfIoTargetCreate(device, None)
    with pytest.raises(TypeError, match="^WdfIoTargetOpen: OpenParams must be a WDF_IO_TARG"):
        WdfIoTargetOpen(target, 0)
    _, memory, _ = WdfMemoryCreate(None, NonPagedPoolNx, "1gaT", 64)
    with pytest.raises(TypeError, match="^WdfObjectGetTypedContext: ContextType must be a cla"):
        WdfObjectGetTypedContext(memory, 0)
    with pytest.raises(TypeError, match="^WdfDeviceCreate: DeviceAttributes must be"):
        Machine().add_device(lambda Driver, DeviceInit: WdfDeviceCreate(DeviceInit, 0))
    assert machine.state == "running"


@pytest.mark.parametrize(
    "init, args",
    [
        (WDF_OBJECT_ATTRIBUTES_INIT, ()),
        (WDF_IO_QUEUE_CONFIG_INIT, (WdfIoQueueDispatchSequential,)),
        (WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE, (WdfIoQueueDispatchSequential,)),
        (WDF_DMA_ENABLER_CONFIG_INIT, (WdfDmaProfilePacket, 4096)),
        (WDF_MEMORY_DESCRIPTOR_INIT_BUFFER, (None, 0)),
        (WDF_MEMORY_DESCRIPTOR_INIT_MDL, (None, 0)),
        (WDF_MEMORY_DESCRIPTOR_INIT_HANDLE, (None,)),
        (WDF_REQUEST_SEND_OPTIONS_INIT, (0,)),
        (WDF_REQUEST_SEND_OPTIONS_SET_TIMEOUT, (-1,)),
        (WDF_REQUEST_REUSE_PARAMS_INIT, (0, STATUS_SUCCESS)),
        (WDF_REQUEST_PARAMETERS_INIT, ()),
        (WDF_IO_TARGET_OPEN_PARAMS_INIT_OPEN_BY_NAME, ("\\Device\\Lower", 0)),
        (WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE, (type("Context", (), {}),)),
    ],
)
@pytest.mark.parametrize("wrong", [None, {}, 0])
def test_init_macros_refuse_what_is_not_their_structure(init, args, wrong):
    """``WDF_…_INIT({}, …)`` used to succeed silently (dict.__init__ takes keywords)."""
    with pytest.raises(TypeError, match=f"^{init.__name__}: \\w+ must be a WDF"):
        init(wrong, *args)


# -- item 9: configs are copied -------------------------------------------------------------
def test_reinitialising_a_queue_config_does_not_rewire_the_live_queue():
    """FxIoQueue::Initialize (fxioqueue.cpp) copies the dispatch type, AllowZeroLengthRequests
    and each EvtIo… (m_IoRead.Method = pConfig->EvtIoRead …): the caller's structure can be
    reused, as C drivers reuse a stack variable."""
    from wdfkit.show import views

    seen = []
    config = WDF_IO_QUEUE_CONFIG()

    def EvtIoRead(Queue, Request, Length):
        seen.append("read")
        WdfRequestComplete(Request, STATUS_SUCCESS)

    def add(Driver, DeviceInit):
        _, device = WdfDeviceCreate(DeviceInit, None)
        WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(config, WdfIoQueueDispatchSequential)
        config.EvtIoRead = EvtIoRead
        status, _ = WdfIoQueueCreate(device, config, None)
        return status

    machine = boot()
    assert machine.add_device(add) == STATUS_SUCCESS
    WDF_IO_QUEUE_CONFIG_INIT(config, 7)  # the usual C reuse, with a dispatch type out of range
    config.EvtIoRead = None
    config.EvtIoDefault = lambda Queue, Request: seen.append("default")
    assert machine.application().ReadFile(bytearray(8)).Status == STATUS_SUCCESS
    assert seen == ["read"]
    assert "WDFQUEUE" in views.object_tree(machine)


# -- item 10: callbacks are checked when registered; an exception in one stops the machine ---
def test_a_callback_that_is_not_a_function_is_refused_when_registered():
    with pytest.raises(TypeError, match="^WDF_IO_QUEUE_CONFIG: EvtIoRead must be a function"):
        WDF_IO_QUEUE_CONFIG(EvtIoRead=5)
    attributes = WDF_OBJECT_ATTRIBUTES()
    with pytest.raises(TypeError, match="^WDF_OBJECT_ATTRIBUTES: EvtCleanupCallback must be a"):
        attributes.EvtCleanupCallback = 5
    machine = boot()
    with pytest.raises(TypeError, match="^Machine.add_device: EvtDriverDeviceAdd must be a fun"):
        machine.add_device(5)
    _, request = WdfRequestCreate(None, None)
    with pytest.raises(TypeError, match="^WdfRequestSetCompletionRoutine: CompletionRoutine"):
        WdfRequestSetCompletionRoutine(request, 5, None)
    assert machine.state == "running"


def test_an_exception_in_evtioread_stops_the_machine_and_names_the_callback():
    """Machine.run_callback: the learner's exception escapes with its own traceback and a
    note; the machine is STOPPED and every later DDI says why.  (Windows: an exception a
    driver does not handle is a bug check, KMODE_EXCEPTION_NOT_HANDLED.)"""
    from wdfkit.show import views

    def EvtIoRead(Queue, Request, Length):
        return 1 // 0

    machine = driver(EvtIoRead=EvtIoRead)
    other = Machine()
    with pytest.raises(ZeroDivisionError) as caught:
        machine.application().ReadFile(bytearray(8))
    assert "escaped the driver's EvtIoRead" in caught.value.__notes__[0]
    assert caught.traceback[-1].name == "EvtIoRead"  # the learner's frame is where it ends
    assert machine.state == "stopped"
    assert machine.irql == PASSIVE_LEVEL  # the callback lock was released on the way out
    with pytest.raises(MachineHalted, match="^WdfObjectCreate: this machine stopped: Zero"):
        WdfObjectCreate(None)
    assert "stopped" in views.bugcheck(machine)
    with other:  # another machine goes on
        assert WdfObjectCreate(None)[0] == STATUS_SUCCESS


@pytest.mark.parametrize("where", ["EvtCleanupCallback", "EvtDestroyCallback"])
def test_an_exception_in_a_cleanup_or_destroy_callback_stops_the_machine(where):
    machine = boot()
    attributes = WDF_OBJECT_ATTRIBUTES()
    WDF_OBJECT_ATTRIBUTES_INIT(attributes)
    setattr(attributes, where, lambda Object: {}["missing"])
    _, obj = WdfObjectCreate(attributes)
    with pytest.raises(KeyError) as caught:
        WdfObjectDelete(obj)
    assert f"escaped the driver's {where}" in caught.value.__notes__[0]
    assert machine.state == "stopped"


def test_an_exception_in_a_completion_routine_stops_the_machine():
    def routine(Request, Target, Params, Context):
        raise RuntimeError("learner's bug")

    def EvtIoRead(Queue, Request, Length):
        target = WdfDeviceGetIoTarget(WdfIoQueueGetDevice(Queue))
        _, memory = WdfRequestRetrieveOutputMemory(Request)
        WdfIoTargetFormatRequestForRead(target, Request, memory, None, None)
        WdfRequestSetCompletionRoutine(Request, routine, None)
        WdfRequestSend(Request, target, None)

    machine = driver(EvtIoRead=EvtIoRead)
    machine.lower_device.latency = 0
    with pytest.raises(RuntimeError, match="learner's bug") as caught:
        machine.application().ReadFile(bytearray(8))
    assert "escaped the driver's CompletionRoutine" in caught.value.__notes__[0]
    assert len(caught.value.__notes__) == 1  # EvtIoRead, which it passed through, adds none
    assert machine.state == "stopped"


def test_an_exception_in_evtdriverdeviceadd_stops_the_machine():
    machine = boot()
    with pytest.raises(NameError):
        machine.add_device(lambda Driver, DeviceInit: undefined_name)  # noqa: F821
    assert machine.state == "stopped"
    with pytest.raises(MachineHalted, match="EvtDriverDeviceAdd"):
        machine.add_device(lambda Driver, DeviceInit: STATUS_SUCCESS)


def test_evtprogramdma_that_is_not_a_function_is_refused_when_registered():
    machine, device = machine_with_a_device()
    config = WDF_DMA_ENABLER_CONFIG()
    WDF_DMA_ENABLER_CONFIG_INIT(config, WdfDmaProfileScatterGather64, 0x10000)
    _, enabler = WdfDmaEnablerCreate(device, config, None)
    _, transaction = WdfDmaTransactionCreate(enabler, None)
    buffer = ExAllocatePoolWithTag(NonPagedPoolNx, 64, "tseT")
    mdl = IoAllocateMdl(buffer, 64, False, False, None)
    MmBuildMdlForNonPagedPool(mdl)
    with pytest.raises(TypeError, match="^WdfDmaTransactionInitialize: EvtProgramDma must be"):
        WdfDmaTransactionInitialize(transaction, 5, WdfDmaDirectionReadFromDevice, mdl, buffer, 64)
    assert machine.state == "running"


# -- item 14: helpers name themselves --------------------------------------------------------
@pytest.mark.parametrize(
    "helper, args, error",
    [
        (BYTE_OFFSET, ("0x1000",), TypeError),
        (BYTE_OFFSET, (-1,), ValueError),
        (PAGE_ALIGN, (1.5,), TypeError),
        (ADDRESS_AND_SIZE_TO_SPAN_PAGES, (0x1000, -1), ValueError),
        (ADDRESS_AND_SIZE_TO_SPAN_PAGES, ([], 8), TypeError),
        (BYTES_TO_PAGES, (None,), TypeError),
        (BYTES_TO_PAGES, (2**64,), ValueError),
        (ROUND_TO_PAGES, ("4096",), TypeError),
        (MmSizeOfMdl, (0, -8), ValueError),
        (CTL_CODE, (FILE_DEVICE_UNKNOWN, 0x1000, METHOD_BUFFERED, FILE_ANY_ACCESS), ValueError),
        (CTL_CODE, (FILE_DEVICE_UNKNOWN, 0x800, 4, FILE_ANY_ACCESS), ValueError),
        (CTL_CODE, (None, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS), TypeError),
        (NT_SUCCESS, ("x",), TypeError),
        (NT_ERROR, (None,), TypeError),
        (NT_WARNING, (1.5,), TypeError),
        (NT_INFORMATION, ([],), TypeError),
        (NTSTATUS, ("x",), TypeError),
        (WDF_REL_TIMEOUT_IN_SEC, (-1,), ValueError),
        (WDF_REL_TIMEOUT_IN_SEC, (2**60,), ValueError),
        (WDF_REL_TIMEOUT_IN_MS, ("10",), TypeError),
        (WDF_DECLARE_CONTEXT_TYPE, (None,), TypeError),
    ],
)
def test_helpers_name_themselves(helper, args, error):
    """Macros and inline functions of the headers (wdm.h, devioctl.h, ntdef.h, wdfcore.h)
    name themselves and the parameter when given what C would not compile."""
    with pytest.raises(error, match=f"^{helper.__name__}: "):
        helper(*args)


def test_helpers_still_compute_what_c_computes():
    assert BYTE_OFFSET(0x1234) == 0x234 and PAGE_ALIGN(0x1234) == 0x1000
    assert PAGE_ALIGN(None) is None and BYTE_OFFSET(None) == 0  # NULL is a value in C
    assert ADDRESS_AND_SIZE_TO_SPAN_PAGES(0xFFF, 2) == 2
    assert BYTES_TO_PAGES(4097) == 2 and ROUND_TO_PAGES(1) == 4096
    assert MmSizeOfMdl(None, 4096) == 0x30 + 8
    assert CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS) == 0x222000
    assert WDF_REL_TIMEOUT_IN_SEC(2) == -20_000_000 and WDF_REL_TIMEOUT_IN_MS(1) == -10_000
    assert NTSTATUS(-1073741811) == STATUS_INVALID_PARAMETER  # a LONG, as C casts it


def test_pvoid_write_refuses_an_int():
    """``bytes(65)`` is 65 zero bytes: ``p.write(65)`` used to write them."""
    boot()
    p = ExAllocatePoolWithTag(NonPagedPoolNx, 64, "tseT")
    with pytest.raises(TypeError, match="^PVOID.write: data must be bytes"):
        p.write(65)
    with pytest.raises(ValueError, match="^PVOID.read: length must be ≥ 0"):
        p.read(-1)
    p.write(b"A")
    assert p.read(1) == b"A"


def test_pmdl_setters_check_their_values():
    boot()
    p = ExAllocatePoolWithTag(NonPagedPoolNx, 64, "tseT")
    mdl = IoAllocateMdl(p, 64, False, False, None)
    with pytest.raises(TypeError, match="^PMDL.Next: must be a PMDL or None"):
        mdl.Next = p
    with pytest.raises(ValueError, match="^PMDL.MdlFlags: must fit a CSHORT"):
        mdl.MdlFlags = 0x10000
    with pytest.raises(TypeError, match="^PMDL.MdlFlags: must be an int"):
        mdl.MdlFlags = "MDL_PAGES_LOCKED"
    mdl.Next = None


@pytest.mark.parametrize(
    "view, args",
    [
        ("object_tree", (None,)),
        ("pool_usage", (None,)),
        ("pool_blocks", (0,)),
        ("log", ("m",)),
        ("bugcheck", ({},)),
        ("lookaside", ([],)),
        ("timeline", (None,)),
        ("hexdump", (None,)),
        ("mdl", (None,)),
    ],
)
def test_views_name_themselves(view, args):
    from wdfkit.show import views

    with pytest.raises(TypeError, match=f"^views.{view}: "):
        getattr(views, view)(*args)


def test_views_log_shows_the_last_n_lines_and_none_for_zero():
    from wdfkit.show import views

    machine = boot()
    assert views.log(machine, 0) == ""
    assert len(views.log(machine, 1).splitlines()) == 1
    assert views.log(machine, 10_000) == views.log(machine, len(machine.log))
    with pytest.raises(ValueError, match="^views.log: last must be from 0"):
        views.log(machine, -1)


def test_any_object_is_a_reference_tag_compared_by_identity_when_unhashable():
    """In C any pointer is a tag (FxTagTracker compares pointer values, fxtagtracker.cpp): a
    list is a tag by identity, so the same list releases what it took and another does not."""
    machine = boot()
    _, obj = WdfObjectCreate(None)
    tag = []
    WdfObjectReferenceWithTag(obj, tag)
    WdfObjectDereferenceWithTag(obj, tag)
    assert not any("not acquired" in line for line in machine.log_lines())
    WdfObjectReferenceWithTag(obj, tag)
    WdfObjectDereferenceWithTag(obj, [])  # an equal list, but another object
    assert any("releasing tag [] that was not acquired" in line for line in machine.log_lines())
