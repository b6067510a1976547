"""DRIVER_OBJECT: what the I/O manager creates for a driver and hands to its DriverEntry.

KMDF keeps it behind the WDFDRIVER (``WdfDriverWdmGetDriverObject``); a driver that mixes WDM
code with KMDF reads it there.  wdfkit keeps the fields a KMDF driver can see change:
``DriverName`` (``\\Driver\\<service>``), ``HardwareDatabase``, ``DriverUnload`` (which KMDF sets
in WdfDriverCreate, FxDriver::Initialize) and ``DeviceObject`` (the newest device).

Mirrors: wdm.h DRIVER_OBJECT; IopLoadDriver (the name and registry path DriverEntry gets).
Simplified: no MajorFunction table (KMDF owns it; wdfkit dispatches through the device), no
DriverExtension, no image fields.
"""

SERVICES = "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\"


class DRIVER_OBJECT:
    """The kernel's object for one loaded driver."""

    def __init__(self, machine, service_name: str) -> None:
        self._machine = machine
        self.DriverName = f"\\Driver\\{service_name}"
        self.HardwareDatabase = "\\REGISTRY\\MACHINE\\HARDWARE\\DESCRIPTION\\SYSTEM"
        self.DriverUnload = None
        """The unload routine the I/O manager calls, or None: the driver cannot be unloaded.
        KMDF puts its own there (FxDriver::Unload), which calls EvtDriverUnload."""

    @property
    def DeviceObject(self):
        """The most recently created device of the driver (the head of IoCreateDevice's list),
        or None."""
        devices = self._machine.devices
        return devices[-1] if devices else None

    def __repr__(self) -> str:
        return f"<DRIVER_OBJECT {self.DriverName}>"
