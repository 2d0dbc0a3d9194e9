"""Opening an export as text in the encoding it was really written in, without reading all of it.

Sellers' exports come as UTF-8 (often with a BOM from Excel), Shift-JIS from Japanese Windows tools
and GBK from Chinese ones. The encoding is chosen from the first chunk: a BOM decides; bytes that are
valid UTF-8 are UTF-8; anything else goes to charset-normalizer, limited to the legacy encodings such
exports use. Shift-JIS is read as cp932 and GBK as gb18030, the supersets Windows actually writes.
"""

from __future__ import annotations

import codecs
import io
from typing import BinaryIO

from charset_normalizer import from_bytes

SNIFF_BYTES = 64 * 1024

# Legacy encodings seen in marketplace exports, in the order charset-normalizer should prefer them.
CANDIDATES = ["cp932", "gb18030", "big5", "euc_jp", "euc_kr", "cp1252", "cp1251", "latin_1"]
_SUPERSET = {"shift_jis": "cp932", "sjis": "cp932", "gbk": "gb18030", "gb2312": "gb18030", "ascii": "utf-8"}


def detect_encoding(chunk: bytes) -> str:
    """The Python codec name for text beginning with `chunk`."""
    if chunk.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        # NOTE: final=False tolerates a character cut at the chunk's end.
        codecs.getincrementaldecoder("utf-8")().decode(chunk, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    best = from_bytes(chunk, cp_isolation=CANDIDATES).best()
    name = best.encoding if best is not None else "latin_1"
    return _SUPERSET.get(name, name)


class _Prefixed(io.RawIOBase):
    """A byte stream that replays the sniffed chunk, then continues with the rest of the source."""

    def __init__(self, prefix: bytes, rest: BinaryIO) -> None:
        self._prefix = memoryview(prefix)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        if self._prefix:
            n = min(len(buffer), len(self._prefix))
            buffer[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def open_text(binary: BinaryIO, *, encoding: str | None = None) -> tuple[io.TextIOWrapper, str]:
    """A text stream over `binary` in its detected (or the given) encoding, and that encoding's name.

    Undecodable bytes become U+FFFD so one bad row cannot end the import; readers flag such rows.
    """
    prefix = binary.read(SNIFF_BYTES)
    chosen = encoding or detect_encoding(prefix)
    codecs.lookup(chosen)  # NOTE: an unknown name fails here, before anything is read.
    raw = _Prefixed(prefix, binary)
    text = io.TextIOWrapper(io.BufferedReader(raw, buffer_size=SNIFF_BYTES), encoding=chosen, errors="replace", newline="")
    return text, chosen
