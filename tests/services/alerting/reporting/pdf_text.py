"""The text of a PDF that fpdf2 wrote, read back without a PDF library (none is installed): the
content streams' strings of 2-byte glyph ids, mapped to Unicode through the font's ToUnicode CMap."""

from __future__ import annotations

import re
import zlib

# NOTE: a stream is read by its /Length: compressed bytes may end in what looks like a line break.
_STREAM = re.compile(rb"/Length (\d+)\b[^>]*>>\s*stream\r?\n", re.S)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f", b"(": b"(", b")": b")", b"\\": b"\\"}


def _literal(data: bytes, at: int) -> tuple[bytes, int]:
    """The PDF literal string starting after the '(' at `at`, and the index after its ')'."""
    out, depth, i = bytearray(), 1, at
    while True:
        c = data[i : i + 1]
        if c == b"\\":
            nxt = data[i + 1 : i + 2]
            if nxt in _ESCAPES:
                out += _ESCAPES[nxt]
                i += 2
            else:
                octal = re.match(rb"[0-7]{1,3}", data[i + 1 : i + 4])
                out.append(int(octal.group(), 8))
                i += 1 + len(octal.group())
            continue
        if c == b"(":
            depth += 1
        elif c == b")":
            depth -= 1
            if depth == 0:
                return bytes(out), i + 1
        out += c
        i += 1


def _streams(content: bytes) -> list[bytes]:
    assert content.startswith(b"%PDF-") and b"startxref" in content[-64:] and content.rstrip().endswith(b"%%EOF")
    streams = []
    for m in _STREAM.finditer(content):
        data = content[m.end() : m.end() + int(m.group(1))]
        try:
            streams.append(zlib.decompress(data))
        except zlib.error:
            streams.append(data)
    return streams


def filled_rectangles(content: bytes) -> int:
    """How many filled rectangles (`x y w h re f`) the pages draw."""
    return sum(len(re.findall(rb"re f\n", s)) for s in _streams(content))


def pdf_text(content: bytes) -> str:
    streams = _streams(content)
    glyphs: dict[int, str] = {}
    for s in streams:
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", s, re.S):
            for code, uni in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                glyphs[int(code, 16)] = bytes.fromhex(uni.decode()).decode("utf-16-be")
    lines = []
    for s in streams:
        if b" Tj" not in s:
            continue
        for m in re.finditer(rb"\((?=(?:[^\\)]|\\.)*\)\s*Tj)", s, re.S):
            raw, _ = _literal(s, m.end())
            lines.append("".join(glyphs.get(int.from_bytes(raw[i : i + 2], "big"), "?") for i in range(0, len(raw), 2)))
    return "\n".join(lines)
