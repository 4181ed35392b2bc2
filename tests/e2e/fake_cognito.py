"""A Cognito user pool API for the page's sign-in, answering as the real service does.

It plays the server's side of SRP (RFC 5054 with Cognito's key derivation): it knows only the
password verifier and accepts the page's PASSWORD_VERIFIER answer only if its signature proves
the password. Written from the server's equations, so it checks the page's client equations
rather than repeating them.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

N = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C"
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
    16,
)
G = 2


def _pad_hex(value: int) -> str:
    text = format(value, "x")
    if len(text) % 2:
        return "0" + text
    return "00" + text if text[0] in "89abcdef" else text


def _hash_hex(hex_text: str) -> int:
    return int(hashlib.sha256(bytes.fromhex(hex_text)).hexdigest(), 16)


def id_token(email: str, sub: str = "user-1", lifetime_seconds: int = 3600) -> str:
    """An unsigned token with the claims the page reads; the fake API never checks its signature."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    claims = {"sub": sub, "email": email, "exp": int(time.time()) + lifetime_seconds}
    return f"{part({'alg': 'none'})}.{part(claims)}.signature"


@dataclass
class FakeUserPool:
    user_pool_id: str
    email: str
    password: str
    new_password_required: bool = False
    user_id: str = "5f1c2d3e-user"
    calls: list[str] = field(default_factory=list)
    _salt: int = field(default_factory=lambda: secrets.randbits(128))
    _pending: dict[str, Any] = field(default_factory=dict)

    @property
    def _pool_name(self) -> str:
        return self.user_pool_id.split("_")[1]

    def _verifier(self) -> int:
        identity = hashlib.sha256(f"{self._pool_name}{self.user_id}:{self.password}".encode()).hexdigest()
        x = _hash_hex(_pad_hex(self._salt) + identity)
        return pow(G, x, N)

    def handle(self, target: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """One call to the user pool API: (HTTP status, JSON body)."""
        action = target.rsplit(".", 1)[-1]
        self.calls.append(action)
        if action == "InitiateAuth" and body.get("AuthFlow") == "USER_SRP_AUTH":
            return self._start(body["AuthParameters"])
        if action == "RespondToAuthChallenge":
            return self._respond(body)
        return 400, {"__type": "InvalidParameterException", "message": f"{action} is not supported here"}

    def _start(self, parameters: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if parameters["USERNAME"] != self.email:
            return _not_authorized()
        a_public = int(parameters["SRP_A"], 16)
        b_secret = secrets.randbits(1024)
        k = _hash_hex(_pad_hex(N) + _pad_hex(G))
        b_public = (k * self._verifier() + pow(G, b_secret, N)) % N
        secret_block = base64.b64encode(secrets.token_bytes(64)).decode()
        self._pending = {"A": a_public, "B": b_public, "b": b_secret, "secret_block": secret_block}
        return 200, {
            "ChallengeName": "PASSWORD_VERIFIER",
            "Session": "srp-session",
            "ChallengeParameters": {
                "SALT": format(self._salt, "x"),
                "SRP_B": format(b_public, "x"),
                "SECRET_BLOCK": secret_block,
                "USER_ID_FOR_SRP": self.user_id,
                "USERNAME": self.user_id,
            },
        }

    def _respond(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        answers = body["ChallengeResponses"]
        if body["ChallengeName"] == "PASSWORD_VERIFIER":
            if not self._signature_proves_the_password(answers):
                return _not_authorized()
            if self.new_password_required:
                return 200, {
                    "ChallengeName": "NEW_PASSWORD_REQUIRED",
                    "Session": "new-password-session",
                    "ChallengeParameters": {"USER_ID_FOR_SRP": self.user_id},
                }
        elif body["ChallengeName"] == "NEW_PASSWORD_REQUIRED":
            if body["Session"] != "new-password-session" or len(answers["NEW_PASSWORD"]) < 12:
                return 400, {
                    "__type": "InvalidPasswordException",
                    "message": "Password does not conform to policy",
                }
            self.password = answers["NEW_PASSWORD"]
        return 200, {
            "AuthenticationResult": {"IdToken": id_token(self.email), "RefreshToken": "refresh-token"}
        }

    def _signature_proves_the_password(self, answers: dict[str, str]) -> bool:
        pending = self._pending
        if answers.get("PASSWORD_CLAIM_SECRET_BLOCK") != pending.get("secret_block"):
            return False
        u = _hash_hex(_pad_hex(pending["A"]) + _pad_hex(pending["B"]))
        shared = pow(pending["A"] * pow(self._verifier(), u, N), pending["b"], N)
        prk = hmac.new(bytes.fromhex(_pad_hex(u)), bytes.fromhex(_pad_hex(shared)), hashlib.sha256).digest()
        key = hmac.new(prk, b"Caldera Derived Key\x01", hashlib.sha256).digest()[:16]
        message = (
            self._pool_name.encode()
            + self.user_id.encode()
            + base64.b64decode(pending["secret_block"])
            + answers["TIMESTAMP"].encode()
        )
        expected = base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()
        return hmac.compare_digest(expected, answers["PASSWORD_CLAIM_SIGNATURE"]) and _is_now(
            answers["TIMESTAMP"]
        )


def _is_now(timestamp: str) -> bool:
    """Cognito's format, 'Tue Jan 2 03:04:05 UTC 2024' (day not padded), within minutes of now."""
    if not re.fullmatch(r"[A-Z][a-z]{2} [A-Z][a-z]{2} [1-9]\d? \d{2}:\d{2}:\d{2} UTC \d{4}", timestamp):
        return False
    parsed = time.strptime(timestamp, "%a %b %d %H:%M:%S UTC %Y")
    return abs(calendar.timegm(parsed) - time.time()) < 300


def _not_authorized() -> tuple[int, dict[str, Any]]:
    return 400, {"__type": "NotAuthorizedException", "message": "Incorrect username or password."}
