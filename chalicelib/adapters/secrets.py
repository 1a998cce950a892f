"""Sealing secrets at rest: AES-GCM with a local key (local stage) or a KMS key (AWS)."""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from chalicelib.adapters.errors import aws_call


def _aad(context: dict[str, str]) -> bytes:
    return json.dumps(context, sort_keys=True, separators=(",", ":")).encode()


class LocalSecretBox:
    """AES-256-GCM; the context is authenticated, so a sealed secret cannot be moved to another
    merchant's record."""

    PREFIX = "local:v1:"

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the local secret key must be 32 bytes")
        self._key = key

    def seal(self, plaintext: bytes, context: dict[str, str]) -> str:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        nonce = os.urandom(12)
        sealed = AESGCM(self._key).encrypt(nonce, plaintext, _aad(context))
        return self.PREFIX + base64.b64encode(nonce + sealed).decode()

    def open(self, sealed: str, context: dict[str, str]) -> bytes:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if not sealed.startswith(self.PREFIX):
            raise ValueError("not sealed by this box")
        raw = base64.b64decode(sealed[len(self.PREFIX) :])
        return bytes(AESGCM(self._key).decrypt(raw[:12], raw[12:], _aad(context)))


class KmsSecretBox:
    PREFIX = "kms:v1:"

    def __init__(self, client: Any, key_id: str) -> None:
        self._client = client
        self._key_id = key_id

    def seal(self, plaintext: bytes, context: dict[str, str]) -> str:
        response = self._call(
            "encrypt", KeyId=self._key_id, Plaintext=plaintext, EncryptionContext=context
        )
        return self.PREFIX + base64.b64encode(response["CiphertextBlob"]).decode()

    def open(self, sealed: str, context: dict[str, str]) -> bytes:
        if not sealed.startswith(self.PREFIX):
            raise ValueError("not sealed by this box")
        blob = base64.b64decode(sealed[len(self.PREFIX) :])
        response = self._call(
            "decrypt", KeyId=self._key_id, CiphertextBlob=blob, EncryptionContext=context
        )
        return bytes(response["Plaintext"])

    def _call(self, operation: str, **kwargs: Any) -> Any:
        with aws_call("kms"):
            return getattr(self._client, operation)(**kwargs)
