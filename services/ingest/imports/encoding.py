"""Opening an export as text in the encoding it was really written in, without reading all of it.

Sellers' exports come as UTF-8 (often with a BOM from Excel), Shift-JIS from Japanese Windows tools
and GBK from Chinese ones. A named encoding is used as given (Shift-JIS is read as cp932 and GBK as
gb18030, the supersets Windows actually writes). Without one, a BOM decides, else the file must be
UTF-8: a file that is not is refused with the line of its first bad byte and a hint from
charset-normalizer, never read under a guessed encoding. NOTE: a guess is how a re-import of a
Japanese export saved as cp1252 turned stored reviews into mojibake; a wrong guess stores damage,
a refusal costs the user one form field.

`encoding_damage` recognises text that is a stored text with its encoding broken, so a re-import
read in the wrong encoding cannot overwrite good reviews.
"""

from __future__ import annotations

import codecs
import io
import unicodedata
from typing import BinaryIO

from charset_normalizer import from_bytes

SNIFF_BYTES = 64 * 1024

# Legacy encodings seen in marketplace exports, in the order charset-normalizer should prefer them.
CANDIDATES = ["cp932", "gb18030", "big5", "euc_jp", "euc_kr", "cp1252", "cp1251", "latin_1"]
_SUPERSET = {"shift_jis": "cp932", "sjis": "cp932", "gbk": "gb18030", "gb2312": "gb18030", "ascii": "utf-8"}


class NotUtf8(ValueError):
    """A file without a named encoding that is not UTF-8; the message tells the user what to do."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def detect_encoding(chunk: bytes, *, final: bool = False) -> str:
    """The Python codec name for text beginning with `chunk`: its BOM's, else UTF-8.

    Raises NotUtf8 (with the line of the first bad byte and a hint) when `chunk` is not UTF-8.
    """
    if chunk.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        # NOTE: final=False tolerates a character cut at the chunk's end.
        codecs.getincrementaldecoder("utf-8")().decode(chunk, final=final)
        return "utf-8"
    except UnicodeDecodeError as error:
        line = chunk.count(b"\n", 0, error.start) + 1
        raise NotUtf8(line, _not_utf8_message(chunk, error)) from None


def _not_utf8_message(chunk: bytes, error: UnicodeDecodeError) -> str:
    best = from_bytes(chunk, cp_isolation=CANDIDATES).best()
    hint = _SUPERSET.get(best.encoding, best.encoding) if best is not None else ""
    looks = f"it looks like {hint}; " if hint else ""
    return (
        f"the file is not UTF-8 (byte 0x{chunk[error.start]:02X} at offset {error.start}) and no encoding was named: "
        f"{looks}import it again naming its encoding (e.g. cp932 for Shift-JIS, gb18030 for GBK, cp1252 for "
        "Windows Western European), or save it as UTF-8"
    )


# Encodings whose confusion damages exports: one of them read as another.
_CONFUSABLE = ("utf-8", "cp1252", "latin_1", "cp932", "gb18030", "cp1251")


def encoding_damage(stored: str, new: str) -> bool:
    """Whether `new` is `stored` damaged by a wrong encoding: replacement characters where the stored
    text has real ones, or mojibake (the stored text's bytes in one encoding read as another).
    """
    if new == stored:
        return False
    if "\ufffd" in new and "\ufffd" not in stored:
        return True
    wanted = unicodedata.normalize("NFC", stored)
    # NOTE: bytes misread as UTF-8 give U+FFFD, not text; a "repair" read the other way round (the
    # stored text is mojibake, the new one is right) must stay possible, so UTF-8 is never `read`.
    for written in _CONFUSABLE:
        for read in _CONFUSABLE[1:]:
            if written == read:
                continue
            try:
                repaired = new.encode(read).decode(written)
            except (UnicodeEncodeError, UnicodeDecodeError):
                continue
            if repaired != new and unicodedata.normalize("NFC", repaired) == wanted:
                return True
    return False


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
    """A text stream over `binary` in the given encoding (else its BOM's, else UTF-8), and its name.

    Raises NotUtf8 when no encoding is named and the first chunk is not UTF-8. Undecodable bytes
    further on become U+FFFD so one bad row cannot end the import; readers flag such rows.
    """
    prefix = binary.read(SNIFF_BYTES)
    if encoding:
        # NOTE: an unknown name fails here, before anything is read; Shift-JIS and GBK are read as
        # the supersets Windows writes.
        name = codecs.lookup(encoding).name
        chosen = _SUPERSET.get(name, encoding) if name != "ascii" else encoding
    else:
        chosen = detect_encoding(prefix, final=len(prefix) < SNIFF_BYTES)
    raw = _Prefixed(prefix, binary)
    text = io.TextIOWrapper(io.BufferedReader(raw, buffer_size=SNIFF_BYTES), encoding=chosen, errors="replace", newline="")
    return text, chosen
