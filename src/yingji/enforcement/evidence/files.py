"""Evidence files (证据) on disk, pure: a file is copied in chunks from the upload (Starlette has spooled it to
disk past 1 MiB) to a temporary file beside its place, hashed (SHA-256) and counted as it goes — refused the
moment it passes the size limit — then judged by its content and moved to ``<sha[:2]>/<sha>.<ext>`` (the same
content is one file). Kept byte for byte as uploaded: evidence is never re-encoded.

Accepted by content, whatever the name or declared type: PDF (begins ``%PDF-``, ends with ``%%EOF`` within its
last KiB), JPEG and PNG (Pillow reads the format from the bytes and verifies the structure).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from PIL import Image, UnidentifiedImageError

CHUNK = 1024 * 1024
MEDIA_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
_PILLOW = {"JPEG": "image/jpeg", "PNG": "image/png"}


class EvidenceError(ValueError):
    """The file is not acceptable evidence (its type or size)."""


@dataclass(frozen=True)
class StoredFile:
    path: str  # relative to the evidence directory
    sha256: str
    size: int
    media_type: str


def judge(path: Path, head: bytes) -> str:
    """The media type of the file at ``path`` (``head``: its first bytes), or :class:`EvidenceError`."""
    if head.startswith(b"%PDF-"):
        with path.open("rb") as handle:
            handle.seek(max(0, path.stat().st_size - 1024))
            if b"%%EOF" not in handle.read():
                raise EvidenceError("a PDF without its end (%%EOF): damaged or cut short")
        return "application/pdf"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as probe:
                kind = probe.format or ""
                probe.verify()
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning, OSError,
            ValueError, SyntaxError, EOFError):  # fmt: skip
        raise EvidenceError("not a PDF, JPEG or PNG file (judged by its content)") from None
    if kind not in _PILLOW:
        raise EvidenceError("not a PDF, JPEG or PNG file (judged by its content)")
    return _PILLOW[kind]


def store(source: BinaryIO, directory: Path, *, max_bytes: int) -> StoredFile:
    """Copy ``source`` into ``directory`` (see the module's text); nothing is left behind when refused."""
    directory.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".incoming-")
    digest, size, head = hashlib.sha256(), 0, b""
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := source.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise EvidenceError(f"a file is at most {max_bytes} bytes")
                if len(head) < 16:
                    head = (head + chunk)[:16]
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise EvidenceError("the file is empty")
        media_type = judge(Path(temporary), head)
        sha = digest.hexdigest()
        relative = f"{sha[:2]}/{sha}.{MEDIA_TYPES[media_type]}"
        (directory / relative).parent.mkdir(parents=True, exist_ok=True)
        os.replace(temporary, directory / relative)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return StoredFile(relative, sha, size, media_type)


def open_stored(directory: Path, relative: str) -> Path:
    """The stored file's path; refuses a stored path that would leave the directory."""
    target = (directory / relative).resolve()
    if directory.resolve() not in target.parents:
        raise EvidenceError("a stored path outside the evidence directory")
    return target
