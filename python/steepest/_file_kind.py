"""What a file is, from its first bytes: st.load reads safetensors and torch zip checkpoints,
and says plainly what anything else is (a numpy .npy, a plain pickle, torch's legacy format,
text ...) instead of failing inside the wrong parser."""
from __future__ import annotations

import codecs
import struct
from typing import Optional

HEAD = 512  # bytes read to identify a file (a tar header's magic sits at 257)

# torch's pre-1.6 format begins with its magic number, pickled with protocol 2 (a LONG1 of 10 bytes).
_TORCH_LEGACY = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"


def foreign(head: bytes) -> Optional[str]:
    """A sentence naming the format when `head` starts a file st.load cannot read but can
    recognise; None for zip archives and anything that may be safetensors."""
    if head.startswith(_TORCH_LEGACY):
        return ("a torch checkpoint in torch's legacy (pre-1.6, non-zip) format, which steepest does not read; "
                "re-save it with a recent torch: torch.save(torch.load(f, weights_only=True), 'new.pt')")
    if len(head) > 262 and head[257:262] == b"ustar":
        return "a tar archive (torch's oldest checkpoint format is a tar; steepest does not read it)"
    if head.startswith(b"\x93NUMPY"):
        return "a numpy .npy file; load it with numpy.load and st.from_numpy"
    if head.startswith(b"\x1f\x8b"):
        return "gzip-compressed; decompress it first"
    if head.startswith(b"\x89HDF\r\n\x1a\n"):
        return "an HDF5 file (a Keras/h5py file?), which steepest does not read"
    if head[:1] == b"\x80" and len(head) > 1 and 2 <= head[1] <= 5:
        return ("a plain Python pickle, not a torch or safetensors checkpoint; steepest never unpickles "
                "arbitrary files")
    return None


def is_zip(head: bytes) -> bool:
    return head[:4] in (b"PK\x03\x04", b"PK\x05\x06")


def hint(head: bytes, size: int) -> str:
    """For a file the safetensors reader refused: what it looks like, if not safetensors."""
    if size == 0:
        return " (the file is empty)"
    if size >= 9:
        (n,) = struct.unpack("<Q", head[:8])
        if 0 < n <= size - 8 and head[8:9] == b"{":
            return ""  # a damaged safetensors file: the reader's message says what is wrong
    sample = head[:64]
    try:  # incremental: a character cut at the sample's end is not an error
        text = codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        if all(c.isprintable() or c in "\t\r\n" for c in text):
            return f" (it is neither a safetensors nor a torch file: it looks like text, {text[:40]!r})"
    except UnicodeDecodeError:
        pass
    return f" (it is neither a safetensors nor a torch file; it starts with bytes {sample[:16].hex(' ')})"
