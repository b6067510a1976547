"""FxDriver: the WDFDRIVER object, root of every object a driver creates.

``WdfDriverCreate`` in DriverEntry makes the driver object.  It is the default parent of memory
objects, lookaside lists and driver-created requests, so everything the driver forgets to delete
is deleted with it at unload.  A driver cannot delete it itself (``WdfObjectDelete`` answers
STATUS_CANNOT_DELETE).

Mirrors: fxdriver.cpp (FxDriver::_InitializeTag, MarkNoDeleteDDI), fxdriverapi.cpp.
Simplified: no registry path, no device-add callback (lessons create objects directly).
"""

from ..sim.snapshot import DriverDetail
from .handles import FX_TYPE_DRIVER
from .object import FxObject
from .verifier import EXECUTION_LEVEL_DISPATCH, SYNCHRONIZATION_SCOPE_NONE

FX_TAG = int.from_bytes(b"FxDr", "little")  # 'rDxF' in C: shows as "FxDr"


def driver_tag(driver_name: str, driver_pool_tag: int = 0) -> int:
    """The driver's pool tag: WDF_DRIVER_CONFIG.DriverPoolTag, else from the service name.

    As FxDriver::_InitializeTag: skip a leading "WDF" (any case); if two characters or fewer
    remain use FX_TAG ("FxDr"); otherwise copy the first four in order, so "Toaster" shows
    as "Toas".  ' kdD', the old DDK default, is refused.
    """
    if driver_pool_tag and driver_pool_tag != int.from_bytes(b"Ddk ", "little"):
        return driver_pool_tag
    name = driver_name
    if len(name) >= 3 and name[:3].upper() == "WDF":
        name = name[3:]
    if len(name) <= 2:
        return FX_TAG
    return int.from_bytes(name[:4].encode("ascii"), "little")


class FxDriver(FxObject):
    """The WDFDRIVER: no parent, cannot be deleted by the driver."""

    TYPE = FX_TYPE_DRIVER
    HANDLE_NAME = "WDFDRIVER"
    OBJECT_SIZE = 0x1A0
    no_delete_ddi = True
    # The constraints devices inherit (FxDriver::FxDriver, kernel mode: WdfExecutionLevelDispatch
    # and WdfSynchronizationScopeNone).  The machine creates the driver without attributes, so
    # they are never overridden (FxDriver::Initialize would take non-inheriting values).
    execution_level = EXECUTION_LEVEL_DISPATCH
    synchronization_scope = SYNCHRONIZATION_SCOPE_NONE

    @classmethod
    def create(cls, machine) -> "FxDriver":
        driver = cls(machine, cls.allocate_block(machine))
        machine.objects[driver.handle.value] = driver
        return driver

    def detail(self) -> DriverDetail:
        return DriverDetail(self.machine.driver_name)
