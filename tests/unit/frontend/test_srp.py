"""Known-answer test of the browser's Cognito SRP (frontend/js/srp.js) against pycognito's AWSSRP.

The JavaScript runs under Node with fixed random bytes; every value it derives must equal the
one pycognito, an independent implementation used against Cognito in production, derives from
the same inputs.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pycognito import aws_srp
from pycognito.aws_srp import AWSSRP

REPO_ROOT = Path(__file__).resolve().parents[3]
DRIVER = Path(__file__).with_name("srp_vectors.mjs")
SRP_MODULE = REPO_ROOT / "frontend" / "js" / "srp.js"
USER_POOL_ID = "eu-west-1_AbCdEf123"
NOW = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)


def server_b(seed: str) -> int:
    """A valid SRP_B: g^b mod N for a secret b derived from `seed`."""
    b = int.from_bytes(hashlib.sha512(seed.encode()).digest() * 2, "big")
    return pow(2, b, aws_srp.hex_to_long(aws_srp.N_HEX))


CASES = [
    # A user id, password, salt and B chosen so that padHex meets both of its branches.
    pytest.param(
        "7d5e2c1a-user", "Correct horse 1!", "8f3a9c", server_b("first"), "11" * 128, id="high-bit salt"
    ),
    pytest.param("alice", "pässwörd ✓", "1b2c3d4e5f", server_b("second"), "ab" * 128, id="unicode password"),
    pytest.param("bob@example.com", "p", "abc", server_b("third"), "7f" * 128, id="odd-length salt"),
]


def javascript(user_id: str, password: str, salt: str, big_b: int, random_hex: str) -> dict[str, str]:
    node = shutil.which("node")
    assert node, "Node.js runs the browser's SRP code in this test"
    request = {
        "module": SRP_MODULE.as_uri(),
        "randomHex": random_hex,
        "userPoolId": USER_POOL_ID,
        "password": password,
        "now": NOW.isoformat(),
        "challenge": {
            "USER_ID_FOR_SRP": user_id,
            "SALT": salt,
            "SRP_B": f"{big_b:x}",
            "SECRET_BLOCK": base64.b64encode(b"opaque secret block " + user_id.encode()).decode(),
        },
    }
    completed = subprocess.run(
        [node, str(DRIVER)], input=json.dumps(request), capture_output=True, text=True, check=True, timeout=30
    )
    values: dict[str, str] = json.loads(completed.stdout)
    values["secretBlock"] = request["challenge"]["SECRET_BLOCK"]  # type: ignore[index]
    return values


def pycognito_values(
    user_id: str, password: str, salt: str, big_b: int, random_hex: str, secret_block: str
) -> dict[str, Any]:
    srp = AWSSRP(user_id, password, USER_POOL_ID, "client", client=object())
    srp.small_a_value = int(random_hex, 16) % srp.big_n
    srp.large_a_value = srp.calculate_a()
    u = aws_srp.calculate_u(srp.large_a_value, big_b)
    identity = aws_srp.hash_sha256(f"{USER_POOL_ID.split('_')[1]}{user_id}:{password}".encode())
    x = aws_srp.hex_to_long(aws_srp.hex_hash(aws_srp.pad_hex(salt) + identity))
    s = pow(big_b - srp.val_k * pow(srp.val_g, x, srp.big_n), srp.small_a_value + u * x, srp.big_n)
    key = srp.get_password_authentication_key(user_id, password, big_b, salt)
    timestamp = AWSSRP.get_cognito_formatted_timestamp(NOW)
    message = (
        USER_POOL_ID.split("_")[1].encode()
        + user_id.encode()
        + base64.b64decode(secret_block)
        + timestamp.encode()
    )
    return {
        "a": f"{srp.small_a_value:x}",
        "A": aws_srp.long_to_hex(srp.large_a_value),
        "u": f"{u:x}",
        "x": f"{x:x}",
        "S": f"{s:x}",
        "key": key.hex(),
        "timestamp": timestamp,
        "signature": base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode(),
    }


@pytest.mark.parametrize(("user_id", "password", "salt", "big_b", "random_hex"), CASES)
def test_every_srp_value_matches_pycognito(
    user_id: str, password: str, salt: str, big_b: int, random_hex: str
) -> None:
    ours = javascript(user_id, password, salt, big_b, random_hex)
    theirs = pycognito_values(user_id, password, salt, big_b, random_hex, ours.pop("secretBlock"))
    assert ours == theirs


def test_pycognito_signs_the_challenge_as_the_browser_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """The signature pycognito's own challenge response sends equals the browser's."""
    user_id, password, salt, big_b, random_hex = CASES[0].values

    class FrozenClock(datetime.datetime):
        @classmethod
        def utcnow(cls) -> datetime.datetime:  # type: ignore[override]
            return NOW.replace(tzinfo=None)

    monkeypatch.setattr(aws_srp.datetime, "datetime", FrozenClock)
    ours = javascript(user_id, password, salt, big_b, random_hex)
    srp = AWSSRP(user_id, password, USER_POOL_ID, "client", client=object())
    srp.small_a_value = int(random_hex, 16)
    srp.large_a_value = srp.calculate_a()
    challenge = {
        "USER_ID_FOR_SRP": user_id,
        "SALT": salt,
        "SRP_B": f"{big_b:x}",
        "SECRET_BLOCK": ours["secretBlock"],
    }
    response = srp.process_challenge(challenge, {"USERNAME": user_id})
    assert (response["TIMESTAMP"], response["PASSWORD_CLAIM_SIGNATURE"]) == (
        ours["timestamp"],
        ours["signature"],
    )
