"""A small OpenID Connect provider for the tests: a real process speaking real HTTP.

    python tests/oidc_provider.py --port 0 --client-id dsar --client-secret s3cret --users users.json

It prints ``READY <port>`` once it listens (``--port 0`` picks a free loopback port). It
implements discovery, the authorization endpoint (it approves, without asking, the user
chosen through ``POST /_control``, or the first in the users file), the token endpoint
(client secret, single-use code, redirect URI and PKCE S256 checked), the JWKS and userinfo.
ID tokens are RS256 JWTs signed with a key made at start-up.

The users file is read at every authorization, so a test can change someone's groups between
two sign-ins. ``POST /_control`` with ``{"user": "...", "mode": "..."}`` chooses who signs in
and how the provider misbehaves on the next tokens:

- ``ok``: well-formed tokens;
- ``bad-signature``: signed with a key that is not in the JWKS (same ``kid``);
- ``tampered``: a claim of the signed token changed afterwards;
- ``expired``: ``exp`` and ``iat`` an hour in the past;
- ``wrong-audience`` / ``wrong-issuer``: ``aud`` or ``iss`` not the expected one;
- ``replay-nonce``: the nonce of the previous authorization instead of this one's.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

MODES = ("ok", "bad-signature", "tampered", "expired", "wrong-audience", "wrong-issuer", "replay-nonce")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_b64(number: int) -> str:
    return _b64(number.to_bytes((number.bit_length() + 7) // 8, "big"))


class Provider:
    def __init__(self, *, client_id: str, client_secret: str, users_path: Path, mode: str) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.users_path = users_path
        self.mode = mode
        self.user: str | None = None
        self.issuer = ""
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.rogue_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.codes: dict[str, dict[str, Any]] = {}
        self.access_tokens: dict[str, dict[str, Any]] = {}
        self.previous_nonce: str | None = None
        self.lock = threading.Lock()

    def users(self) -> dict[str, dict[str, Any]]:
        users: dict[str, dict[str, Any]] = json.loads(self.users_path.read_text(encoding="utf-8"))
        return users

    def jwks(self) -> dict[str, Any]:
        numbers = self.key.public_key().public_numbers()
        jwk = {"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256"}
        return {"keys": [{**jwk, "n": _int_b64(numbers.n), "e": _int_b64(numbers.e)}]}

    def sign(self, claims: dict[str, Any]) -> str:
        header = _b64(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "k1"}).encode())
        payload = _b64(json.dumps(claims).encode())
        key = self.rogue_key if self.mode == "bad-signature" else self.key
        signature = key.sign(f"{header}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256())
        if self.mode == "tampered":
            payload = _b64(json.dumps({**claims, "sub": claims["sub"] + "-someone-else"}).encode())
        return f"{header}.{payload}.{_b64(signature)}"

    def id_token(self, grant: dict[str, Any]) -> str:
        user = grant["user"]
        now = int(time.time()) - (3600 if self.mode == "expired" else 0)
        claims = {
            **{k: v for k, v in user.items() if k != "password"},
            "iss": self.issuer + ("/other" if self.mode == "wrong-issuer" else ""),
            "aud": "someone-else" if self.mode == "wrong-audience" else self.client_id,
            "iat": now,
            "exp": now + 300,
            "auth_time": now,
            "nonce": grant["nonce"],
        }
        if self.mode == "replay-nonce" and grant["previous_nonce"]:
            claims["nonce"] = grant["previous_nonce"]
        return self.sign(claims)


class Handler(BaseHTTPRequestHandler):
    server: ProviderServer

    def log_message(self, format: str, *args: Any) -> None:
        return

    @property
    def provider(self) -> Provider:
        return self.server.provider

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _form(self) -> dict[str, str]:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        if self.headers.get("Content-Type", "").startswith("application/json"):
            loaded: dict[str, str] = json.loads(body or "{}")
            return loaded
        return {k: v[0] for k, v in parse_qs(body).items()}

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        issuer = self.provider.issuer
        if url.path == "/.well-known/openid-configuration":
            self._json(
                200,
                {
                    "issuer": issuer,
                    "authorization_endpoint": f"{issuer}/authorize",
                    "token_endpoint": f"{issuer}/token",
                    "jwks_uri": f"{issuer}/jwks",
                    "userinfo_endpoint": f"{issuer}/userinfo",
                    "response_types_supported": ["code"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "code_challenge_methods_supported": ["S256"],
                    "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                    "scopes_supported": ["openid", "email", "profile", "groups"],
                },
            )
        elif url.path == "/jwks":
            self._json(200, self.provider.jwks())
        elif url.path == "/authorize":
            self.authorize(query)
        elif url.path == "/userinfo":
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            grant = self.provider.access_tokens.get(token)
            if grant is None:
                self._json(401, {"error": "invalid_token"})
                return
            self._json(200, {k: v for k, v in grant["user"].items() if k != "password"})
        else:
            self._json(404, {"error": "not_found"})

    def authorize(self, query: dict[str, str]) -> None:
        provider = self.provider
        redirect_uri = query.get("redirect_uri", "")
        problems = []
        if query.get("client_id") != provider.client_id:
            problems.append("unknown client_id")
        if query.get("response_type") != "code":
            problems.append("response_type must be code")
        if "openid" not in query.get("scope", "").split():
            problems.append("scope must include openid")
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            problems.append("PKCE S256 is required")
        if not query.get("nonce") or not query.get("state"):
            problems.append("state and nonce are required")
        if not redirect_uri.startswith(("http://", "https://")):
            problems.append("redirect_uri is missing")
        if problems:
            self._json(400, {"error": "invalid_request", "error_description": "; ".join(problems)})
            return
        users = provider.users()
        name = provider.user or next(iter(users))
        params: dict[str, str] = {"state": query["state"]}
        if name not in users:
            params["error"] = "access_denied"
        else:
            code = secrets.token_urlsafe(24)
            with provider.lock:
                provider.codes[code] = {
                    "user": users[name],
                    "redirect_uri": redirect_uri,
                    "nonce": query["nonce"],
                    "previous_nonce": provider.previous_nonce,
                    "code_challenge": query["code_challenge"],
                }
                provider.previous_nonce = query["nonce"]
            params["code"] = code
        separator = "&" if "?" in redirect_uri else "?"
        self.send_response(302)
        self.send_header("Location", f"{redirect_uri}{separator}{urlencode(params)}")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        form = self._form()
        if url.path == "/_control":
            mode = form.get("mode", self.provider.mode)
            if mode not in MODES:
                self._json(400, {"error": f"mode must be one of {MODES}"})
                return
            self.provider.mode = mode
            if "user" in form:
                self.provider.user = form["user"]
            self._json(200, {"mode": self.provider.mode, "user": self.provider.user})
        elif url.path == "/token":
            self.token(form)
        else:
            self._json(404, {"error": "not_found"})

    def token(self, form: dict[str, str]) -> None:
        provider = self.provider
        client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(auth[6:]).decode().partition(":")
        if client_id != provider.client_id or not secrets.compare_digest(client_secret, provider.client_secret):
            self._json(401, {"error": "invalid_client"})
            return
        if form.get("grant_type") != "authorization_code":
            self._json(400, {"error": "unsupported_grant_type"})
            return
        with provider.lock:
            grant = provider.codes.pop(form.get("code", ""), None)  # a code works once
        if grant is None:
            self._json(400, {"error": "invalid_grant", "error_description": "unknown or used code"})
            return
        if form.get("redirect_uri") != grant["redirect_uri"]:
            self._json(400, {"error": "invalid_grant", "error_description": "redirect_uri differs"})
            return
        challenge = _b64(hashlib.sha256(form.get("code_verifier", "").encode()).digest())
        if not secrets.compare_digest(challenge, grant["code_challenge"]):
            self._json(400, {"error": "invalid_grant", "error_description": "code_verifier does not match"})
            return
        access_token = secrets.token_urlsafe(24)
        provider.access_tokens[access_token] = grant
        self._json(
            200,
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": provider.id_token(grant),
            },
        )


class ProviderServer(ThreadingHTTPServer):
    provider: Provider


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--users", type=Path, required=True, help="JSON: {name: {sub, email, groups, ...}}")
    parser.add_argument("--mode", choices=MODES, default="ok")
    args = parser.parse_args()
    server = ProviderServer((args.host, args.port), Handler)
    provider = Provider(
        client_id=args.client_id, client_secret=args.client_secret, users_path=args.users, mode=args.mode
    )
    provider.issuer = f"http://{args.host}:{server.server_address[1]}"
    server.provider = provider
    print(f"READY {server.server_address[1]}", flush=True)  # noqa: T201 - the tests wait for this line
    server.serve_forever()


if __name__ == "__main__":
    main()
