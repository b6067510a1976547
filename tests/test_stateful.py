"""Random sequences of object, memory and pool calls; invariants checked after every step."""

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from wdfkit import (
    WDF_OBJECT_ATTRIBUTES,
    WDF_OBJECT_ATTRIBUTES_INIT,
    BugCheck,
    ExAllocatePoolWithTag,
    ExFreePoolWithTag,
    Machine,
    NonPagedPoolNx,
    PagedPool,
    WdfMemoryCopyFromBuffer,
    WdfMemoryCreate,
    WdfObjectCreate,
    WdfObjectDelete,
    WdfObjectDereference,
    WdfObjectReference,
)
from wdfkit.fx.object import FxObjectStateDestroyed

BUGCHECK_CODES = {0x10D, 0xC2, 0xC4, 0x50}


class DriverModel(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.machine = Machine(verifier=True)
        self.handles = []
        self.extra_refs = {}
        self.pool = []
        self.destroyed = []

    def call(self, function, *args):
        if self.machine.state != "running":
            return None
        try:
            with self.machine:
                return function(*args)
        except BugCheck as bugcheck:
            assert bugcheck.code in BUGCHECK_CODES
            return None

    def _track(self, handle):
        obj = self.machine.objects[handle.value]
        original = obj._destroy

        def destroy():
            self.destroyed.append(handle.value)
            original()

        obj._destroy = destroy
        self.handles.append(handle)

    @rule(
        parent=st.integers(min_value=-1, max_value=5),
        size=st.integers(1, 9000),
        paged=st.booleans(),
    )
    def create_memory(self, parent, size, paged):
        attributes = None
        if 0 <= parent < len(self.handles):
            attributes = WDF_OBJECT_ATTRIBUTES()
            WDF_OBJECT_ATTRIBUTES_INIT(attributes)
            attributes.ParentObject = self.handles[parent]
        result = self.call(
            WdfMemoryCreate, attributes, PagedPool if paged else NonPagedPoolNx, "1gaT", size
        )
        if result and result[1] is not None:
            self._track(result[1])

    @rule()
    def create_object(self):
        result = self.call(WdfObjectCreate, None)
        if result and result[1] is not None:
            self._track(result[1])

    @precondition(lambda self: self.handles)
    @rule(i=st.integers(0, 50), add=st.booleans())
    def reference(self, i, add):
        handle = self.handles[i % len(self.handles)]
        if add:
            self.call(WdfObjectReference, handle)
            self.extra_refs[handle.value] = self.extra_refs.get(handle.value, 0) + 1
        elif self.extra_refs.get(handle.value):
            self.extra_refs[handle.value] -= 1
            self.call(WdfObjectDereference, handle)

    @precondition(lambda self: self.handles)
    @rule(i=st.integers(0, 50))
    def delete(self, i):
        self.call(WdfObjectDelete, self.handles[i % len(self.handles)])

    @precondition(lambda self: self.handles)
    @rule(
        i=st.integers(0, 50), offset=st.integers(0, 9000), data=st.binary(min_size=1, max_size=64)
    )
    def copy(self, i, offset, data):
        self.call(
            WdfMemoryCopyFromBuffer, self.handles[i % len(self.handles)], offset, data, len(data)
        )

    @rule(size=st.integers(1, 5000))
    def allocate(self, size):
        p = self.call(ExAllocatePoolWithTag, NonPagedPoolNx, size, "2gaT")
        if p is not None:
            self.pool.append(p)

    @precondition(lambda self: self.pool)
    @rule()
    def free(self):
        self.call(ExFreePoolWithTag, self.pool.pop(), "2gaT")

    @rule()
    def unload(self):
        for value, count in self.extra_refs.items():  # a careful driver drops its references
            for _ in range(count):
                obj = self.machine.objects.get(value)
                if obj is not None:
                    self.call(WdfObjectDereference, obj.handle)
        self.extra_refs.clear()
        if self.machine.state == "running":
            try:
                self.machine.unload()
            except BugCheck as bugcheck:
                assert (bugcheck.code, bugcheck.parameters[0]) == (0xC4, 0x62)
                assert bugcheck.parameters[3] == len(self.pool)
                return
            assert not self.pool, "a leak must stop a Verifier machine"
            assert self.machine.objects == {}
            assert self.machine.pool.live_blocks() == []

    @invariant()
    def counts_are_sane(self):
        for obj in self.machine.objects.values():
            assert obj.refcnt >= 1
            assert obj.state != FxObjectStateDestroyed
        assert len(self.destroyed) == len(set(self.destroyed)), "an object destroyed twice"
        for paged in (False, True):
            in_use = sum(
                b.size for b in self.machine.pool.live_blocks() if (b.pool_type & 1) == paged
            )
            assert in_use == self.machine.pool.in_use[paged]


TestDriverModel = DriverModel.TestCase
TestDriverModel.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
