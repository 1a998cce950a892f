"""Evidence files on S3: presigned uploads and downloads (signed here, no call), and the calls
`complete` makes on the stored object (HEAD, a ranged GET, a copy, tags, DELETE).

Every call runs inside `aws_call`: throttling, S3's own failures and timeouts become
`Unavailable` (503 with Retry-After). A missing object is an answer, not an error.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import quote

from chalicelib.adapters.errors import aws_call, error_code, http_status
from chalicelib.domain.evidence import StoredObject
from chalicelib.domain.limits import EVIDENCE_FILE_BYTES

SCAN_TAG = "GuardDutyMalwareScanStatus"
_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})
_CHUNK = 1024 * 1024


def _missing(exc: Exception) -> bool:
    return error_code(exc) in _MISSING or http_status(exc) == 404


class S3EvidenceStorage:
    def __init__(self, client: Any, bucket: str, kms_key_id: str | None = None) -> None:
        self._s3 = client
        self._bucket = bucket
        self._kms_key_id = kms_key_id

    def _encryption(self) -> dict[str, str]:
        """The fields (and policy conditions) that make S3 encrypt with the stack's key."""
        fields = {"x-amz-server-side-encryption": "aws:kms"}
        if self._kms_key_id:
            fields["x-amz-server-side-encryption-aws-kms-key-id"] = self._kms_key_id
        return fields

    def presign_upload(self, key: str, content_type: str, expires_in: int) -> dict[str, Any]:
        low, high = EVIDENCE_FILE_BYTES
        fields = {"Content-Type": content_type, **self._encryption()}
        conditions: list[Any] = [
            {"bucket": self._bucket},
            ["eq", "$key", key],
            ["eq", "$Content-Type", content_type],
            ["content-length-range", low, high],
            *({name: value} for name, value in self._encryption().items()),
        ]
        posted: dict[str, Any] = self._s3.generate_presigned_post(
            Bucket=self._bucket,
            Key=key,
            Fields=fields,
            Conditions=conditions,
            ExpiresIn=expires_in,
        )
        return {"url": posted["url"], "fields": dict(posted["fields"])}

    def inspect(self, key: str, head_bytes: int, *, digest: bool) -> StoredObject | None:
        try:
            with aws_call("s3"):
                head = self._s3.head_object(Bucket=self._bucket, Key=key)
                size = int(head["ContentLength"])
                first = b""
                if size:
                    got = self._s3.get_object(
                        Bucket=self._bucket, Key=key, Range=f"bytes=0-{head_bytes - 1}"
                    )
                    first = got["Body"].read()
                sha256 = self._digest(key) if digest else None
        except Exception as exc:
            if _missing(exc):
                return None
            raise
        return StoredObject(size_bytes=size, head=first, sha256=sha256)

    def _digest(self, key: str) -> str:
        body = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"]
        sha = hashlib.sha256()
        for chunk in iter(lambda: body.read(_CHUNK), b""):
            sha.update(chunk)
        return sha.hexdigest()

    def promote(self, source: str, target: str) -> None:
        extra: dict[str, str] = {"ServerSideEncryption": "aws:kms"}
        if self._kms_key_id:
            extra["SSEKMSKeyId"] = self._kms_key_id
        with aws_call("s3"):
            self._s3.copy_object(
                Bucket=self._bucket,
                Key=target,
                CopySource={"Bucket": self._bucket, "Key": source},
                MetadataDirective="COPY",
                TaggingDirective="REPLACE",
                **extra,
            )

    def scan_tag(self, key: str) -> str | None:
        try:
            with aws_call("s3"):
                tags = self._s3.get_object_tagging(Bucket=self._bucket, Key=key)["TagSet"]
        except Exception as exc:
            if _missing(exc):
                return None
            raise
        return next((str(t["Value"]) for t in tags if t["Key"] == SCAN_TAG), None)

    def delete(self, key: str) -> None:
        with aws_call("s3"):
            self._s3.delete_object(Bucket=self._bucket, Key=key)

    def presign_download(self, key: str, filename: str, content_type: str, expires_in: int) -> str:
        url: str = self._s3.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self._bucket,
                "Key": key,
                "ResponseContentDisposition": attachment(filename),
                "ResponseContentType": content_type,
            },
            ExpiresIn=expires_in,
        )
        return url


def attachment(filename: str) -> str:
    """A Content-Disposition that downloads the file under its name (RFC 6266, with an ASCII
    fallback for clients that do not read `filename*`)."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
