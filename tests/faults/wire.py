"""How AWS services report errors over the wire, for the fault layer to answer as they would:
each service's protocol, its throttling error and its server error."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from botocore.awsrequest import AWSPreparedRequest, AWSResponse


@dataclass(frozen=True)
class Wire:
    """How a service reports an error: protocol, code and HTTP status."""

    protocol: str
    throttle: tuple[str, int]
    server_error: tuple[str, int]
    json_prefix: str = ""


# Each service's throttling and server errors as they come over the wire (botocore's service
# models and the services' common-error pages): DynamoDB answers 400
# ProvisionedThroughputExceededException, SNS the query protocol's 400 Throttling ("Rate
# exceeded"), SES v2 429 TooManyRequestsException, Scheduler 429 ThrottlingException.
DEFAULT_WIRE = Wire("json", ("ThrottlingException", 400), ("InternalFailure", 500))
WIRES: dict[str, Wire] = {
    "dynamodb": Wire(
        "json",
        ("ProvisionedThroughputExceededException", 400),
        ("InternalServerError", 500),
        "com.amazonaws.dynamodb.v20120810#",
    ),
    "sns": Wire("query", ("Throttling", 400), ("InternalError", 500)),
    "sesv2": Wire("rest-json", ("TooManyRequestsException", 429), ("InternalServiceError", 500)),
    "scheduler": Wire("rest-json", ("ThrottlingException", 429), ("InternalServerException", 500)),
    "kms": Wire("json", ("ThrottlingException", 400), ("KMSInternalException", 500)),
}
MESSAGES = {
    "ProvisionedThroughputExceededException": "The level of configured provisioned throughput "
    "for the table was exceeded. Consider increasing your provisioning level with the "
    "UpdateTable API.",
    "Throttling": "Rate exceeded",
}


class Raw(BytesIO):
    """A response body botocore can stream."""

    def stream(self, **kwargs: Any) -> Iterator[bytes]:
        contents = self.read()
        while contents:
            yield contents
            contents = self.read()


def body_of(request: AWSPreparedRequest) -> bytes:
    body = request.body
    if body is None:
        return b""
    return body if isinstance(body, bytes) else str(body).encode()


def error_response(service: str, code: str, status: int, url: str = "") -> AWSResponse:
    """An error answer in the service's own format, for botocore to parse."""
    wire = WIRES.get(service, DEFAULT_WIRE)
    message = MESSAGES.get(code, f"{code} (injected)")
    request_id = str(uuid.uuid4())
    headers = {"x-amzn-RequestId": request_id}
    if wire.protocol == "query":
        body = (
            '<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error>'
            f"<Type>{'Sender' if status < 500 else 'Receiver'}</Type><Code>{code}</Code>"
            f"<Message>{message}</Message></Error><RequestId>{request_id}</RequestId>"
            "</ErrorResponse>"
        ).encode()
        headers["Content-Type"] = "text/xml"
    elif wire.protocol == "rest-json":
        body = json.dumps({"message": message}).encode()
        headers["Content-Type"] = "application/json"
        headers["x-amzn-ErrorType"] = f"{code}:http://internal.amazon.com/coral/"
    else:
        body = json.dumps({"__type": f"{wire.json_prefix}{code}", "message": message}).encode()
        headers["Content-Type"] = "application/x-amz-json-1.0"
    return AWSResponse(url, status, headers, Raw(body))
