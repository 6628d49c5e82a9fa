"""Photos of public tips: judged by their content, re-encoded to pixels only.

A file is accepted when Pillow reads it as JPEG or PNG (whatever its name or declared type says), its structure
verifies (``Image.verify``), it has at most :data:`MAX_PIXELS` pixels (decompression bombs are refused before
the pixels are decoded) and it decodes completely. What is kept is a new image built from the decoded pixels
alone (EXIF orientation applied first) and encoded afresh: no EXIF, XMP, ICC profile, text chunk, comment or
bytes after the image's end survive.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PHOTOS = 5
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 5 MB photo of a real scene is far below; a bomb is far above
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png")}


class PhotoError(ValueError):
    """The file is not an acceptable photo."""


@dataclass(frozen=True)
class CleanPhoto:
    content: bytes
    media_type: str
    extension: str
    sha256: str
    width: int
    height: int


def clean(data: bytes, *, name: str = "photo") -> CleanPhoto:
    """Judge ``data`` and return its re-encoded form; raise :class:`PhotoError` saying why it is refused."""
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoError(f"{name}: larger than {MAX_PHOTO_BYTES // (1024 * 1024)} MB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                kind = probe.format
                if kind not in FORMATS:
                    raise PhotoError(f"{name}: not a JPEG or PNG image")
                if probe.width * probe.height > MAX_PIXELS:
                    raise PhotoError(f"{name}: more than {MAX_PIXELS} pixels")
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                upright = ImageOps.exif_transpose(image)
    except PhotoError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError(f"{name}: not a JPEG or PNG image (or too large to decode)") from None
    except (OSError, ValueError, SyntaxError, EOFError):
        raise PhotoError(f"{name}: damaged or not a JPEG or PNG image") from None
    return _encode(upright, kind)


def _encode(image: Image.Image, kind: str) -> CleanPhoto:
    if kind == "JPEG":
        mode = "L" if image.mode == "L" else "RGB"
    else:
        mode = image.mode if image.mode in ("L", "LA", "RGB", "RGBA") else "RGBA"
    converted = image.convert(mode)
    pixels_only = Image.frombytes(mode, converted.size, converted.tobytes())  # a new image: empty info
    out = io.BytesIO()
    if kind == "JPEG":
        pixels_only.save(out, format="JPEG", quality=90)
    else:
        pixels_only.save(out, format="PNG")
    content = out.getvalue()
    media_type, extension = FORMATS[kind]
    return CleanPhoto(
        content, media_type, extension, hashlib.sha256(content).hexdigest(), pixels_only.width, pixels_only.height
    )
