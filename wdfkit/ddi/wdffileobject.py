"""wdffileobject.h: what a driver asks of a WDFFILEOBJECT, the framework's object for one open.

A device gets WDFFILEOBJECTs only when its driver set a file object configuration
(``WdfDeviceInitSetFileObjectConfig``, in wdfkit.ddi.wdfdevice) with a class other than
WdfFileObjectNotRequired; each lives from IRP_MJ_CREATE to IRP_MJ_CLOSE (wdfkit.fx.fileobject).
A request's file object: ``WdfRequestGetFileObject`` (wdfkit.ddi.wdfrequest).

Mirrors: fxfileobjectapi.cpp (WdfFileObjectGetDevice, WdfFileObjectGetFileName).
Simplified: PUNICODE_STRING results are Python ``str`` (None for NULL); WdfFileObjectGetFlags,
WdfFileObjectWdmGetFileObject and WdfFileObjectGetInitiatorProcessId are not provided.
"""

from ..fx.handles import FX_TYPE_FILEOBJECT, WDFHANDLE, get_object
from ..fx.verifier import check_irql
from ..kernel.ntstatus import NT_SUCCESS
from ..kernel.pool import PASSIVE_LEVEL
from ._entry import ddi

__all__ = ["WdfFileObjectGetDevice", "WdfFileObjectGetFileName"]


@ddi
def WdfFileObjectGetDevice(machine, FileObject: WDFHANDLE) -> WDFHANDLE:
    """The WDFDEVICE the file object was opened on.

    Bug checks: 0x10D / WDF_INVALID_HANDLE (0x5) for a NULL, stale or wrongly typed handle.
    Fidelity: fxfileobjectapi.cpp (WdfFileObjectGetDevice: FxObjectHandleGetPtr with
    FX_TYPE_FILEOBJECT, then GetDevice()->GetHandle()).
    """
    file_object = get_object(machine, FileObject, FX_TYPE_FILEOBJECT, "FileObject")
    return file_object.device.handle


@ddi
def WdfFileObjectGetFileName(machine, FileObject: WDFHANDLE) -> str | None:
    """The FILE_OBJECT's FileName: whatever followed the device's name in the path that was
    opened — ``""`` for the device itself (``\\\\.\\Link``), ``"\\\\ref"`` for an interface
    registered with reference string ``ref`` or a path opened as ``\\\\.\\Link\\ref``.

    None (NULL) with no WDM file object, or — KMDF Verifier — above PASSIVE_LEVEL.
    Bug checks: 0x10D / WDF_INVALID_HANDLE (0x5) for a bad handle.
    Fidelity: fxfileobjectapi.cpp (WdfFileObjectGetFileName: FxVerifierCheckIrqlLevel at
    PASSIVE_LEVEL, then &FileObject->FileName when there is a WDM file object).
    Simplified: a ``str`` instead of a PUNICODE_STRING into the file object.
    """
    file_object = get_object(machine, FileObject, FX_TYPE_FILEOBJECT, "FileObject")
    if not NT_SUCCESS(check_irql(machine, PASSIVE_LEVEL)):
        return None
    wdm = file_object.wdm_file_object
    return None if wdm is None else wdm.FileName
