"""The evidence pack of a case: one ZIP a platform's support team (or a court) can check on its own.

Layout:
    letters/appeal-<n>-<language>.txt   every appeal letter filed on the case
    items/<index>-<kind>.json|.bin     each evidence item's content, byte for byte what was hashed
    chain.json                         every link: index, kind, source, times, item/prev/link SHA-256
    verification.json                  the chain verification result when the pack was made
    manifest.json                      case, time, and the SHA-256 and size of every file above

An item's file hashes (with its "json:"/"bytes:" prefix) to the chain's `content_sha256`, and the
chain's own hashes can be recomputed from chain.json, so a reader needs nothing but the ZIP.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timezone

from services.resolution.evidence.models import EvidenceChain, VerificationResult
from services.resolution.evidence.service import canonical_json, content_hash

# NOTE: a fixed timestamp inside the archive, so the same case gives the same bytes each time.
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)


def _add(archive: zipfile.ZipFile, files: list[dict], path: str, data: bytes) -> None:
    info = zipfile.ZipInfo(path, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)
    files.append({"path": path, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)})


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")


def build_pack(
    *, case_id: str, chain: EvidenceChain, verification: VerificationResult, letters: Sequence[tuple[str, str]], generated_at: datetime
) -> bytes:
    """The ZIP bytes of a case's evidence pack; `letters` are (language, text) in filing order."""
    buffer = io.BytesIO()
    files: list[dict] = []
    with zipfile.ZipFile(buffer, "w") as archive:
        for n, (language, text) in enumerate(letters, start=1):
            _add(archive, files, f"letters/appeal-{n}-{language}.txt", text.encode("utf-8"))
        links = []
        for link in chain.links:
            item = link.item
            is_bytes = isinstance(item.content, (bytes, bytearray))
            path = f"items/{link.index:03d}-{item.kind}.{'bin' if is_bytes else 'json'}"
            _add(archive, files, path, bytes(item.content) if is_bytes else canonical_json(item.content))
            links.append({
                "index": link.index, "kind": str(item.kind), "source": item.source, "description": item.description,
                "metadata": dict(item.metadata), "captured_at": item.captured_at.astimezone(timezone.utc).isoformat(timespec="microseconds"),
                "appended_at": link.appended_at.astimezone(timezone.utc).isoformat(timespec="microseconds"), "file": path,
                "content_sha256": content_hash(item), "item_sha256": link.item_hash, "prev_sha256": link.prev_hash,
                "link_sha256": link.link_hash,
            })
        _add(archive, files, "chain.json", _json(links))
        result = asdict(verification) | {"reason": str(verification.reason) if verification.reason else None}
        _add(archive, files, "verification.json", _json(result))
        manifest = {
            "case_id": case_id,
            "generated_at": generated_at.astimezone(timezone.utc).isoformat(timespec="seconds"),
            "chain": {"intact": verification.intact, "length": verification.length, "head": verification.head},
            "files": files,
        }
        info = zipfile.ZipInfo("manifest.json", date_time=_ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, _json(manifest))
    return buffer.getvalue()
