"""Checks shared by many DDIs: object attributes, required pointers, IRQL limits.

KMDF validates a driver's ``WDF_OBJECT_ATTRIBUTES`` for every object it creates (each type
saying whether it allows a parent, an execution level, a synchronization scope), bug-checks on
a NULL where a pointer is required, and — with KMDF Verifier on — refuses a call made above the
IRQL the DDI allows.

Mirrors: fxvalidatefunctions.cpp (FxValidateObjectAttributes), fxverifierbugcheck.cpp
(FxVerifierNullBugCheck), fxverifier.h (FxVerifierCheckIrqlLevel).
Simplified: the context-type checks look at the Python context class, not at C sizes.
"""

from ..kernel.bugcheck import WDF_REQUIRED_PARAMETER_IS_NULL, WDF_VIOLATION, BugCheck
from ..kernel.ntstatus import (
    STATUS_INFO_LENGTH_MISMATCH,
    STATUS_INVALID_DEVICE_REQUEST,
    STATUS_SUCCESS,
    STATUS_WDF_EXECUTION_LEVEL_INVALID,
    STATUS_WDF_OBJECT_ATTRIBUTES_INVALID,
    STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED,
    STATUS_WDF_SYNCHRONIZATION_SCOPE_INVALID,
)
from ..language import _
from .call import call

WDF_OBJECT_ATTRIBUTES_SIZE = 0x38  # sizeof(WDF_OBJECT_ATTRIBUTES) on x64
WDF_OBJECT_CONTEXT_TYPE_INFO_SIZE = 0x28
WDF_OBJECT_CONTEXT_TYPE_INFO_V1_0_SIZE = 0x18  # Size, ContextName, ContextSize (fxmin.hpp)

# WDF_EXECUTION_LEVEL and WDF_SYNCHRONIZATION_SCOPE values the check compares with (wdfobject.h;
# a driver's names, WdfExecutionLevel… and WdfSynchronizationScope…, are in wdfkit.ddi.wdfobject).
INHERIT_FROM_PARENT = 1  # WdfExecutionLevelInheritFromParent, WdfSynchronizationScope…
EXECUTION_LEVEL_DISPATCH = 3  # WdfExecutionLevelDispatch, the highest level
SYNCHRONIZATION_SCOPE_NONE = 4  # WdfSynchronizationScopeNone, the highest scope


# FX_VALIDATE_FUNCTIONS_FLAGS (fxvalidatefunctions.hpp): what an object type allows its attributes.
FX_VALIDATE_OPTION_NONE_SPECIFIED = 0x0
FX_VALIDATE_OPTION_PARENT_NOT_ALLOWED = 0x1
FX_VALIDATE_OPTION_EXECUTION_LEVEL_ALLOWED = 0x2
FX_VALIDATE_OPTION_SYNCHRONIZATION_SCOPE_ALLOWED = 0x4


def validate_object_attributes(attributes, flags: int = FX_VALIDATE_OPTION_NONE_SPECIFIED):
    """FxValidateObjectAttributes: the status a Wdf…Create returns for its attributes.

    Every object type checks Size, the context type and the enums' ranges; *flags* say what
    the type allows besides: memory, lookaside lists, requests, I/O targets and DMA enablers
    pass none, WdfObjectCreate an execution level, WdfIoQueueCreate an execution level and a
    synchronization scope, WdfDeviceCreate both but no parent, WdfDmaTransactionCreate no
    parent.  A context type's Size may be the current one or KMDF 1.0's
    (WDF_OBJECT_CONTEXT_TYPE_INFO_V1_0, fxmin.hpp).  The ParentObject handle is never looked
    up here: each DDI does that itself, before or after this check.
    Mirrors fxvalidatefunctions.cpp (FxValidateObjectAttributes).
    """
    if attributes is None:
        return STATUS_SUCCESS
    if attributes.Size != WDF_OBJECT_ATTRIBUTES_SIZE:
        return STATUS_INFO_LENGTH_MISMATCH
    info = attributes.ContextTypeInfo
    if info is not None:
        if info.Size not in (
            WDF_OBJECT_CONTEXT_TYPE_INFO_SIZE,
            WDF_OBJECT_CONTEXT_TYPE_INFO_V1_0_SIZE,
        ):
            return STATUS_INFO_LENGTH_MISMATCH
        if info.ContextSize > 0 and not info.ContextName:
            return STATUS_WDF_OBJECT_ATTRIBUTES_INVALID
    if attributes.ContextSizeOverride:
        if info is None or attributes.ContextSizeOverride < info.ContextSize:
            return STATUS_WDF_OBJECT_ATTRIBUTES_INVALID
    if flags & FX_VALIDATE_OPTION_PARENT_NOT_ALLOWED and attributes.ParentObject is not None:
        return STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED
    if not 0 < attributes.ExecutionLevel <= EXECUTION_LEVEL_DISPATCH:
        return STATUS_WDF_OBJECT_ATTRIBUTES_INVALID
    if not 0 < attributes.SynchronizationScope <= SYNCHRONIZATION_SCOPE_NONE:
        return STATUS_WDF_OBJECT_ATTRIBUTES_INVALID
    if not flags & FX_VALIDATE_OPTION_SYNCHRONIZATION_SCOPE_ALLOWED and (
        attributes.SynchronizationScope not in (INHERIT_FROM_PARENT, SYNCHRONIZATION_SCOPE_NONE)
    ):
        return STATUS_WDF_SYNCHRONIZATION_SCOPE_INVALID
    if (
        not flags & FX_VALIDATE_OPTION_EXECUTION_LEVEL_ALLOWED
        and attributes.ExecutionLevel != INHERIT_FROM_PARENT
    ):
        return STATUS_WDF_EXECUTION_LEVEL_INVALID
    return STATUS_SUCCESS


def null_bugcheck(machine, what: str) -> BugCheck:
    """FxVerifierNullBugCheck: 0x10D / WDF_REQUIRED_PARAMETER_IS_NULL, P3 the caller's address."""
    return BugCheck(
        WDF_VIOLATION,
        (WDF_REQUIRED_PARAMETER_IS_NULL, 0, machine.return_address, machine.driver_globals),
        _("WDF_REQUIRED_PARAMETER_IS_NULL: {what} is NULL but the DDI requires it.").format(
            what=what
        ),
    )


def check_irql(machine, limit: int):
    """FxVerifierCheckIrqlLevel: with KMDF Verifier on, refuse a call above *limit*.

    KMDF's check, not Driver Verifier's: fxverifier.h tests FxDriverGlobals->FxVerifierOn and
    returns STATUS_SUCCESS without it.
    """
    if machine.kmdf_verifier and machine.irql > limit:
        machine.trace(
            f"KMDF Verifier: {call.ddi} called at IRQL {machine.irql}, above {limit} (debug break)"
        )
        return STATUS_INVALID_DEVICE_REQUEST
    return STATUS_SUCCESS
