"""Merchants on DynamoDB."""

from __future__ import annotations

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
        )
