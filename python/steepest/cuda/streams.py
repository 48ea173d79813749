"""st.cuda.Stream and st.cuda.Event over integer handles of the native runtime, and the
calling thread's current stream (`with st.cuda.stream(s):` sends the region's work there)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Optional

from ._runtime import rt


class Stream:
    """A CUDA stream: work queued on it runs in order; work on different streams may overlap.
    priority: lower numbers are served first (0 is the default; see
    torch.cuda.Stream.priority_range())."""

    def __init__(self, device: Optional[Any] = None, priority: int = 0, *, _handle: Optional[int] = None) -> None:
        self._owned = _handle is None
        if _handle is None:
            least, greatest = rt().stream_priority_range()
            # As torch: a priority beyond the range is clamped to it.
            p = max(min(int(priority), int(least)), int(greatest))
            self.cuda_stream: int = int(rt().stream_create(p))
            self.priority = p
        else:
            self.cuda_stream = int(_handle)
            self.priority = 0
        self.device = device

    @staticmethod
    def priority_range() -> tuple[int, int]:
        least, greatest = rt().stream_priority_range()
        return int(least), int(greatest)

    def __del__(self) -> None:
        if getattr(self, "_owned", False) and getattr(self, "cuda_stream", 0):
            try:
                rt().stream_destroy(self.cuda_stream)
            except Exception:
                pass

    def query(self) -> bool:
        """True when all work queued on the stream has finished."""
        return bool(rt().stream_query(self.cuda_stream))

    def synchronize(self) -> None:
        """Waits until all work queued on the stream has finished."""
        rt().stream_synchronize(self.cuda_stream)

    def record_event(self, event: Optional[Event] = None) -> Event:
        ev = event if event is not None else Event()
        ev.record(self)
        return ev

    def wait_event(self, event: Event) -> None:
        """Work queued on this stream from now on waits for `event`."""
        rt().stream_wait_event(self.cuda_stream, event._handle)

    def wait_stream(self, other: Stream) -> None:
        """Work queued on this stream from now on waits for what is queued on `other` now."""
        self.wait_event(other.record_event())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Stream) and other.cuda_stream == self.cuda_stream

    def __hash__(self) -> int:
        return hash(self.cuda_stream)

    def __repr__(self) -> str:
        return f"<steepest.cuda.Stream cuda_stream={self.cuda_stream:#x}>"


class Event:
    """A marker in a stream's work: record it, then wait for it (host or another stream), query
    it, or time the work between two events (enable_timing=True)."""

    def __init__(self, enable_timing: bool = False, blocking: bool = False, interprocess: bool = False) -> None:
        if interprocess:
            raise NotImplementedError("st.cuda.Event(interprocess=True) is not supported")
        self.enable_timing = enable_timing
        self._handle: int = int(rt().event_create(enable_timing, blocking))

    def __del__(self) -> None:
        h = getattr(self, "_handle", 0)
        if h:
            try:
                rt().event_destroy(h)
            except Exception:
                pass

    def record(self, stream: Optional[Stream] = None) -> None:
        rt().event_record(self._handle, (stream or current_stream()).cuda_stream)

    def wait(self, stream: Optional[Stream] = None) -> None:
        (stream or current_stream()).wait_event(self)

    def query(self) -> bool:
        return bool(rt().event_query(self._handle))

    def synchronize(self) -> None:
        rt().event_synchronize(self._handle)

    def elapsed_time(self, end_event: Event) -> float:
        """Milliseconds between this event and end_event (both recorded, both with timing)."""
        if not (self.enable_timing and end_event.enable_timing):
            raise RuntimeError("Event.elapsed_time: both events must be created with enable_timing=True")
        return float(rt().event_elapsed_ms(self._handle, end_event._handle))


def current_stream(device: Optional[Any] = None) -> Stream:
    """The stream the calling thread's GPU work goes to."""
    return Stream(_handle=int(rt().current_stream()))


def default_stream(device: Optional[Any] = None) -> Stream:
    """The default (legacy) stream."""
    rt()
    return Stream(_handle=0)


def set_stream(s: Stream) -> None:
    rt().set_current_stream(s.cuda_stream)


@contextmanager
def stream(s: Optional[Stream]) -> Iterator[Optional[Stream]]:
    """`with st.cuda.stream(s):` makes s the current stream for the block (None: no change)."""
    if s is None:
        yield None
        return
    prev = int(rt().current_stream())
    rt().set_current_stream(s.cuda_stream)
    try:
        yield s
    finally:
        rt().set_current_stream(prev)
