"""wdfkit: a compact, faithful simulation of the Windows and KMDF memory-buffer machinery.

Every DDI the course uses is importable from here under its real name, with arguments in C
order; ``None`` is NULL, and pure out-parameters come back after the return value as a tuple::

    status, memory, buffer = WdfMemoryCreate(None, NonPagedPoolNx, 'gaT1', 64)

Sections: the machine; objects; memory; lookaside lists; pool, IRQL and Rtl routines;
alignment; devices and queues; requests; I/O targets; the I/O manager; MDLs and pages; DMA;
statuses and bug checks.
"""

from importlib.metadata import PackageNotFoundError, version

from . import kernel
from .ddi.wdfcore import WDF_ALIGN_SIZE_DOWN, WDF_ALIGN_SIZE_UP
from .ddi.wdfdevice import *  # noqa: F403  (device, queue: see its __all__)
from .ddi.wdfdevice import __all__ as _device_names
from .ddi.wdfdma import *  # noqa: F403  (DMA enablers and transactions: see its __all__)
from .ddi.wdfdma import __all__ as _dma_names
from .ddi.wdfiotarget import *  # noqa: F403  (I/O targets: see its __all__)
from .ddi.wdfiotarget import __all__ as _target_names
from .ddi.wdflookaside import WdfLookasideListCreate, WdfMemoryCreateFromLookaside
from .ddi.wdfmemory import (
    WDF_MEMORY_DESCRIPTOR,
    WDF_MEMORY_DESCRIPTOR_INIT_BUFFER,
    WDF_MEMORY_DESCRIPTOR_INIT_HANDLE,
    WDF_MEMORY_DESCRIPTOR_INIT_MDL,
    WDFMEMORY_OFFSET,
    WdfMemoryAssignBuffer,
    WdfMemoryCopyFromBuffer,
    WdfMemoryCopyToBuffer,
    WdfMemoryCreate,
    WdfMemoryCreatePreallocated,
    WdfMemoryDescriptorTypeBuffer,
    WdfMemoryDescriptorTypeHandle,
    WdfMemoryDescriptorTypeInvalid,
    WdfMemoryDescriptorTypeMdl,
    WdfMemoryGetBuffer,
)
from .ddi.wdfobject import (
    WDF_DECLARE_CONTEXT_TYPE,
    WDF_DECLARE_CONTEXT_TYPE_WITH_NAME,
    WDF_GET_CONTEXT_TYPE_INFO,
    WDF_NO_CONTEXT,
    WDF_NO_HANDLE,
    WDF_NO_OBJECT_ATTRIBUTES,
    WDF_OBJECT_ATTRIBUTES,
    WDF_OBJECT_ATTRIBUTES_INIT,
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE,
    WDF_OBJECT_CONTEXT_TYPE_INFO,
    WdfGetDriver,
    WdfObjectCreate,
    WdfObjectDelete,
    WdfObjectDereference,
    WdfObjectDereferenceWithTag,
    WdfObjectGetTypedContext,
    WdfObjectReference,
    WdfObjectReferenceWithTag,
    sizeof,
)
from .ddi.wdfrequest import *  # noqa: F403  (requests: see its __all__)
from .ddi.wdfrequest import __all__ as _request_names
from .ddi.wdm import (
    APC_LEVEL,
    DISPATCH_LEVEL,
    PASSIVE_LEVEL,
    POOL_FLAG_CACHE_ALIGNED,
    POOL_FLAG_NON_PAGED,
    POOL_FLAG_NON_PAGED_EXECUTE,
    POOL_FLAG_PAGED,
    POOL_FLAG_UNINITIALIZED,
    POOL_FLAG_USE_QUOTA,
    ExAllocatePool2,
    ExAllocatePoolWithTag,
    ExFreePool,
    ExFreePoolWithTag,
    KeGetCurrentIrql,
    KeLowerIrql,
    KeRaiseIrql,
    RtlCompareMemory,
    RtlCopyMemory,
    RtlFillMemory,
    RtlZeroMemory,
)
from .ddi.wdmlookaside import (
    NPAGED_LOOKASIDE_LIST,
    PAGED_LOOKASIDE_LIST,
    ExAllocateFromNPagedLookasideList,
    ExAllocateFromPagedLookasideList,
    ExDeleteNPagedLookasideList,
    ExDeletePagedLookasideList,
    ExFreeToNPagedLookasideList,
    ExFreeToPagedLookasideList,
    ExInitializeNPagedLookasideList,
    ExInitializePagedLookasideList,
)
from .ddi.wdmmdl import *  # noqa: F403  (MDLs and page macros: see its __all__)
from .ddi.wdmmdl import __all__ as _mdl_names
from .fx.verifier import (
    WdfExecutionLevelDispatch,
    WdfExecutionLevelInheritFromParent,
    WdfExecutionLevelInvalid,
    WdfExecutionLevelPassive,
    WdfSynchronizationScopeDevice,
    WdfSynchronizationScopeInheritFromParent,
    WdfSynchronizationScopeInvalid,
    WdfSynchronizationScopeNone,
    WdfSynchronizationScopeQueue,
)
from .kernel.bugcheck import (
    BAD_POOL_CALLER,
    DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL,
    DRIVER_VERIFIER_DETECTED_VIOLATION,
    MULTIPLE_IRP_COMPLETE_REQUESTS,
    PAGE_FAULT_IN_NONPAGED_AREA,
    WDF_BUGCHECK_CODES,
    WDF_DMA_FATAL_ERROR,
    WDF_INVALID_HANDLE,
    WDF_OBJECT_ERROR,
    WDF_REQUIRED_PARAMETER_IS_NULL,
    WDF_VIOLATION,
    BugCheck,
    MachineHalted,
)
from .kernel.irp import (
    CTL_CODE,
    FILE_ANY_ACCESS,
    FILE_DEVICE_UNKNOWN,
    FILE_READ_ACCESS,
    FILE_WRITE_ACCESS,
    IO_STATUS_BLOCK,
    IRP_MJ_DEVICE_CONTROL,
    IRP_MJ_INTERNAL_DEVICE_CONTROL,
    IRP_MJ_READ,
    IRP_MJ_WRITE,
    METHOD_BUFFERED,
    METHOD_IN_DIRECT,
    METHOD_NEITHER,
    METHOD_OUT_DIRECT,
    KernelMode,
    UserMode,
)
from .kernel.ntstatus import *  # noqa: F403  (every STATUS_* name and NTSTATUS, NT_SUCCESS)
from .kernel.ntstatus import NT_SUCCESS, NTSTATUS
from .kernel.pointer import PVOID
from .kernel.pool import (
    PAGE_SIZE,
    POOL_NX_ALLOCATION,
    NonPagedPool,
    NonPagedPoolCacheAligned,
    NonPagedPoolExecute,
    NonPagedPoolNx,
    NonPagedPoolNxCacheAligned,
    PagedPool,
    PagedPoolCacheAligned,
)
from .sim.machine import Machine, boot

try:
    __version__ = version("wdfkit")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

_SECTIONS = {
    "machine": ["Machine", "boot", "PVOID"],
    "objects": [n for n in dir() if n.startswith(("WdfObject", "WDF_OBJECT", "WDF_DECLARE"))]
    + ["WDF_GET_CONTEXT_TYPE_INFO", "WDF_NO_CONTEXT", "WDF_NO_HANDLE", "WDF_NO_OBJECT_ATTRIBUTES"]
    + ["WdfGetDriver", "sizeof"]
    + [n for n in dir() if n.startswith(("WdfExecutionLevel", "WdfSynchronizationScope"))],
    "memory": [n for n in dir() if n.startswith(("WdfMemory", "WDF_MEMORY", "WDFMEMORY"))],
    "lookaside": ["WdfLookasideListCreate", "NPAGED_LOOKASIDE_LIST", "PAGED_LOOKASIDE_LIST"]
    + [n for n in dir() if "LookasideList" in n and n.startswith("Ex")],
    "pool": [n for n in dir() if n.startswith(("Ex", "Ke", "Rtl", "POOL_FLAG", "NonPaged"))]
    + ["PagedPool", "PagedPoolCacheAligned", "PASSIVE_LEVEL", "APC_LEVEL", "DISPATCH_LEVEL"]
    + ["POOL_NX_ALLOCATION"],
    "alignment": ["WDF_ALIGN_SIZE_DOWN", "WDF_ALIGN_SIZE_UP"],
    "devices and queues": list(_device_names),
    "requests": list(_request_names),
    "I/O targets": list(_target_names),
    "MDLs and pages": list(_mdl_names),
    "DMA": list(_dma_names),
    "the I/O manager": ["CTL_CODE", "IO_STATUS_BLOCK", "KernelMode", "UserMode"]
    + [n for n in dir() if n.startswith(("IRP_MJ_", "METHOD_", "FILE_"))],
    "statuses": [n for n in dir() if n.startswith("STATUS_")] + ["NTSTATUS", "NT_SUCCESS"],
    "bugchecks": [
        "BugCheck",
        "MachineHalted",
        "WDF_VIOLATION",
        "BAD_POOL_CALLER",
        "DRIVER_VERIFIER_DETECTED_VIOLATION",
        "PAGE_FAULT_IN_NONPAGED_AREA",
        "DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL",
        "WDF_BUGCHECK_CODES",
        "WDF_INVALID_HANDLE",
        "WDF_OBJECT_ERROR",
        "WDF_REQUIRED_PARAMETER_IS_NULL",
        "MULTIPLE_IRP_COMPLETE_REQUESTS",
        "WDF_DMA_FATAL_ERROR",
    ],
}
__all__ = sorted({name for names in _SECTIONS.values() for name in names})
assert all(name in globals() for name in __all__), "a section names something not imported"
del kernel, _device_names, _request_names, _target_names, _mdl_names, _dma_names


def load_ipython_extension(shell) -> None:
    """``%load_ext wdfkit``: show bug checks as blue screens (see :mod:`wdfkit.show.extension`)."""
    from .show.extension import load_ipython_extension

    load_ipython_extension(shell)


def unload_ipython_extension(shell) -> None:
    """``%unload_ext wdfkit``: ordinary tracebacks again."""
    from .show.extension import unload_ipython_extension

    unload_ipython_extension(shell)
