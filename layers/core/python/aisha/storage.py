"""Objects in S3 (MinIO on-prem, moto in tests) through boto3.

Path-style addressing so an endpoint URL like http://minio:9000 works; buckets are created on
first use; clients only ever get short-lived presigned URLs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

import boto3
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from aisha.errors import NotFound, StorageError

_MISSING = {"404", "NoSuchKey", "NotFound", "NoSuchBucket"}


@dataclass(frozen=True)
class StoredObject:
    bucket: str
    key: str
    size: int
    content_type: str


class Storage:
    def __init__(
        self,
        *,
        endpoint_url: str | None,
        region: str = "us-east-1",
        presign_ttl: int = 3600,
        timeout: float = 5.0,
        client: BaseClient | None = None,
    ) -> None:
        self.presign_ttl = presign_ttl
        self._client = client or boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                connect_timeout=timeout,
                read_timeout=max(timeout, 30.0),
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        )
        self._known_buckets: set[str] = set()

    def ensure_bucket(self, bucket: str) -> None:
        if bucket in self._known_buckets:
            return
        try:
            self._client.head_bucket(Bucket=bucket)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in _MISSING:
                raise StorageError(f"bucket {bucket}: {exc}") from exc
            try:
                self._client.create_bucket(Bucket=bucket)
            except ClientError as create_exc:
                code = create_exc.response.get("Error", {}).get("Code")
                if code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                    raise StorageError(f"cannot create bucket {bucket}: {create_exc}") from create_exc
        except BotoCoreError as exc:
            raise StorageError(f"storage unreachable: {exc}") from exc
        self._known_buckets.add(bucket)

    def put(self, bucket: str, key: str, data: bytes, content_type: str) -> StoredObject:
        self.ensure_bucket(bucket)
        with _translated("store", f"{bucket}/{key}"):
            self._client.put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type)
        return StoredObject(bucket, key, len(data), content_type)

    def put_file(self, bucket: str, key: str, fileobj: BinaryIO, content_type: str) -> None:
        """Stream a file-like object (multipart for large ones) without holding it in memory."""
        self.ensure_bucket(bucket)
        with _translated("store", f"{bucket}/{key}"):
            self._client.upload_fileobj(fileobj, bucket, key, ExtraArgs={"ContentType": content_type})

    def get(self, bucket: str, key: str) -> bytes:
        with _translated("read", f"{bucket}/{key}"):
            return bytes(self._client.get_object(Bucket=bucket, Key=key)["Body"].read())

    def exists(self, bucket: str, key: str) -> bool:
        try:
            with _translated("check", f"{bucket}/{key}"):
                self._client.head_object(Bucket=bucket, Key=key)
        except NotFound:
            return False
        return True

    def delete(self, bucket: str, key: str) -> None:
        with _translated("delete", f"{bucket}/{key}"):
            self._client.delete_object(Bucket=bucket, Key=key)

    def list_keys(self, bucket: str, prefix: str) -> list[str]:
        self.ensure_bucket(bucket)
        keys: list[str] = []
        with _translated("list", f"{bucket}/{prefix}"):
            for page in self._client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                keys.extend(item["Key"] for item in page.get("Contents", []))
        return keys

    def presign_get(self, bucket: str, key: str, expires: int | None = None) -> str:
        return str(self._client.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires or self.presign_ttl
        ))

    def presign_put(self, bucket: str, key: str, content_type: str, expires: int | None = None) -> str:
        self.ensure_bucket(bucket)
        return str(self._client.generate_presigned_url(
            "put_object",
            Params={"Bucket": bucket, "Key": key, "ContentType": content_type},
            ExpiresIn=expires or self.presign_ttl,
        ))

    def ping(self, bucket: str) -> None:
        try:
            with _translated("reach", bucket):
                self._client.head_bucket(Bucket=bucket)
        except NotFound:
            return  # reachable; the bucket is made on first write


@contextmanager
def _translated(action: str, where: str) -> Iterator[None]:
    """boto3's failures as ours: a missing object or bucket is NotFound, anything else a StorageError."""
    try:
        yield
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in _MISSING:
            raise NotFound(f"no object {where}") from exc
        raise StorageError(f"cannot {action} {where}: {exc}") from exc
    except BotoCoreError as exc:
        raise StorageError(f"cannot {action} {where}: {exc}") from exc
