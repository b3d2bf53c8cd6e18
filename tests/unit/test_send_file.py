"""Files through the outbox: the m.file content (pure), the row's JSON, and the upload then
send of matrix/send.py against a scripted homeserver (a real nio client over HTTP), its
failures classified like a send's."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from nio import AsyncClient, AsyncClientConfig, MatrixRoom, UploadError
from nio.crypto.attachments import decrypt_attachment

from tests.local_http import serving
from traam_bot.domain.outbox import Outgoing
from traam_bot.matrix.pace import RateLimited, _raise_rate_limited, surface_rate_limits
from traam_bot.matrix.send import Outcome, Sender, content_of, file_content

ROOM = "!salon:localhost"
DATA = '{"projet": "Séance « débranchée »"}'  # 35 characters, 40 bytes in UTF-8
SIZE = len(DATA.encode())
ROW = Outgoing(kind="file", room_id=ROOM, filename="mes-donnees.json",
               mimetype="application/json", data=DATA)
KEYS = {"v": "v2", "key": {"kty": "oct", "alg": "A256CTR", "ext": True, "k": "a2V5",
                           "key_ops": ["encrypt", "decrypt"]},
        "iv": "aXY", "hashes": {"sha256": "aGFzaA"}}


# ---------------------------------------------------------------- content (pure)
def test_size_counts_bytes() -> None:
    assert (len(DATA), SIZE) == (35, 40)


def test_file_in_a_clear_room_links_its_media() -> None:
    assert file_content(ROW, url="mxc://localhost/abc") == {
        "msgtype": "m.file",
        "body": "mes-donnees.json",
        "filename": "mes-donnees.json",
        "info": {"mimetype": "application/json", "size": SIZE},
        "url": "mxc://localhost/abc",
        "m.mentions": {},
    }


def test_file_in_an_encrypted_room_carries_its_key_and_no_url() -> None:
    file = dict(KEYS, url="mxc://localhost/chiffre")
    assert file_content(ROW, file=file) == {
        "msgtype": "m.file",
        "body": "mes-donnees.json",
        "filename": "mes-donnees.json",
        "info": {"mimetype": "application/json", "size": SIZE},
        "file": {"url": "mxc://localhost/chiffre", "v": "v2", "iv": "aXY",
                 "hashes": {"sha256": "aGFzaA"},
                 "key": {"kty": "oct", "alg": "A256CTR", "ext": True, "k": "a2V5",
                         "key_ops": ["encrypt", "decrypt"]}},
        "m.mentions": {},
    }


def test_file_answering_a_message_in_a_thread_replies_like_a_message() -> None:
    row = Outgoing(kind="file", room_id=ROOM, filename="a.json", mimetype="application/json",
                   data="{}", in_reply_to="$question", thread_root="$root")
    content = file_content(row, url="mxc://localhost/a")
    _type, message = content_of(Outgoing(kind="message", room_id=ROOM, body="x", html="x",
                                         in_reply_to="$question", thread_root="$root"))
    assert content["m.relates_to"] == message["m.relates_to"] == {
        "rel_type": "m.thread", "event_id": "$root", "is_falling_back": False,
        "m.in_reply_to": {"event_id": "$question"}}
    plain = Outgoing(kind="file", room_id=ROOM, filename="a.json", data="{}",
                     in_reply_to="$question")
    assert file_content(plain, url="mxc://localhost/a")["m.relates_to"] == {
        "m.in_reply_to": {"event_id": "$question"}}


@pytest.mark.parametrize(("url", "file"), [(None, None), ("mxc://localhost/a", KEYS)])
def test_a_file_has_a_url_or_an_encrypted_file(url: str | None,
                                               file: dict[str, Any] | None) -> None:
    with pytest.raises(ValueError, match="url or an encrypted file"):
        file_content(ROW, url=url, file=file)


def test_a_file_row_is_not_a_message() -> None:
    with pytest.raises(ValueError, match="attempt_file"):
        content_of(ROW)


def test_file_row_json_round_trip_and_old_rows_still_load() -> None:
    row = Outgoing(kind="file", user_id="@alice:localhost", filename="a.json",
                   mimetype="application/json", data=DATA, in_reply_to="$q",
                   thread_root="$r")
    as_json = row.to_json()
    assert as_json["data"] == DATA and as_json["filename"] == "a.json"
    assert Outgoing.from_json(json.loads(json.dumps(as_json, ensure_ascii=False))) == row
    old = Outgoing.from_json({"kind": "message", "room_id": ROOM, "body": "b", "html": "b"})
    assert (old.filename, old.mimetype, old.data) == ("", "", "")
    assert "data" not in old.to_json()  # message rows stay as they were


# ---------------------------------------------------------------- upload, then send
@dataclass
class Homeserver:
    """Answers uploads from `uploads` (then success), and every send with an event."""

    url: str = ""
    uploads: list[Callable[[], web.StreamResponse]] = field(default_factory=list)
    uploaded: list[tuple[str, bytes]] = field(default_factory=list)  # (content type, body)
    sent: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)  # type, txn


def json_error(status: int, errcode: str | None, **extra: Any) -> Callable[[], web.Response]:
    body = {"errcode": errcode, "error": "refusé", **extra} if errcode else None
    if body is None:  # a proxy's answer: no Matrix error body at all
        return lambda: web.Response(status=status, text="<html>proxy</html>",
                                    content_type="text/html")
    return lambda: web.json_response(body, status=status)


@pytest.fixture
async def homeserver() -> AsyncIterator[Homeserver]:
    hs = Homeserver()

    async def upload(request: web.Request) -> web.StreamResponse:
        hs.uploaded.append((request.content_type, await request.read()))
        if hs.uploads:
            return hs.uploads.pop(0)()
        return web.json_response({"content_uri": f"mxc://localhost/m{len(hs.uploaded)}"})

    async def send(request: web.Request) -> web.Response:
        hs.sent.append((request.match_info["type"], request.match_info["txn"],
                        await request.json()))
        return web.json_response({"event_id": f"$e{len(hs.sent)}"})

    app = web.Application()
    app.router.add_post("/_matrix/media/v3/upload", upload)
    app.router.add_put("/_matrix/client/v3/rooms/{room}/send/{type}/{txn}", send)
    async with serving(app) as url:
        hs.url = url
        yield hs


@pytest.fixture
async def client(homeserver: Homeserver, tmp_path: Path) -> AsyncIterator[AsyncClient]:
    """The bot's client as session.new_client configures it, minus E2EE (no olm: events go
    in clear, which lets the test read them; the attachment is encrypted all the same)."""
    c = AsyncClient(homeserver.url, "@bot:localhost", device_id="DEV", store_path=str(tmp_path),
                    config=AsyncClientConfig(encryption_enabled=False, max_timeouts=0))
    c.restore_login("@bot:localhost", "DEV", "token")
    surface_rate_limits(c)
    c.rooms[ROOM] = MatrixRoom(ROOM, "@bot:localhost", encrypted=False)
    yield c
    await c.close()


async def test_a_file_in_a_clear_room_is_uploaded_as_is_then_sent_with_its_txn(
        homeserver: Homeserver, client: AsyncClient) -> None:
    outcome = await Sender(client).attempt_file(ROOM, ROW, "traam-txn")
    assert outcome == Outcome(event_id="$e1")
    assert homeserver.uploaded == [("application/json", DATA.encode())]
    assert homeserver.sent == [("m.room.message", "traam-txn",
                                file_content(ROW, url="mxc://localhost/m1"))]


async def test_a_file_in_an_encrypted_room_is_uploaded_encrypted(
        homeserver: Homeserver, client: AsyncClient) -> None:
    client.rooms[ROOM].encrypted = True
    outcome = await Sender(client).attempt_file(ROOM, ROW, "traam-txn")
    assert outcome.event_id == "$e1"
    [(content_type, stored)] = homeserver.uploaded
    assert content_type == "application/octet-stream"  # the type is told inside the event
    assert stored != DATA.encode() and len(stored) == SIZE
    [(_type, txn, content)] = homeserver.sent
    assert txn == "traam-txn" and "url" not in content
    file = content["file"]
    assert file["url"] == "mxc://localhost/m1" and file["v"] == "v2"
    assert content == file_content(ROW, file=file)
    clear = decrypt_attachment(stored, file["key"]["k"], file["hashes"]["sha256"], file["iv"])
    assert clear == DATA.encode()


@pytest.mark.parametrize(("answer", "refused"), [
    (json_error(413, "M_TOO_LARGE"), "M_TOO_LARGE"),
    (json_error(413, None), "M_TOO_LARGE"),  # a proxy's 413: no Matrix body, same meaning
    (json_error(403, "M_FORBIDDEN"), "M_FORBIDDEN"),
])
async def test_an_upload_refused_for_good_is_not_retried_nor_sent(
        homeserver: Homeserver, client: AsyncClient,
        answer: Callable[[], web.Response], refused: str) -> None:
    homeserver.uploads = [answer]
    outcome = await Sender(client).attempt_file(ROOM, ROW, "traam-txn")
    assert outcome.refused == refused and outcome.event_id is None
    assert outcome.error.startswith("upload")
    assert len(homeserver.uploaded) == 1 and homeserver.sent == []


@pytest.mark.parametrize(("answer", "wait"), [
    (json_error(502, None), None),
    (json_error(500, "M_UNKNOWN"), None),
    (json_error(503, "M_UNKNOWN"), None),
    (json_error(429, "M_LIMIT_EXCEEDED", retry_after_ms=2500), 2.5),
])
async def test_an_upload_failing_for_now_is_retried_then_sent_once(
        homeserver: Homeserver, client: AsyncClient,
        answer: Callable[[], web.Response], wait: float | None) -> None:
    homeserver.uploads = [answer]
    sender = Sender(client)
    failed = await sender.attempt_file(ROOM, ROW, "traam-txn")
    assert failed.event_id is None and failed.refused is None and failed.error
    assert failed.wait == wait  # a 429's wait reaches the outbox sender, not nio's sleep
    assert len(homeserver.uploaded) == 1 and homeserver.sent == []
    again = await sender.attempt_file(ROOM, ROW, "traam-txn")
    assert again.event_id == "$e1"  # uploaded again (the first media, if any, stays unused)
    assert len(homeserver.uploaded) == 2
    assert [txn for _t, txn, _c in homeserver.sent] == ["traam-txn"]


async def test_an_unreachable_media_repository_is_retried(tmp_path: Path) -> None:
    c = AsyncClient("http://127.0.0.1:9", "@bot:localhost", device_id="DEV",
                    store_path=str(tmp_path),
                    config=AsyncClientConfig(encryption_enabled=False, max_timeouts=0))
    c.restore_login("@bot:localhost", "DEV", "token")
    c.rooms[ROOM] = MatrixRoom(ROOM, "@bot:localhost")
    try:
        outcome = await Sender(c).attempt_file(ROOM, ROW, "traam-txn")
    finally:
        await c.close()
    assert outcome.event_id is None and outcome.refused is None
    assert outcome.error == "upload: ClientConnectorError"


async def test_nothing_is_uploaded_for_a_room_the_client_does_not_know(
        homeserver: Homeserver, client: AsyncClient) -> None:
    """Not joined or not synced yet: whether the room is encrypted is unknown, so the data
    is not uploaded (in clear, perhaps) for an event nio would refuse to send anyway."""
    outcome = await Sender(client).attempt_file("!ailleurs:localhost", ROW, "traam-txn")
    assert outcome.refused == "M_NOT_FOUND"
    assert homeserver.uploaded == [] and homeserver.sent == []


class HangingClient:
    """An upload that never answers (nio uploads without a request timeout)."""

    def __init__(self) -> None:
        self.rooms: dict[str, Any] = {ROOM: MatrixRoom(ROOM, "@bot:localhost")}

    async def upload(self, *_a: Any, **_kw: Any) -> Any:
        await asyncio.sleep(3600)


async def test_a_hanging_upload_is_given_up_after_the_attempt_timeout() -> None:
    sender = Sender(HangingClient(), attempt_timeout=0.05)  # type: ignore[arg-type]
    async with asyncio.timeout(5):
        outcome = await sender.attempt_file(ROOM, ROW, "traam-txn")
    assert outcome == Outcome(error="upload: TimeoutError")


async def test_an_uploads_429_leaves_nios_retry_loop() -> None:
    with pytest.raises(RateLimited) as raised:
        await _raise_rate_limited(UploadError("slow down", "M_LIMIT_EXCEEDED", 1200))
    assert raised.value.wait == 1.2
    await _raise_rate_limited(UploadError("no", "M_FORBIDDEN"))  # not a rate limit
