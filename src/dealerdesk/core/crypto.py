"""Field encryption for sensitive data (DESIGN §7): AES-256-GCM tokens with rotatable keys, HMAC blind indexes."""

import base64
import binascii
import functools
import hashlib
import hmac
import os
import unicodedata

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models.lookups import Exact, IsNull

TOKEN_VERSION = "v1"
NONCE_BYTES = 12
KEY_BYTES = 32
BLIND_INDEX_CHARS = 32


class DecryptionError(ValueError):
    """A token that cannot be decrypted: tampered with, truncated, or made with a key no longer configured."""


def generate_key() -> str:
    """A new random key in the form DEALERDESK_FIELD_KEYS and DEALERDESK_BLIND_INDEX_KEY expect."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode()


def _decode_key(text: str, setting: str) -> bytes:
    try:
        key = base64.b64decode(text.strip() + "=" * (-len(text.strip()) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        # The key itself is never put in the message: it would end up in logs.
        raise ImproperlyConfigured(f"{setting} must hold urlsafe-base64 keys of {KEY_BYTES} bytes.")
    return key


def _key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:8]


@functools.lru_cache(maxsize=8)
def _keyring(texts: tuple[str, ...]) -> tuple[str, dict[str, AESGCM]]:
    """The current key id and every configured key by id; cached per configuration, so override_settings works."""
    if not texts:
        raise ImproperlyConfigured("DEALERDESK_FIELD_KEYS is empty: sensitive fields cannot be encrypted.")
    keys = [_decode_key(text, "DEALERDESK_FIELD_KEYS") for text in texts]
    return _key_id(keys[0]), {_key_id(key): AESGCM(key) for key in keys}


def _current_keyring() -> tuple[str, dict[str, AESGCM]]:
    return _keyring(tuple(getattr(settings, "DEALERDESK_FIELD_KEYS", None) or ()))


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64decode(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


def _encrypt_with(key_id: str, aead: AESGCM, plaintext: str) -> str:
    header = f"{TOKEN_VERSION}.{key_id}"
    nonce = os.urandom(NONCE_BYTES)
    # The header is authenticated too, so a token cannot be relabelled with another version or key id.
    ciphertext = aead.encrypt(nonce, plaintext.encode(), header.encode())
    return f"{header}.{_b64encode(nonce + ciphertext)}"


def encrypt(plaintext: str) -> str:
    """Encrypt text with the current key: `v1.<key_id>.<base64url(nonce + ciphertext)>`."""
    current, keys = _current_keyring()
    return _encrypt_with(current, keys[current], plaintext)


def _split(token: str) -> tuple[str, str, bytes]:
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3 or parts[0] != TOKEN_VERSION:
        raise DecryptionError("Not an encrypted value token (expected v1.<key id>.<data>).")
    try:
        data = _b64decode(parts[2])
    except (binascii.Error, ValueError):
        raise DecryptionError("The encrypted value token is damaged (bad base64).") from None
    if len(data) < NONCE_BYTES + 16:
        raise DecryptionError("The encrypted value token is truncated.")
    return parts[0], parts[1], data


def decrypt(token: str) -> str:
    """Decrypt a token made by encrypt() with the current key or any older key still configured."""
    version, key_id, data = _split(token)
    _current, keys = _current_keyring()
    aead = keys.get(key_id)
    if aead is None:
        raise DecryptionError(f"The encrypted value was made with key {key_id}, which is not in DEALERDESK_FIELD_KEYS.")
    try:
        plaintext = aead.decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], f"{version}.{key_id}".encode())
    except InvalidTag:
        raise DecryptionError("The encrypted value failed its integrity check: it was tampered with.") from None
    return plaintext.decode()


def token_key_id(token: str) -> str:
    """The id of the key a token was encrypted with."""
    return _split(token)[1]


def rotate_token(token: str) -> str:
    """The token re-encrypted with the current key; a token already on the current key comes back unchanged."""
    plaintext = decrypt(token)
    current, keys = _current_keyring()
    if token_key_id(token) == current:
        return token
    return _encrypt_with(current, keys[current], plaintext)


def blind_index(value: str, *, purpose: str) -> str:
    """A deterministic keyed digest of a normalised value for exact lookup and dedup (32 hex characters)."""
    if not purpose or "\x00" in purpose:
        raise ValueError("blind_index needs a purpose such as 'customer.resident_id'.")
    text = getattr(settings, "DEALERDESK_BLIND_INDEX_KEY", "")
    if not text:
        raise ImproperlyConfigured("DEALERDESK_BLIND_INDEX_KEY is empty: blind indexes cannot be computed.")
    key = _decode_key(text, "DEALERDESK_BLIND_INDEX_KEY")
    # The purpose keeps indexes of different fields apart: equal values in two columns do not match.
    message = f"{purpose}\x00{unicodedata.normalize('NFKC', value).strip()}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:BLIND_INDEX_CHARS]


def _refusal(lookup_name: str) -> TypeError:
    return TypeError(
        f"An encrypted field cannot be queried with '{lookup_name}': its stored value is ciphertext. "
        "Filter on the field's blind index instead."
    )


class _ExactBlankOnly(Exact):
    """`field=None` (turned into isnull) and `field=""` stay possible: neither is encrypted."""

    def __init__(self, lhs, rhs):
        if rhs is not None and rhs != "":
            raise _refusal("exact")
        super().__init__(lhs, rhs)


class EncryptedTextField(models.TextField):
    """Text stored as an AES-GCM token and seen as plaintext in Python; only isnull (and blank) lookups work."""

    description = "Encrypted text"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":
            return IsNull
        if lookup_name == "exact":
            return _ExactBlankOnly
        raise _refusal(lookup_name)

    def get_transform(self, lookup_name):
        raise _refusal(lookup_name)
