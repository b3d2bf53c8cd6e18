"""Secret storage crypto: recovery keys, key checks, secrets, checked against independent code."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from traam_bot.matrix import secret_storage as ss
from traam_bot.matrix.secret_storage import SecretStorageError

# --- independent reference implementations (hashlib/hmac, AES block by block) ---


def ref_hkdf(ikm: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    """RFC 5869 HKDF-SHA-256, extract then expand, written out by hand."""
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    okm, block, counter = b"", b"", 1
    while len(okm) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        okm += block
        counter += 1
    return okm[:length]


def ref_ctr_ecb(key: bytes, iv: bytes, data: bytes) -> bytes:
    """AES-CTR rebuilt from raw AES blocks (ECB): keystream = AES(iv + i), 128-bit counter."""
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    start = int.from_bytes(iv, "big")
    stream = b"".join(
        encryptor.update(((start + i) % 2**128).to_bytes(16, "big"))
        for i in range((len(data) + 15) // 16)
    )
    return bytes(a ^ b for a, b in zip(data, stream, strict=False))


def ref_ctr_pycryptodome(key: bytes, iv: bytes, data: bytes) -> bytes | None:
    try:
        from Crypto.Cipher import AES
    except ImportError:  # pragma: no cover - pycryptodome comes with matrix-nio[e2e]
        return None
    return AES.new(key, AES.MODE_CTR, nonce=b"", initial_value=iv).encrypt(data)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# Published vectors. RFC 5869 A.1 and NIST SP 800-38A F.5.5 (CTR-AES256.Encrypt) pin the
# reference code above; the Matrix ones come from matrix-rust-sdk's secret_storage.rs tests
# and matrix-js-sdk's spec/unit/crypto-api/recovery-key.spec.ts.
NIST_KEY = bytes.fromhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4")
NIST_IV = bytes.fromhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff")
NIST_PT = bytes.fromhex(
    "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
    "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710"
)
NIST_CT = bytes.fromhex(
    "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5"
    "2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6"
)
RUST_KEY_TEXT = "EsTpRvZTnjck8YrhRAtwXLS84Nr2r9S9LGAWDaExVAPBvLRK"
RUST_KEY = bytes([
    159, 189, 70, 187, 52, 81, 113, 198, 246, 2, 44, 154, 37, 213, 104, 27,
    165, 78, 236, 106, 108, 73, 83, 243, 173, 192, 185, 110, 157, 145, 173, 163,
])  # fmt: skip
RUST_CHECK_KEY = "EsTj 3yST y93F SLpB jJsz eAXc 2XzA ygD3 w69H fGaN TKBj jXEd"
RUST_CHECK_DESCRIPTION = {
    "algorithm": "m.secret_storage.v1.aes-hmac-sha2",
    "iv": "xv5b6/p3ExEw++wTyfSHEg==",
    "mac": "ujBBbXahnTAMkmPUX2/0+VTfUh63pGyVRuBcDMgmJC8=",
}

FIXED_KEY = bytes(range(32))
FIXED_IV = bytes.fromhex("00112233445566770011223344556677")
SECRET = "clé maître : Bourgogne-Franche-Comté ✓ " * 3  # multi-block, non-ASCII


def test_reference_code_matches_rfc_5869_and_nist_vectors() -> None:
    okm = ref_hkdf(b"\x0b" * 22, bytes(range(13)), bytes(range(0xF0, 0xFA)), 42)
    assert okm.hex() == (
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
    )
    assert ref_ctr_ecb(NIST_KEY, NIST_IV, NIST_PT) == NIST_CT
    assert ref_ctr_pycryptodome(NIST_KEY, NIST_IV, NIST_PT) in (NIST_CT, None)


# --- recovery key -----------------------------------------------------------------


# ids: a generated key differs per process, and every test worker must collect the same tests
@pytest.mark.parametrize("key", [b"\0" * 32, b"\xff" * 32, bytes(range(32)), ss.generate_key()],
                         ids=["zeros", "ones", "ascending", "generated"])
def test_recovery_key_format(key: bytes) -> None:
    text = ss.encode_recovery_key(key)
    # 35 bytes always give 48 base58 characters: 12 groups of 4, single spaces between
    assert re.fullmatch(r"[1-9A-HJ-NP-Za-km-z]{4}( [1-9A-HJ-NP-Za-km-z]{4}){11}", text)
    # 0x8B01 pins the leading digits: the smallest and largest keys above both give "Es"
    assert text.startswith("Es")
    assert ss.decode_recovery_key(text) == key


def test_recovery_key_published_vectors() -> None:
    assert ss.decode_recovery_key(RUST_KEY_TEXT) == RUST_KEY
    assert ss.encode_recovery_key(RUST_KEY).replace(" ", "") == RUST_KEY_TEXT
    # matrix-js-sdk: key 0..31 encodes to a string containing "EsSz"
    assert ss.encode_recovery_key(bytes(range(32))).startswith("EsSz")


def test_decode_tolerates_any_whitespace() -> None:
    messy = "EsT           pRvZTnjck8    YrhRAtw XLS84Nr2r9S9LGAWDaExVAPBvLRK   "
    assert ss.decode_recovery_key(messy) == RUST_KEY
    spaced = ss.encode_recovery_key(RUST_KEY)
    assert ss.decode_recovery_key(spaced.replace(" ", "\n\t ")) == RUST_KEY


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("EsTpRvZTnjck8YrhRAtwXLS84Nr2r9S9LGAWDaExVAPBvLRk", "parité"),  # rust-sdk
        ("AATpRvZTnjck8YrhRAtwXLS84Nr2r9S9LGAWDaExVAPBvLRk", "préfixe"),  # rust-sdk
        ("AATpRvZTnjck8YrhRAtwXLS84Nr2r9S9", "longueur"),  # rust-sdk
        ("AATpRvZTnjck8YrhRAtwXLS84Nr0OIl", "base58"),  # rust-sdk
        ("", "longueur"),
        ("1" + RUST_KEY_TEXT, "longueur"),  # a leading "1" is a leading zero byte
    ],
)
def test_decode_rejects_bad_keys(text: str, reason: str) -> None:
    with pytest.raises(SecretStorageError, match=reason) as info:
        ss.decode_recovery_key(text)
    assert str(info.value).startswith("clé de récupération invalide")


def test_decode_rejects_js_sdk_mutated_key() -> None:
    mutated = ss.encode_recovery_key(bytes(range(32))).replace("EsSz", "EsSZ")
    with pytest.raises(SecretStorageError):
        ss.decode_recovery_key(mutated)


def test_encode_rejects_wrong_key_length() -> None:
    with pytest.raises(SecretStorageError, match="32 octets"):
        ss.encode_recovery_key(b"\0" * 31)


@pytest.mark.parametrize(
    ("hex_data", "text"),
    [  # Bitcoin Core's base58_encode_decode.json, leading zeros included
        ("", ""),
        ("61", "2g"),
        ("626262", "a3gV"),
        ("73696d706c792061206c6f6e6720737472696e67", "2cFupjhnEsSn59qHXstmK2ffpLv2"),
        (
            "00eb15231dfceb60925886b67d065299925915aeb172c06647",
            "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L",
        ),
        ("bf4f89001e670274dd", "3SEo3LWLoPntC"),
        ("00000000000000000000", "1111111111"),
    ],
)
def test_base58_bitcoin_vectors(hex_data: str, text: str) -> None:
    assert ss._b58encode(bytes.fromhex(hex_data)) == text
    assert ss._b58decode(text) == bytes.fromhex(hex_data)


# --- AES-HMAC-SHA2 secrets ----------------------------------------------------------


def test_derive_keys_is_rfc_5869_hkdf_with_zero_salt() -> None:
    expected = ref_hkdf(FIXED_KEY, b"\0" * 32, ss.MASTER.encode(), 64)
    assert ss.derive_keys(FIXED_KEY, ss.MASTER) == (expected[:32], expected[32:])


def test_encrypt_matches_independent_computation() -> None:
    okm = ref_hkdf(FIXED_KEY, b"\0" * 32, ss.MASTER.encode(), 64)
    plaintext = SECRET.encode()
    ciphertext = ref_ctr_ecb(okm[:32], FIXED_IV, plaintext)
    assert ref_ctr_pycryptodome(okm[:32], FIXED_IV, plaintext) in (ciphertext, None)
    mac = hmac.new(okm[32:], ciphertext, hashlib.sha256).digest()

    encrypted = ss.encrypt_secret(FIXED_KEY, ss.MASTER, SECRET, iv=FIXED_IV)

    # unpadded on output (the spec's SHOULD), same bytes as the reference
    assert encrypted == {
        "iv": b64(FIXED_IV).rstrip("="),
        "ciphertext": b64(ciphertext).rstrip("="),
        "mac": b64(mac).rstrip("="),
    }
    assert "=" not in "".join(encrypted.values())


def test_round_trip_and_random_iv_has_bit_63_cleared() -> None:
    key = ss.generate_key()
    ivs = set()
    for _ in range(64):
        encrypted = ss.encrypt_secret(key, ss.SELF_SIGNING, SECRET)
        iv = base64.b64decode(encrypted["iv"] + "==")
        assert len(iv) == 16 and iv[8] & 0x80 == 0
        ivs.add(iv)
        assert ss.decrypt_secret(key, ss.SELF_SIGNING, encrypted) == SECRET
    assert len(ivs) == 64
    assert ss.decrypt_secret(key, "", ss.encrypt_secret(key, "", "")) == ""


def test_decrypt_accepts_padded_and_unpadded_base64() -> None:
    encrypted = ss.encrypt_secret(FIXED_KEY, ss.MASTER, SECRET, iv=FIXED_IV)
    padded = {k: v + "=" * (-len(v) % 4) for k, v in encrypted.items()}
    assert padded["iv"].endswith("==")
    assert ss.decrypt_secret(FIXED_KEY, ss.MASTER, padded) == SECRET
    assert ss.decrypt_secret(FIXED_KEY, ss.MASTER, encrypted) == SECRET


def _flip_first_byte(value: str) -> str:
    data = bytearray(base64.b64decode(value + "=" * (-len(value) % 4)))
    data[0] ^= 0x01
    return b64(bytes(data))


@pytest.mark.parametrize("field", ["iv", "ciphertext", "mac"])
def test_tampering_makes_decrypt_raise(field: str) -> None:
    encrypted = ss.encrypt_secret(FIXED_KEY, ss.MASTER, SECRET, iv=FIXED_IV)
    encrypted[field] = _flip_first_byte(encrypted[field])
    # The spec's MAC covers the ciphertext only: a changed IV is caught because the
    # resulting keystream garbles the text into invalid UTF-8, not by the MAC.
    with pytest.raises(SecretStorageError, match="secret illisible"):
        ss.decrypt_secret(FIXED_KEY, ss.MASTER, encrypted)


def test_wrong_key_or_wrong_name_fails_the_mac() -> None:
    encrypted = ss.encrypt_secret(FIXED_KEY, ss.MASTER, SECRET)
    with pytest.raises(SecretStorageError, match="MAC invalide"):
        ss.decrypt_secret(ss.generate_key(), ss.MASTER, encrypted)
    with pytest.raises(SecretStorageError, match="MAC invalide"):
        ss.decrypt_secret(FIXED_KEY, ss.USER_SIGNING, encrypted)


@pytest.mark.parametrize(
    "change",
    [
        {"iv": None},
        {"mac": 42},
        {"ciphertext": "@@@@@"},
        {"ciphertext": "QUJD*"},  # b64decode alone would skip the "*"
        {"ciphertext": "QUJDR"},  # 5 characters: no byte count gives that
        {"iv": "AAAA"},  # 3 bytes, not 16
        {"mac": "é"},
    ],
)
def test_malformed_input_raises_secret_storage_error(change: dict[str, object]) -> None:
    encrypted: dict[str, object] = dict(ss.encrypt_secret(FIXED_KEY, ss.MASTER, SECRET))
    encrypted.update(change)
    encrypted = {k: v for k, v in encrypted.items() if v is not None}
    with pytest.raises(SecretStorageError, match="secret illisible"):
        ss.decrypt_secret(FIXED_KEY, ss.MASTER, encrypted)


def test_decrypt_rejects_non_dict() -> None:
    with pytest.raises(SecretStorageError):
        ss.decrypt_secret(FIXED_KEY, ss.MASTER, "abc")  # type: ignore[arg-type]


# --- key description and check -------------------------------------------------------


def test_key_description_is_the_spec_zero_check() -> None:
    description = ss.key_description(FIXED_KEY, name="traam-bot")
    assert set(description) == {"algorithm", "iv", "mac", "name"}
    assert description["algorithm"] == ss.ALGORITHM == "m.secret_storage.v1.aes-hmac-sha2"
    iv = base64.b64decode(description["iv"] + "==")
    okm = ref_hkdf(FIXED_KEY, b"\0" * 32, b"", 64)
    ciphertext = ref_ctr_ecb(okm[:32], iv, b"\0" * 32)
    mac = hmac.new(okm[32:], ciphertext, hashlib.sha256).digest()
    assert description["mac"] == b64(mac).rstrip("=")
    assert "name" not in ss.key_description(FIXED_KEY)


def test_check_key_published_vector() -> None:
    key = ss.decode_recovery_key(RUST_CHECK_KEY)
    assert ss.check_key(key, RUST_CHECK_DESCRIPTION)  # padded base64, as stored by js-sdk
    unpadded = {k: v.rstrip("=") for k, v in RUST_CHECK_DESCRIPTION.items()}
    assert ss.check_key(key, unpadded)
    assert not ss.check_key(RUST_KEY, RUST_CHECK_DESCRIPTION)


def test_check_key_right_and_wrong_key() -> None:
    key = ss.generate_key()
    description = ss.key_description(key)
    assert ss.check_key(key, description)
    assert not ss.check_key(ss.generate_key(), description)


def test_check_key_edge_cases() -> None:
    # the spec: without iv and mac, clients must assume the key is valid
    assert ss.check_key(FIXED_KEY, {"algorithm": ss.ALGORITHM})
    with pytest.raises(SecretStorageError, match="non pris en charge"):
        ss.check_key(FIXED_KEY, {**RUST_CHECK_DESCRIPTION, "algorithm": "m.other"})
    with pytest.raises(SecretStorageError, match="longueur incorrecte"):
        ss.check_key(FIXED_KEY, {**RUST_CHECK_DESCRIPTION, "iv": b64(b"\0" * 14)})


# --- account data --------------------------------------------------------------------


def test_account_data_round_trip() -> None:
    key, key_id = ss.generate_key(), ss.new_key_id()
    content = ss.encrypted_account_data(key_id, key, ss.MEGOLM_BACKUP, "backup-key")
    assert list(content) == ["encrypted"] and list(content["encrypted"]) == [key_id]
    assert ss.read_secret(content, key_id, key, ss.MEGOLM_BACKUP) == "backup-key"


@pytest.mark.parametrize("content", [{}, {"encrypted": {"other": {}}}, {"encrypted": []}])
def test_read_secret_without_entry_for_key(content: dict[str, object]) -> None:
    with pytest.raises(SecretStorageError, match="non chiffré pour la clé « k1 »"):
        ss.read_secret(content, "k1", FIXED_KEY, ss.MASTER)


def test_new_key_id_and_generate_key() -> None:
    ids = {ss.new_key_id() for _ in range(20)}
    assert len(ids) == 20 and all(re.fullmatch(r"[A-Za-z0-9]{32}", i) for i in ids)
    assert len(ss.generate_key()) == 32 and ss.generate_key() != ss.generate_key()


def test_constants() -> None:
    assert ss.DEFAULT_KEY_TYPE == "m.secret_storage.default_key"
    assert ss.KEY_TYPE_PREFIX + "abc" == "m.secret_storage.key.abc"
    assert (ss.MASTER, ss.SELF_SIGNING, ss.USER_SIGNING) == (
        "m.cross_signing.master",
        "m.cross_signing.self_signing",
        "m.cross_signing.user_signing",
    )
