"""The API token (clients prove they run as this user) and the Hugging Face hub token.

Looked up in order: environment variable (`MAID_API_TOKEN`, `MAID_HUB_TOKEN`), the OS keyring (service
"maid"), then a 0600 file in the config dir — headless Linux has no keyring backend (`NoKeyringError`),
and keyrings.alt only base64-encodes, so a private file is the honest fallback.

Never log a token, never write one into the discovery file or the config file.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import keyring
import keyring.errors

SERVICE = "maid"
TokenName = Literal["api", "hub"]
ENV = {"api": "MAID_API_TOKEN", "hub": "MAID_HUB_TOKEN"}


@dataclass(frozen=True)
class Token:
    value: str
    source: str  # "environment variable MAID_API_TOKEN", "keyring", or the file's path


def token_file(config_dir: Path, name: TokenName) -> Path:
    return config_dir / "secrets" / f"{name}.token"


def get_token(config_dir: Path, name: TokenName) -> Token | None:
    value = os.environ.get(ENV[name])
    if value:
        return Token(value, f"environment variable {ENV[name]}")
    try:
        value = keyring.get_password(SERVICE, name)
    except keyring.errors.KeyringError:
        value = None
    if value:
        return Token(value, "keyring")
    path = token_file(config_dir, name)
    if path.is_file():
        value = path.read_text(encoding="utf-8").strip()
        if value:
            return Token(value, str(path))
    return None


def set_token(config_dir: Path, name: TokenName, value: str) -> Token:
    """Store `value` in the keyring, or in a 0600 file when no keyring backend exists."""
    try:
        keyring.set_password(SERVICE, name, value)
        return Token(value, "keyring")
    except keyring.errors.KeyringError:
        pass
    path = token_file(config_dir, name)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, value.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o600)  # in case the file existed with wider permissions
    os.replace(tmp, path)
    return Token(value, str(path))


def ensure_api_token(config_dir: Path) -> Token:
    """The API token, generated and stored on first use."""
    return get_token(config_dir, "api") or set_token(config_dir, "api", secrets.token_urlsafe(32))
