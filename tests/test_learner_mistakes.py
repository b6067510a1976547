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
