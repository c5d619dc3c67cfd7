"""Pictures: what an upload must be (a real PNG, JPEG or WebP, as Pillow reads it), where
its file goes under the media folder, and the URL it is served at.

Live room covers are checked the same way (live imports this module); the checks run in a
worker thread, off the event loop.
"""

import asyncio
import io
import uuid
from pathlib import Path

from PIL import Image

from shoptide.errors import InvalidInput

MAX_IMAGE_BYTES = 5 * 1024 * 1024
IMAGE_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}  # Pillow format -> extension


def image_extension(data: bytes) -> str:
    """The file's real type as Pillow reads it: a PNG, JPEG or WebP whose structure checks out."""
    try:
        with Image.open(io.BytesIO(data), formats=list(IMAGE_FORMATS)) as image:
            kind = image.format
            image.verify()
    except Exception:  # Pillow raises many kinds (OSError, SyntaxError, ValueError...) on junk
        raise InvalidInput("Upload a PNG, JPEG or WebP picture; this file isn't one.") from None
    if kind not in IMAGE_FORMATS:
        raise InvalidInput("Upload a PNG, JPEG or WebP picture.")
    return IMAGE_FORMATS[kind]


async def checked_picture(data: bytes) -> str:
    """A product picture's extension, or InvalidInput saying what is wrong with the file
    (`data` is read up to one byte over the limit, so an oversized file shows)."""
    if not data:
        raise InvalidInput("Choose a picture to upload.")
    if len(data) > MAX_IMAGE_BYTES:
        raise InvalidInput("Pictures can be at most 5 MB.")
    return await asyncio.to_thread(image_extension, data)


def product_picture_name(product_id: int, extension: str) -> str:
    """A new picture's path under the media folder: never guessable, never reused."""
    return f"products/{product_id}-{uuid.uuid4().hex}.{extension}"


def write_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
