"""Ed25519 signing keys and Matrix JSON signatures (canonical JSON, unpadded base64)."""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from canonicaljson import encode_canonical_json
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from unpaddedbase64 import decode_base64, encode_base64

JsonDict = dict[str, Any]

USAGES = ("master", "self_signing", "user_signing")
KEYS_FILE = "cross_signing.json"


@dataclass(frozen=True)
class SigningKey:
    """One Ed25519 key, kept as its 32-byte seed (what Matrix clients store and share)."""

    seed: bytes

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(os.urandom(32))

    @classmethod
    def from_base64(cls, text: str) -> SigningKey:
        seed = decode_base64(text)
        if len(seed) != 32:
            raise ValueError("clé Ed25519 de longueur incorrecte")
        return cls(seed)

    @property
    def public(self) -> str:
        raw = self._private().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return encode_base64(raw)

    @property
    def key_id(self) -> str:
        return f"ed25519:{self.public}"

    def to_base64(self) -> str:
        return encode_base64(self.seed)

    def sign(self, obj: JsonDict) -> str:
        """The signature of `obj` as the spec defines it: without signatures and unsigned."""
        return encode_base64(self._private().sign(signable_bytes(obj)))

    def _private(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.seed)


def signable_bytes(obj: JsonDict) -> bytes:
    return bytes(encode_canonical_json(
        {k: v for k, v in obj.items() if k not in ("signatures", "unsigned")}))


def add_signature(obj: JsonDict, user_id: str, key_id: str, signature: str) -> JsonDict:
    """A copy of `obj` carrying one more signature."""
    signed = copy.deepcopy(obj)
    signed.setdefault("signatures", {}).setdefault(user_id, {})[key_id] = signature
    return signed


def sign_as(obj: JsonDict, user_id: str, key: SigningKey) -> JsonDict:
    return add_signature(obj, user_id, key.key_id, key.sign(obj))


def verify(obj: JsonDict, user_id: str, public: str) -> bool:
    """True when `obj` carries a valid signature by `user_id`'s Ed25519 key `public`."""
    signature = ((obj.get("signatures") or {}).get(user_id) or {}).get(f"ed25519:{public}")
    if not isinstance(signature, str):
        return False
    try:
        Ed25519PublicKey.from_public_bytes(decode_base64(public)).verify(
            decode_base64(signature), signable_bytes(obj))
    except (InvalidSignature, ValueError):
        return False
    return True


def public_key_of(key_obj: JsonDict | None) -> str | None:
    """The Ed25519 public key of a cross-signing key object from /keys/query."""
    keys = (key_obj or {}).get("keys") or {}
    return next((v for k, v in keys.items() if k.startswith("ed25519:")), None)


@dataclass(frozen=True)
class CrossSigningKeys:
    """The bot's cross-signing identity: master, self-signing and user-signing keys."""

    master: SigningKey
    self_signing: SigningKey
    user_signing: SigningKey

    @classmethod
    def generate(cls) -> CrossSigningKeys:
        return cls(SigningKey.generate(), SigningKey.generate(), SigningKey.generate())

    def key_object(self, user_id: str, usage: str) -> JsonDict:
        """The public key object to upload: sub-keys carry the master key's signature."""
        key: SigningKey = getattr(self, usage)
        obj: JsonDict = {"user_id": user_id, "usage": [usage],
                         "keys": {key.key_id: key.public}}
        return obj if usage == "master" else sign_as(obj, user_id, self.master)

    def upload_body(self, user_id: str) -> JsonDict:
        return {f"{usage}_key": self.key_object(user_id, usage) for usage in USAGES}

    def matches(self, master: JsonDict | None, self_signing: JsonDict | None) -> bool:
        """True when the server's published identity is this one."""
        return (public_key_of(master) == self.master.public
                and public_key_of(self_signing) == self.self_signing.public)


def load_keys(store: Path, user_id: str) -> CrossSigningKeys | None:
    """The stored identity, or None; a damaged file is an operator error (French)."""
    path = store / KEYS_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        data = json.loads(text)
        if data["user_id"] != user_id:
            raise ValueError(f"clés de {data['user_id']}, pas de {user_id}")
        return CrossSigningKeys(*(SigningKey.from_base64(data[u]) for u in USAGES))
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"fichier de clés de signature croisée illisible : {path} ({exc})") \
            from None


def save_keys(store: Path, user_id: str, keys: CrossSigningKeys) -> Path:
    """Write the private keys readable by the owner only (0600), atomically."""
    store.mkdir(parents=True, exist_ok=True)
    path = store / KEYS_FILE
    tmp = path.with_suffix(".tmp")
    data = {"user_id": user_id, **{u: getattr(keys, u).to_base64() for u in USAGES}}
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(data, out)
    os.chmod(tmp, 0o600)
    tmp.replace(path)
    return path
