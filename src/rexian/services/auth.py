"""Users, roles and API tokens. Tokens are stored only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import secrets
import time
from threading import Lock

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from rexian.domain.access import check_write
from rexian.domain.errors import InvalidInput, NotFound
from rexian.domain.vocabulary import Role
from rexian.domain.workorder import Actor
from rexian.services.context import Hotline

_hasher = PasswordHasher()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_user(hl: Hotline, name: str, role: Role, actor: Actor, unit_code: str | None = None,
             password: str | None = None) -> int:
    check_write(actor, "manage_users")
    if role in (Role.UNIT_STAFF, Role.UNIT_ADMIN) and not unit_code:
        raise InvalidInput("单位用户必须指定所属单位", "unit users need --unit")
    with hl.uow.begin(write=True) as tx:
        if tx.users.by_name(name) is not None:
            raise InvalidInput(f"用户已存在：{name}", f"user already exists: {name}")
        if unit_code and tx.units.get(unit_code) is None:
            raise InvalidInput(f"单位不存在：{unit_code}", f"unknown unit: {unit_code}")
        now = hl.clock.now()
        user_id = tx.users.add(name, role, unit_code, now, _hasher.hash(password) if password else None)
        tx.audit.record(now, actor.name, "user.add", "user", str(user_id), {"name": name, "role": role.value,
                                                                             "unit": unit_code})
        tx.commit()
    return user_id


def issue_token(hl: Hotline, name: str, actor: Actor) -> str:
    """A new bearer token for user `name`; only its hash is kept."""
    check_write(actor, "manage_users")
    token = secrets.token_urlsafe(32)
    with hl.uow.begin(write=True) as tx:
        user = tx.users.by_name(name)
        if user is None:
            raise NotFound(f"用户不存在：{name}", f"no such user: {name}")
        now = hl.clock.now()
        tx.users.add_token(user.id, token_hash(token), now)
        tx.audit.record(now, actor.name, "token.issue", "user", str(user.id), {})
        tx.commit()
    return token


TOKEN_CACHE_SECONDS = 30.0  # a revoked token or deactivated user stops working within this time
_token_cache: dict[str, tuple[float, Actor | None]] = {}
_token_lock = Lock()


def cached_actor_for_token(token: str) -> tuple[bool, Actor | None]:
    """(known, actor): the user behind a bearer token if it was looked up in the last few seconds, without
    touching the database (so a request can skip the thread pool)."""
    with _token_lock:
        cached = _token_cache.get(token_hash(token))
    if cached and time.monotonic() - cached[0] < TOKEN_CACHE_SECONDS:
        return True, cached[1]
    return False, None


def actor_for_token(hl: Hotline, token: str) -> Actor | None:
    """The user behind a bearer token, cached briefly: systems call the API many times a second."""
    known, actor = cached_actor_for_token(token)
    if known:
        return actor
    digest = token_hash(token)
    now = time.monotonic()
    with hl.uow.begin() as tx:
        user = tx.users.by_token_hash(digest)
    actor = Actor(user.name, user.role, user.unit_code) if user is not None and user.active else None
    with _token_lock:
        if len(_token_cache) > 10_000:
            _token_cache.clear()
        _token_cache[digest] = (now, actor)
    return actor


def actor_for_password(hl: Hotline, name: str, password: str) -> Actor | None:
    with hl.uow.begin() as tx:
        user = tx.users.by_name(name)
    if user is None or not user.active or not user.password_hash:
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return Actor(user.name, user.role, user.unit_code)
