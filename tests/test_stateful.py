"""Random sequences of DDI calls (objects, memory, pool; requests, targets, MDLs); invariants
checked after every step."""

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from wdfkit import (
    CTL_CODE,
    FILE_ANY_ACCESS,
    FILE_DEVICE_UNKNOWN,
    METHOD_BUFFERED,
    METHOD_OUT_DIRECT,
    NT_SUCCESS,
    STATUS_SUCCESS,
    WDF_OBJECT_ATTRIBUTES,
    WDF_OBJECT_ATTRIBUTES_INIT,
    WDF_REQUEST_REUSE_NO_FLAGS,
    WDF_REQUEST_REUSE_PARAMS,
    WDF_REQUEST_REUSE_PARAMS_INIT,
    WDF_REQUEST_SEND_OPTION_SYNCHRONOUS,
    WDF_REQUEST_SEND_OPTIONS,
    WDF_REQUEST_SEND_OPTIONS_INIT,
    BugCheck,
    ExAllocatePoolWithTag,
    ExFreePoolWithTag,
    Machine,
    MmGetMdlByteCount,
    NonPagedPoolNx,
    PagedPool,
    WdfDeviceGetIoTarget,
    WdfDeviceIoBuffered,
    WdfDeviceIoDirect,
    WdfIoTargetFormatRequestForRead,
    WdfIoTargetFormatRequestForWrite,
    WdfLookasideListCreate,
    WdfMemoryCopyFromBuffer,
    WdfMemoryCreate,
    WdfMemoryCreateFromLookaside,
    WdfObjectCreate,
    WdfObjectDelete,
    WdfObjectDereference,
    WdfObjectReference,
    WdfRequestCompleteWithInformation,
    WdfRequestCreate,
    WdfRequestRetrieveInputMemory,
    WdfRequestRetrieveInputWdmMdl,
    WdfRequestRetrieveOutputMemory,
    WdfRequestRetrieveOutputWdmMdl,
    WdfRequestReuse,
    WdfRequestSend,
    WdfRequestSetCompletionRoutine,
)
from wdfkit.course.scenarios import queue_driver
from wdfkit.fx.object import FxObjectStateDestroyed

BUGCHECK_CODES = {0x10D, 0xC2, 0xC4, 0x50, 0xD5}
STALE = st.sampled_from([False] * 7 + [True])  # how often a rule may use a dead handle
IOCTL = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
IOCTL_DIRECT = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_OUT_DIRECT, FILE_ANY_ACCESS)


def named_for_requests(bugcheck) -> bool:
    """A bug check the reference names for the request path: 0x10D with P1 0x3 (references
    left at completion), 0x4 (NULL parameter), 0x5 (invalid handle) or 0x6 (already sent,
    Information too big); 0x50 (a freed buffer or object touched); 0x44 (an IRP completed
    twice)."""
    if bugcheck.code == 0x10D:
        return bugcheck.parameters[0] in {0x3, 0x4, 0x5, 0x6}
    return bugcheck.code in {0x50, 0x44}


class DriverModel(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.machine = None  # booted by boot(), with or without Verifier
        self.handles = []
        self.extra_refs = {}
        self.pool = []
        self.destroyed = []
        self.lookasides = []

    @initialize(verifier=st.booleans())
    def boot(self, verifier):
        self.machine = Machine(verifier=verifier)  # without Verifier, lookaside lists hold blocks

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
            self.destroyed.append(obj)  # the object: a reused address repeats a handle
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

    @rule(size=st.integers(1, 5000), paged=st.booleans())
    def create_lookaside(self, size, paged):
        result = self.call(
            WdfLookasideListCreate, None, size, PagedPool if paged else NonPagedPoolNx, None, "3gaT"
        )
        if result and result[1] is not None:
            self._track(result[1])
            self.lookasides.append(result[1])

    @precondition(lambda self: self.lookasides)
    @rule(i=st.integers(0, 50), count=st.integers(1, 20))
    def create_from_lookaside(self, i, count):
        lookaside = self.lookasides[i % len(self.lookasides)]
        for _ in range(count):
            result = self.call(WdfMemoryCreateFromLookaside, lookaside)
            if result and result[1] is not None:
                self._track(result[1])

    @rule(seconds=st.integers(1, 8))
    def advance(self, seconds):
        self.call(self.machine.advance, seconds)  # the balance-set manager re-tunes Depth

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
            assert not (self.pool and self.machine.driver_verifier), (
                "a leak must stop a Driver Verifier machine"
            )
            assert self.machine.objects == {}
            live = {b.address for b in self.machine.pool.live_blocks()}
            assert live == {p.address for p in self.pool}, "only the driver's own leak is left"

    @invariant()
    def counts_are_sane(self):
        for obj in self.machine.objects.values():
            assert obj.refcnt >= 1
            assert obj.state != FxObjectStateDestroyed
        assert len(self.destroyed) == len({id(o) for o in self.destroyed}), "destroyed twice"
        for paged in (False, True):
            in_use = sum(
                b.size for b in self.machine.pool.live_blocks() if (b.pool_type & 1) == paged
            )
            assert in_use == self.machine.pool.in_use[paged]
        held = [b for lst in self.machine.balance.lists for b in lst.held]
        assert len(held) == len({b.address for b in held}), "a block held twice"
        assert all(b.allocated for b in held), "a held block went back to pool"
        used = {b.address for o in self.machine.objects.values() for b in getattr(o, "entries", ())}
        assert not used & {b.address for b in held}, "a block both held and in use"


TestDriverModel = DriverModel.TestCase
TestDriverModel.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)


class RequestModel(RuleBasedStateMachine):
    """Random I/O: the application sends, the driver retrieves, formats, sends, reuses, completes
    and deletes requests in any order, while virtual time runs the lower driver."""

    def __init__(self):
        super().__init__()
        self.machine = Machine(verifier=True)
        self.requests = []  # queue requests presented to the driver, then driver-created ones
        self.memories = []  # request memory and the driver's own memory objects
        self.destroyed = []
        self.io = []
        self.mdls = []  # MDLs retrieved from requests (they die with their request)

    @initialize(io_type=st.sampled_from([WdfDeviceIoBuffered, WdfDeviceIoDirect]))
    def add_device(self, io_type):
        def present(Queue, Request, *lengths):
            self.requests.append(Request)
            self._track(Request)

        def keep(device):
            self.device = device

        callbacks = dict.fromkeys(("EvtIoRead", "EvtIoWrite", "EvtIoDeviceControl"), present)
        with self.machine:
            self.machine.add_device(queue_driver(io_type, callbacks, keep, parallel=True))
            self.target = WdfDeviceGetIoTarget(self.device)
            self.app = self.machine.application()

    def call(self, function, *args, **kwargs):
        if self.machine.state != "running":
            return None
        try:
            with self.machine:
                return function(*args, **kwargs)
        except BugCheck as bugcheck:
            assert named_for_requests(bugcheck), bugcheck
            return None

    def call_on(self, handle, function, *args):
        """``function(handle, *args)``, unless no handle could be picked."""
        return None if handle is None else self.call(function, handle, *args)

    def _track(self, handle):
        obj = self.machine.objects.get(handle.value)
        if obj is None:
            return
        original = obj._destroy

        def destroy():
            self.destroyed.append(obj)  # the object: a reused address repeats a handle
            original()

        obj._destroy = destroy

    def _pick(self, handles, i, stale):
        """Mostly a live handle; with *stale*, any handle ever seen (perhaps a dead one)."""
        if not stale:
            handles = [h for h in handles if h.value in self.machine.objects]
        return handles[i % len(handles)] if handles else None

    def _request(self, i, stale=False):
        return self._pick(self.requests, i, stale)

    @rule(
        kind=st.sampled_from(["read", "write", "ioctl", "direct ioctl"]),
        length=st.integers(0, 5000),
    )
    def application_sends(self, kind, length):
        if kind == "read":
            io = self.call(self.app.ReadFile, bytearray(length), overlapped=True)
        elif kind == "write":
            io = self.call(self.app.WriteFile, bytes(length), overlapped=True)
        else:
            code = IOCTL if kind == "ioctl" else IOCTL_DIRECT
            io = self.call(
                self.app.DeviceIoControl, code, bytes(length), bytearray(length), overlapped=True
            )
        self.io.append(io)

    @rule()
    def create_request(self):
        result = self.call(WdfRequestCreate, None, self.target)
        if result and result[1] is not None:
            self.requests.append(result[1])
            self._track(result[1])

    @rule(size=st.integers(1, 128))
    def create_memory(self, size):
        result = self.call(WdfMemoryCreate, None, NonPagedPoolNx, "1gaT", size)
        if result and result[1] is not None:
            self.memories.append(result[1])
            self._track(result[1])

    @precondition(lambda self: self.requests)
    @rule(i=st.integers(0, 50), output=st.booleans(), stale=STALE)
    def retrieve(self, i, output, stale):
        ddi = WdfRequestRetrieveOutputMemory if output else WdfRequestRetrieveInputMemory
        result = self.call_on(self._request(i, stale), ddi)
        if result and NT_SUCCESS(result[0]):
            self.memories.append(result[1])

    @precondition(lambda self: self.requests)
    @rule(i=st.integers(0, 50), output=st.booleans(), stale=STALE)
    def retrieve_mdl(self, i, output, stale):
        ddi = WdfRequestRetrieveOutputWdmMdl if output else WdfRequestRetrieveInputWdmMdl
        result = self.call_on(self._request(i, stale), ddi)
        if result and NT_SUCCESS(result[0]):
            self.mdls.append(result[1])

    @precondition(lambda self: self.mdls)
    @rule(j=st.integers(0, 50))
    def read_mdl(self, j):
        mdl = self.mdls[j % len(self.mdls)]
        count = self.call(MmGetMdlByteCount, mdl)
        assert count is None or count > 0

    @precondition(lambda self: self.requests and self.memories)
    @rule(i=st.integers(0, 50), m=st.integers(0, 50), read=st.booleans(), stale=STALE)
    def format(self, i, m, read, stale):
        ddi = WdfIoTargetFormatRequestForRead if read else WdfIoTargetFormatRequestForWrite
        memory = self._pick(self.memories, m, stale)
        request = self._request(i, stale)
        if request is not None and memory is not None:
            self.call(ddi, self.target, request, memory, None, None)

    @precondition(lambda self: self.requests)
    @rule(i=st.integers(0, 50), routine=st.booleans(), synchronous=st.booleans(), stale=STALE)
    def send(self, i, routine, synchronous, stale):
        request = self._request(i, stale)
        if request is None:
            return
        if routine:
            self.call(WdfRequestSetCompletionRoutine, request, lambda *args: None, None)
        options = None
        if synchronous:
            options = WDF_REQUEST_SEND_OPTIONS()
            WDF_REQUEST_SEND_OPTIONS_INIT(options, WDF_REQUEST_SEND_OPTION_SYNCHRONOUS)
        self.call(WdfRequestSend, request, self.target, options)

    @precondition(lambda self: self.requests)
    @rule(i=st.integers(0, 50), stale=STALE)
    def reuse(self, i, stale):
        params = WDF_REQUEST_REUSE_PARAMS()
        WDF_REQUEST_REUSE_PARAMS_INIT(params, WDF_REQUEST_REUSE_NO_FLAGS, STATUS_SUCCESS)
        self.call_on(self._request(i, stale), WdfRequestReuse, params)

    @precondition(lambda self: self.requests)
    @rule(i=st.integers(0, 50), information=st.integers(0, 16), stale=STALE)
    def complete(self, i, information, stale):
        request = self._request(i, stale)
        self.call_on(request, WdfRequestCompleteWithInformation, STATUS_SUCCESS, information)

    @precondition(lambda self: self.requests or self.memories)
    @rule(i=st.integers(0, 100), stale=STALE)
    def delete(self, i, stale):
        self.call_on(self._pick(self.requests + self.memories, i, stale), WdfObjectDelete)

    @rule(milliseconds=st.integers(0, 5))
    def advance(self, milliseconds):
        self.call(self.machine.advance, milliseconds / 1000)

    @invariant()
    def counts_are_sane(self):
        for obj in self.machine.objects.values():
            assert obj.refcnt >= 1
            assert obj.state != FxObjectStateDestroyed
            assert getattr(obj, "irp_refs", 0) >= 0
            mdl = getattr(obj, "allocated_mdl", None)
            if mdl is not None:  # a live request's MDL is live pool
                assert self.machine.pool.block_at(mdl.address).allocated
        assert len(self.destroyed) == len({id(o) for o in self.destroyed}), "destroyed twice"
        for paged in (False, True):
            in_use = sum(
                b.size for b in self.machine.pool.live_blocks() if (b.pool_type & 1) == paged
            )
            assert in_use == self.machine.pool.in_use[paged]


TestRequestModel = RequestModel.TestCase
TestRequestModel.settings = settings(max_examples=80, stateful_step_count=40, deadline=None)
