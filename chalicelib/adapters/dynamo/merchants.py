"""Merchants on DynamoDB."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, PutError

from chalicelib.adapters.dynamo.models import MerchantModel
from chalicelib.adapters.dynamo.store import translated
from chalicelib.services.ports import KeyTaken, Merchant


class DynamoMerchantDirectory:
    def add(self, merchant: Merchant) -> None:
        model = MerchantModel(
            merchant.merchant_id,
            name=merchant.name,
            email=merchant.email,
            phone=merchant.phone,
            sealed_secret=merchant.sealed_secret,
            created_at=merchant.created_at,
        )
        try:
            with translated():
                model.save(condition=MerchantModel.merchant_id.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise KeyTaken(f"merchant#{merchant.merchant_id}", {}) from exc
            raise

    def get(self, merchant_id: str) -> Merchant | None:
        try:
            with translated():
                m = MerchantModel.get(merchant_id, consistent_read=True)
        except DoesNotExist:
            return None
        return Merchant(m.merchant_id, m.name, m.email, m.phone, m.sealed_secret, m.created_at)
