"""PnP and power, as far as buffers care: starting a device and removing it.

The PnP manager starts a device the driver added (IRP_MN_START_DEVICE) and, later, removes it
(orderly: IRP_MN_QUERY_REMOVE_DEVICE + IRP_MN_REMOVE_DEVICE; surprise:
IRP_MN_SURPRISE_REMOVAL first).  KMDF's PnP, power and power-policy state machines turn that
into the driver's callbacks, in this order:

start   EvtDevicePrepareHardware (PnpEventHardwareAvailable → PnpPrepareHardware),
        EvtDeviceD0Entry(WdfPowerDeviceD3Final) (PowerD0Starting),
        power-managed queues resumed, EvtDeviceSelfManagedIoInit
        (PowerD0StartingStartSelfManagedIo),
        device interfaces enabled (PnpEventEnableInterfaces, after the power policy started).
remove  [surprise: EvtDeviceSurpriseRemoval (PnpEventSurpriseRemoveIoStarted)],
        EvtDeviceSelfManagedIoSuspend, queues held (StopProcessingForPower Hold; the framework
        waits until the driver has no request it owns left), EvtDeviceD0Exit(WdfPowerDeviceD3Final)
        (PowerGotoD3Stopped), EvtDeviceReleaseHardware (PnpEventRemovingDisableInterfaces),
        interfaces disabled and the symbolic link deleted, power-managed queues purged
        (PnpCleanupForRemove: StopProcessingForPower PurgeManaged; the queues complete or cancel
        what waits, and removal waits for the driver to complete what it owns),
        EvtDeviceSelfManagedIoFlush (PnpCleanupForRemove), the other queues purged likewise
        (PnpEventRemovedCommonCode: PurgeNonManaged — so Flush is where a driver completes
        what it holds from a non-power-managed queue), EvtDeviceSelfManagedIoCleanup
        (PnpEventRemovedCommonCode), then the device is deleted (EarlyDispose, DestroyChildren).

A start callback that fails fails the start: the steps already done are undone in reverse
(D0Exit after a D0Entry that succeeded, ReleaseHardware after PrepareHardware was called, even
when it failed — PnpEventFailedOwnHardware; Flush and Cleanup after SelfManagedIoInit was
called), and the PnP manager removes the device (it is deleted).

Mirrors: pnpstatemachine.cpp (PnpEventHardwareAvailable, PnpEventEnableInterfaces,
PnpEventRemovingDisableInterfaces, PnpCleanupForRemove, PnpEventRemovedCommonCode,
PnpEventSurpriseRemoveIoStarted, PnpEventFailedOwnHardware), powerstatemachine.cpp
(PowerD0Starting, PowerD0StartingStartSelfManagedIo, PowerGotoD3Stopped).
Simplified: no resource lists (PrepareHardware and ReleaseHardware get None for them), no
interrupts, DMA or WMI steps, no query-remove veto (EvtDeviceQueryRemove is not called), no
device power states but D0 and D3Final, no restart (EvtDeviceSelfManagedIoRestart is kept in
the structure and never called: the device is never powered down and back up).  A callback
that fails during removal is logged and removal goes on (KMDF does the same for
ReleaseHardware; for D0Exit and Suspend it goes down a failure path wdfkit does not model).
"""

from ..kernel.ntstatus import NT_SUCCESS, STATUS_SUCCESS

WdfPowerDeviceD0 = 1
WdfPowerDeviceD3Final = 5


def check_returned_status(name: str, result) -> None:
    """Refuse what a callback *name* returned unless it is an NTSTATUS: an int that fits the
    32-bit LONG (-0x80000000 .. 0x7FFFFFFF) or its ULONG spelling (.. 0xFFFFFFFF, as the
    STATUS_ constants are written).  A TypeError for another type, a ValueError for an int
    too wide (C would have truncated it; wdfkit says so rather than guess)."""
    if isinstance(result, bool) or not isinstance(result, int):
        raise TypeError(f"{name} must return an NTSTATUS (an int), not {type(result).__name__}")
    if not -(1 << 31) <= result <= 0xFFFFFFFF:
        raise ValueError(
            f"{name} must return an NTSTATUS, a 32-bit value, not {result:#x} (wider than 32 bits)"
        )


def status_checked(name: str, callback):
    """*callback* with what it returns checked inside the call (check_returned_status): a
    wrong type stops the machine as any exception escaping a callback does
    (Machine.run_callback)."""

    def checked(*args):
        result = callback(*args)
        check_returned_status(name, result)
        return result

    return checked


def _call(device, name: str, *args, returns_status: bool = True):
    """Call the driver's *name* callback if it has one: its status (STATUS_SUCCESS if none)."""
    callbacks = device.pnp_callbacks
    callback = None if callbacks is None else getattr(callbacks, name)
    if callback is None:
        return STATUS_SUCCESS
    machine = device.machine
    machine.trace("%s(%r%s)", name, device.handle, "".join(f", {a!r}" for a in args))

    called = status_checked(name, callback) if returns_status else callback
    result = machine.within(name, lambda: machine.run_callback(name, called, device.handle, *args))
    return result if returns_status else STATUS_SUCCESS


def start_device(device) -> int:
    """IRP_MN_START_DEVICE for *device*: the start callbacks in KMDF's order; the status.

    On failure the steps done are undone (see the module docstring) and the device deleted.
    """
    machine = device.machine
    done = device.pnp_done
    steps = (
        ("prepare", "EvtDevicePrepareHardware", (None, None)),
        ("d0", "EvtDeviceD0Entry", (WdfPowerDeviceD3Final,)),
        ("smio", "EvtDeviceSelfManagedIoInit", ()),
    )
    for step, name, args in steps:
        if step == "prepare":
            done.append(step)  # ReleaseHardware follows even a failed PrepareHardware
        status = _call(device, name, *args)
        if not NT_SUCCESS(status):
            machine.trace("PnP: %s failed %s: the start fails", name, status)
            if step == "smio":
                done.append(step)  # the self-managed I/O machine ran Init: Flush/Cleanup follow
            _tear_down(device)
            if device.state == "FxObjectStateCreated":
                device.delete_object()
            return status
        if step != "prepare":
            done.append(step)
        if step == "d0":
            for queue in list(device.queues):  # PowerD0StartingStartSelfManagedIo
                queue.resume_processing_for_power()
    namespace = machine.namespace
    for link in device.interface_links:  # PnpEnableInterfacesAndRegisterWmi
        namespace.set_interface_state(link, True)
    done.append("interfaces")
    return STATUS_SUCCESS


def _tear_down(device) -> None:
    """Undo what start did, latest first: D0Exit, ReleaseHardware, Flush, Cleanup."""
    done = device.pnp_done
    if "d0" in done:
        _call(device, "EvtDeviceD0Exit", WdfPowerDeviceD3Final)
        done.remove("d0")
    if "prepare" in done:
        _call(device, "EvtDeviceReleaseHardware", None)
        done.remove("prepare")
    device.forget_names()
    if "smio" in done:
        _call(device, "EvtDeviceSelfManagedIoFlush", returns_status=False)
        _call(device, "EvtDeviceSelfManagedIoCleanup", returns_status=False)
        done.remove("smio")


def owned_requests(device) -> list:
    """The requests the device's queues have presented to the driver and it still owns."""
    return [request for queue in device.queues for request in queue.presented]


def owned_creates(device) -> list:
    """The create requests EvtDeviceFileCreate still owns: m_DefaultQueueForCreates is a
    non-power-managed queue of the I/O package (FxPkgGeneral::Initialize, fxpkggeneral.cpp),
    so the removal's purge waits for them; the power-down hold does not."""
    general = getattr(device, "general", None)
    return [] if general is None else list(general.create_queue.presented)


def waiting_requests(device) -> list:
    """Requests still in the device's queues, owned or waiting (what a purge must empty)."""
    queued = [r for queue in device.queues for r in (*queue.presented, *queue.waiting)]
    return queued + owned_creates(device)


def remove_device(device, surprise: bool, wait) -> None:
    """IRP_MN_(SURPRISE_)REMOVAL + IRP_MN_REMOVE_DEVICE for *device*, in KMDF's order.

    *wait(finished, who)* runs virtual time until ``finished()`` and says whether it got
    there (the machine's wait_for).  When the driver never completes a request it owns, the
    removal stops there and a RuntimeError names the requests: the steps done stay done
    (``device.pnp_done``), so a later call goes on from where this one stopped.
    """
    machine = device.machine
    done = device.pnp_done
    device.removed = True
    if surprise and "surprise" not in done:
        done.append("surprise")
        _call(device, "EvtDeviceSurpriseRemoval", returns_status=False)
    if "smio" in done and "suspend" not in done:
        done.append("suspend")
        status = _call(device, "EvtDeviceSelfManagedIoSuspend")
        if not NT_SUCCESS(status):
            machine.trace("PnP: EvtDeviceSelfManagedIoSuspend failed %s", status)
    if "held" not in done:
        _wait(device, wait, _hold(device), owned_requests)
        done.append("held")
    if "d0" in done:
        status = _call(device, "EvtDeviceD0Exit", WdfPowerDeviceD3Final)
        if not NT_SUCCESS(status):
            machine.trace("PnP: EvtDeviceD0Exit failed %s", status)
        done.remove("d0")
    if "prepare" in done:
        status = _call(device, "EvtDeviceReleaseHardware", None)
        if not NT_SUCCESS(status):
            machine.trace("PnP: EvtDeviceReleaseHardware failed %s", status)
        done.remove("prepare")
    device.forget_names()
    if "purged" not in done:  # PnpCleanupForRemove: StopProcessingForPower(PurgeManaged)
        _purge(device, wait, power_managed=True)
        done.append("purged")
    if "smio" in done and "flushed" not in done:  # PnpCleanupForRemove: …Flush()
        done.append("flushed")
        _call(device, "EvtDeviceSelfManagedIoFlush", returns_status=False)
    if "purged non-managed" not in done:  # PnpEventRemovedCommonCode: …PurgeNonManaged
        _purge(device, wait, power_managed=False)
        done.append("purged non-managed")
    if "smio" in done:  # PnpEventRemovedCommonCode: m_SelfManagedIoMachine->Cleanup()
        _call(device, "EvtDeviceSelfManagedIoCleanup", returns_status=False)
        done.remove("smio")
    if device.state == "FxObjectStateCreated":
        machine.trace("PnP: %r removed, deleting it", device.handle)
        device.delete_object()


def _purge(device, wait, power_managed: bool) -> None:
    """FxPkgIo::StopProcessingForPower(PurgeManaged or PurgeNonManaged): purge the device's
    power-managed (or the other) queues for good, then wait until they hold no request; the
    non-managed purge also waits for the creates EvtDeviceFileCreate still owns (their queue,
    m_DefaultQueueForCreates, is not power-managed)."""
    queues = [queue for queue in list(device.queues) if queue.power_managed == power_managed]
    for queue in queues:
        queue.stop_processing_for_power("purge")
    creates = not power_managed  # m_DefaultQueueForCreates is not power-managed
    if queues or (creates and owned_creates(device)):
        _wait(
            device,
            wait,
            lambda: all(q.idle for q in queues) and not (creates and owned_creates(device)),
            waiting_requests,
        )


def _hold(device):
    """StopProcessingForPower(Hold) on every queue: a predicate for "every queue is held".

    A queue whose power stop finished at once (not power-managed, or nothing with the driver)
    is done; another is done once ``queue.power_off`` (the driver completed or acknowledged
    every request it owned: m_PowerIdle).
    """
    pending = [
        queue for queue in list(device.queues) if not queue.stop_processing_for_power("stop")
    ]
    return lambda: all(queue.power_off for queue in pending)


def _wait(device, wait, finished, outstanding) -> None:
    if finished() or wait(finished, "Device removal"):
        return
    names = ", ".join(repr(r.handle) for r in outstanding(device))
    raise RuntimeError(
        f"removing {device.handle!r}: the driver still owns {names}; Windows cannot finish "
        "removing the device: it waits until the driver completes (or acknowledges) every "
        "request it owns, for ever. Complete them (WdfRequestComplete), then remove again."
    )
