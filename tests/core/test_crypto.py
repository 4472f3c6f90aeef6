"""Field encryption: AES-GCM tokens, key rotation, blind indexes, and the encrypted model field on a real database."""

import base64
import hashlib
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import Value
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from dealerdesk.core.crypto import (
    DecryptionError,
    EncryptedTextField,
    blind_index,
    decrypt,
    encrypt,
    generate_key,
    rotate_token,
    token_key_id,
)

RESIDENT_ID = "11010519491231002X"
TOKEN_RE = re.compile(r"^v1\.[0-9a-f]{8}\.[A-Za-z0-9_-]+$")


def key(label: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(label.encode()).digest()).decode()


OLD_KEY, NEW_KEY = key("old"), key("new")


def flip_char(text: str, index: int) -> str:
    return text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1 :]


# encrypt / decrypt


def test_encrypt_makes_a_compact_token_without_the_plaintext():
    token = encrypt(RESIDENT_ID)
    assert TOKEN_RE.match(token)
    assert RESIDENT_ID not in token
    assert decrypt(token) == RESIDENT_ID


def test_encrypting_the_same_text_twice_gives_different_tokens():
    first, second = encrypt(RESIDENT_ID), encrypt(RESIDENT_ID)
    assert first != second
    assert decrypt(first) == decrypt(second) == RESIDENT_ID


@given(st.text())
def test_decrypt_undoes_encrypt_for_any_text(text):
    assert decrypt(encrypt(text)) == text


def test_a_tampered_token_is_refused():
    token = encrypt(RESIDENT_ID)
    version, key_id, data = token.split(".")
    with pytest.raises(DecryptionError, match="tampered"):
        decrypt(f"{version}.{key_id}.{flip_char(data, len(data) // 2)}")
    with pytest.raises(DecryptionError, match="not in DEALERDESK_FIELD_KEYS"):
        decrypt(f"{version}.{flip_char(key_id, 0)}.{data}")


@pytest.mark.parametrize(
    "token", ["", RESIDENT_ID, "v2.abcdef01.AAAA", "v1.abcdef01", "v1.abcdef01.!!!!", "v1.abcdef01.AAAA", None]
)
def test_a_malformed_token_is_refused(token):
    with pytest.raises(DecryptionError):
        decrypt(token)


def test_a_token_relabelled_with_another_configured_key_is_refused():
    with override_settings(DEALERDESK_FIELD_KEYS=[OLD_KEY]):
        old_token = encrypt(RESIDENT_ID)
    with override_settings(DEALERDESK_FIELD_KEYS=[NEW_KEY, OLD_KEY]):
        new_id = token_key_id(encrypt("x"))
        _version, _old_id, data = old_token.split(".")
        with pytest.raises(DecryptionError, match="tampered"):
            decrypt(f"v1.{new_id}.{data}")


# rotation


def test_old_keys_still_decrypt_and_rotation_moves_a_token_to_the_current_key():
    with override_settings(DEALERDESK_FIELD_KEYS=[OLD_KEY]):
        old_token = encrypt(RESIDENT_ID)
    with override_settings(DEALERDESK_FIELD_KEYS=[NEW_KEY, OLD_KEY]):
        assert decrypt(old_token) == RESIDENT_ID
        rotated = rotate_token(old_token)
        assert token_key_id(rotated) != token_key_id(old_token)
        assert token_key_id(rotated) == token_key_id(encrypt("x"))
        assert rotate_token(rotated) == rotated
    with override_settings(DEALERDESK_FIELD_KEYS=[NEW_KEY]):
        assert decrypt(rotated) == RESIDENT_ID
        with pytest.raises(DecryptionError):
            decrypt(old_token)


# configuration


@pytest.mark.parametrize("keys", [[], None])
def test_missing_field_keys_are_a_configuration_error(keys):
    with override_settings(DEALERDESK_FIELD_KEYS=keys), pytest.raises(ImproperlyConfigured, match="FIELD_KEYS"):
        encrypt(RESIDENT_ID)


@pytest.mark.parametrize("bad", ["short", base64.urlsafe_b64encode(b"x" * 16).decode(), "not base64 at all!!"])
def test_a_malformed_key_is_refused_without_echoing_it(bad):
    with override_settings(DEALERDESK_FIELD_KEYS=[bad]), pytest.raises(ImproperlyConfigured) as excinfo:
        encrypt(RESIDENT_ID)
    assert bad not in str(excinfo.value)


def test_keys_without_base64_padding_are_accepted():
    with override_settings(DEALERDESK_FIELD_KEYS=[NEW_KEY.rstrip("=")]):
        assert decrypt(encrypt(RESIDENT_ID)) == RESIDENT_ID


def test_generate_key_makes_a_usable_key():
    with override_settings(DEALERDESK_FIELD_KEYS=[generate_key()], DEALERDESK_BLIND_INDEX_KEY=generate_key()):
        assert decrypt(encrypt(RESIDENT_ID)) == RESIDENT_ID
        assert len(blind_index(RESIDENT_ID, purpose="customer.resident_id")) == 32


# blind index


@given(st.text())
def test_blind_index_is_deterministic_hex_of_32_characters(value):
    digest = blind_index(value, purpose="customer.resident_id")
    assert digest == blind_index(value, purpose="customer.resident_id")
    assert re.fullmatch(r"[0-9a-f]{32}", digest)


def test_blind_index_depends_on_purpose_value_and_key():
    digest = blind_index(RESIDENT_ID, purpose="customer.resident_id")
    assert digest != blind_index(RESIDENT_ID, purpose="customer.licence_number")
    assert digest != blind_index("110105194912310021", purpose="customer.resident_id")
    with override_settings(DEALERDESK_BLIND_INDEX_KEY=NEW_KEY):
        assert digest != blind_index(RESIDENT_ID, purpose="customer.resident_id")


def test_blind_index_ignores_surrounding_space_and_fullwidth_forms():
    digest = blind_index(RESIDENT_ID, purpose="customer.resident_id")
    assert blind_index(" １１０１０５１９４９１２３１００２Ｘ ", purpose="customer.resident_id") == digest


def test_blind_index_needs_a_purpose_and_a_key():
    with pytest.raises(ValueError, match="purpose"):
        blind_index(RESIDENT_ID, purpose="")
    with override_settings(DEALERDESK_BLIND_INDEX_KEY=""), pytest.raises(ImproperlyConfigured):
        blind_index(RESIDENT_ID, purpose="customer.resident_id")


# EncryptedTextField


def test_field_encrypts_on_prep_and_decrypts_from_the_database_value():
    field = EncryptedTextField()
    stored = field.get_prep_value(RESIDENT_ID)
    assert TOKEN_RE.match(stored)
    assert field.from_db_value(stored, None, connection) == RESIDENT_ID


@pytest.mark.parametrize("empty", [None, ""])
def test_field_keeps_none_and_empty_text_as_they_are(empty):
    field = EncryptedTextField()
    assert field.get_prep_value(empty) == empty
    assert field.from_db_value(empty, None, connection) == empty


def test_field_refuses_plaintext_found_in_the_database():
    with pytest.raises(DecryptionError):
        EncryptedTextField().from_db_value(RESIDENT_ID, None, connection)


def test_field_deconstructs_for_migrations():
    _name, path, args, kwargs = EncryptedTextField(null=True, blank=True).deconstruct()
    assert path == "dealerdesk.core.crypto.EncryptedTextField"
    rebuilt = EncryptedTextField(*args, **kwargs)
    assert (rebuilt.null, rebuilt.blank) == (True, True)


@pytest.mark.django_db
def test_field_round_trips_through_a_real_table_storing_only_ciphertext():
    field = EncryptedTextField(null=True)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE crypto_probe (id integer PRIMARY KEY, secret text NULL)")
        for row_id, value in [(1, RESIDENT_ID), (2, "张三 / licence 440301199001011234"), (3, ""), (4, None)]:
            cursor.execute(
                "INSERT INTO crypto_probe (id, secret) VALUES (%s, %s)",
                [row_id, field.get_db_prep_save(value, connection)],
            )
        cursor.execute("SELECT id, secret FROM crypto_probe ORDER BY id")
        rows = cursor.fetchall()
        cursor.execute("DROP TABLE crypto_probe")
    stored = dict(rows)
    assert TOKEN_RE.match(stored[1]) and RESIDENT_ID not in stored[1]
    assert TOKEN_RE.match(stored[2]) and "张三" not in stored[2] and "440301" not in stored[2]
    assert (stored[3], stored[4]) == ("", None)
    assert [field.from_db_value(secret, None, connection) for _id, secret in rows] == [
        RESIDENT_ID,
        "张三 / licence 440301199001011234",
        "",
        None,
    ]


@pytest.mark.django_db
def test_field_values_in_orm_queries_are_sent_encrypted_and_read_back_decrypted():
    ContentType.objects.get_for_model(ContentType)
    queryset = ContentType.objects.annotate(secret=Value(RESIDENT_ID, output_field=EncryptedTextField()))
    sql, params = queryset.query.sql_with_params()
    assert RESIDENT_ID not in sql and RESIDENT_ID not in [str(param) for param in params]
    assert queryset.values_list("secret", flat=True)[0] == RESIDENT_ID


@pytest.mark.parametrize(
    "lookup",
    [
        {"secret": RESIDENT_ID},
        {"secret__exact": RESIDENT_ID},
        {"secret__iexact": RESIDENT_ID},
        {"secret__in": [RESIDENT_ID]},
        {"secret__startswith": "1101"},
        {"secret__icontains": "0105"},
        {"secret__gt": "1"},
        {"secret__lower": "x"},
    ],
)
def test_field_refuses_lookups_and_points_to_the_blind_index(lookup):
    queryset = ContentType.objects.annotate(secret=Value(RESIDENT_ID, output_field=EncryptedTextField()))
    with pytest.raises(TypeError, match="blind index"):
        queryset.filter(**lookup)


@pytest.mark.django_db
def test_field_allows_isnull_and_blank_lookups():
    ContentType.objects.get_for_model(ContentType)
    queryset = ContentType.objects.annotate(secret=Value(RESIDENT_ID, output_field=EncryptedTextField()))
    assert queryset.filter(secret__isnull=False).exists()
    assert not queryset.filter(secret__isnull=True).exists()
    assert not queryset.filter(secret=None).exists()
    assert not queryset.filter(secret="").exists()
