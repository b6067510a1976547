"""Lesson 06's check-yourself problems (the buffer life cycle: parents, owners, references)."""

import random

from ...ddi.wdfdevice import WdfDeviceIoBuffered
from ...ddi.wdfmemory import WdfMemoryCreate, WdfMemoryCreatePreallocated
from ...ddi.wdfobject import (
    WDF_OBJECT_ATTRIBUTES,
    WDF_OBJECT_ATTRIBUTES_INIT,
    WdfObjectCreate,
    WdfObjectDelete,
    WdfObjectDereference,
    WdfObjectReference,
)
from ...ddi.wdfrequest import WdfRequestCompleteWithInformation, WdfRequestRetrieveOutputMemory
from ...ddi.wdm import ExAllocatePoolWithTag, ExFreePoolWithTag
from ...kernel.ntstatus import STATUS_SUCCESS
from ...kernel.pool import NonPagedPoolNx
from ...language import _
from ...sim.machine import Machine
from .. import scenarios
from ..answers import COUNT, Several
from ..problem import Problem
from ._listing import listing


def _read_once(machine: Machine, EvtIoRead, found: dict) -> None:
    """Load on *machine* a buffered-I/O device whose default queue calls *EvtIoRead* (the
    device's handle goes to ``found["device"]``), and let the application read 16 bytes."""

    def keep_device(device) -> None:
        found["device"] = device

    EvtDriverDeviceAdd = scenarios.queue_driver(
        WdfDeviceIoBuffered, {"EvtIoRead": EvtIoRead}, setup=keep_device
    )
    with machine:
        machine.add_device(EvtDriverDeviceAdd)
        machine.application().ReadFile(bytearray(16))


def _states(machine: Machine, handles) -> list[tuple[str, bool]]:
    """What the object tree says of each of *handles*: its state and refs, or that it is gone;
    with whether it still exists."""
    existing = {o.handle: o for o in machine.snapshot().objects}
    states = []
    for i, handle in enumerate(handles):
        found = existing.get(int(handle))
        states.append(
            (_("m{index}: gone").format(index=i), False)
            if found is None
            else (f"m{i}: refs {found.refcnt}  {found.state.name}", True)
        )
    return states


PARENTS = ("Request", "Device")
MOVES = ("nothing", "WdfObjectDelete", "reference, WdfObjectDelete", "reference")


def draw_survivors(label: str, rng: random.Random) -> Problem:
    """A prediction: which of the driver's memory objects outlive the request's completion."""
    plan = [(rng.choice(PARENTS), rng.choice(MOVES)) for _round in range(rng.randint(3, 5))]
    found = {}

    def EvtIoRead(Queue, Request, Length):
        handles = []
        for parent, move in plan:
            attributes = WDF_OBJECT_ATTRIBUTES()
            WDF_OBJECT_ATTRIBUTES_INIT(attributes)
            attributes.ParentObject = Request if parent == "Request" else found["device"]
            _status, memory, _buffer = WdfMemoryCreate(attributes, NonPagedPoolNx, "1buB", 64)
            if move.startswith("reference"):
                WdfObjectReference(memory)
            if move.endswith("WdfObjectDelete"):
                WdfObjectDelete(memory)
            handles.append(memory)
        WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, 0)
        found["states"] = _states(found["machine"], handles)
        for (_parent, move), memory in zip(plan, handles, strict=True):
            if move.startswith("reference"):
                WdfObjectDereference(memory)

    machine = Machine("Toaster")
    found["machine"] = machine
    _read_once(machine, EvtIoRead, found)
    alive = sum(exists for _line, exists in found["states"])
    lines = []
    for i, (parent, move) in enumerate(plan):
        lines.append(f"attributes.ParentObject = {parent}")
        lines.append(f"status, m{i}, _ = WdfMemoryCreate(attributes, NonPagedPoolNx, '1buB', 64)")
        if move.startswith("reference"):
            lines.append(f"WdfObjectReference(m{i})")
        if move.endswith("WdfObjectDelete"):
            lines.append(f"WdfObjectDelete(m{i})")
    lines.append("WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, 0)")
    lines.append("# <- here")
    referenced = [move.startswith("reference") for _parent, move in plan]
    deleted = [move.endswith("WdfObjectDelete") for _parent, move in plan]
    parents = [parent for parent, _move in plan]
    ignore_parents = sum(not d or r for d, r in zip(deleted, referenced, strict=True))
    ignore_references = sum(p == "Device" and not d for p, d in zip(parents, deleted, strict=True))
    diagnoses = {
        ignore_parents: _(
            "A memory object whose parent is the request is deleted with it: "
            "completing the request deletes its children, unless a reference still holds one."
        ),
        ignore_references: _(
            "WdfObjectDelete (or the parent's deletion) drops the object's own "
            "reference, but an object someone has referenced lives until the last "
            "WdfObjectDereference: a referenced object is still there."
        ),
        len(plan): _(
            "Some are gone: a deleted object without extra references dies at once, "
            "and the request's children die when it is completed."
        ),
    }
    return Problem(
        label,
        _(
            "Predict first, then run it. Inside EvtIoRead (attributes set up with "
            "WDF_OBJECT_ATTRIBUTES_INIT; Device is the driver's device) the driver runs:{code}"
            "Each WdfObjectReference is undone by a WdfObjectDereference only after this point. "
            "At '# <- here', how many of the memory objects m0, m1, … still exist (alive, or "
            "deleted but still referenced)?"
        ).format(code=listing(lines)),
        COUNT,
        alive,
        _(
            "An object dies when it has been deleted, by WdfObjectDelete or with its parent, and "
            "its last reference is gone. Completing the request deletes the memory objects whose "
            "parent is the request; those parented to the device stay until the device goes. A "
            "WdfObjectReference keeps a deleted object (and the buffer it owns) until its "
            "WdfObjectDereference."
        ),
        diagnoses=diagnoses,
        prediction=True,
        outcome="\n".join(
            [
                _("At '# <- here', {alive} of the {count} memory objects still exist:").format(
                    alive=alive, count=len(plan)
                )
            ]
            + [line for line, _exists in found["states"]]
        ),
    )


def draw_irp_references(label: str, rng: random.Random) -> Problem:
    """References on a request's memory count on the request as IRP references."""
    on_memory = rng.randint(1, 3)
    on_request = rng.randint(0, 2)
    released = rng.randint(0, on_memory)
    order = ["memory"] * on_memory + ["Request"] * on_request
    rng.shuffle(order)
    seen = {}

    def EvtIoRead(Queue, Request, Length):
        status, memory = WdfRequestRetrieveOutputMemory(Request)
        for what in order:
            WdfObjectReference(memory if what == "memory" else Request)
        for _round in range(released):
            WdfObjectDereference(memory)
        request = next(o for o in machine.snapshot().objects if o.type_name == "WDFREQUEST")
        seen["counts"] = (request.refcnt, request.detail.irp_refs)
        for _round in range(on_memory - released):
            WdfObjectDereference(memory)
        for _round in range(on_request):
            WdfObjectDereference(Request)
        WdfRequestCompleteWithInformation(Request, status, 0)

    machine = Machine("Toaster")
    _read_once(machine, EvtIoRead, seen)
    refs, irp_refs = seen["counts"]
    lines = ["status, memory = WdfRequestRetrieveOutputMemory(Request)"]
    lines += [f"WdfObjectReference({what})" for what in order]
    lines += ["WdfObjectDereference(memory)"] * released
    lines.append("# <- here")
    solution = (refs, irp_refs)
    diagnoses = {
        (refs + irp_refs, irp_refs): _(
            "A reference on the request's memory does not raise the "
            "request's own count: it is counted apart, as an IRP reference."
        ),
        (refs, irp_refs + on_request): _(
            "Only references on the memory handle are IRP "
            "references; WdfObjectReference(Request) raises the request's own count."
        ),
        (refs - 1, irp_refs): _(
            "The request's count starts at 1 (the framework's own reference) "
            "before the driver adds any."
        ),
        (refs, on_memory): _("Each WdfObjectDereference(memory) takes one IRP reference back."),
    }
    return Problem(
        label,
        _(
            "In EvtIoRead of a buffered read, the driver runs:{code}"
            "At '# <- here', what does the object tree show for the request: its refs, and its "
            "IRP references? Answer (refs, IRP references)."
        ).format(code=listing(lines)),
        Several(COUNT, COUNT),
        solution,
        _(
            "The request starts with refs 1 and each WdfObjectReference(Request) adds one. Its "
            "output memory is part of the request and has no count of its own: a reference on "
            "it is counted on the request as an IRP reference, and WdfObjectDereference(memory) "
            "gives it back. The driver must give them all back before completing the request."
        ),
        diagnoses=diagnoses,
        hint=_("Count the two kinds of reference apart: on Request, and on memory."),
    )


def draw_owners(label: str, rng: random.Random) -> Problem:
    """Which buffers die with their memory objects: owned (WdfMemoryCreate) or not
    (WdfMemoryCreatePreallocated over the driver's own pool)."""
    kinds = [rng.choice(["WdfMemoryCreate", "WdfMemoryCreatePreallocated"]) for _round in range(4)]
    kinds[rng.randrange(4)] = "WdfMemoryCreatePreallocated"
    through_parent = rng.random() < 0.5
    machine = Machine("Toaster")
    lines, buffers = [], []
    with machine:
        parent = None
        if through_parent:
            _status, parent = WdfObjectCreate(None)
            lines.append("status, parent = WdfObjectCreate(WDF_NO_OBJECT_ATTRIBUTES)")
            lines.append("attributes.ParentObject = parent")
        attributes = WDF_OBJECT_ATTRIBUTES()
        WDF_OBJECT_ATTRIBUTES_INIT(attributes)
        attributes.ParentObject = parent
        given = "attributes" if through_parent else "WDF_NO_OBJECT_ATTRIBUTES"
        memories = []
        for i, kind in enumerate(kinds):
            size = rng.choice([40, 64, 200])
            if kind == "WdfMemoryCreate":
                _status, memory, buffer = WdfMemoryCreate(
                    attributes if through_parent else None, NonPagedPoolNx, "1buB", size
                )
                lines.append(
                    f"status, m{i}, b{i} = WdfMemoryCreate({given}, NonPagedPoolNx, '1buB', {size})"
                )
            else:
                buffer = ExAllocatePoolWithTag(NonPagedPoolNx, size, "fuBP")
                _status, memory = WdfMemoryCreatePreallocated(
                    attributes if through_parent else None, buffer, size
                )
                lines.append(f"b{i} = ExAllocatePoolWithTag(NonPagedPoolNx, {size}, 'fuBP')")
                lines.append(f"status, m{i} = WdfMemoryCreatePreallocated({given}, b{i}, {size})")
            memories.append(memory)
            buffers.append(buffer)
        if through_parent:
            WdfObjectDelete(parent)
            lines.append("WdfObjectDelete(parent)")
        else:
            for i, memory in enumerate(memories):
                WdfObjectDelete(memory)
                lines.append(f"WdfObjectDelete(m{i})")
        freed = 0  # the driver frees some of its own buffers, now that no object describes them
        for i, kind in enumerate(kinds):
            if kind == "WdfMemoryCreatePreallocated" and rng.random() < 0.35:
                ExFreePoolWithTag(buffers[i], "fuBP")
                lines.append(f"ExFreePoolWithTag(b{i}, 'fuBP')")
                freed += 1
        blocks = machine.snapshot().blocks
    alive = sum(any(b.address <= a.address < b.address + b.size for b in blocks) for a in buffers)
    preallocated = kinds.count("WdfMemoryCreatePreallocated")
    diagnoses = {
        len(kinds) - preallocated - freed: _(
            "Swapped: WdfMemoryCreate's buffer is the object's own "
            "(freed with it); a preallocated buffer stays the driver's."
        ),
        0: _(
            "A memory object from WdfMemoryCreatePreallocated does not own its buffer: deleting "
            "it leaves the driver's pool block allocated, for the driver to free."
        ),
        len(kinds) - freed: _(
            "A memory object from WdfMemoryCreate owns its buffer and frees it "
            "when the object goes."
        ),
        preallocated: _(
            "The driver freed some of its own buffers itself, with "
            "ExFreePoolWithTag: those are gone too."
        ),
    }
    return Problem(
        label,
        _(
            "A driver runs (attributes set up with WDF_OBJECT_ATTRIBUTES_INIT):{code}"
            "After the last line, how many of the buffers b0 … b3 are still allocated?"
        ).format(code=listing(lines)),
        COUNT,
        alive,
        _(
            "Whether a buffer dies with its memory object depends on who owns it: WdfMemoryCreate "
            "allocates a buffer the object owns and frees with it; WdfMemoryCreatePreallocated "
            "only describes a buffer the driver owns, which stays until ExFreePoolWithTag."
        ),
        diagnoses=diagnoses,
        hint=_("For each buffer, ask who allocated it: the framework, or the driver itself."),
    )


PROBLEMS = {
    "06-ex1": draw_survivors,
    "06-ex2": draw_irp_references,
    "06-ex3": draw_owners,
}
