"""FxDriver: the WDFDRIVER object, root of every object a driver creates.

``WdfDriverCreate`` in DriverEntry makes the driver object.  It is the default parent of memory
objects, lookaside lists and driver-created requests, so everything the driver forgets to delete
is deleted with it at unload.  A driver cannot delete it itself (``WdfObjectDelete`` answers
STATUS_CANNOT_DELETE).

A machine without a DriverEntry makes the WDFDRIVER itself (``FxDriver.create(machine)``, no
callbacks: the lessons create objects directly); a learner's DriverEntry makes it with
``WdfDriverCreate`` (wdfkit.ddi.wdfdriver), which passes the WDF_DRIVER_CONFIG's callbacks and
flags here.

Mirrors: fxdriver.cpp (FxDriver::_InitializeTag, FxDriver::Initialize: the callbacks and
DRIVER_OBJECT.DriverUnload, FxDriver::Unload, MarkNoDeleteDDI), fxdriverapi.cpp.
Simplified: the registry path is kept as text; no registry behind it.
"""

from ..sim.snapshot import DriverDetail
from .handles import FX_TYPE_DRIVER
from .object import FxObject
from .synchronization import constraints
from .verifier import EXECUTION_LEVEL_DISPATCH, SYNCHRONIZATION_SCOPE_NONE

# WDF_DRIVER_INIT_FLAGS (wdfdriver.h)
DRIVER_INIT_NON_PNP = 0x1
DRIVER_INIT_NO_DISPATCH_OVERRIDE = 0x2
DRIVER_INIT_COMPANION = 0x4

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

    device_add = None
    """WDF_DRIVER_CONFIG.EvtDriverDeviceAdd, what the PnP manager's AddDevice calls."""
    unload_callback = None
    """WDF_DRIVER_CONFIG.EvtDriverUnload."""
    init_flags = 0
    """WDF_DRIVER_CONFIG.DriverInitFlags (WdfDriverInitNonPnpDriver, …)."""

    @classmethod
    def create(cls, machine, attributes=None, config=None) -> "FxDriver | None":
        """``new FxDriver`` + FxDriver::Initialize + Commit: the driver object, without a parent.

        With *config* (WdfDriverCreate) it keeps the callbacks and flags and sets the
        DRIVER_OBJECT's DriverUnload as FxDriver::Initialize does: KMDF's unload routine for a
        PnP driver, and for a non-PnP one only when it has an EvtDriverUnload (else the driver
        cannot be unloaded).  *attributes* may give cleanup/destroy callbacks, a context and
        the execution level and scope the driver's devices inherit.  None when pool is
        exhausted (STATUS_INSUFFICIENT_RESOURCES)."""
        block = cls.allocate_block(machine)
        if block is None:
            return None
        driver = cls(machine, block)
        if attributes is not None:
            driver.cleanup_callback = attributes.EvtCleanupCallback
            driver.destroy_callback = attributes.EvtDestroyCallback
            info = attributes.ContextTypeInfo
            if info is not None:
                driver.contexts = {info.ContextName: info.ContextType()}
            driver.execution_level, driver.synchronization_scope = constraints(
                attributes, EXECUTION_LEVEL_DISPATCH, SYNCHRONIZATION_SCOPE_NONE
            )
        if config is not None:
            driver.device_add = config.EvtDriverDeviceAdd
            driver.unload_callback = config.EvtDriverUnload
            driver.init_flags = config.DriverInitFlags
            if not driver.init_flags & DRIVER_INIT_NO_DISPATCH_OVERRIDE:
                non_pnp = driver.init_flags & DRIVER_INIT_NON_PNP
                unloadable = not non_pnp or config.EvtDriverUnload is not None
                machine.driver_object.DriverUnload = "FxDriver::Unload" if unloadable else None
        machine.objects[driver.handle.value] = driver
        return driver

    @property
    def non_pnp(self) -> bool:
        """WdfDriverInitNonPnpDriver: the PnP manager never adds devices for this driver."""
        return bool(self.init_flags & DRIVER_INIT_NON_PNP)

    def detail(self) -> DriverDetail:
        return DriverDetail(self.machine.driver_name)
