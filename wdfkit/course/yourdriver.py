"""Lesson 12's checker for the learner's own driver: a read held for a timer, cancelable.

The learner's skeleton (in the lesson) is the echo driver's shape cut down to reads: the
default queue is sequential at queue scope, ``EvtIoRead`` fills the read and keeps it, a
periodic timer (the queue's child) completes it at the next tick, and a cancel routine completes
it when the application gives up first.  :func:`try_your_driver` loads the driver on fresh
machines and does what an application and the PnP manager would, one step at a time, and says
for each step whether the driver did what Windows expects — or what it did instead.  Bug checks
are caught and shown compactly; a wait never lasts for ever (virtual time moves in bounded
steps).
"""

from ..kernel.bugcheck import BugCheck, MachineHalted
from ..kernel.ntstatus import STATUS_CANCELLED, STATUS_SUCCESS
from ..kernel.text import fill
from ..language import _
from ..sim.machine import Machine

SETTLE = 0.3
"""Seconds the checker lets pass before it looks whether a read is still held.  With the
skeleton's timer (first tick 1 s after the start, then one a second) and PATIENCE, every look
and every CancelIo falls between two ticks."""

PATIENCE = 3.0
"""Seconds it waits for the timer to complete a held read: three periods of the skeleton's."""


def _steps(DriverEntry, InterfaceGuid, doing: dict):
    """Yield ``(step, problem)``: problem None when the step went as Windows expects.

    Before each action it writes into *doing* what is running ("the application cancelled its
    reads (CancelIo)") and the machine, so that :func:`try_your_driver` can say where a bug
    check or an exception from the driver happened."""
    doing["step"] = _("the driver loaded (DriverEntry)")
    machine = Machine("mine", DriverEntry=DriverEntry)
    doing["machine"] = machine
    with machine:
        doing["step"] = _("the PnP manager added the device (EvtDriverDeviceAdd)")
        status = machine.add_device()
        if status != STATUS_SUCCESS:
            yield (
                _("the PnP manager adds the device"),
                _("EvtDriverDeviceAdd returned {status}").format(status=status),
            )
            return
        yield _("the PnP manager adds the device"), None
        doing["step"] = _("the application opened the device's interface (CreateFile)")
        app = machine.process()
        paths = app.CM_Get_Device_Interface_List(InterfaceGuid)
        if not paths:
            yield _("the application finds the interface"), _("no interface of that GUID")
            return
        _status, hDevice = app.CreateFile(paths[0], overlapped=True)
        yield _("the application finds the interface and opens it"), None

        doing["step"] = _("the application sent a read (ReadFile)")
        read = hDevice.ReadFile(bytearray(16), overlapped=True)
        machine.advance(SETTLE)
        held = _("a read is held by the driver, not completed at once")
        if read.done:
            yield (
                held,
                _(
                    "it came back at once with {status} — MyEvtIoRead still completes it "
                    "(TODO 1 and 2)"
                ).format(status=read.IoStatus.Status.name),
            )
            return
        yield held, None
        doing["step"] = _("the timer ticked with a read held (MyEvtTimerFunc)")
        machine.advance(PATIENCE)
        result = read.IoStatus
        if not read.done:
            yield _("the timer completes the held read"), _("it is still pending (TODO 4)")
            return
        if result.Status != STATUS_SUCCESS or result.Information == 0:
            yield (
                _("the timer completes the held read"),
                _("it got {result} (TODO 1, TODO 4)").format(result=result),
            )
            return
        yield (
            _("the timer completes the held read with data ({count} bytes)").format(
                count=result.Information
            ),
            None,
        )

        doing["step"] = _("the application sent a second read (ReadFile)")
        read = hDevice.ReadFile(bytearray(16), overlapped=True)
        machine.advance(SETTLE)
        doing["step"] = _("the application cancelled its reads (CancelIo)")
        hDevice.CancelIo()
        cancels = _("CancelIo cancels the held read at once")
        if not read.done or read.IoStatus.Status != STATUS_CANCELLED:
            yield (
                cancels,
                _(
                    "it is {status} — is it cancelable (TODO 2) and does MyEvtRequestCancel "
                    "complete it (TODO 3)?"
                ).format(status=read.IoStatus.Status.name),
            )
            return
        yield cancels, None
        doing["step"] = _("the timer ticked after the read was cancelled (MyEvtTimerFunc)")
        machine.advance(PATIENCE)  # the timer must leave the cancelled read alone
        yield _("the next ticks leave the cancelled read alone"), None

        doing["step"] = _("the application sent a third read (ReadFile)")
        read = hDevice.ReadFile(bytearray(16), overlapped=True)
        machine.advance(SETTLE)
        doing["step"] = _("the PnP manager removed the device with a read held")
        machine.remove_device()
        if not read.done:
            yield _("removing the device finishes the held read"), _("it is still pending")
            return
        yield _("removing the device finishes the held read"), None
        doing["step"] = _("the application closed its handle and the driver unloaded")
        hDevice.CloseHandle()
        machine.unload()
        yield _("the driver unloads with no pool left behind"), None


def _first_sentence(text: str) -> str:
    """The first sentence of a bug check's meaning: the one line a report has room for."""
    flat = " ".join(text.split())
    end = flat.find(". ")
    return flat if end < 0 else flat[: end + 1]


def _bugcheck_report(step: str, bugcheck: BugCheck) -> str:
    """Where the machine stopped, in which DDI, and what the bug check means."""
    meaning = _first_sentence(bugcheck.meaning)
    if bugcheck.ddi:
        text = _(
            "Not done yet: while {step}, the machine stopped with bug check {summary} in "
            "{ddi}: {meaning}"
        )
    else:
        text = _(
            "Not done yet: while {step}, the machine stopped with bug check {summary}: {meaning}"
        )
    return text.format(step=step, summary=bugcheck.summary(), ddi=bugcheck.ddi, meaning=meaning)


def try_your_driver(DriverEntry, InterfaceGuid, show_traceback: bool = False) -> str:
    """Load *DriverEntry*'s driver, drive it, and report step by step (see the module).

    The report ends with "All done" when every step went as Windows expects, else with the
    first step that did not ("Not done yet: ...").  A bug check is reported with the step
    that was running, the DDI it happened in and what it means; a Python exception from the
    driver's code as "Not done yet: <step>: <type>: <message>".  With *show_traceback* true
    such an exception is raised instead, with its traceback into the driver's code."""
    lines = []
    doing: dict = {"step": _("the checker started"), "machine": None}
    try:
        for step, problem in _steps(DriverEntry, InterfaceGuid, doing):
            if problem is not None:
                if problem.endswith(("?", "？")):
                    text = _("Not done yet: {step}. Instead, {problem}")
                else:
                    text = _("Not done yet: {step}. Instead, {problem}.")
                lines.append(fill(text.format(step=step, problem=problem), "", "    "))
                return "\n".join(lines)
            lines.append(_("ok  {step}").format(step=step))
    except BugCheck as bugcheck:
        lines.append(fill(_bugcheck_report(doing["step"], bugcheck), "", "    "))
        return "\n".join(lines)
    except MachineHalted as halted:
        machine = doing["machine"]
        if machine is not None and machine.bugcheck is not None:
            stopped = _bugcheck_report(doing["step"], machine.bugcheck)
        else:
            stopped = _("Not done yet: while {step}, {halted}").format(
                step=doing["step"], halted=halted
            )
        lines.append(fill(stopped, "", "    "))
        return "\n".join(lines)
    except Exception as error:
        if show_traceback:
            # run_callback's note tells a Machine's user to create a new one; here the
            # checker creates it, so the note says what to do instead.
            notes = getattr(error, "__notes__", [])
            notes[:] = [note for note in notes if not note.startswith("wdfkit:")]
            error.add_note(
                "wdfkit: "
                + _(
                    "this exception escaped your driver while {step}; fix it and run the cell "
                    "again (try_your_driver loads the driver on a new machine)."
                ).format(step=doing["step"])
            )
            raise
        stopped = _(
            "Not done yet: {step}: {error} (to see the traceback, call "
            "try_your_driver(MyDriverEntry, GUID_DEVINTERFACE_MINE, show_traceback=True))"
        ).format(step=doing["step"], error=f"{type(error).__name__}: {error}")
        lines.append(fill(stopped, "", "    "))
        return "\n".join(lines)
    lines.append(_("All done: your driver holds, completes and cancels reads as Windows expects."))
    return "\n".join(lines)


__all__ = ["try_your_driver"]
