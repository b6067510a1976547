"""wdftimer.h: timers whose EvtTimerFunc runs at DISPATCH_LEVEL (or PASSIVE_LEVEL) on the clock.

A driver makes a timer with ``WDF_TIMER_CONFIG_INIT`` (one-shot) or
``WDF_TIMER_CONFIG_INIT_PERIODIC`` (every ``Period`` ms) and ``WdfTimerCreate``, whose
attributes must name a parent that belongs to a device (the timer is deleted with it), starts it
with ``WdfTimerStart(Timer, WDF_REL_TIMEOUT_IN_MS(…))`` and stops it with ``WdfTimerStop``.  The
callbacks run as the virtual clock reaches their time (``machine.advance``, or while an
application waits).  See wdfkit.fx.timer for what is modelled and what is simplified.

Mirrors: fxtimerapi.cpp (WdfTimerCreate, WdfTimerStart, WdfTimerStop, WdfTimerGetParentObject),
fxvalidatefunctions.hpp (FxValidateObjectAttributesForParentHandle), wdftimer.h (1.33: the
structure, its two inits).
"""

from dataclasses import dataclass
from typing import Any

from ..fx.call import named
from ..fx.handles import FX_TYPE_OBJECT, WDFHANDLE, get_object
from ..fx.timer import FX_TYPE_TIMER, FxTimer
from ..fx.verifier import (
    FX_VALIDATE_OPTION_EXECUTION_LEVEL_ALLOWED,
    WDF_OBJECT_ATTRIBUTES_SIZE,
    check_irql,
    null_bugcheck,
    validate_object_attributes,
)
from ..kernel.ntstatus import (
    NT_SUCCESS,
    STATUS_INFO_LENGTH_MISMATCH,
    STATUS_INVALID_PARAMETER,
    STATUS_NOT_SUPPORTED,
    STATUS_WDF_PARENT_NOT_SPECIFIED,
)
from ..kernel.pool import PASSIVE_LEVEL
from . import _struct as ft
from ._entry import ddi, macro
from .wdfobject import WdfExecutionLevelPassive, attributes_arg

__all__ = [
    "WDF_TIMER_CONFIG",
    "WDF_TIMER_CONFIG_INIT",
    "WDF_TIMER_CONFIG_INIT_PERIODIC",
    "WdfTimerCreate",
    "WdfTimerGetParentObject",
    "WdfTimerStart",
    "WdfTimerStop",
]

WDF_TIMER_CONFIG_SIZE = 0x28  # sizeof(WDF_TIMER_CONFIG) on x64 (UseHighResolutionTimer: align 8)
WDF_TIMER_CONFIG_V1_11_SIZE = 0x20  # up to TolerableDelay
WDF_TIMER_CONFIG_V1_7_SIZE = 0x18  # up to AutomaticSerialization
MAXLONG = (1 << 31) - 1


@ft.fields(
    Size=ft.ULONG,
    EvtTimerFunc=ft.callback,
    Period=ft.ULONG,
    AutomaticSerialization=ft.BOOLEAN,
    TolerableDelay=ft.ULONG,
    UseHighResolutionTimer=ft.BOOLEAN,
)
@dataclass
class WDF_TIMER_CONFIG:
    """A timer's configuration, fields in C order.  ``Period`` is in milliseconds (0: one-shot);
    ``TolerableDelay`` in milliseconds too.  Start from WDF_TIMER_CONFIG_INIT(…)."""

    Size: int = 0
    EvtTimerFunc: Any = None
    Period: int = 0
    AutomaticSerialization: bool | int = False
    TolerableDelay: int = 0
    UseHighResolutionTimer: bool | int = False


@macro
def WDF_TIMER_CONFIG_INIT(Config: WDF_TIMER_CONFIG, EvtTimerFunc) -> None:
    """Zero *Config*, set Size and *EvtTimerFunc*, a one-shot timer (Period 0) with
    AutomaticSerialization TRUE."""
    ft.struct_arg("Config", Config, WDF_TIMER_CONFIG)
    Config.__init__(
        Size=WDF_TIMER_CONFIG_SIZE, EvtTimerFunc=EvtTimerFunc, AutomaticSerialization=True
    )


@macro
def WDF_TIMER_CONFIG_INIT_PERIODIC(Config: WDF_TIMER_CONFIG, EvtTimerFunc, Period: int) -> None:
    """As WDF_TIMER_CONFIG_INIT, with *Period* (a LONG, in ms): the timer fires every *Period*
    ms after its first due time.  C stores the LONG in the ULONG field, so a negative *Period*
    becomes a huge one, which WdfTimerCreate refuses (STATUS_INVALID_PARAMETER)."""
    ft.struct_arg("Config", Config, WDF_TIMER_CONFIG)
    if isinstance(Period, bool) or not isinstance(Period, int):
        raise TypeError(named(f"Period must be an int (LONG, in ms), not {type(Period).__name__}"))
    if not ft.LONG_MIN <= Period <= ft.LONG_MAX:
        raise ValueError(named(f"Period must fit a LONG, got {Period}"))
    period = Period & 0xFFFFFFFF
    Config.__init__(
        Size=WDF_TIMER_CONFIG_SIZE,
        EvtTimerFunc=EvtTimerFunc,
        Period=period,
        AutomaticSerialization=True,
    )


def _timer(machine, Timer) -> FxTimer:
    return get_object(machine, Timer, FX_TYPE_TIMER, "Timer")


@ddi
def WdfTimerCreate(machine, Config: WDF_TIMER_CONFIG, Attributes):
    """Create a timer: ``(status, Timer)``.  Nothing runs until WdfTimerStart.

    Statuses, in KMDF's order: STATUS_WDF_PARENT_NOT_SPECIFIED for NULL attributes or no
    ParentObject (STATUS_INFO_LENGTH_MISMATCH for a wrong attributes Size first); then, after
    the ParentObject and Config checks below, STATUS_INFO_LENGTH_MISMATCH for a Config Size
    that is none of KMDF 1.7's, 1.11's or today's; STATUS_INVALID_PARAMETER for a Period above
    MAXLONG or a TolerableDelay with UseHighResolutionTimer; an attribute status
    (FxValidateObjectAttributes: an execution level is allowed, a synchronization scope is
    not); STATUS_NOT_SUPPORTED for a periodic timer at WdfExecutionLevelPassive ("use a
    one-shot timer and start it again from the callback"); STATUS_INSUFFICIENT_RESOURCES;
    STATUS_INVALID_DEVICE_REQUEST when the parent belongs to no device (the driver, a memory
    object under the driver); STATUS_WDF_INCOMPATIBLE_EXECUTION_LEVEL when
    AutomaticSerialization asks for the lock of a Device- or Queue-scoped parent whose
    execution level is not the timer's; STATUS_DELETE_PENDING when the parent is being deleted.

    AutomaticSerialization with a parent (or its queue or device) whose synchronization scope
    is None takes no lock: the callback is not serialized with anything.

    Bug checks: 0x10D/0x5 for a bad ParentObject; 0x10D/0x4 (WDF_REQUIRED_PARAMETER_IS_NULL)
    for a NULL Config.
    Fidelity: fxtimerapi.cpp (WdfTimerCreate), fxtimer.cpp (FxTimer::_Create, Initialize).
    """
    attributes = attributes_arg("Attributes", Attributes)
    if attributes is None:
        return STATUS_WDF_PARENT_NOT_SPECIFIED, None
    if attributes.Size != WDF_OBJECT_ATTRIBUTES_SIZE:
        return STATUS_INFO_LENGTH_MISMATCH, None
    if attributes.ParentObject is None:
        return STATUS_WDF_PARENT_NOT_SPECIFIED, None
    parent = get_object(machine, attributes.ParentObject, FX_TYPE_OBJECT, "ParentObject")
    if Config is None:
        raise null_bugcheck(machine, "Config")
    config = ft.struct_arg("Config", Config, WDF_TIMER_CONFIG)
    if config.Size not in (
        WDF_TIMER_CONFIG_SIZE,
        WDF_TIMER_CONFIG_V1_7_SIZE,
        WDF_TIMER_CONFIG_V1_11_SIZE,
    ):
        return STATUS_INFO_LENGTH_MISMATCH, None
    if config.Period > MAXLONG:
        machine.trace("WdfTimerCreate: Period %u is greater than MAXLONG", config.Period)
        return STATUS_INVALID_PARAMETER, None
    if (
        config.Size > WDF_TIMER_CONFIG_V1_11_SIZE
        and config.TolerableDelay > 0
        and config.UseHighResolutionTimer
    ):
        return STATUS_INVALID_PARAMETER, None
    status = validate_object_attributes(attributes, FX_VALIDATE_OPTION_EXECUTION_LEVEL_ALLOWED)
    if not NT_SUCCESS(status):
        return status, None
    if config.Period > 0 and attributes.ExecutionLevel == WdfExecutionLevelPassive:
        machine.trace(
            "WdfTimerCreate: a passive-level periodic timer is not supported; use a one-shot "
            "timer and start it again from the callback"
        )
        return STATUS_NOT_SUPPORTED, None
    status, timer = FxTimer.create_timer(machine, config, attributes, parent)
    return status, None if timer is None else timer.handle


def _due_time(DueTime) -> int:
    if isinstance(DueTime, bool) or not isinstance(DueTime, int):
        raise TypeError(named(f"DueTime must be an int (LONGLONG), not {type(DueTime).__name__}"))
    if not ft.LONGLONG_MIN <= DueTime <= ft.LONGLONG_MAX:
        raise ValueError(named(f"DueTime must fit a LONGLONG, got {DueTime}"))
    return DueTime


@ddi
def WdfTimerStart(machine, Timer: WDFHANDLE, DueTime: int) -> bool:
    """Set the timer to fire at *DueTime* (100 ns units: negative relative, positive an
    absolute system time — in wdfkit the machine's time since boot; 0 fires at once); a
    periodic timer then fires every Period ms.  Starting it again resets it.

    Returns TRUE if the timer was already set (ExSetTimer's answer), else FALSE.  On a timer
    being deleted nothing is set (a Verifier debug break: KMDF warns it would crash); during
    a WdfTimerStop(Wait=TRUE) the start is dropped.  Bug check: 0x10D/0x5 for a bad Timer.
    Fidelity: fxtimerapi.cpp (WdfTimerStart), fxtimer.cpp (FxTimer::Start), mxtimerkm.h.
    """
    timer = _timer(machine, Timer)
    return timer.start(_due_time(DueTime))


@ddi
def WdfTimerStop(machine, Timer: WDFHANDLE, Wait) -> bool:
    """Cancel the timer; TRUE if it was set (ExCancelTimer's answer: a periodic timer is set
    again each time it fires, so stopping one is TRUE).

    Wait=TRUE also waits until a callback in flight has returned, so afterwards EvtTimerFunc
    will not run again until the timer is started again; it needs PASSIVE_LEVEL.  With KMDF
    Verifier, called above PASSIVE_LEVEL it returns FALSE after a debug break and stops
    nothing (without Verifier the stop goes ahead; on Windows the wait would then be illegal).
    From within the timer's own callback Wait=TRUE would deadlock: KMDF returns FALSE and
    stops nothing (a Verifier debug break) — stop with Wait=FALSE there.
    Bug check: 0x10D/0x5 for a bad Timer.
    Fidelity: fxtimerapi.cpp (WdfTimerStop: FxVerifierCheckIrqlLevel), fxtimer.cpp
    (FxTimer::Stop).
    """
    timer = _timer(machine, Timer)
    if isinstance(Wait, bool):
        wait = Wait
    elif isinstance(Wait, int) and 0 <= Wait <= 0xFF:  # a BOOLEAN is a UCHAR
        wait = Wait != 0
    else:
        raise TypeError(named(f"Wait must be TRUE or FALSE (a BOOLEAN), not {Wait!r}"))
    if wait and not NT_SUCCESS(check_irql(machine, PASSIVE_LEVEL)):
        return False
    return timer.stop(wait)


@ddi
def WdfTimerGetParentObject(machine, Timer: WDFHANDLE) -> WDFHANDLE | None:
    """The parent given at WdfTimerCreate; NULL once the timer has been run down (deleted).
    Bug check: 0x10D/0x5 for a bad Timer.  Fidelity: fxtimerapi.cpp, fxtimer.hpp (GetObject)."""
    parent = _timer(machine, Timer).object
    return None if parent is None else parent.handle
