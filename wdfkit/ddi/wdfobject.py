"""wdfobject.h: object attributes, contexts, references, deletion, general objects.

Mirrors: fxobjectapi.cpp (WdfObjectDelete, WdfObjectReference/DereferenceActual,
WdfObjectGetTypedContextWorker, WdfObjectCreate); handleapi.cpp (WdfObjectAllocateContext);
fxobject.cpp, fxobjectstatemachine.cpp.
"""

from dataclasses import dataclass
from typing import Any

from ..fx.call import call, named
from ..fx.handles import FX_TYPE_OBJECT, WDFHANDLE, FxHandleFlagIsOffset, get_object
from ..fx.object import FX_CONTEXT_HEADER_SIZE, FxUserObject, attributes_parent
from ..fx.verifier import (
    FX_VALIDATE_OPTION_EXECUTION_LEVEL_ALLOWED,
    FX_VALIDATE_OPTION_PARENT_NOT_ALLOWED,
    WDF_OBJECT_ATTRIBUTES_SIZE,
    WDF_OBJECT_CONTEXT_TYPE_INFO_SIZE,
    null_bugcheck,
    validate_object_attributes,
)
from ..kernel.ntstatus import (
    NT_SUCCESS,
    STATUS_CANNOT_DELETE,
    STATUS_INTEGER_OVERFLOW,
    STATUS_OBJECT_NAME_INVALID,
    STATUS_OBJECT_PATH_INVALID,
    STATUS_WDF_PARENT_NOT_SPECIFIED,
)
from ..kernel.pointer import SIZE_T_MAX
from . import _struct as ft
from ._entry import ddi, macro

__all__ = [
    "WDF_DECLARE_CONTEXT_TYPE",
    "WDF_DECLARE_CONTEXT_TYPE_WITH_NAME",
    "WDF_GET_CONTEXT_TYPE_INFO",
    "WDF_NO_CONTEXT",
    "WDF_NO_HANDLE",
    "WDF_NO_OBJECT_ATTRIBUTES",
    "WDF_OBJECT_ATTRIBUTES",
    "WDF_OBJECT_ATTRIBUTES_INIT",
    "WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE",
    "WDF_OBJECT_CONTEXT_TYPE_INFO",
    "WdfExecutionLevelDispatch",
    "WdfExecutionLevelInheritFromParent",
    "WdfExecutionLevelInvalid",
    "WdfExecutionLevelPassive",
    "WdfObjectAllocateContext",
    "WdfObjectCreate",
    "WdfObjectDelete",
    "WdfObjectDereference",
    "WdfObjectDereferenceWithTag",
    "WdfObjectGetTypedContext",
    "WdfObjectReference",
    "WdfObjectReferenceWithTag",
    "WdfSynchronizationScopeDevice",
    "WdfSynchronizationScopeInheritFromParent",
    "WdfSynchronizationScopeInvalid",
    "WdfSynchronizationScopeNone",
    "WdfSynchronizationScopeQueue",
    "sizeof",
]

WDF_NO_OBJECT_ATTRIBUTES = None
WDF_NO_HANDLE = None
WDF_NO_CONTEXT = None

# WDF_EXECUTION_LEVEL: the highest IRQL at which the framework calls an object's callbacks.
WdfExecutionLevelInvalid = 0
WdfExecutionLevelInheritFromParent = 1
WdfExecutionLevelPassive = 2
WdfExecutionLevelDispatch = 3

# WDF_SYNCHRONIZATION_SCOPE: which of an object's callbacks the framework serialises.
WdfSynchronizationScopeInvalid = 0
WdfSynchronizationScopeInheritFromParent = 1
WdfSynchronizationScopeDevice = 2
WdfSynchronizationScopeQueue = 3
WdfSynchronizationScopeNone = 4


@ft.fields(
    Size=ft.ULONG, ContextName=ft.string, ContextSize=ft.size_t, ContextType=ft.class_or_none
)
@dataclass
class WDF_OBJECT_CONTEXT_TYPE_INFO:
    """Describes a context type; made by ``WDF_DECLARE_CONTEXT_TYPE``."""

    Size: int = 0
    ContextName: str = ""
    ContextSize: int = 0
    ContextType: Any = None
    """The Python class whose instance is the context (C: the struct type)."""


@ft.fields(
    Size=ft.ULONG,
    EvtCleanupCallback=ft.callback,
    EvtDestroyCallback=ft.callback,
    ExecutionLevel=ft.ENUM,
    SynchronizationScope=ft.ENUM,
    ParentObject=ft.handle,
    ContextSizeOverride=ft.size_t,
    ContextTypeInfo=ft.pointer_to(WDF_OBJECT_CONTEXT_TYPE_INFO),
)
@dataclass
class WDF_OBJECT_ATTRIBUTES:
    """Object attributes, fields in C order.  A bare ``WDF_OBJECT_ATTRIBUTES()`` is all zero,
    like an uninitialised C struct would be after memset: call ``WDF_OBJECT_ATTRIBUTES_INIT``."""

    Size: int = 0
    EvtCleanupCallback: Any = None
    EvtDestroyCallback: Any = None
    ExecutionLevel: int = 0
    SynchronizationScope: int = 0
    ParentObject: WDFHANDLE | None = None
    ContextSizeOverride: int = 0
    ContextTypeInfo: WDF_OBJECT_CONTEXT_TYPE_INFO | None = None


@macro
def WDF_OBJECT_ATTRIBUTES_INIT(Attributes: WDF_OBJECT_ATTRIBUTES) -> None:
    """Zero the struct, set Size, and both enums to InheritFromParent."""
    ft.struct_arg("Attributes", Attributes, WDF_OBJECT_ATTRIBUTES)
    Attributes.__init__(
        Size=WDF_OBJECT_ATTRIBUTES_SIZE,
        ExecutionLevel=WdfExecutionLevelInheritFromParent,
        SynchronizationScope=WdfSynchronizationScopeInheritFromParent,
    )


@macro
def WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(ContextType: type, CastingFunction: str):
    """Declare *ContextType* as an object context; return the accessor named *CastingFunction*.

    In C this macro defines the type-info structure and an accessor such as
    ``GetDeviceContext(handle)``; here it returns the accessor.  The context is a fresh
    ``ContextType()`` per object (C zero-fills it), alive exactly as long as the object's
    memory: until its last reference is gone and its EvtDestroyCallback has run.  A context
    kept past that is freed pool: reading or writing a field is a page fault
    (wdfkit.fx.object.free_context).
    """
    if not isinstance(ContextType, type):
        raise TypeError(named("ContextType must be a class"))
    ContextType._wdf_type_info_ = WDF_OBJECT_CONTEXT_TYPE_INFO(
        Size=WDF_OBJECT_CONTEXT_TYPE_INFO_SIZE,
        ContextName=ContextType.__name__,
        ContextSize=getattr(ContextType, "_size_", 8),
        ContextType=ContextType,
    )

    def accessor(Handle):
        return WdfObjectGetTypedContext(Handle, ContextType)

    accessor.__name__ = accessor.__qualname__ = CastingFunction
    accessor.__doc__ = f"The {ContextType.__name__} context of *Handle* (None if it has none)."
    return accessor


@macro
def WDF_DECLARE_CONTEXT_TYPE(ContextType: type):
    """As ``WDF_DECLARE_CONTEXT_TYPE``: the accessor is named ``WdfObjectGet_<type>``."""
    if not isinstance(ContextType, type):
        raise TypeError(named(f"ContextType must be a class, not {type(ContextType).__name__}"))
    return WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(ContextType, f"WdfObjectGet_{ContextType.__name__}")


@macro
def WDF_GET_CONTEXT_TYPE_INFO(ContextType: type) -> WDF_OBJECT_CONTEXT_TYPE_INFO:
    """The type information ``WDF_DECLARE_CONTEXT_TYPE`` made for *ContextType* (a class)."""
    if not isinstance(ContextType, type):
        raise TypeError(named(f"ContextType must be a class, not {type(ContextType).__name__}"))
    info = getattr(ContextType, "_wdf_type_info_", None)
    if info is None:
        raise ValueError(
            named(f"{ContextType.__name__} was never declared with WDF_DECLARE_CONTEXT_TYPE")
        )
    return info


@macro
def WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(Attributes: WDF_OBJECT_ATTRIBUTES, ContextType: type):
    """WDF_OBJECT_ATTRIBUTES_INIT, then attach the context type."""
    ft.struct_arg("Attributes", Attributes, WDF_OBJECT_ATTRIBUTES)
    WDF_OBJECT_ATTRIBUTES_INIT(Attributes)
    Attributes.ContextTypeInfo = WDF_GET_CONTEXT_TYPE_INFO(ContextType)


@macro
def sizeof(struct) -> int:
    """sizeof() for the structures whose Size field KMDF checks (x64 values)."""
    sizes = {
        WDF_OBJECT_ATTRIBUTES: WDF_OBJECT_ATTRIBUTES_SIZE,
        WDF_OBJECT_CONTEXT_TYPE_INFO: WDF_OBJECT_CONTEXT_TYPE_INFO_SIZE,
    }
    kind = struct if isinstance(struct, type) else type(struct)
    if kind not in sizes:
        raise TypeError(named(f"wdfkit does not know the size of {kind.__name__}"))
    return sizes[kind]


def attributes_arg(param: str, attributes):
    """A ``PWDF_OBJECT_ATTRIBUTES`` argument: a WDF_OBJECT_ATTRIBUTES or None (NULL)."""
    if attributes is not None and not isinstance(attributes, WDF_OBJECT_ATTRIBUTES):
        raise TypeError(named(f"{param} must be a WDF_OBJECT_ATTRIBUTES or None"))
    return attributes


def check_parent_handle(machine, attributes) -> bool:
    """ "Get the parent's globals if it is present": the handle check WdfObjectCreate,
    WdfMemoryCreate, WdfMemoryCreatePreallocated and WdfLookasideListCreate make before
    anything else, only when FxValidateObjectAttributesForParentHandle succeeds (attributes
    given, Size right, a ParentObject named; fxvalidatefunctions.hpp): 0x10D/0x5 for a bad
    ParentObject.  With a wrong Size the DDI goes on to answer STATUS_INFO_LENGTH_MISMATCH.
    Returns whether it looked; FxObject::Commit looks the parent up again to link the object.
    """
    if (
        attributes is not None
        and attributes.Size == WDF_OBJECT_ATTRIBUTES_SIZE
        and attributes.ParentObject is not None
    ):
        attributes_parent(machine, attributes)
        return True
    return False


@ddi
def WdfObjectCreate(machine, Attributes: WDF_OBJECT_ATTRIBUTES | None):
    """Create a general framework object, useful as a parent or to carry a context.

    Args:
        Attributes: optional attributes (parent, callbacks, context).

    Returns:
        ``(status, Object)``.  STATUS_SUCCESS; an attribute status (FxValidateObjectAttributes; an
        execution level is allowed here); STATUS_DELETE_PENDING if the parent is being deleted;
        STATUS_INSUFFICIENT_RESOURCES.

    Bug checks: 0x10D/0x5 for a bad ParentObject, checked first when the attributes' Size is
    right (with a wrong Size: STATUS_INFO_LENGTH_MISMATCH).
    Fidelity: fxobject.cpp (FxObject::Commit: the default parent is the driver); fxuserobjectapi.cpp
    (WdfObjectCreate: the parent handle when FxValidateObjectAttributesForParentHandle
    succeeds, FxValidateObjectAttributes with FX_VALIDATE_OPTION_EXECUTION_LEVEL_ALLOWED,
    FxUserObject::_Create and Commit).
    """
    attributes = attributes_arg("Attributes", Attributes)
    check_parent_handle(machine, attributes)
    status = validate_object_attributes(attributes, FX_VALIDATE_OPTION_EXECUTION_LEVEL_ALLOWED)
    if not NT_SUCCESS(status):
        return status, None
    status, obj = FxUserObject.create(machine, attributes, None)
    return status, obj and obj.handle


@ddi
def WdfObjectDelete(machine, Object: WDFHANDLE) -> None:
    """Delete an object and its descendants; destroy waits for outstanding references.

    Returns nothing.  On an object the framework owns (WDFDRIVER, …) nothing happens:
    KMDF traces STATUS_CANNOT_DELETE and makes a verifier debug break.

    A request a queue delivered is not one of those: KMDF refuses only objects marked
    NoDeleteDDI (this DDI in fxobjectapi.cpp), and no FxRequest is marked so (MarkNoDeleteDDI
    is called for the driver, devices, file objects, default and dispatch queues, child lists,
    resource lists, USB and WMI objects).  The request is deleted like any object, but deleting
    it does not complete its IRP: the I/O stays pending and the application waits (wdfkit's
    gives up at once with STATUS_PENDING: nothing scheduled can complete it).  Complete it
    instead.

    Bug checks: 0x10D / WDF_INVALID_HANDLE (0x5) for a NULL, stale or non-object handle.
    Fidelity: fxobjectapi.cpp (WdfObjectDelete); fxobjectstatemachine.cpp (DeleteObject);
    fxobject.cpp (~FxObject); fxhandle.h (FxObjectHandleGetPtr).
    """
    obj = get_object(machine, Object, FX_TYPE_OBJECT, "Object")
    if obj.no_delete_ddi:
        machine.trace(
            f"{call.ddi}({obj.handle!r}): {STATUS_CANNOT_DELETE!r}, "
            "the framework owns this object (verifier debug break)"
        )
        return
    machine.trace("%s(%r)", call.ddi, obj.handle)
    obj.delete_object()


class _TagByIdentity:
    """A tag that cannot be a dict key (a list, a dict…), standing for itself by identity.

    In C a tag is any pointer (often ``__LINE__`` or the address of a local); the tracker
    (FxTagTracker, fxtagtracker.cpp) compares pointer values.  A hashable Python tag is
    compared by value, as a pointer value is; an unhashable one by identity.  Its hash is
    never iterated over (the tracker is an insertion-ordered dict), so nothing printed depends
    on the address; its repr is the object's own.
    """

    __slots__ = ("tag",)

    def __init__(self, tag) -> None:
        self.tag = tag

    def __eq__(self, other) -> bool:
        return isinstance(other, _TagByIdentity) and other.tag is self.tag

    def __hash__(self) -> int:
        return id(self.tag)

    def __repr__(self) -> str:
        return repr(self.tag)


def _tag_key(tag):
    try:
        hash(tag)
    except TypeError:
        return _TagByIdentity(tag)
    return tag


def _reference(machine, Handle, Tag, add: bool) -> None:
    if Handle is None:
        raise null_bugcheck(machine, "Handle")
    obj = get_object(machine, Handle, FX_TYPE_OBJECT, "Handle")
    if add:
        obj.add_ref(_tag_key(Tag))
    else:
        obj.release(_tag_key(Tag))


@ddi
def WdfObjectReferenceWithTag(machine, Handle: WDFHANDLE, Tag=None) -> None:
    """Add a reference, remembered under *Tag* by the tag tracker.  NULL: 0x10D/0x4."""
    _reference(machine, Handle, Tag, True)


@ddi
def WdfObjectDereferenceWithTag(machine, Handle: WDFHANDLE, Tag=None) -> None:
    """Drop a reference taken with *Tag*.  At zero on an undeleted, parented object: 0x10D/0x7."""
    _reference(machine, Handle, Tag, False)


@ddi
def WdfObjectReference(machine, Handle: WDFHANDLE) -> None:
    """``WdfObjectReferenceWithTag(Handle, NULL)``."""
    _reference(machine, Handle, None, True)


@ddi
def WdfObjectDereference(machine, Handle: WDFHANDLE) -> None:
    """``WdfObjectDereferenceWithTag(Handle, NULL)``.  Only after a WdfObjectReference."""
    _reference(machine, Handle, None, False)


@ddi
def WdfObjectGetTypedContext(machine, Handle: WDFHANDLE, ContextType: type):
    """The object's context of *ContextType*, or None if it was created without one.

    The context is in the object's own allocation: once the object is freed, a context the
    driver kept faults when touched (0x50; wdfkit.fx.object.free_context), and the handle
    itself is stale (0x10D/0x5).
    """
    obj = get_object(machine, Handle, FX_TYPE_OBJECT, "Handle")
    if not isinstance(ContextType, type):  # C: the macro takes a type name, or won't compile
        raise TypeError(named(f"ContextType must be a class, not {type(ContextType).__name__}"))
    return obj.contexts.get(WDF_GET_CONTEXT_TYPE_INFO(ContextType).ContextName)


@ddi
def WdfObjectAllocateContext(machine, Handle: WDFHANDLE, ContextAttributes):
    """Add a context of another type to an existing object: ``(status, Context)``.

    *ContextAttributes* names the type (WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE) and may set
    ContextSizeOverride and the context's own EvtCleanupCallback / EvtDestroyCallback, which
    run after the object's own.  The context is zeroed (a fresh instance of the type) and
    lives as long as the object; WdfObjectGetTypedContext and the type's accessor find it.

    Statuses, in KMDF's order: STATUS_OBJECT_PATH_INVALID for a request's input or output
    WDFMEMORY (an offset handle: it has no context header of its own);
    STATUS_WDF_PARENT_NOT_SPECIFIED for NULL attributes (the validator's answer when
    attributes are required); an attribute status (FxValidateObjectAttributes: a wrong Size,
    a bad context type or size override, STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED for a
    ParentObject, …); STATUS_OBJECT_NAME_INVALID when no ContextTypeInfo is given;
    STATUS_INTEGER_OVERFLOW for a size that overflows; STATUS_INSUFFICIENT_RESOURCES;
    STATUS_DELETE_PENDING for an object being deleted (or deleted and still referenced);
    STATUS_OBJECT_NAME_EXISTS — a success status, check for STATUS_SUCCESS — with the
    context already there when the object has one of that type.

    Bug checks: 0x10D/0x4 for a NULL Handle; 0x10D/0x5 for a stale or foreign one (KMDF does
    not check the handle at all here; wdfkit's rule for a freed handle).
    Fidelity: handleapi.cpp (WdfObjectAllocateContext, FxObjectAllocateContext,
    FxCalculateObjectTotalSize), fxobject.cpp (FxObject::AddContext), fxvalidatefunctions.cpp
    (FX_VALIDATE_OPTION_ATTRIBUTES_REQUIRED | FX_VALIDATE_OPTION_PARENT_NOT_ALLOWED, KMDF ≥
    1.11).  Simplified: contexts are told apart by their type's name, as everywhere in wdfkit
    (KMDF compares the type-info pointers).
    """
    if Handle is None:
        raise null_bugcheck(machine, "Handle")
    obj = get_object(machine, Handle, FX_TYPE_OBJECT, "Handle")
    attributes = attributes_arg("ContextAttributes", ContextAttributes)
    if Handle.value & FxHandleFlagIsOffset:
        return STATUS_OBJECT_PATH_INVALID, None
    if attributes is None:
        return STATUS_WDF_PARENT_NOT_SPECIFIED, None
    status = validate_object_attributes(attributes, FX_VALIDATE_OPTION_PARENT_NOT_ALLOWED)
    if not NT_SUCCESS(status):
        return status, None
    info = attributes.ContextTypeInfo
    if info is None:
        return STATUS_OBJECT_NAME_INVALID, None
    if info.ContextType is None:
        raise ValueError(
            named(
                "ContextAttributes.ContextTypeInfo.ContextType is None: wdfkit needs the "
                "context's class (make the type info with WDF_DECLARE_CONTEXT_TYPE)"
            )
        )
    size = attributes.ContextSizeOverride or info.ContextSize
    aligned = (size + 7) & ~7  # ALIGN_UP(ContextSize, PVOID)
    if aligned > SIZE_T_MAX or FX_CONTEXT_HEADER_SIZE + aligned > SIZE_T_MAX:
        return STATUS_INTEGER_OVERFLOW, None
    return obj.allocate_context(info, attributes, FX_CONTEXT_HEADER_SIZE + aligned)
