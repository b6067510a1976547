"""What the problems of lessons 08-11 share: a machine running a small driver that sends
requests to its lower device, and how a run is told back to the learner.

The drivers themselves live in each lesson's module, written DDI for DDI as the lessons'
drivers are (what is the lesson's own scenario driver comes from
:mod:`wdfkit.course.scenarios`); this module only starts them, lets the application make its
calls, keeps a bug check (a run that stops the machine is an answer, not an error) and reads
the run's results off the machine's public snapshot.
"""

from ...ddi.wdfdevice import WdfDeviceIoBuffered
from ...ddi.wdfrequest import (
    WDF_REQUEST_REUSE_NO_FLAGS,
    WDF_REQUEST_REUSE_PARAMS,
    WDF_REQUEST_REUSE_PARAMS_INIT,
    WdfRequestReuse,
)
from ...kernel.bugcheck import BugCheck
from ...kernel.ntstatus import NTSTATUS, STATUS_SUCCESS
from ...sim.machine import Machine
from .. import scenarios


class Outcome:
    """One run: the machine, what the application's calls returned, and any bug check."""

    def __init__(self, machine: Machine, result=None, bugcheck: BugCheck | None = None) -> None:
        self.machine = machine
        self.result = result
        self.bugcheck = bugcheck

    def log(self, lines: int) -> str:
        """The last *lines* lines of the framework log, as the lessons print them."""
        return "\n".join(
            f"[{entry.seconds:10.6f}s IRQL {entry.irql}] {entry.message}"
            for entry in self.machine.snapshot().log[-lines:]
        )


def run(
    application,
    EvtDriverDeviceAdd=None,
    *,
    EvtIoRead=None,
    EvtIoDeviceControl=None,
    io_type: int = WdfDeviceIoBuffered,
    latency: float | None = None,
    fail_status: int | None = None,
    verifier: bool = True,
    timeline: bool = False,
) -> Outcome:
    """Load a driver on a fresh machine and let *application(machine, app)* make its calls.

    The driver is *EvtDriverDeviceAdd*, or a device with *io_type* and a sequential default
    queue with *EvtIoRead* / *EvtIoDeviceControl*.  *latency* and *fail_status* set the lower
    device; *verifier* turns both verifiers on or off; *timeline* records the lifetimes.
    A bug check is kept in the outcome.
    """
    if EvtDriverDeviceAdd is None:
        callbacks = {"EvtIoRead": EvtIoRead, "EvtIoDeviceControl": EvtIoDeviceControl}
        EvtDriverDeviceAdd = scenarios.queue_driver(io_type, callbacks)
    machine = Machine("Toaster", verifier=verifier, timeline=timeline)
    with machine:
        machine.add_device(EvtDriverDeviceAdd)
        if latency is not None:
            machine.lower_device.latency = latency
        machine.lower_device.fail_status = fail_status
    outcome = Outcome(machine)
    try:
        with machine:
            outcome.result = application(machine, machine.application())
    except BugCheck as bugcheck:
        outcome.bugcheck = bugcheck
    return outcome


def reuse(Request, Status: int = STATUS_SUCCESS) -> NTSTATUS:
    """WdfRequestReuse with WDF_REQUEST_REUSE_PARAMS_INIT(NO_FLAGS, *Status*), as drivers
    write it."""
    params = WDF_REQUEST_REUSE_PARAMS()
    WDF_REQUEST_REUSE_PARAMS_INIT(params, WDF_REQUEST_REUSE_NO_FLAGS, Status)
    return WdfRequestReuse(Request, params)


def irp_references(machine: Machine, Request) -> int:
    """The references the request's memory objects hold on its IRP, read off a snapshot."""
    snapshot = machine.snapshot()
    return next(o.detail.irp_refs for o in snapshot.objects if o.handle == Request.value)


def status_text(status: int) -> str:
    """A status as wdfkit prints it: ``STATUS_IO_DEVICE_ERROR (0xC0000185)``."""
    return repr(NTSTATUS(status))
