"""The object manager's namespace, as far as opening a device needs it.

A device object can have a name (``\\Device\\NonPnp``, given by ``WdfDeviceInitAssignName``); a
symbolic link (``\\DosDevices\\NONPNP``, by ``WdfDeviceCreateSymbolicLink``) makes it reachable
from user mode as ``\\\\.\\NONPNP``; a device interface (``WdfDeviceCreateDeviceInterface``)
registers a symbolic link under a class GUID that applications look up
(``CM_Get_Device_Interface_List``) instead of knowing a name.  ``CreateFile`` turns the Win32
path into an NT path (``\\\\.\\X`` and ``\\\\?\\X`` both become ``\\??\\X``) and the object
manager follows symbolic links to the device; whatever follows the device's name is the file
name the driver sees (``WdfFileObjectGetFileName``).

Names are compared without regard to case, as OBJ_CASE_INSENSITIVE makes the object manager do
for every open from user mode.

Mirrors: ObInsertObject / IoCreateDevice (STATUS_OBJECT_NAME_COLLISION), IoCreateSymbolicLink,
IoDeleteSymbolicLink, IoRegisterDeviceInterface / IoSetDeviceInterfaceState (the link
``\\??\\<instance>#{guid}[\\reference]``), ObOpenObjectByName's parse of ``\\??`` and of a device
(IopParseDevice hands the rest of the path to the device as its file name).
Simplified: one flat directory of names; ``\\DosDevices`` and ``\\GLOBAL??`` are the same
directory as ``\\??`` (on Windows they are links to it); no security descriptors.
"""

import uuid

from .ntstatus import (
    STATUS_INVALID_PARAMETER,
    STATUS_OBJECT_NAME_COLLISION,
    STATUS_OBJECT_NAME_INVALID,
    STATUS_OBJECT_NAME_NOT_FOUND,
    STATUS_SUCCESS,
)

DOS_DEVICES = "\\??\\"
_DOS_ALIASES = ("\\DosDevices\\", "\\GLOBAL??\\")
_WIN32_PREFIXES = ("\\\\.\\", "\\\\?\\")
_MAX_LINK_DEPTH = 32  # the object manager gives up on a chain of links this long


def nt_name(name: str) -> str:
    """``\\DosDevices\\X`` and ``\\GLOBAL??\\X`` as the ``\\??\\X`` they stand for."""
    for alias in _DOS_ALIASES:
        if name[: len(alias)].upper() == alias.upper():
            return DOS_DEVICES + name[len(alias) :]
    return name


def win32_to_nt(path: str) -> str | None:
    """What CreateFile opens for a Win32 device path: ``\\\\.\\X`` or ``\\\\?\\X`` → ``\\??\\X``;
    None for a path that is not a device path (a drive letter, a relative name)."""
    for prefix in _WIN32_PREFIXES:
        if path.startswith(prefix) and len(path) > len(prefix):
            return DOS_DEVICES + path[len(prefix) :]
    return None


class DeviceInterface:
    """One registered interface: its class, its device, its link, whether it is enabled.

    ``base`` is the symbolic link Windows creates (``\\??\\<instance>#{guid}``); ``link``
    adds the reference string, which reaches the driver as the file name."""

    def __init__(self, guid: uuid.UUID, device, base: str, reference: str | None) -> None:
        self.guid = guid
        self.device = device
        self.base = base
        self.reference = reference
        self.enabled = False

    @property
    def link(self) -> str:
        return self.base if self.reference is None else f"{self.base}\\{self.reference}"


class Namespace:
    """The machine's named devices, symbolic links and device interfaces."""

    def __init__(self) -> None:
        self._devices: dict[str, tuple[str, object]] = {}  # upper-case name → (name, device)
        self._links: dict[str, tuple[str, str]] = {}  # upper-case link → (link, target)
        self.interfaces: list[DeviceInterface] = []

    # -- names ------------------------------------------------------------------------------
    def insert_device(self, name: str, device) -> int:
        """IoCreateDevice with a name: STATUS_OBJECT_NAME_COLLISION if the name is taken,
        STATUS_OBJECT_NAME_INVALID unless it is a full path (starts with a backslash)."""
        if not name.startswith("\\") or name.endswith("\\"):
            return STATUS_OBJECT_NAME_INVALID
        key = name.upper()
        if key in self._devices or key in self._links:
            return STATUS_OBJECT_NAME_COLLISION
        self._devices[key] = (name, device)
        return STATUS_SUCCESS

    def remove_device(self, device) -> None:
        """The device object is deleted: its name and its interfaces go (links to it are left
        dangling, as on Windows until their owner deletes them)."""
        for key, (_, owner) in list(self._devices.items()):
            if owner is device:
                del self._devices[key]
        self.interfaces = [i for i in self.interfaces if i.device is not device]

    def create_symbolic_link(self, link: str, target: str) -> int:
        """IoCreateSymbolicLink: STATUS_OBJECT_NAME_COLLISION if *link* exists."""
        link = nt_name(link)
        if not link.startswith("\\") or link.endswith("\\"):
            return STATUS_OBJECT_NAME_INVALID
        key = link.upper()
        if key in self._links or key in self._devices:
            return STATUS_OBJECT_NAME_COLLISION
        self._links[key] = (link, nt_name(target))
        return STATUS_SUCCESS

    def delete_symbolic_link(self, link: str) -> int:
        """IoDeleteSymbolicLink: STATUS_OBJECT_NAME_NOT_FOUND if there is no such link."""
        if self._links.pop(nt_name(link).upper(), None) is None:
            return STATUS_OBJECT_NAME_NOT_FOUND
        return STATUS_SUCCESS

    # -- device interfaces ------------------------------------------------------------------
    def register_interface(self, guid: uuid.UUID, device, instance: str, reference: str | None):
        """IoRegisterDeviceInterface: ``(status, link)``.  The link is
        ``\\??\\<instance>#{guid}`` (``\\<reference>`` appended when given), the instance path
        with backslashes as ``#``; registering the same one twice gives the same link.
        STATUS_INVALID_PARAMETER for a reference string with a backslash in it."""
        if reference is not None and ("\\" in reference or not reference):
            return STATUS_INVALID_PARAMETER, None
        base = f"{DOS_DEVICES}{instance.replace(chr(92), '#')}#{{{guid}}}"
        interface = DeviceInterface(guid, device, base, reference)
        for known in self.interfaces:
            if known.link.upper() == interface.link.upper():
                return STATUS_SUCCESS, known.link
        self.interfaces.append(interface)
        return STATUS_SUCCESS, interface.link

    def set_interface_state(self, link: str, enable: bool) -> int:
        """IoSetDeviceInterfaceState: make the interface visible to applications, or not."""
        for interface in self.interfaces:
            if interface.link.upper() == link.upper():
                interface.enabled = bool(enable)
                return STATUS_SUCCESS
        return STATUS_OBJECT_NAME_NOT_FOUND

    def interface_list(self, guid: uuid.UUID) -> list[str]:
        """CM_Get_Device_Interface_List(..., CM_GET_DEVICE_INTERFACE_LIST_PRESENT): the enabled
        interfaces of class *guid*, as user-mode paths (``\\\\?\\...``), oldest first."""
        return [
            "\\\\?\\" + i.link[len(DOS_DEVICES) :]
            for i in self.interfaces
            if i.enabled and i.guid == guid
        ]

    # -- opening ----------------------------------------------------------------------------
    def lookup(self, path: str):
        """ObOpenObjectByName for an NT path: ``(status, device, file_name)``.

        Follows symbolic links (a link may name a device, or a device and more path); the
        part of the path after the device's name is the file name it is opened with ("" for
        the device itself).  An enabled interface's link leads to its device, its reference
        string becoming the file name.  STATUS_OBJECT_NAME_NOT_FOUND when nothing has the name
        (a disabled interface has no link).
        """
        path = nt_name(path)
        for _ in range(_MAX_LINK_DEPTH):
            upper = path.upper()
            for interface in self.interfaces:
                base = interface.base.upper()
                if interface.enabled and (upper == base or upper.startswith(base + "\\")):
                    return STATUS_SUCCESS, interface.device, path[len(base) :]
            for key, (_, device) in self._devices.items():
                if upper == key or upper.startswith(key + "\\"):
                    return STATUS_SUCCESS, device, path[len(key) :]
            for key, (_, target) in self._links.items():
                if upper == key or upper.startswith(key + "\\"):
                    path = target + path[len(key) :]
                    break
            else:
                return STATUS_OBJECT_NAME_NOT_FOUND, None, ""
        return STATUS_OBJECT_NAME_NOT_FOUND, None, ""
