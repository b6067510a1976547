"""FxObject: the reference-counted, parented base of every framework object.

Every KMDF object starts with one reference, the *creation reference*, which its parent
adopts.  Deleting an object (or its parent) first *disposes* the whole subtree — children's
EvtCleanupCallback before the parent's — then drops each creation reference.  An object is
*destroyed* (EvtDestroyCallback, then its memory freed) only when its count reaches zero, so a
driver's extra ``WdfObjectReference`` keeps a deleted object's handle valid until the matching
dereference.  For parent P and child C with no extra references the order is
C.cleanup → P.cleanup → C.destroy → P.destroy.

**Handles.**  An object's handle is its address XOR ``FxHandleValueMask`` (``~0x7``), so the
low three bits, 0 in an 8-byte-aligned address, stay 0 (FxObject::_ToHandle, fxobject.hpp; see
:mod:`wdfkit.fx.handles`).

**A deleted but still referenced object: one rule for every type.**  ``WdfObjectDelete`` disposes
the object and drops its creation reference; while other references remain (a driver's
``WdfObjectReference``, a memory object holding its lookaside list, …) the object is disposed
but not destroyed.  Its handle stays valid and every DDI accepts it and works as before: KMDF's
FxObjectHandleGetPtr (fxhandle.h) decodes the handle and checks the type, never the object's
state, and the state machine (FxObject::DeleteObject, fxobjectstatemachine.cpp) frees nothing
before the count reaches zero.  Only attaching something new is refused: a child or a context
gets STATUS_DELETE_PENDING (FxObject::AddChildObjectInternal, AddContext, fxobject.cpp).  What
the type's own Dispose already did stays done (an I/O target is closed by FxIoTarget::Dispose;
memory objects and lookaside lists have no Dispose), and a second ``WdfObjectDelete`` is
ignored.  When the last reference goes the object is destroyed and freed; its handle is then
stale — undefined in KMDF (fxhandle.h, FxObjectHandleGetPtr: no handle table), 0x10D/0x5 in
wdfkit — and its contexts, which live in its memory, are freed pool (:func:`free_context`).

Every object is created in two halves, as KMDF's ``*api.cpp`` do it: *constructed* (its pool
allocated and the C++ object built there) and then *committed* (``FxObject::Commit``: the
attributes' cleanup and destroy callbacks and context, the parent, a valid handle).
``FxObject.create`` does both for every ``Wdf…Create`` and returns ``(status, object)``.

States (``FxObjectState`` names, as the IFR log prints them):
``FxObjectStateCreated`` → ``FxObjectStateDisposed`` (cleaned up with its parent) →
``FxObjectStateDeletedAndDisposed`` (deleted, maybe still referenced) → ``FxObjectStateDestroyed``.

Mirrors: fxobject.cpp, fxobjectstatemachine.cpp, fxtagtracker.cpp.
Simplified: one thread, so the intermediate states KMDF uses to resolve races
(DisposingEarly, DeferedDisposing, …) are never visible; the tag tracker keeps counts per tag,
not stack traces.
"""

from ..kernel.bugcheck import WDF_OBJECT_ERROR, WDF_VIOLATION, BugCheck
from ..kernel.ntstatus import (
    STATUS_DELETE_PENDING,
    STATUS_INSUFFICIENT_RESOURCES,
    STATUS_OBJECT_NAME_EXISTS,
    STATUS_SUCCESS,
)
from ..kernel.pool import FRAMEWORK, NonPagedPoolNx
from ..language import _
from ..sim.events import Event
from ..sim.snapshot import BlockHolds, ObjectDetail
from .handles import (
    FX_TYPE_DEVICE,
    FX_TYPE_OBJECT,
    FX_TYPE_USEROBJECT,
    WDFHANDLE,
    get_object,
    invalid_handle,
    to_handle,
)

FxObjectStateCreated = "FxObjectStateCreated"
FxObjectStateDisposed = "FxObjectStateDisposed"
FxObjectStateDeletedDisposing = "FxObjectStateDeletedDisposing"
FxObjectStateDeletedAndDisposed = "FxObjectStateDeletedAndDisposed"
FxObjectStateDestroyed = "FxObjectStateDestroyed"


class FxObject:
    """A framework object: handle, reference count, parent, children, callbacks, contexts.

    Referenced by: its parent (the creation reference) and whoever called ``add_ref``.
    References: its children (it owns their creation references).
    """

    TYPE = FX_TYPE_OBJECT
    HANDLE_NAME = "WDFOBJECT"
    OBJECT_SIZE = 0x80  # representative sizes of the C++ objects, not measured ones
    no_delete_ddi = False
    # Defaults an object overrides only when it has them (most objects never do).
    cleanup_callback = None
    destroy_callback = None
    cleaned_up = False
    kind = ""  # which representation of its type, for a type that has several (WDFMEMORY)
    contexts: dict = {}  # read-only default; commit() gives an object its own
    added_contexts: tuple | list = ()  # WdfObjectAllocateContext's: see allocate_context()

    def __init__(self, machine, block) -> None:
        self.machine = machine
        self.block = block
        """The pool block holding the object itself."""
        self.address = address = block.address
        self.handle = WDFHANDLE(to_handle(address), self.HANDLE_NAME, machine)
        self.refcnt = 1
        self.parent: FxObject | None = None
        self.children: dict[FxObject, None] = {}
        """Children in creation order (a dict used as an ordered set)."""
        self.state = FxObjectStateCreated
        self.tags: dict = {None: 1}
        """Outstanding references per tag (the tag tracker, kept while KMDF Verifier is on)."""

    def answers(self, type_code: int) -> bool:
        """QueryInterface: does this object answer to *type_code*?"""
        return type_code in (FX_TYPE_OBJECT, self.TYPE)

    # -- creation ---------------------------------------------------------------------------
    @classmethod
    def allocate_block(cls, machine, size: int | None = None, tag: int | None = None):
        """Pool for the C++ object, tagged with the driver's tag as KMDF does; None if exhausted."""
        return machine.pool.allocate(
            NonPagedPoolNx, size or cls.OBJECT_SIZE, tag or machine.tag, FRAMEWORK
        )

    @classmethod
    def construct(cls, machine, *args):
        """Allocate the object's pool block and build it there; None when pool is exhausted.

        The first half of every creation: KMDF's ``new (FxDriverGlobals, Attributes) FxXxx(…)``
        (or the ``_Create`` that picks a representation, e.g. FxMemoryObject::_Create).  A type
        whose storage is not one block of its own overrides this.
        """
        block = cls.allocate_block(machine)
        return None if block is None else cls(machine, block, *args)

    @classmethod
    def create(cls, machine, attributes, parent: "FxObject | None", *args):
        """Create a committed object, as every Wdf…Create does once its DDI has validated the
        arguments and *attributes*: construct it (with *args*), then commit it.

        *parent* is the parent the type's ``_Create`` chose and checked (the device, for a
        queue or a remote target), or None: then Commit takes the attributes' ParentObject,
        else the driver.  Returns ``(status, object)``; the object is None unless the status
        is STATUS_SUCCESS: STATUS_INSUFFICIENT_RESOURCES when pool is exhausted, else
        Commit's status (STATUS_DELETE_PENDING when the parent is being deleted), the object
        freed again.

        Mirrors the ``_Create`` → FxObject::Commit → DeleteFromFailedCreate sequence of the
        ``*api.cpp`` DDIs (e.g. WdfMemoryCreate in fxmemorybufferapi.cpp): KMDF allocates
        first, so with pool exhausted the answer is STATUS_INSUFFICIENT_RESOURCES whatever the
        parent, and a parent refused by Commit costs an allocation and a free.
        """
        obj = cls.construct(machine, *args)
        if obj is None:
            return STATUS_INSUFFICIENT_RESOURCES, None
        status = obj.commit(attributes, parent)
        if status is not STATUS_SUCCESS:
            obj.delete_from_failed_create()
            return status, None
        return status, obj

    def commit(self, attributes, parent: "FxObject | None"):
        """FxObject::Commit (fxobject.cpp): find the parent — *parent* if given, else the
        attributes' ParentObject (looked up here: 0x10D/0x5 for a bad handle), else the
        driver — and link to it (AssignParentObject: STATUS_DELETE_PENDING when it is being
        deleted); then take callbacks and contexts from *attributes* and make the handle
        valid.  Returns the status.  The second half of :meth:`create`."""
        machine = self.machine
        if parent is None:
            if attributes is None or attributes.ParentObject is None:
                parent = machine.driver
            else:
                parent = attributes_parent(machine, attributes)
        if parent.state != FxObjectStateCreated:
            return STATUS_DELETE_PENDING
        if attributes is not None:
            self.cleanup_callback = attributes.EvtCleanupCallback
            self.destroy_callback = attributes.EvtDestroyCallback
            info = attributes.ContextTypeInfo
            if info is not None:
                self.contexts = {info.ContextName: info.ContextType()}
        self.parent = parent
        parent.children[self] = None
        machine.objects[self.handle.value] = self
        machine.trace("%r created, parent %r", self.handle, parent.handle)
        events = machine.events
        if events.listeners:
            events.emit(Event.OBJECT_CREATED, self.handle, self.kind)
        return STATUS_SUCCESS

    def device_base(self) -> "FxObject | None":
        """The device this object belongs to: itself if it is one, else its nearest device
        ancestor; None under none (FxObject::GetDeviceBase, as FxDeviceBase::_SearchForDevice
        reads it, fxdevicebase.cpp)."""
        obj = self
        while obj is not None and obj.TYPE != FX_TYPE_DEVICE:
            obj = obj.parent
        return obj

    # -- references -------------------------------------------------------------------------
    def add_ref(self, tag=None) -> None:
        if self.state == FxObjectStateDestroyed:
            self._touched_after_free()
        self.refcnt += 1
        if self.machine.kmdf_verifier:  # KMDF Verifier's tag tracker (real KMDF: + TrackHandles)
            self.tags[tag] = self.tags.get(tag, 0) + 1

    def _touched_after_free(self) -> None:
        """A reference taken through a handle whose object was freed meanwhile (a driver bug:
        it deleted the object and kept using the handle).  With Driver Verifier the freed block
        faults on the write (0x50); without it, the stale handle gets wdfkit's 0x10D/0x5."""
        self.machine.pool.check_access(self.address, 8, write=True)
        raise invalid_handle(
            self.machine,
            self.handle.value,
            self.TYPE,
            _("{handle} was already freed").format(handle=repr(self.handle)),
        )

    def release(self, tag=None) -> None:
        machine = self.machine
        if machine.kmdf_verifier:
            if self.tags.get(tag, 0) > 0:
                self.tags[tag] -= 1
            else:
                machine.trace(
                    "KMDF Verifier: %r releasing tag %r that was not acquired (debug break)",
                    self.handle,
                    tag,
                )
        self.refcnt -= 1
        if self.refcnt == 0:
            if self.state == FxObjectStateCreated and self.parent is not None:
                # ~FxObject finds a parent still linked: dereferenced without a delete.
                raise BugCheck(
                    WDF_VIOLATION,
                    (WDF_OBJECT_ERROR, self.handle.value, self.address, machine.driver_globals),
                    _(
                        "WDF_OBJECT_ERROR: the reference count of {handle} reached zero while it "
                        "still had a parent: a WdfObjectDereference without a matching "
                        "WdfObjectReference."
                    ).format(handle=repr(self.handle)),
                )
            self._destroy()

    # -- deletion ---------------------------------------------------------------------------
    def delete_object(self) -> None:
        """FxObject::DeleteObject: dispose the subtree, then drop every creation reference."""
        if self.state != FxObjectStateCreated:
            self.machine.trace("%r is already deleted; delete ignored", self.handle)
            return
        if self.parent is not None:
            del self.parent.children[self]
            self.parent = None
        self.dispose_and_destroy_children()
        self.release()

    def delete_from_failed_create(self) -> None:
        """FxObject::DeleteFromFailedCreate: forget the driver's callbacks (it never got the
        handle), then delete the object."""
        self.cleanup_callback = self.destroy_callback = None
        self.delete_object()

    def dispose_and_destroy_children(self) -> None:
        """Dispose the subtree (cleanup callbacks), then drop each child's creation reference."""
        self._set_state(FxObjectStateDeletedDisposing)
        self._dispose_subtree()
        self._set_state(FxObjectStateDeletedAndDisposed)
        if self.children:
            self._destroy_children()

    def _dispose_subtree(self) -> None:
        if self.children:
            for child in list(self.children):
                child._dispose_subtree()
                child._set_state(FxObjectStateDisposed)
        self.dispose()
        if not self.cleaned_up:
            self.cleaned_up = True
            if self.cleanup_callback is not None:
                self.machine.trace("EvtCleanupCallback(%r)", self.handle)
                self.machine.run_callback("EvtCleanupCallback", self.cleanup_callback, self.handle)
            for added in self.added_contexts:  # CallCleanupCallbacks: every context header
                if added.cleanup is not None:
                    self.machine.run_callback("EvtCleanupCallback", added.cleanup, self.handle)

    def _destroy_children(self) -> None:
        for child in list(self.children):  # ParentDeleteEvent, in insertion order
            del self.children[child]
            child.parent = None
            child._set_state(FxObjectStateDeletedAndDisposed)
            child._destroy_children()
            child.release()

    def dispose(self) -> None:
        """Hook for subclasses: work KMDF does at dispose time (before cleanup callbacks)."""

    def _destroy(self) -> None:
        cleanup_pending = not self.cleaned_up
        if cleanup_pending and self.cleanup_callback is not None:
            self.cleaned_up = True
            self.machine.run_callback("EvtCleanupCallback", self.cleanup_callback, self.handle)
        if self.destroy_callback is not None:
            self.machine.trace("EvtDestroyCallback(%r)", self.handle)
            self.machine.run_callback("EvtDestroyCallback", self.destroy_callback, self.handle)
        if self.contexts:  # an added context is in contexts too
            self._destroy_contexts(cleanup_pending)
        self.on_destroy()
        self._set_state(FxObjectStateDestroyed)
        if self.machine.objects.pop(self.handle.value, None) is not None:  # it was committed
            events = self.machine.events
            if events.listeners:
                events.emit(Event.OBJECT_DESTROYED, self.handle)
        self.free_storage()

    def on_destroy(self) -> None:
        """Hook for subclasses: what the C++ destructor frees besides the object itself."""

    # -- contexts added after creation ------------------------------------------------------
    def allocate_context(self, info, attributes, size: int):
        """FxObjectAllocateContext's allocation and FxObject::AddContext (handleapi.cpp,
        fxobject.cpp), once WdfObjectAllocateContext has checked the attributes:
        ``(status, context)``.

        The context header and the context (*size* bytes) are one nonpaged block with the
        driver's tag (STATUS_INSUFFICIENT_RESOURCES when pool is exhausted).  Then, in order:
        an object no longer in FxObjectStateCreated (being deleted) refuses it,
        STATUS_DELETE_PENDING; a context of that type already there gives
        STATUS_OBJECT_NAME_EXISTS — a success status — and that context; either way the block
        is freed again.  Otherwise the new context, zeroed (a fresh ``ContextType()``), lives
        as long as the object, and the attributes' EvtCleanupCallback and EvtDestroyCallback
        are called after the object's own, with the object's handle.
        """
        machine = self.machine
        block = machine.pool.allocate(NonPagedPoolNx, size, machine.tag, FRAMEWORK)
        if block is None:
            return STATUS_INSUFFICIENT_RESOURCES, None
        status, context = STATUS_DELETE_PENDING, None
        if self.state == FxObjectStateCreated:
            if info.ContextName in self.contexts:
                status, context = STATUS_OBJECT_NAME_EXISTS, self.contexts[info.ContextName]
            else:
                if self.contexts is FxObject.contexts:
                    self.contexts = {}
                if not self.added_contexts:
                    self.added_contexts = []
                context = self.contexts[info.ContextName] = info.ContextType()
                callbacks = attributes.EvtCleanupCallback, attributes.EvtDestroyCallback
                self.added_contexts.append(AddedContext(*callbacks, block, context))
                return STATUS_SUCCESS, context
        machine.pool.free(block.address, block.tag)
        return status, context

    def _destroy_contexts(self, cleanup_pending: bool) -> None:
        """The rest of FxObject::ProcessDestroy's walk of the context headers
        (fxobjectstatemachine.cpp), the object's own header's callbacks having run: each added
        header's EvtCleanupCallback (if no dispose ran it) and EvtDestroyCallback, which may
        still use any context; then every context dies with its memory (touching a field of
        one is a use of freed memory, see :func:`free_context`) and each added header's block
        is freed.  The context from the creation attributes lives in the object's own block,
        which :meth:`free_storage` frees; each added one, after its header in its own block."""
        machine, added = self.machine, self.added_contexts
        for header in added:
            if cleanup_pending and header.cleanup is not None:
                machine.run_callback("EvtCleanupCallback", header.cleanup, self.handle)
            if header.destroy is not None:
                machine.run_callback("EvtDestroyCallback", header.destroy, self.handle)
        for context in self.contexts.values():
            address = next(
                (h.block.address + FX_CONTEXT_HEADER_SIZE for h in added if h.context is context),
                self.block.address,
            )
            free_context(context, machine.pool, address)
        for header in added:
            machine.pool.free(header.block.address, header.block.tag)
        self.added_contexts = ()

    def free_storage(self) -> None:
        """Give back the memory the object lives in: its pool block (operator delete)."""
        self.machine.pool.free(self.block.address, self.block.tag)

    def _set_state(self, state: str) -> None:
        if self.machine.verbose:
            self.machine.trace("%r transitioning from %s to %s", self.handle, self.state, state)
        self.state = state

    # -- views ------------------------------------------------------------------------------
    container = None
    """The object this one is embedded in (its storage, count and lifetime), or None."""

    def embedded(self) -> tuple:
        """The live objects embedded in this one, for the object tree (none by default)."""
        return ()

    def detail(self) -> ObjectDetail | None:
        """For the object tree: what this kind of object holds (None: nothing to add)."""
        return None

    def pool_blocks(self) -> dict[int, BlockHolds]:
        """For pool maps: the blocks this object lives in or owns, by address, and what each
        holds (nothing for an object embedded in another's block)."""
        return {} if self.block is None else {self.address: BlockHolds.OBJECT}


class AddedContext:
    """A context header WdfObjectAllocateContext added: its callbacks, its pool block and the
    context that follows the header in that block."""

    __slots__ = ("cleanup", "destroy", "block", "context")

    def __init__(self, cleanup, destroy, block, context) -> None:
        self.cleanup = cleanup
        self.destroy = destroy
        self.block = block
        self.context = context


FX_CONTEXT_HEADER_SIZE = 0x30  # fxhandle.h: FxContextHeader up to its 16-byte-aligned Context
CONTEXT_FIELD_SIZE = 8  # what one access to a context field reads or writes: a pointer's worth
_FREED_AT = "_wdf_freed_at_"  # where a freed context keeps (pool, address): see free_context


def free_context(context, pool, address: int) -> None:
    """Make *context* (a driver's context instance) freed memory at *address*.

    In KMDF a context is not an allocation of its own: FxObjectHandleAllocCommon
    (handleapi.cpp) makes one pool allocation for the object, an FxContextHeader right after
    it (FxObject::GetContextHeader, fxobject.hpp: ``this + m_ObjectSize``) and the context in
    that header; WdfObjectAllocateContext's contexts get a header of their own
    (FxObjectAllocateContext) chained to the first.  FxObject::ProcessDestroy
    (fxobjectstatemachine.cpp) calls every header's EvtCleanupCallback (if not called yet) and
    EvtDestroyCallback, which may still use the context, and then the destructor and
    FxObject::operator delete (fxobject.cpp: FxPoolFree) free the whole allocation.  A
    pointer the driver kept (``transfer = GetTransfer(Request)``) then points into freed
    pool — after WdfObjectDelete, or after the last WdfObjectDereference of a deleted object.

    So every later read or write of a field of *context* is an access to freed pool, judged
    by the pool as any other: ``pool.check_access`` faults when the page is unmapped or, with
    Driver Verifier on, because the block is freed.  That is 0x50
    PAGE_FAULT_IN_NONPAGED_AREA, never 0xD5: KMDF allocates objects and context headers
    itself (FxPoolAllocate → MxMemory::MxAllocatePoolWithTag inside Wdf01000.sys, wdfpool.cpp
    FxPoolAllocator), and Driver Verifier's special pool serves only the verified driver's own
    ExAllocatePool calls; wdfkit's object blocks are the framework's, not special.  With the
    page still mapped and Driver Verifier off the access goes through and sees the stale
    values, as a real machine may not notice either.

    Simplified: wdfkit's object block does not reserve the context's bytes, so a context from
    the creation attributes faults at its object's address (an added context, at its own
    header's end); Arg1 names the context, not the field.  The context's class is swapped for
    a subclass that checks each attribute access (nothing is checked before the object is
    freed); a class whose instances cannot change class (a built-in type) is not checked.
    """
    freed_type = _freed_type(type(context))
    try:
        context.__class__ = freed_type
    except TypeError:  # a built-in or C type: its layout is not ours to change
        return
    try:
        object.__setattr__(context, _FREED_AT, (pool, address))
    except AttributeError:  # __slots__ without a __dict__: a class of its own keeps the place
        namespace = {"__slots__": (), _FREED_AT: (pool, address)}
        own = type(freed_type.__name__, (freed_type,), namespace)
        object.__setattr__(context, "__class__", own)


_FREED_TYPES: dict[type, type] = {}
_UNCHECKED = frozenset(("__class__", _FREED_AT))  # isinstance asks for __class__: not a field


def _freed_type(kind: type) -> type:
    """The subclass of *kind* a freed context becomes (one per context type, same name)."""
    if getattr(kind, "_wdf_freed_", False):
        return kind
    freed = _FREED_TYPES.get(kind)
    if freed is None:
        namespace = {
            "__slots__": (),
            "_wdf_freed_": True,
            "__getattribute__": _freed_getattribute,
            "__setattr__": _freed_setattr,
            "__delattr__": _freed_delattr,
            "__module__": kind.__module__,
            "__qualname__": kind.__qualname__,
        }
        freed = _FREED_TYPES[kind] = type(kind.__name__, (kind,), namespace)
    return freed


def _touch_freed(context, write: bool) -> None:
    pool, address = object.__getattribute__(context, _FREED_AT)
    pool.check_access(address, CONTEXT_FIELD_SIZE, write)


def _freed_getattribute(self, name: str):
    if name not in _UNCHECKED:
        _touch_freed(self, write=False)
    return object.__getattribute__(self, name)


def _freed_setattr(self, name: str, value) -> None:
    _touch_freed(self, write=True)
    object.__setattr__(self, name, value)


def _freed_delattr(self, name: str) -> None:
    _touch_freed(self, write=True)
    object.__delattr__(self, name)


def attributes_parent(machine, attributes) -> FxObject | None:
    """The object *attributes* name as ParentObject, None if they name none: what every
    ``FxObjectHandleGetPtr(Attributes->ParentObject, FX_TYPE_OBJECT)`` in KMDF does, so
    0x10D / WDF_INVALID_HANDLE for a NULL-typed, stale or foreign handle (fxhandle.h)."""
    if attributes is None or attributes.ParentObject is None:
        return None
    return get_object(machine, attributes.ParentObject, FX_TYPE_OBJECT, "ParentObject")


class FxUserObject(FxObject):
    """A general object from ``WdfObjectCreate``: no behaviour, just a parent and contexts."""

    TYPE = FX_TYPE_USEROBJECT
    HANDLE_NAME = "WDFOBJECT"
