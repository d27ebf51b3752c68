"""Copying the buckets into the backup folder and back, object by object, with SHA-256 checksums."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

ROLES = ("photos", "loras", "images")  # S3_BUCKET_PHOTOS, S3_BUCKET_LORAS, S3_BUCKET_IMAGES


def client(endpoint_url: str | None, region: str, credentials: tuple[str | None, str | None] = (None, None)) -> Any:
    """An S3 client; credentials None: boto3's own chain (environment, instance profile)."""
    return boto3.client("s3", endpoint_url=endpoint_url or None, region_name=region,
                        aws_access_key_id=credentials[0], aws_secret_access_key=credentials[1],
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 5, "mode": "standard"}))


def _keys(s3: Any, bucket: str) -> Iterator[str]:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            yield str(item["Key"])


def _safe_path(root: Path, key: str) -> Path:
    path = (root / key).resolve()
    if root.resolve() not in path.parents:
        raise ValueError(f"object key {key!r} would leave the backup folder")
    return path


def copy_out(s3: Any, bucket: str, folder: Path) -> dict[str, dict[str, Any]]:
    """Every object of `bucket` under `folder`; returns key -> {sha256, size}."""
    objects: dict[str, dict[str, Any]] = {}
    folder.mkdir(parents=True, exist_ok=True)
    for key in _keys(s3, bucket):
        path = _safe_path(folder, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        with path.open("wb") as out:
            for chunk in s3.get_object(Bucket=bucket, Key=key)["Body"].iter_chunks(1024 * 1024):
                digest.update(chunk)
                out.write(chunk)
        objects[key] = {"sha256": digest.hexdigest(), "size": path.stat().st_size}
    return objects


def copy_in(s3: Any, bucket: str, folder: Path, objects: dict[str, dict[str, Any]]) -> None:
    """Upload the backed-up objects into `bucket` (created if missing; it must hold none of them)."""
    try:
        s3.head_bucket(Bucket=bucket)
    except s3.exceptions.ClientError:
        s3.create_bucket(Bucket=bucket)
    if next(_keys(s3, bucket), None) is not None:
        raise ValueError(f"bucket {bucket} is not empty: restore into an empty bucket")
    for key in objects:
        with _safe_path(folder, key).open("rb") as body:
            s3.put_object(Bucket=bucket, Key=key, Body=body)


def checksums(s3: Any, bucket: str) -> dict[str, dict[str, Any]]:
    """key -> {sha256, size} of what the bucket holds now (read back, not trusted from ETags)."""
    found: dict[str, dict[str, Any]] = {}
    for key in _keys(s3, bucket):
        digest, size = hashlib.sha256(), 0
        for chunk in s3.get_object(Bucket=bucket, Key=key)["Body"].iter_chunks(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
        found[key] = {"sha256": digest.hexdigest(), "size": size}
    return found
