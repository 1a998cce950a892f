"""Evidence files through the API, for each audience, with S3 on moto: asking for an upload,
completing it, listing and downloading, who sees what, the checks `complete` makes on the
stored object, and the per-file and per-case limits.

The object is stored with S3's own PutObject where a browser would POST the presigned form:
`complete` must hold whatever put the object there (tests/integration posts the form itself).
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib.domain import limits
from tests.api.conftest import Api, error_of
from tests.api.desk import Desk, at_status
from tests.api.merchants import Merchants

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))
PDF = b"%PDF-1.7\n" + b"0" * 100


def ask(
    api: Api,
    case: dict[str, Any],
    body: dict[str, Any] | None = None,
    key: str | None = None,
) -> Any:
    headers = {"Authorization": f"Bearer {case['access_token']}"}
    if key:
        headers["Idempotency-Key"] = key
    body = body or {"filename": "支付截图.png", "content_type": "image/png", "size_bytes": len(PNG)}
    return api.post(f"/v1/cases/{case['case_id']}/evidence", body, headers)


def store(api: Api, upload: dict[str, Any], data: bytes) -> None:
    """What the client's POST of the form would store: the object under the form's key."""
    fields = upload["upload"]["fields"]
    s3 = api.container.client("s3")
    s3.put_object(
        Bucket=api.container.settings.evidence_bucket,
        Key=fields["key"],
        Body=data,
        ContentType=fields["Content-Type"],
    )


def objects(api: Api) -> list[str]:
    s3 = api.container.client("s3")
    listed = s3.list_objects_v2(Bucket=api.container.settings.evidence_bucket)
    return sorted(o["Key"] for o in listed.get("Contents", []))


def complete(api: Api, path: str, token: str) -> Any:
    return api.post(f"{path}/complete", {}, {"Authorization": f"Bearer {token}"})


def uploaded(api: Api, case: dict[str, Any], data: bytes = PNG, **body: Any) -> dict[str, Any]:
    """A customer's file, asked for, stored and completed."""
    request = {"filename": "支付截图.png", "content_type": "image/png", "size_bytes": len(data)}
    answer = ask(api, case, {**request, **body})
    assert answer.status_code == 201, answer.body
    store(api, answer.json_body, data)
    path = f"/v1/cases/{case['case_id']}/evidence/{answer.json_body['evidence_id']}"
    done = complete(api, path, case["access_token"])
    assert done.status_code == 200, done.body
    return dict(done.json_body)


def download(api: Api, url: str) -> tuple[bytes, dict[str, str]]:
    """GET a presigned URL through the S3 client's own endpoint (moto, in process)."""
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    s3 = api.container.client("s3")
    bucket = api.container.settings.evidence_bucket
    virtual = parts.netloc.startswith(f"{bucket}.")
    key = parts.path[1:] if virtual else parts.path.split("/", 2)[2]
    got = s3.get_object(
        Bucket=api.container.settings.evidence_bucket,
        Key=key,
        ResponseContentDisposition=query["response-content-disposition"],
    )
    return got["Body"].read(), {"Content-Disposition": got["ContentDisposition"]}


# -- the customer's own file ---------------------------------------------------------------------


def test_customer_uploads_completes_lists_and_downloads_a_screenshot(api: Api, desk: Desk) -> None:
    # GIVEN a customer's case
    case = desk.file()
    # WHEN they ask for an upload
    answer = ask(api, case)
    # THEN they get a pending file and a presigned POST for its key under the case's prefix
    assert answer.status_code == 201, answer.body
    body = answer.json_body
    assert body["status"] == "pending_upload"
    fields = body["upload"]["fields"]
    assert fields["key"] == f"uploads/{case['case_id']}/{body['evidence_id']}"
    assert fields["Content-Type"] == "image/png"
    assert body["upload"]["expires_at"] == "2026-11-23T02:05:00Z"  # 10:05 Shanghai
    # WHEN the bytes are stored and the upload completed
    store(api, body, PNG)
    path = f"/v1/cases/{case['case_id']}/evidence/{body['evidence_id']}"
    done = complete(api, path, case["access_token"])
    # THEN the file is available, kept under cases/<case_id>/, and the upload is gone
    assert done.status_code == 200, done.body
    assert (done.json_body["status"], done.json_body["reason"]) == ("available", None)
    assert done.json_body["scan"] == "not_scanned"
    assert objects(api) == [f"cases/{case['case_id']}/{body['evidence_id']}"]
    # AND the customer lists it and downloads the same bytes as an attachment
    listed = api.get(f"/v1/cases/{case['case_id']}/evidence", case["access_token"])
    assert [i["evidence_id"] for i in listed.json_body["items"]] == [body["evidence_id"]]
    assert listed.json_body["items"][0]["uploaded_by"] == "customer"
    one = api.get(path, case["access_token"])
    assert one.status_code == 200, one.body
    data, headers = download(api, one.json_body["download_url"])
    assert data == PNG
    assert headers["Content-Disposition"].startswith("attachment;")
    assert (
        "filename*=UTF-8''%E6%94%AF%E4%BB%98%E6%88%AA%E5%9B%BE.png"
        in headers["Content-Disposition"]
    )
    assert one.json_body["download_expires_at"] == "2026-11-23T02:05:00Z"
    assert "X-Amz-Expires=300" in one.json_body["download_url"]


def test_an_available_customer_file_is_on_the_public_timeline(api: Api, desk: Desk) -> None:
    case = desk.file()
    done = uploaded(api, case)
    timeline = desk.customer_view(case)["timeline"]
    added = [e for e in timeline if e["type"] == "evidence_added"]
    assert len(added) == 1
    assert "支付截图.png" in added[0]["summary"]
    staff = desk.staff_view(case["case_id"])["timeline"]
    entry = next(e for e in staff if e["type"] == "evidence_added")
    assert entry["visibility"] == "public"
    assert entry["data"]["evidence_id"] == done["evidence_id"]


def test_a_second_complete_changes_nothing(api: Api, desk: Desk) -> None:
    case = desk.file()
    done = uploaded(api, case)
    version = desk.staff_view(case["case_id"])["version"]
    path = f"/v1/cases/{case['case_id']}/evidence/{done['evidence_id']}"
    again = complete(api, path, case["access_token"])
    assert again.status_code == 200
    assert again.json_body == done
    assert desk.staff_view(case["case_id"])["version"] == version
    timeline = desk.staff_view(case["case_id"])["timeline"]
    assert [e["type"] for e in timeline].count("evidence_added") == 1


def test_a_retried_upload_request_with_its_key_answers_the_first_upload(
    api: Api, desk: Desk
) -> None:
    case = desk.file()
    first = ask(api, case, key="evidence-1")
    again = ask(api, case, key="evidence-1")
    assert first.status_code == again.status_code == 201
    assert again.json_body == first.json_body
    listed = api.get(f"/v1/cases/{case['case_id']}/evidence", case["access_token"])
    assert len(listed.json_body["items"]) == 1


# -- the checks complete makes -------------------------------------------------------------------


def test_text_declared_as_png_is_rejected_and_deleted(api: Api, desk: Desk) -> None:
    case = desk.file()
    text = "这不是图片 not an image, just text".encode()
    done = uploaded(api, case, data=text)
    assert (done["status"], done["reason"]) == ("rejected", "type_mismatch")
    assert objects(api) == []
    one = api.get(
        f"/v1/cases/{case['case_id']}/evidence/{done['evidence_id']}", case["access_token"]
    )
    assert one.json_body["download_url"] is None
    timeline = desk.staff_view(case["case_id"])["timeline"]
    assert "evidence_added" not in [e["type"] for e in timeline]


def test_a_stored_size_other_than_declared_is_rejected(api: Api, desk: Desk) -> None:
    case = desk.file()
    answer = ask(
        api, case, {"filename": "a.png", "content_type": "image/png", "size_bytes": len(PNG) + 1}
    )
    store(api, answer.json_body, PNG)
    path = f"/v1/cases/{case['case_id']}/evidence/{answer.json_body['evidence_id']}"
    done = complete(api, path, case["access_token"])
    assert (done.json_body["status"], done.json_body["reason"]) == ("rejected", "size_mismatch")
    assert objects(api) == []


def test_a_declared_sha256_is_checked(api: Api, desk: Desk) -> None:
    case = desk.file()
    right = uploaded(api, case, sha256=hashlib.sha256(PNG).hexdigest().upper())
    assert right["status"] == "available"
    wrong = uploaded(api, case, sha256=hashlib.sha256(b"other").hexdigest())
    assert (wrong["status"], wrong["reason"]) == ("rejected", "sha256_mismatch")


def test_complete_without_an_upload_is_rejected_as_not_uploaded(api: Api, desk: Desk) -> None:
    case = desk.file()
    answer = ask(api, case)
    path = f"/v1/cases/{case['case_id']}/evidence/{answer.json_body['evidence_id']}"
    done = complete(api, path, case["access_token"])
    assert (done.json_body["status"], done.json_body["reason"]) == ("rejected", "not_uploaded")


# -- limits --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"filename": "a.gif", "content_type": "image/gif", "size_bytes": 10}, "content_type"),
        ({"filename": "a.png", "content_type": "image/png", "size_bytes": 0}, "size_bytes"),
        (
            {
                "filename": "a.png",
                "content_type": "image/png",
                "size_bytes": limits.EVIDENCE_FILE_BYTES.high + 1,
            },
            "size_bytes",
        ),
        ({"filename": "../a.png", "content_type": "image/png", "size_bytes": 10}, "filename"),
        (
            {"filename": "a.png", "content_type": "image/png", "size_bytes": 10, "sha256": "x"},
            "sha256",
        ),
    ],
)
def test_a_file_of_another_type_or_size_is_400_before_any_upload(
    api: Api, desk: Desk, body: dict[str, Any], field: str
) -> None:
    case = desk.file()
    answer = ask(api, case, body)
    assert answer.status_code == 400
    assert field in error_of(answer)["fields"]
    listed = api.get(f"/v1/cases/{case['case_id']}/evidence", case["access_token"])
    assert listed.json_body["items"] == []


def test_a_case_holds_at_most_20_files(api: Api, desk: Desk) -> None:
    case = desk.file()
    for _ in range(limits.EVIDENCE_FILES):
        assert ask(api, case).status_code == 201
    over = ask(api, case)
    assert over.status_code == 409
    assert error_of(over)["code"] == "evidence_limit"
    assert error_of(over)["limit"] == "files"


def test_a_case_holds_at_most_50_mib(api: Api, desk: Desk) -> None:
    case = desk.file()
    big = {"filename": "statement.pdf", "content_type": "application/pdf"}
    for _ in range(5):  # 5 x 10 MiB = 50 MiB
        answer = ask(api, case, {**big, "size_bytes": limits.EVIDENCE_FILE_BYTES.high})
        assert answer.status_code == 201
    over = ask(api, case, {**big, "size_bytes": 1})
    assert over.status_code == 409
    assert error_of(over)["limit"] == "bytes"


def test_a_rejected_file_no_longer_counts_against_the_limits(api: Api, desk: Desk) -> None:
    case = desk.file()
    for _ in range(limits.EVIDENCE_FILES - 1):
        assert ask(api, case).status_code == 201
    assert uploaded(api, case, data=b"text")["status"] == "rejected"
    assert ask(api, case).status_code == 201


# -- who sees what -------------------------------------------------------------------------------


def test_another_customers_token_gets_404(api: Api, desk: Desk) -> None:
    case = desk.file()
    done = uploaded(api, case)
    other = desk.file(contact={"phone": "13700137000", "email": "li.si@example.com"})
    token = other["access_token"]
    base = f"/v1/cases/{case['case_id']}/evidence"
    assert api.get(base, token).status_code == 404
    assert api.get(f"{base}/{done['evidence_id']}", token).status_code == 404
    assert complete(api, f"{base}/{done['evidence_id']}", token).status_code == 404
    answer = api.post(base, {"x": 1}, {"Authorization": f"Bearer {token}"})
    assert answer.status_code == 404
    # AND a file of the customer's own case asked for under another case id is 404 too
    mine = f"/v1/cases/{other['case_id']}/evidence/{done['evidence_id']}"
    assert api.get(mine, token).status_code == 404


def test_staff_see_every_file_and_each_download_is_recorded(api: Api, desk: Desk) -> None:
    case = desk.file()
    done = uploaded(api, case)
    agent = desk.staff("agent")
    base = f"/v1/admin/cases/{case['case_id']}/evidence"
    listed = api.get(base, agent)
    assert [i["evidence_id"] for i in listed.json_body["items"]] == [done["evidence_id"]]
    assert listed.json_body["items"][0]["uploader"] == "customer"
    version = desk.staff_view(case["case_id"])["version"]
    one = api.get(f"{base}/{done['evidence_id']}", agent)
    assert one.status_code == 200
    data, _ = download(api, one.json_body["download_url"])
    assert data == PNG
    timeline = desk.staff_view(case["case_id"])["timeline"]
    downloads = [e for e in timeline if e["type"] == "evidence_downloaded"]
    assert len(downloads) == 1
    assert downloads[0]["visibility"] == "internal"
    assert downloads[0]["actor"] == f"staff:{desk.staff_ids['agent']}"
    assert downloads[0]["data"]["evidence_id"] == done["evidence_id"]
    # a download does not move the case's version (nobody's next change conflicts)
    assert desk.staff_view(case["case_id"])["version"] == version
    # and the customer never sees it
    assert "evidence_downloaded" not in [e["type"] for e in desk.customer_view(case)["timeline"]]


def staff_file(api: Api, desk: Desk, case_id: str, data: bytes = PDF) -> dict[str, Any]:
    agent = desk.staff("agent")
    body = {"filename": "退款凭证.pdf", "content_type": "application/pdf", "size_bytes": len(data)}
    answer = desk.post(f"/v1/admin/cases/{case_id}/evidence", body, agent)
    assert answer.status_code == 201, answer.body
    store(api, answer.json_body, data)
    path = f"/v1/admin/cases/{case_id}/evidence/{answer.json_body['evidence_id']}"
    done = complete(api, path, agent)
    assert done.json_body["status"] == "available", done.body
    return dict(done.json_body)


def share(api: Api, desk: Desk, case_id: str, evidence_id: str, **body: bool) -> Any:
    path = f"/v1/admin/cases/{case_id}/evidence/{evidence_id}"
    headers = {"Authorization": f"Bearer {desk.staff('agent')}", "Content-Type": "application/json"}
    import json

    return api.client.http.request("PATCH", path, headers=headers, body=json.dumps(body))


def test_a_staff_file_is_internal_until_shared_with_the_customer(api: Api, desk: Desk) -> None:
    case = desk.file()
    done = staff_file(api, desk, case["case_id"])
    base = f"/v1/cases/{case['case_id']}/evidence"
    token = case["access_token"]
    assert api.get(base, token).json_body["items"] == []
    assert api.get(f"{base}/{done['evidence_id']}", token).status_code == 404
    internal = desk.staff_view(case["case_id"])["timeline"]
    added = next(e for e in internal if e["type"] == "evidence_added")
    assert added["visibility"] == "internal"
    # WHEN staff share it with the customer
    shared = share(api, desk, case["case_id"], done["evidence_id"], share_with_customer=True)
    assert shared.status_code == 200, shared.body
    assert shared.json_body["share_with_customer"] is True
    # THEN the customer lists, reads and downloads it, and sees it on their timeline
    assert [i["evidence_id"] for i in api.get(base, token).json_body["items"]] == [
        done["evidence_id"]
    ]
    one = api.get(f"{base}/{done['evidence_id']}", token)
    assert download(api, one.json_body["download_url"])[0] == PDF
    public = [e["type"] for e in desk.customer_view(case)["timeline"]]
    assert "evidence_shared" in public
    # AND sharing it stops when staff say so
    share(api, desk, case["case_id"], done["evidence_id"], share_with_customer=False)
    assert api.get(f"{base}/{done['evidence_id']}", token).status_code == 404


def test_sharing_needs_a_known_flag(api: Api, desk: Desk) -> None:
    case = desk.file()
    done = staff_file(api, desk, case["case_id"])
    answer = share(api, desk, case["case_id"], done["evidence_id"])
    assert answer.status_code == 400
    assert error_of(answer)["code"] == "validation_failed"


# -- the merchant --------------------------------------------------------------------------------


def merchant_upload(merchants: Merchants, api: Api, case_id: str, merchant_id: str) -> Any:
    body = {"filename": "delivery.jpg", "content_type": "image/jpeg", "size_bytes": 20}
    return merchants.send(merchant_id, "POST", f"/v1/merchant/cases/{case_id}/evidence", body)


def test_merchant_uploads_sees_its_own_and_what_staff_share(
    api: Api, desk: Desk, merchants: Merchants
) -> None:
    # GIVEN a case that names merchant M100001, with a customer file and a staff file
    case = desk.file()
    cid = case["case_id"]
    customer_file = uploaded(api, case)
    staff_pdf = staff_file(api, desk, cid)
    # WHEN the merchant uploads delivery proof
    answer = merchant_upload(merchants, api, cid, "M100001")
    assert answer.status_code == 201, answer.body
    jpeg = b"\xff\xd8\xff\xe0" + b"j" * 16
    store(api, answer.json_body, jpeg)
    path = f"/v1/merchant/cases/{cid}/evidence/{answer.json_body['evidence_id']}"
    done = merchants.send("M100001", "POST", f"{path}/complete")
    assert done.status_code == 200, done.body
    assert done.json_body["status"] == "available"
    # THEN it sees only its own file
    base = f"/v1/merchant/cases/{cid}/evidence"
    listed = merchants.get("M100001", base)
    assert [i["evidence_id"] for i in listed.json_body["items"]] == [done.json_body["evidence_id"]]
    assert merchants.get("M100001", f"{base}/{customer_file['evidence_id']}").status_code == 404
    one = merchants.get("M100001", path)
    assert download(api, one.json_body["download_url"])[0] == jpeg
    # AND once staff share the customer's screenshot with it, that one too
    share(api, desk, cid, customer_file["evidence_id"], share_with_merchant=True)
    listed = merchants.get("M100001", base)
    assert {i["evidence_id"] for i in listed.json_body["items"]} == {
        done.json_body["evidence_id"],
        customer_file["evidence_id"],
    }
    assert merchants.get("M100001", f"{base}/{staff_pdf['evidence_id']}").status_code == 404
    # AND the customer does not see the merchant's file, nor its entry
    customer_list = api.get(f"/v1/cases/{cid}/evidence", case["access_token"]).json_body
    assert [i["evidence_id"] for i in customer_list["items"]] == [customer_file["evidence_id"]]
    staff_timeline = desk.staff_view(cid)["timeline"]
    merchant_entry = next(
        e
        for e in staff_timeline
        if e["type"] == "evidence_added" and e["actor"] == "merchant:M100001"
    )
    assert merchant_entry["visibility"] == "internal"


def test_another_merchant_gets_404(api: Api, desk: Desk, merchants: Merchants) -> None:
    case = desk.file()
    cid = case["case_id"]
    done = uploaded(api, case)
    share(api, desk, cid, done["evidence_id"], share_with_merchant=True)
    merchants.register("M200002")
    base = f"/v1/merchant/cases/{cid}/evidence"
    assert merchants.get("M200002", base).status_code == 404
    assert merchants.get("M200002", f"{base}/{done['evidence_id']}").status_code == 404
    assert merchant_upload(merchants, api, cid, "M200002").status_code == 404
    assert merchants.get("M100001", f"{base}/{done['evidence_id']}").status_code == 200


# -- what a file does to its case ----------------------------------------------------------------


def test_a_customer_file_brings_a_waiting_case_back_to_investigating(api: Api, desk: Desk) -> None:
    case = at_status(desk, "waiting_customer")
    uploaded(api, case)
    view = desk.staff_view(case["case_id"])
    assert view["status"] == "investigating"


def test_the_holder_is_told_of_a_customer_file(api: Api, desk: Desk) -> None:
    case = desk.file()
    cid = case["case_id"]
    agent = desk.staff("agent", email="agent@desk.example.com")
    body = {"assignee": desk.staff_ids["agent"]}
    assert desk.post(f"/v1/admin/cases/{cid}/assign", body, agent).status_code == 200
    uploaded(api, case, note="这是扣款成功的截图")
    desk.sent(cid)
    emails = [m for m in api.emails_about(case["case_number"]) if "上传了证据" in m.subject]
    assert len(emails) == 1
    email = emails[0]
    assert email.destinations["ToAddresses"] == ["agent@desk.example.com"]
    assert "支付截图.png" in email.body
    assert "这是扣款成功的截图" in email.body


def test_a_closed_case_takes_no_files(api: Api, desk: Desk) -> None:
    case = at_status(desk, "withdrawn")
    answer = ask(api, case)
    assert answer.status_code == 409
    assert error_of(answer)["code"] == "invalid_transition"


def test_staff_download_is_in_the_audit_trail(api: Api, desk: Desk) -> None:
    # GIVEN a customer's file, downloaded by an agent
    case = desk.file()
    done = uploaded(api, case)
    agent = desk.staff("agent")
    one = api.get(f"/v1/admin/cases/{case['case_id']}/evidence/{done['evidence_id']}", agent)
    assert one.status_code == 200
    # THEN the audit trail names who downloaded which file of which case
    trail = api.get(f"/v1/admin/audit?case_id={case['case_id']}", desk.staff("admin"))
    downloads = [e for e in trail.json_body["items"] if e["action"] == "evidence_downloaded"]
    assert [(e["actor"], e["detail"]) for e in downloads] == [
        (desk.staff_ids["agent"], {"evidence_id": done["evidence_id"]})
    ]
