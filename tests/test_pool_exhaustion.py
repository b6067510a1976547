"""Pool exhausted: every allocation that can fail answers with the real status (issue 15, item 5).

The I/O manager fails a call whose IRP, system buffer, MDL or mapping cannot be allocated with
STATUS_INSUFFICIENT_RESOURCES before any driver sees it, and frees what it had built
(ReactOS ntoskrnl/io/iomgr/iofunc.c: NtReadFile, NtWriteFile, IopDeviceFsIoControl —
IoAllocateIrp NULL → IopCleanupFailedIrp; ExAllocatePoolWithQuotaTag raising, or a NULL
IoAllocateMdl → ExRaiseStatus(STATUS_INSUFFICIENT_RESOURCES), → IopCleanupAfterException).
The framework answers the same status where its own allocations fail (FxRequest::_Create,
FxRequestBase::ValidateTarget's FxIrp::AllocateIrp, FxPkgIo::Dispatch's request).
"""
# ruff: noqa: F403, F405  (the tests use the DDI names exactly as a driver would)

import pytest

from wdfkit import *
from wdfkit.course import scenarios
from wdfkit.sim.machine import BOOT_POOL

IOCTL_BUFFERED = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
IOCTL_OUT_DIRECT = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x802, METHOD_OUT_DIRECT, FILE_ANY_ACCESS)
IOCTL_NEITHER = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x803, METHOD_NEITHER, FILE_ANY_ACCESS)


def _usage(machine):
    return dict(machine.pool.in_use), len(machine.pool.live_blocks()), set(machine.objects)


@pytest.mark.parametrize(
    "io_type", [WdfDeviceIoBuffered, WdfDeviceIoDirect], ids=["buffered", "direct"]
)
@pytest.mark.parametrize("call", ["read", "write", "ioctl-buffered", "ioctl-out-direct"])
def test_io_manager_fails_a_call_it_cannot_build(io_type, call):
    """A 128 KB transfer on a machine with 64 KB of pool: NtReadFile / NtWriteFile /
    IopDeviceFsIoControl (ReactOS iofunc.c) cannot allocate the system buffer (buffered,
    ExAllocatePoolWithQuotaTag raises) or the MDL's mapping (direct, IoAllocateMdl NULL →
    ExRaiseStatus(STATUS_INSUFFICIENT_RESOURCES)); IopCleanupAfterException frees the IRP and
    the call returns STATUS_INSUFFICIENT_RESOURCES without calling the driver.  This used to
    raise AttributeError ('NoneType' object has no attribute 'address')."""
    seen = []

    def EvtIo(Queue, Request, *args):
        seen.append(args)
        WdfRequestComplete(Request, STATUS_SUCCESS)

    machine = boot("Toaster", pool_limit=64 << 10)
    callbacks = {"EvtIoRead": EvtIo, "EvtIoWrite": EvtIo, "EvtIoDeviceControl": EvtIo}
    assert machine.add_device(scenarios.queue_driver(io_type, callbacks)) == STATUS_SUCCESS
    app = machine.application()
    before = _usage(machine)
    size = 128 << 10
    if call == "read":
        io = app.ReadFile(bytearray(size))
    elif call == "write":
        io = app.WriteFile(bytes(size))
    elif call == "ioctl-buffered":
        io = app.DeviceIoControl(IOCTL_BUFFERED, bytes(16), bytearray(size))
    else:
        io = app.DeviceIoControl(IOCTL_OUT_DIRECT, bytes(16), bytearray(size))
    assert (io.Status, io.Information) == (STATUS_INSUFFICIENT_RESOURCES, 0)
    assert seen == []  # the driver never saw it
    assert _usage(machine) == before  # the IRP and what was built for it are freed
    assert machine.state == "running"
    assert app.ReadFile(bytearray(16)).Status == STATUS_SUCCESS  # small I/O still goes through
    assert "failed before the driver saw it" in "\n".join(machine.log_lines())


def test_overlapped_call_that_fails_is_done_at_once():
    """An overlapped call the I/O manager fails is not pending: it failed (NtReadFile returns the
    error; ReactOS iofunc.c), so ``done`` is true and ``wait()`` gives the status."""
    machine = boot("Toaster", pool_limit=64 << 10)
    machine.add_device(scenarios.queue_driver(WdfDeviceIoBuffered, {}))
    io = machine.application().ReadFile(bytearray(128 << 10), overlapped=True)
    assert io.done
    assert io.IoStatus.Status == STATUS_INSUFFICIENT_RESOURCES
    assert io.wait().Status == STATUS_INSUFFICIENT_RESOURCES


def test_kernel_neither_buffer_that_cannot_be_allocated():
    """A kernel-mode METHOD_NEITHER caller's buffers are pool in wdfkit: when they cannot be
    allocated the call fails as any I/O-manager allocation does (STATUS_INSUFFICIENT_RESOURCES),
    and nothing stays allocated."""
    machine = boot("Toaster", pool_limit=64 << 10)
    machine.add_device(scenarios.queue_driver(WdfDeviceIoBuffered, {}))
    app = machine.application(KernelMode)
    before = _usage(machine)
    io = app.DeviceIoControl(IOCTL_NEITHER, bytes(16), bytearray(128 << 10))
    assert io.Status == STATUS_INSUFFICIENT_RESOURCES
    assert _usage(machine) == before


def test_driver_created_request_without_pool_for_its_irp():
    """FxRequestBase::ValidateTarget (fxrequestbase.cpp): FxIrp::AllocateIrp returning NULL is
    STATUS_INSUFFICIENT_RESOURCES, and FxRequest::_Create deletes the request again.  With just
    enough pool for the request object and not for its IRP, WdfRequestCreate answers that status
    and leaves nothing allocated; so does a synchronous send that needs a request of its own."""
    machine = boot("Toaster")
    holder = {}

    def add(Driver, DeviceInit):
        status, holder["device"] = WdfDeviceCreate(DeviceInit, None)
        return status

    machine.add_device(add)
    target = WdfDeviceGetIoTarget(holder["device"])
    status, memory, _ = WdfMemoryCreate(None, NonPagedPoolNx, "tseT", 16)
    descriptor = WDF_MEMORY_DESCRIPTOR()
    WDF_MEMORY_DESCRIPTOR_INIT_HANDLE(descriptor, memory, None)
    machine.pool.limit = machine.pool.in_use[False] + 0x1B0 + 0x100  # the object, not its IRP
    before = _usage(machine)
    assert WdfRequestCreate(None, target) == (STATUS_INSUFFICIENT_RESOURCES, None)
    assert WdfRequestCreate(None, None) == (STATUS_INSUFFICIENT_RESOURCES, None)
    assert WdfIoTargetSendReadSynchronously(target, None, descriptor, None, None) == (
        STATUS_INSUFFICIENT_RESOURCES,
        0,
    )
    assert _usage(machine) == before


def test_machine_refuses_a_pool_too_small_to_boot():
    """Loading the driver takes FX_DRIVER_GLOBALS and the WDFDRIVER: a smaller pool_limit is a
    ValueError naming Machine, pool_limit and the minimum (it used to fail inside the boot with
    AttributeError); a pool_limit that is not an int is a TypeError."""
    with pytest.raises(ValueError, match=rf"^Machine: pool_limit must be at least {BOOT_POOL} "):
        Machine(pool_limit=512)
    with pytest.raises(TypeError, match=r"^Machine: pool_limit must be an int"):
        Machine(pool_limit=4096.0)
    with pytest.raises(TypeError, match=r"^Machine: pool_limit"):
        Machine(pool_limit=True)
    machine = Machine(pool_limit=BOOT_POOL)
    assert machine.state == "running"
    assert machine.pool.in_use[False] == BOOT_POOL


def _whole_driver(limit: int, io_type: int) -> None:
    """Everything a lesson's driver allocates, on a machine with *limit* bytes of pool: every
    call must answer with a status (or NULL), whatever allocation runs out first."""
    machine = Machine("Toaster", pool_limit=limit)
    holder = {}

    def EvtIo(Queue, Request, *args):
        WdfRequestRetrieveOutputMemory(Request)
        WdfRequestRetrieveOutputWdmMdl(Request)
        status, request = WdfRequestCreate(None, WdfDeviceGetIoTarget(holder["device"]))
        if request is not None:
            WdfObjectDelete(request)
        WdfRequestComplete(Request, STATUS_SUCCESS)

    def add(Driver, DeviceInit):
        WdfDeviceInitSetIoType(DeviceInit, io_type)
        status, device = WdfDeviceCreate(DeviceInit, None)
        if device is None:
            return status
        holder["device"] = device
        config = WDF_IO_QUEUE_CONFIG()
        WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(config, WdfIoQueueDispatchSequential)
        config.EvtIoRead = config.EvtIoWrite = config.EvtIoDeviceControl = EvtIo
        return WdfIoQueueCreate(device, config, None)[0]

    with machine:
        if not NT_SUCCESS(machine.add_device(add)) or not machine.devices:
            return
        device = holder["device"]
        for mode in (UserMode, KernelMode):
            app = machine.application(mode)
            for size in (16, 5000, 128 << 10):
                for io in (
                    app.ReadFile(bytearray(size)),
                    app.WriteFile(bytes(size)),
                    app.DeviceIoControl(IOCTL_BUFFERED, bytes(size), bytearray(size)),
                    app.DeviceIoControl(IOCTL_OUT_DIRECT, bytes(size), bytearray(size)),
                    app.ReadFile(bytearray(size), overlapped=True).wait(),
                ):
                    assert io.Status in (STATUS_SUCCESS, STATUS_INSUFFICIENT_RESOURCES)
        target = WdfDeviceGetIoTarget(device)
        status, memory, _ = WdfMemoryCreate(None, NonPagedPoolNx, "tseT", 64)
        if memory is not None:
            descriptor = WDF_MEMORY_DESCRIPTOR()
            WDF_MEMORY_DESCRIPTOR_INIT_HANDLE(descriptor, memory, None)
            status, _ = WdfIoTargetSendReadSynchronously(target, None, descriptor, None, None)
            assert status in (STATUS_SUCCESS, STATUS_INSUFFICIENT_RESOURCES)
        assert WdfRequestCreate(None, None)[0] in (STATUS_SUCCESS, STATUS_INSUFFICIENT_RESOURCES)
        assert WdfIoTargetCreate(device, None)[0] in (
            STATUS_SUCCESS,
            STATUS_INSUFFICIENT_RESOURCES,
        )
        buffer = ExAllocatePoolWithTag(NonPagedPoolNx, 0x3000, "tseT")
        if buffer is not None:
            IoAllocateMdl(buffer, 0x3000, False, False, None)
        config = WDF_DMA_ENABLER_CONFIG()
        WDF_DMA_ENABLER_CONFIG_INIT(config, WdfDmaProfileScatterGather64, 0x2000)
        status, enabler = WdfDmaEnablerCreate(device, config, None)
        if enabler is not None:
            WdfDmaTransactionCreate(enabler, None)
        status, lookaside = WdfLookasideListCreate(None, 100, NonPagedPoolNx, None, "tseT")
        if lookaside is not None:
            WdfMemoryCreateFromLookaside(lookaside)
        assert machine.state == "running"


@pytest.mark.parametrize(
    "io_type",
    [WdfDeviceIoBuffered, WdfDeviceIoDirect, WdfDeviceIoNeither],
    ids=["buffered", "direct", "neither"],
)
def test_every_allocation_may_run_out(io_type):
    """Pool limits from the boot minimum upwards, in steps small enough that each allocation of
    the driver above is the one that fails at some limit: only statuses come back (no
    AttributeError from a NULL allocation), and the machine keeps running."""
    for limit in [*range(BOOT_POOL, BOOT_POOL + 6000, 24), 64 << 10, 140 << 10, 200 << 10]:
        _whole_driver(limit, io_type)


def test_queue_fails_an_irp_it_cannot_make_a_request_for():
    """FxPkgIo::Dispatch (fxpkgio.cpp): FxRequest::_CreateForPackage failing for want of pool
    completes the IRP with its status, STATUS_INSUFFICIENT_RESOURCES; the driver's EvtIoRead is
    never called.  Pool here has room for the IRP and its system buffer, not for the request."""
    seen = []
    machine = boot("Toaster")
    machine.add_device(
        scenarios.queue_driver(WdfDeviceIoBuffered, {"EvtIoRead": lambda *args: seen.append(1)})
    )
    app = machine.application()
    machine.pool.limit = machine.pool.in_use[False] + 0x118 + 16 + 0x100  # IRP, buffer, not 0x1B0
    before = _usage(machine)
    io = app.ReadFile(bytearray(16))
    assert (io.Status, io.Information) == (STATUS_INSUFFICIENT_RESOURCES, 0)
    assert seen == []
    assert _usage(machine) == before
