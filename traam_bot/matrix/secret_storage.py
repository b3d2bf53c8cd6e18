"""Matrix secret storage (SSSS) crypto: recovery keys, key checks, AES-HMAC-SHA2 secrets."""

from __future__ import annotations

import hmac
import os
import re
import secrets
import string
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.hmac import HMAC
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from unpaddedbase64 import decode_base64, encode_base64

JsonDict = dict[str, Any]

ALGORITHM = "m.secret_storage.v1.aes-hmac-sha2"
DEFAULT_KEY_TYPE = "m.secret_storage.default_key"
KEY_TYPE_PREFIX = "m.secret_storage.key."
MASTER = "m.cross_signing.master"
SELF_SIGNING = "m.cross_signing.self_signing"
USER_SIGNING = "m.cross_signing.user_signing"
MEGOLM_BACKUP = "m.megolm_backup.v1"

KEY_SIZE = 32
IV_SIZE = 16
MAC_SIZE = 32
RECOVERY_PREFIX = b"\x8b\x01"
BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
KEY_ID_ALPHABET = string.ascii_letters + string.digits
# standard base64, or its url-safe variant (as matrix-js-sdk reads it), padding optional
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]*={0,2}")
# The spec's key check: 32 zero bytes encrypted under the secret name "".
_ZERO_CHECK = b"\0" * 32


class SecretStorageError(Exception):
    """Secret storage failure; the message is meant for operators (French)."""


def generate_key() -> bytes:
    return os.urandom(KEY_SIZE)


def new_key_id() -> str:
    """A random 32-character alphanumeric key id, as matrix-js-sdk and matrix-rust-sdk make."""
    return "".join(secrets.choice(KEY_ID_ALPHABET) for _ in range(32))


def _b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    digits = ""
    while number:
        number, rest = divmod(number, 58)
        digits = BASE58_ALPHABET[rest] + digits
    zeros = len(data) - len(data.lstrip(b"\0"))
    return BASE58_ALPHABET[0] * zeros + digits


def _b58decode(text: str) -> bytes:
    number = 0
    for position, char in enumerate(text, start=1):
        digit = BASE58_ALPHABET.find(char)
        if digit < 0:
            raise SecretStorageError(
                f"clé de récupération invalide (caractère non base58 en position {position})"
            )
        number = number * 58 + digit
    zeros = len(text) - len(text.lstrip(BASE58_ALPHABET[0]))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\0" * zeros + body


def _parity(data: bytes) -> int:
    parity = 0
    for byte in data:
        parity ^= byte
    return parity


def encode_recovery_key(key: bytes) -> str:
    """The spec's "cryptographic key representation": base58(0x8B 0x01, key, parity)."""
    if len(key) != KEY_SIZE:
        raise SecretStorageError(
            f"clé de stockage de secrets invalide ({KEY_SIZE} octets attendus, {len(key)} reçus)"
        )
    payload = RECOVERY_PREFIX + key
    text = _b58encode(payload + bytes([_parity(payload)]))
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def decode_recovery_key(text: str) -> bytes:
    raw = _b58decode("".join(text.split()))
    if len(raw) != len(RECOVERY_PREFIX) + KEY_SIZE + 1:
        raise SecretStorageError("clé de récupération invalide (longueur incorrecte)")
    if not raw.startswith(RECOVERY_PREFIX):
        raise SecretStorageError("clé de récupération invalide (préfixe inconnu)")
    if _parity(raw) != 0:  # the last byte is the XOR of all the others
        raise SecretStorageError("clé de récupération invalide (parité fausse : faute de frappe ?)")
    return raw[len(RECOVERY_PREFIX) : -1]


def derive_keys(key: bytes, name: str) -> tuple[bytes, bytes]:
    """(aes_key, mac_key): HKDF-SHA-256, salt of 32 zero bytes, info = the secret name."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=64, salt=b"\0" * 32, info=name.encode())
    derived = hkdf.derive(key)
    return derived[:32], derived[32:]


def _aes_ctr(aes_key: bytes, iv: bytes, data: bytes) -> bytes:
    # The IV is the whole 128-bit initial counter block. WebCrypto (matrix-js-sdk) counts on
    # the low 64 bits only; clearing bit 63 at encryption keeps the two in agreement.
    cipher = Cipher(algorithms.AES(aes_key), modes.CTR(iv)).encryptor()
    return cipher.update(data) + cipher.finalize()


def _mac(mac_key: bytes, ciphertext: bytes) -> bytes:
    signer = HMAC(mac_key, hashes.SHA256())
    signer.update(ciphertext)
    return signer.finalize()


def _seal(key: bytes, name: str, plaintext: bytes, iv: bytes) -> tuple[bytes, bytes]:
    """(ciphertext, mac): AES-256-CTR, then HMAC-SHA-256 over the raw ciphertext."""
    aes_key, mac_key = derive_keys(key, name)
    ciphertext = _aes_ctr(aes_key, iv, plaintext)
    return ciphertext, _mac(mac_key, ciphertext)


def _b64decode(value: object, field: str, size: int | None, context: str) -> bytes:
    """Padded or unpadded standard base64 (the spec asks readers to accept both)."""
    if not isinstance(value, str):
        raise SecretStorageError(f"{context}, champ « {field} » absent ou non textuel")
    if not _BASE64.fullmatch(value):
        raise SecretStorageError(f"{context}, champ « {field} » mal encodé")
    try:
        data = decode_base64(value.rstrip("="))
    except ValueError as exc:  # binascii.Error: impossible length
        raise SecretStorageError(f"{context}, champ « {field} » mal encodé") from exc
    if size is not None and len(data) != size:
        raise SecretStorageError(f"{context}, champ « {field} » de longueur incorrecte")
    return data


def encrypt_secret(key: bytes, name: str, secret: str, iv: bytes | None = None) -> dict[str, str]:
    if iv is None:
        fresh = bytearray(os.urandom(IV_SIZE))
        fresh[8] &= 0x7F  # clear bit 63, as the spec asks
        iv = bytes(fresh)
    if len(iv) != IV_SIZE:
        raise SecretStorageError(f"vecteur d'initialisation invalide ({IV_SIZE} octets attendus)")
    ciphertext, mac = _seal(key, name, secret.encode("utf-8"), iv)
    # The spec says writers SHOULD use unpadded base64 and readers accept both; matrix-rust-sdk
    # (ruma's Base64) writes unpadded, matrix-js-sdk still writes padded.
    return {
        "iv": encode_base64(iv),
        "ciphertext": encode_base64(ciphertext),
        "mac": encode_base64(mac),
    }


def decrypt_secret(key: bytes, name: str, encrypted: JsonDict) -> str:
    if not isinstance(encrypted, dict):
        raise SecretStorageError(f"secret illisible : « {name} » n'est pas un objet chiffré")
    context = f"secret illisible : « {name} »"
    iv = _b64decode(encrypted.get("iv"), "iv", IV_SIZE, context)
    ciphertext = _b64decode(encrypted.get("ciphertext"), "ciphertext", None, context)
    mac = _b64decode(encrypted.get("mac"), "mac", MAC_SIZE, context)
    aes_key, mac_key = derive_keys(key, name)
    # authenticate before decrypting
    if not hmac.compare_digest(_mac(mac_key, ciphertext), mac):
        raise SecretStorageError(
            f"secret illisible : « {name} », MAC invalide (mauvaise clé ou donnée altérée)"
        )
    try:
        return _aes_ctr(aes_key, iv, ciphertext).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SecretStorageError(f"secret illisible : « {name} » n'est pas de l'UTF-8") from exc


def key_description(key: bytes, name: str | None = None) -> JsonDict:
    """Content of the account data `m.secret_storage.key.<key_id>` for `key`."""
    check = encrypt_secret(key, "", _ZERO_CHECK.decode())
    description: JsonDict = {"algorithm": ALGORITHM, "iv": check["iv"], "mac": check["mac"]}
    if name is not None:
        description["name"] = name
    return description


def check_key(key: bytes, description: JsonDict) -> bool:
    """Whether `key` matches the description (True without iv/mac: the spec says assume so)."""
    if description.get("algorithm") != ALGORITHM:
        raise SecretStorageError(
            f"algorithme de stockage de secrets non pris en charge : {description.get('algorithm')}"
        )
    if description.get("iv") is None or description.get("mac") is None:
        return True
    context = "description de clé de stockage de secrets illisible"
    iv = _b64decode(description["iv"], "iv", IV_SIZE, context)
    expected = _b64decode(description["mac"], "mac", MAC_SIZE, context)
    _, actual = _seal(key, "", _ZERO_CHECK, iv)
    return hmac.compare_digest(actual, expected)


def encrypted_account_data(key_id: str, key: bytes, name: str, secret: str) -> JsonDict:
    """Account-data content storing `secret` under the event type `name`."""
    return {"encrypted": {key_id: encrypt_secret(key, name, secret)}}


def read_secret(content: JsonDict, key_id: str, key: bytes, name: str) -> str:
    encrypted = content.get("encrypted") if isinstance(content, dict) else None
    if not isinstance(encrypted, dict) or key_id not in encrypted:
        raise SecretStorageError(
            f"secret « {name} » absent ou non chiffré pour la clé « {key_id} »"
        )
    return decrypt_secret(key, name, encrypted[key_id])
