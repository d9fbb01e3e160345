"""Encryption of personal information at rest, and the keyed hash that lets us find a party by ID number.

Pure crypto: imports no models, so the data migration 0006 may import it (STYLE.md §11 forbids app *model* code
in migrations, not a stateless helper).

Stored form of one value: base64( version | key id | nonce | AES-256-GCM ciphertext+tag ), with
  version  1 byte   2 (row-bound, every new write) or 1 (field-bound, the first format; still read)
  key id   1 byte   first byte of SHA-256("jiaxiang-field-key-id" + key): tells which key encrypted the value
  nonce   12 bytes  random per value (os.urandom), never reused with a key
and as associated data, in version 2 the row — "cases.Party.id_number:42" (model label, field, primary key), so a
ciphertext copied into another column *or another row* does not decrypt — and in version 1 the field name alone.
The caller names the associated data of each version (`encrypt_bound` / `decrypt(..., bound_aad=...)`); which one
a token needs is in its version byte (docs/pii.md).

Keys come from the environment (settings or os.environ), never from the database, and are read when first used:
  FIELD_ENCRYPTION_KEY       base64 of 32 random bytes; encrypts every new value
  FIELD_ENCRYPTION_OLD_KEYS  previous keys (list or comma-separated); only decrypt, for rotation
  FIELD_HASH_KEY             optional, base64 of ≥32 bytes; otherwise the hash key is derived from each
                             encryption key with HKDF-SHA256 (a separate key: the AES key is never used for HMAC)
"""

import base64
import binascii
import functools
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

VERSION = 2  # row-bound associated data ("cases.Party.id_number:42"): what every new write uses
FIELD_VERSION = 1  # the first format: the field name alone as associated data; read until re-encrypted
VERSIONS = (FIELD_VERSION, VERSION)
NONCE_BYTES = 12
_HEADER = 2  # version + key id
_TAG = 16
_MIN_BLOB = _HEADER + NONCE_BYTES + _TAG
_HASH_INFO = b"jiaxiang/party-id-hash/v1"

KEY_HELP = (
    "请在环境变量或 .env 中设置32字节随机密钥的 base64 编码，例如运行 "
    "python -c \"import base64,os;print(base64.b64encode(os.urandom(32)).decode())\" 生成；"
    "密钥不得写入数据库或提交到代码库。"
)


class DecryptionError(Exception):
    """A stored value could not be decrypted: wrong or missing key, or the value was altered."""


def generate_key() -> str:
    return base64.b64encode(os.urandom(32)).decode("ascii")


def _setting(name: str):
    value = getattr(settings, name, None)
    if value in (None, "", [], ()):
        value = os.environ.get(name) or None
    return value


def _as_tuple(value) -> tuple[str, ...]:
    if not value:
        return ()
    if isinstance(value, str):
        value = value.split(",")
    return tuple(v.strip() for v in value if v and v.strip())


def _decode_key(name: str, value: str, *, exact: int | None = 32) -> bytes:
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if not raw or (exact is not None and len(raw) != exact) or (exact is None and len(raw) < 32):
        raise ImproperlyConfigured(f"{name} 格式不正确：应为32字节随机密钥的 base64 编码。{KEY_HELP}")
    return raw


def _key_id(key: bytes) -> int:
    return hashlib.sha256(b"jiaxiang-field-key-id" + key).digest()[0]


class _Keyring:
    def __init__(self, primary: str, old: tuple[str, ...], hash_key: str | None):
        self.primary = _decode_key("FIELD_ENCRYPTION_KEY", primary)
        self.old = [_decode_key("FIELD_ENCRYPTION_OLD_KEYS", k) for k in old]
        self.all = [self.primary, *[k for k in self.old if k != self.primary]]
        self.primary_id = _key_id(self.primary)
        self.aeads = [(_key_id(k), AESGCM(k)) for k in self.all]  # built once per key set, reused per value
        if hash_key:
            self.hash_keys = [_decode_key("FIELD_HASH_KEY", hash_key, exact=None)]
        else:
            self.hash_keys = [_derive_hash_key(k) for k in self.all]

    def candidates(self, key_id: int) -> list[AESGCM]:
        return [aead for kid, aead in self.aeads if kid == key_id]


def _derive_hash_key(key: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HASH_INFO).derive(key)


@functools.lru_cache(maxsize=8)
def _build_keyring(primary: str, old: tuple[str, ...], hash_key: str | None) -> _Keyring:
    return _Keyring(primary, old, hash_key)


def keyring() -> _Keyring:
    """The keys in force, read from settings/environment at use time (tests may override them per test)."""
    primary = _setting("FIELD_ENCRYPTION_KEY")
    if not primary:
        raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEY 未设置，无法加密或解密当事人个人信息。{KEY_HELP}")
    return _build_keyring(str(primary), _as_tuple(_setting("FIELD_ENCRYPTION_OLD_KEYS")),
                          _setting("FIELD_HASH_KEY") or None)


def _seal(plaintext: str, aad: str, version: int) -> str:
    ring = keyring()
    nonce = os.urandom(NONCE_BYTES)
    sealed = ring.aeads[0][1].encrypt(nonce, plaintext.encode("utf-8"), aad.encode("utf-8"))
    return base64.b64encode(bytes([version, ring.primary_id]) + nonce + sealed).decode("ascii")


def encrypt(plaintext: str, *, aad: str) -> str:
    """A version-1 token: `aad` is the field name alone. Only where the row is not known yet (the first INSERT of
    a new row, which `core.fields` re-encrypts at once) and for the 0006 data migration."""
    return _seal(plaintext, aad, FIELD_VERSION)


def encrypt_bound(plaintext: str, *, aad: str) -> str:
    """A version-2 token: `aad` names the row, e.g. "cases.Party.id_number:42" (`core.fields.row_aad`)."""
    return _seal(plaintext, aad, VERSION)


def _unpack(token: str) -> bytes | None:
    try:
        blob = base64.b64decode(token, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(blob) < _MIN_BLOB or blob[0] not in VERSIONS:
        return None
    return blob


def looks_encrypted(token: str) -> bool:
    """Structure only (base64, version byte, minimum length); used by the data migration to stay idempotent."""
    return bool(token) and _unpack(token) is not None


def version_of(token: str) -> int | None:
    """The token's format (VERSION, FIELD_VERSION), or None when it is no token at all."""
    blob = _unpack(token) if token else None
    return blob[0] if blob is not None else None


def decrypt(token: str, *, aad: str, bound_aad: str | None = None) -> str:
    """Decrypt a token of either version: a version-1 token with `aad` (the field name), a version-2 token with
    `bound_aad` (the row it must belong to). A version-2 token without `bound_aad`, or moved to another row or
    column, or altered, raises DecryptionError — never another value."""
    blob = _unpack(token)
    if blob is None:
        raise DecryptionError("存储的值不是有效的密文（可能是未加密的旧数据）。")
    if blob[0] == VERSION:
        if bound_aad is None:
            raise DecryptionError("该密文绑定到数据行，须连同所在行一起解密。")
        aad = bound_aad
    nonce, sealed = blob[_HEADER:_HEADER + NONCE_BYTES], blob[_HEADER + NONCE_BYTES:]
    for aead in keyring().candidates(blob[1]):
        try:
            return aead.decrypt(nonce, sealed, aad.encode("utf-8")).decode("utf-8")
        except InvalidTag:
            continue
    raise DecryptionError(
        "无法解密：密钥不匹配（请检查 FIELD_ENCRYPTION_KEY / FIELD_ENCRYPTION_OLD_KEYS），"
        "或数据被篡改（例如密文被移到了其他行或其他列）。"
    )


def needs_reencryption(token: str) -> bool:
    """True when the value was encrypted with an old key (rotation: re-save it to re-encrypt with the new key)."""
    blob = _unpack(token)
    return blob is not None and blob[1] != keyring().primary_id


def is_current(token: str) -> bool:
    """Row-bound and under the current key: what `manage.py reencrypt_pii` leaves every value as."""
    blob = _unpack(token)
    return blob is not None and blob[0] == VERSION and blob[1] == keyring().primary_id


def normalize_id_number(value: str) -> str:
    """core.validators.normalize_id_number, and inner spaces go too (typed searches): '3708 29…x' → '370829…X'."""
    return "".join((value or "").split()).upper()


def _hmac(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def id_hash(value: str) -> str:
    """Keyed hash (HMAC-SHA256) of a normalised ID number under the current hash key; '' for no ID number."""
    value = normalize_id_number(value)
    return _hmac(keyring().hash_keys[0], value) if value else ""


def id_hash_candidates(value: str) -> list[str]:
    """Hashes of `value` under the current and old keys, so exact search keeps working during key rotation."""
    value = normalize_id_number(value)
    if not value:
        return []
    return [_hmac(k, value) for k in keyring().hash_keys]
