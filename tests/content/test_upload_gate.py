"""A visitor's upload is refused before its body is read: nobody can make the server take
in Settings.max_video_bytes at a time without signing in."""

import httpx
import pytest

from tests import factories

CHUNK = b"\0" * 65_536
CHUNKS = 64  # 4 MiB offered: more than one read, well under the upload limit
BOUNDARY = "edge2boundary"


class Offered:
    """A streamed multipart body that counts how many of its chunks the server pulled."""

    def __init__(self) -> None:
        self.pulled = 0

    async def __aiter__(self):
        head = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\n'
            "Content-Type: video/mp4\r\n\r\n"
        )
        self.pulled += 1
        yield head.encode()
        for _ in range(CHUNKS):
            self.pulled += 1
            yield CHUNK
        yield f"\r\n--{BOUNDARY}--\r\n".encode()


def _upload(client: httpx.AsyncClient, path: str, body: Offered, headers: dict[str, str]):
    return client.post(
        path,
        content=body,
        headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}", **headers},
    )


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/api/v1/seller/videos", {}),
        ("/api/v1/seller/videos", {"authorization": "Bearer not-a-token"}),
        ("/seller/videos", {}),
        ("/creator/videos", {}),
    ],
)
async def test_a_visitors_upload_is_refused_unread(client, databases, path, headers):
    body = Offered()

    answer = await _upload(client, path, body, headers)

    assert body.pulled == 0, f"{body.pulled} chunks read before refusing"
    if path.startswith("/api/"):
        assert answer.status_code == 401
        assert answer.json()["error"]["message"] == "Please sign in first."
    else:
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/signin?next={path}"


async def test_a_declared_body_over_the_limit_is_refused_unread(client, databases):
    shop = await factories.merchant(databases)
    limit = databases.settings.max_video_bytes
    body = Offered()

    answer = await _upload(
        client, "/api/v1/seller/videos", body, {"content-length": str(limit + 1), **shop.headers}
    )

    assert answer.status_code == 413
    assert body.pulled == 0


async def test_a_signed_in_merchants_upload_is_read(client, databases):
    shop = await factories.merchant(databases)
    body = Offered()

    answer = await _upload(client, "/api/v1/seller/videos", body, shop.headers)

    assert body.pulled == CHUNKS + 1  # read through, then judged (no market given: 422)
    assert answer.status_code == 422, answer.text
