from __future__ import annotations

import time
import urllib.error
import urllib.request
import uuid

import pytest
from aisha.errors import NotFound
from aisha.storage import Storage


def _http(method: str, url: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> bytes:
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return bytes(response.read())


@pytest.fixture
def bucket() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def test_written_object_reads_back_over_a_presigned_url(storage: Storage, bucket: str) -> None:
    stored = storage.put(bucket, "42/photos/a.jpg", b"\xff\xd8jpeg-bytes", "image/jpeg")  # bucket made here
    assert stored.size == 12
    url = storage.presign_get(bucket, "42/photos/a.jpg", expires=60)
    assert "X-Amz-Signature=" in url and f"/{bucket}/42/photos/a.jpg" in url  # path-style
    assert _http("GET", url) == b"\xff\xd8jpeg-bytes"


def test_an_expired_presigned_url_is_refused(storage: Storage, bucket: str) -> None:
    storage.put(bucket, "42/x.png", b"png", "image/png")
    url = storage.presign_get(bucket, "42/x.png", expires=1)
    deadline = time.monotonic() + 15
    while True:  # valid for one second, then refused for good
        try:
            _http("GET", url)
        except urllib.error.HTTPError as refused:
            assert refused.code == 403
            assert b"Request has expired" in refused.read()
            break
        assert time.monotonic() < deadline, "the presigned URL never expired"
        time.sleep(0.1)
    with pytest.raises(urllib.error.HTTPError) as caught:
        _http("GET", url)
    assert caught.value.code == 403


def test_presigned_put_then_read_through_the_module(storage: Storage, bucket: str) -> None:
    url = storage.presign_put(bucket, "7/upload.webp", "image/webp", expires=60)
    _http("PUT", url, data=b"webp-data", headers={"Content-Type": "image/webp"})
    assert storage.get(bucket, "7/upload.webp") == b"webp-data"
    assert storage.exists(bucket, "7/upload.webp")
    assert storage.list_keys(bucket, "7/") == ["7/upload.webp"]
    storage.delete(bucket, "7/upload.webp")
    assert not storage.exists(bucket, "7/upload.webp")
    with pytest.raises(NotFound):
        storage.get(bucket, "7/upload.webp")
