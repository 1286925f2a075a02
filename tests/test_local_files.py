"""The local model's ``/v1/files`` over raw httpx, in-process: bodies in the API's shape."""

from __future__ import annotations

import httpx

from tests._batches import FakeClock, assert_spec, local, upload
from workbench.local import BatchLimits

DAY = 24 * 3600


def _error(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    error: dict[str, object] = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    return error


def _expiring(client: httpx.Client, anchor: str, seconds: str) -> httpx.Response:
    """Upload a batch file with ``expires_after`` as the form fields the API reads."""
    return client.post(
        "/files",
        files={"file": ("short.jsonl", b"{}\n")},
        data={
            "purpose": "batch",
            "expires_after[anchor]": anchor,
            "expires_after[seconds]": seconds,
        },
    )


def test_an_upload_is_a_file_object_and_its_content_comes_back_byte_for_byte() -> None:
    clock = FakeClock()
    _, client = local(clock)
    content = b'{"custom_id": "a"}\r\n\xe2\x82\xac\n'
    made = upload(client, content, filename="my input.jsonl")
    assert made["id"].startswith("file-")
    assert made["object"] == "file" and made["status"] == "processed"
    assert made["bytes"] == len(content) and made["filename"] == "my input.jsonl"
    assert made["purpose"] == "batch" and made["created_at"] == int(clock.now)
    assert made["expires_at"] == made["created_at"] + 30 * DAY  # a batch file's default
    assert client.get(f"/files/{made['id']}").json() == made
    got = client.get(f"/files/{made['id']}/content")
    assert got.status_code == 200 and got.content == content
    assert got.headers["content-type"] == "application/octet-stream"


def test_a_file_for_another_purpose_does_not_expire_unless_asked() -> None:
    clock = FakeClock()
    _, client = local(clock)
    kept = upload(client, b"notes", purpose="user_data", filename="notes.txt")
    assert kept["expires_at"] is None
    short = _expiring(client, "created_at", "3600").json()
    assert short["expires_at"] == short["created_at"] + 3600
    clock.advance(3600)
    assert client.get(f"/files/{kept['id']}").status_code == 200
    error = _error(client.get(f"/files/{short['id']}"), 404)
    assert error["message"] == f"No such File object: {short['id']}"


def test_files_are_listed_newest_first_in_pages_filtered_by_purpose() -> None:
    clock = FakeClock()
    _, client = local(clock)
    made = []
    for i in range(5):
        purpose = "batch" if i % 2 == 0 else "user_data"
        made.append(upload(client, b"{}\n", purpose=purpose, filename=f"f{i}.jsonl")["id"])
        clock.advance(1)
    listed = client.get("/files").json()
    assert_spec("ListFilesResponse", listed)
    assert [f["id"] for f in listed["data"]] == made[::-1]
    assert listed["first_id"] == made[-1] and listed["last_id"] == made[0]
    assert listed["has_more"] is False and listed["object"] == "list"
    first = client.get("/files", params={"limit": 2, "order": "asc"}).json()
    assert [f["id"] for f in first["data"]] == made[:2] and first["has_more"] is True
    rest = client.get("/files", params={"limit": 2, "order": "asc", "after": made[1]}).json()
    assert [f["id"] for f in rest["data"]] == made[2:4] and rest["has_more"] is True
    batch_only = client.get("/files", params={"purpose": "batch"}).json()
    assert [f["id"] for f in batch_only["data"]] == [made[4], made[2], made[0]]
    empty = client.get("/files", params={"purpose": "vision"}).json()
    assert_spec("ListFilesResponse", empty)
    assert empty["data"] == [] and empty["first_id"] is None and empty["has_more"] is False


def test_a_deleted_file_is_gone_everywhere() -> None:
    _, client = local(FakeClock())
    made = upload(client, b"{}\n")
    deleted = client.delete(f"/files/{made['id']}")
    assert deleted.status_code == 200
    assert deleted.json() == {"id": made["id"], "object": "file", "deleted": True}
    assert_spec("DeleteFileResponse", deleted.json())
    for response in (
        client.get(f"/files/{made['id']}"),
        client.get(f"/files/{made['id']}/content"),
        client.delete(f"/files/{made['id']}"),
    ):
        error = _error(response, 404)
        assert error["message"] == f"No such File object: {made['id']}"
        assert error["type"] == "invalid_request_error" and error["param"] == "id"
    assert client.get("/files").json()["data"] == []


def test_a_bad_purpose_is_refused_naming_the_allowed_ones() -> None:
    _, client = local(FakeClock())
    response = client.post(
        "/files", files={"file": ("a.jsonl", b"{}\n")}, data={"purpose": "batch_output"}
    )
    error = _error(response, 400)
    assert error["param"] == "purpose" and error["type"] == "invalid_request_error"
    assert "'batch_output'" in str(error["message"])
    for purpose in ("assistants", "batch", "fine-tune", "vision", "user_data", "evals"):
        assert repr(purpose) in str(error["message"])


def test_an_upload_without_a_file_or_purpose_or_form_is_refused() -> None:
    _, client = local(FakeClock())
    no_file = client.post("/files", data={"purpose": "batch"}, files={"other": ("x", b"")})
    assert _error(no_file, 400)["param"] == "file"
    no_purpose = client.post("/files", files={"file": ("a.jsonl", b"{}\n")})
    assert _error(no_purpose, 400)["param"] == "purpose"
    not_a_form = client.post("/files", json={"purpose": "batch"})
    assert "multipart/form-data" in str(_error(not_a_form, 400)["message"])


def test_a_batch_file_must_be_jsonl_and_within_the_size_limit() -> None:
    _, client = local(FakeClock(), limits=BatchLimits(max_bytes=10))
    csv = client.post("/files", files={"file": ("in.csv", b"{}\n")}, data={"purpose": "batch"})
    error = _error(csv, 400)
    assert error["param"] == "file" and ".jsonl" in str(error["message"])
    big = client.post("/files", files={"file": ("in.jsonl", b"x" * 11)}, data={"purpose": "batch"})
    assert "at most 10 bytes" in str(_error(big, 400)["message"])
    assert upload(client, b"x" * 10)["bytes"] == 10
    other = upload(client, b"x" * 11, purpose="user_data", filename="in.csv")
    assert other["bytes"] == 11  # the limit is the Batch API's


def test_bad_expiry_and_list_parameters_are_refused_by_name() -> None:
    _, client = local(FakeClock())
    too_soon = _expiring(client, "created_at", "60")
    assert _error(too_soon, 400)["param"] == "expires_after.seconds"
    no_anchor = _expiring(client, "now", "3600")
    assert _error(no_anchor, 400)["param"] == "expires_after.anchor"
    assert _error(client.get("/files", params={"limit": 0}), 400)["param"] == "limit"
    assert _error(client.get("/files", params={"order": "up"}), 400)["param"] == "order"
