"""Merchants on DynamoDB."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.adapters.dynamo.models import MerchantModel
from chalicelib.adapters.errors import aws_call
from chalicelib.services.entities import Merchant


def merchant_to_model(merchant: Merchant) -> MerchantModel:
    return MerchantModel(
        merchant.merchant_id,
        name=merchant.name,
        email=merchant.email,
        phone=merchant.phone,
        sealed_secret=merchant.sealed_secret,
        created_at=merchant.created_at,
        language=merchant.language,
        previous_sealed_secret=merchant.previous_sealed_secret,
        previous_valid_until=merchant.previous_valid_until,
    )


class DynamoMerchantDirectory:
    def get(self, merchant_id: str) -> Merchant | None:
        try:
            with aws_call("dynamodb"):
                m = MerchantModel.get(merchant_id, consistent_read=True)
        except DoesNotExist:
            return None
        return Merchant(
            m.merchant_id,
            m.name,
            m.email,
            m.phone,
            m.sealed_secret,
            m.created_at,
            m.language or "zh-CN",
            m.previous_sealed_secret,
            m.previous_valid_until,
        )


def rotation_update(merchant: Merchant, replaced: str) -> tuple[MerchantModel, list[Any], Any]:
    """The merchant's new secret and the previous one's grace, on condition that the secret
    is still the one the rotation replaced (two rotations racing: one wins)."""
    if merchant.previous_sealed_secret is None or merchant.previous_valid_until is None:
        raise ValueError("a rotation keeps the secret it replaced, and until when")
    actions = [
        MerchantModel.sealed_secret.set(merchant.sealed_secret),
        MerchantModel.previous_sealed_secret.set(merchant.previous_sealed_secret),
        MerchantModel.previous_valid_until.set(merchant.previous_valid_until),
    ]
    return MerchantModel(merchant.merchant_id), actions, MerchantModel.sealed_secret == replaced
