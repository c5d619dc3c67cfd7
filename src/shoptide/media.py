"""Where the files under the media folder (uploads, transcoded videos, pictures) are served."""

MEDIA_PATH = "/media"


def media_url(path: str | None) -> str | None:
    """The URL of a file under the media folder, or None for no file."""
    return f"{MEDIA_PATH}/{path}" if path else None
