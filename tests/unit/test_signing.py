"""Matrix JSON signatures: checked against signedjson (what Synapse verifies with)."""

from __future__ import annotations

import copy
import os
import stat
from pathlib import Path

import pytest
from signedjson.key import decode_signing_key_base64, get_verify_key
from signedjson.sign import sign_json, verify_signed_json
from unpaddedbase64 import encode_base64

from traam_bot.matrix.signing import (
    CrossSigningKeys,
    SigningKey,
    load_keys,
    public_key_of,
    save_keys,
    sign_as,
    verify,
)

USER = "@traam-bot:localhost"
SEED = "YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1"  # 32 bytes, as the spec's examples
DEVICE = {
    "user_id": USER,
    "device_id": "JLAFKJWSCS",
    "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
    "keys": {"curve25519:JLAFKJWSCS": "3C5BFWi2Y8MaVvjM8M22DBmh24PmgR0nPvJOIArzgyI",
             "ed25519:JLAFKJWSCS": "lEuiRJBit0IG6nUf5pUzWTUEsRVVe/HJkoKuEww9ULI"},
    "signatures": {USER: {"ed25519:JLAFKJWSCS": "dSO80A01XiigH3uBiDVx/EjzaoycHcjq9lfQX0uWsqxl"
                                                "2giMIiSPR8a4d291W1ihKJL/a+myXS367WT6NAIcBA"}},
    "unsigned": {"device_display_name": "traam-bot"},
}


def test_device_signature_matches_signedjson() -> None:
    ours = SigningKey.from_base64(SEED)
    reference_key = decode_signing_key_base64("ed25519", ours.public, SEED)
    # signedjson signs in place: give it its own copy
    reference = sign_json({k: copy.deepcopy(v) for k, v in DEVICE.items() if k != "unsigned"},
                          USER, reference_key)
    signed = sign_as(DEVICE, USER, ours)
    assert signed["signatures"][USER][ours.key_id] == reference["signatures"][USER][ours.key_id]
    # the existing device signature is kept, and the unsigned part is not covered
    assert signed["signatures"][USER]["ed25519:JLAFKJWSCS"] == \
        DEVICE["signatures"][USER]["ed25519:JLAFKJWSCS"]
    verify_signed_json(signed, USER, get_verify_key(reference_key))
    assert verify(signed, USER, ours.public)


def test_public_key_matches_signedjson() -> None:
    ours = SigningKey.from_base64(SEED)
    reference_key = decode_signing_key_base64("ed25519", "x", SEED)
    assert ours.public == encode_base64(get_verify_key(reference_key).encode())


def test_tampered_or_foreign_signatures_do_not_verify() -> None:
    key, other = SigningKey.from_base64(SEED), SigningKey.generate()
    signed = sign_as(DEVICE, USER, key)
    assert not verify(dict(signed, device_id="OTHER"), USER, key.public)
    assert not verify(signed, USER, other.public)
    assert not verify(signed, "@someone:localhost", key.public)
    assert not verify(DEVICE, USER, key.public)


def test_cross_signing_key_objects_are_signed_by_the_master_key() -> None:
    keys = CrossSigningKeys.generate()
    body = keys.upload_body(USER)
    assert set(body) == {"master_key", "self_signing_key", "user_signing_key"}
    assert body["master_key"]["usage"] == ["master"]
    assert public_key_of(body["master_key"]) == keys.master.public
    for name in ("self_signing_key", "user_signing_key"):
        sub = body[name]
        assert sub["user_id"] == USER
        reference = decode_signing_key_base64("ed25519", keys.master.public,
                                              keys.master.to_base64())
        verify_signed_json(sub, USER, get_verify_key(reference))
    assert keys.matches(body["master_key"], body["self_signing_key"])
    assert not CrossSigningKeys.generate().matches(body["master_key"], body["self_signing_key"])


def test_private_keys_are_stored_for_the_owner_only(tmp_path: Path) -> None:
    store = tmp_path / "store"
    keys = CrossSigningKeys.generate()
    path = save_keys(store, USER, keys)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_keys(store, USER) == keys
    assert load_keys(tmp_path / "elsewhere", USER) is None
    with pytest.raises(ValueError, match="illisible"):
        load_keys(store, "@other:localhost")
    path.write_text("{pas du json", encoding="utf-8")
    with pytest.raises(ValueError, match="illisible"):
        load_keys(store, USER)
