"""Users, roles and API tokens. Tokens are stored only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import secrets
import time
from threading import Lock
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from rexian.adapters.db.repositories import UserRecord
from rexian.adapters.db.uow import Transaction
from rexian.domain.access import check_write
from rexian.domain.errors import InvalidInput, NotFound
from rexian.domain.vocabulary import Role
from rexian.domain.workorder import Actor
from rexian.services.context import Hotline, mark_changed

_hasher = PasswordHasher()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


PASSWORD_MIN = 8


def add_user(hl: Hotline, name: str, role: Role, actor: Actor, unit_code: str | None = None,
             password: str | None = None) -> int:
    check_write(actor, "manage_users")
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("用户名须为1至100个字符", "a user name has 1 to 100 characters")
    if role == Role.CITIZEN:
        raise InvalidInput("市民无需账号", "citizens need no account")
    if role in (Role.UNIT_STAFF, Role.UNIT_ADMIN) and not unit_code:
        raise InvalidInput("单位用户必须指定所属单位", "unit users need a unit")
    if password is not None and len(password) < PASSWORD_MIN:
        raise InvalidInput(f"密码至少{PASSWORD_MIN}位", f"a password has at least {PASSWORD_MIN} characters")
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
        user = _user_named(tx, name)
        now = hl.clock.now()
        tx.users.add_token(user.id, token_hash(token), now)
        tx.audit.record(now, actor.name, "token.issue", "user", str(user.id), {})
        tx.commit()
    return token


TOKEN_CACHE_SECONDS = 30.0  # a token's user is looked up again after this time, whatever happened
TOKENS_KEPT = 10_000
_token_lock = Lock()


def cached_actor_for_token(hl: Hotline, token: str) -> tuple[bool, Actor | None]:
    """(known, actor): the user behind a bearer token if this process looked it up lately and has looked for
    revocations within the last second, without touching the database (so a request can skip the thread
    pool)."""
    seen = hl.held("tokens") if hl.fresh() else None
    return _remembered(seen or {}, token_hash(token))


def _remembered(seen: dict[str, Any], digest: str) -> tuple[bool, Actor | None]:
    cached = seen.get(digest)
    if cached and time.monotonic() - cached[0] < TOKEN_CACHE_SECONDS:
        return True, cached[1]
    return False, None


def actor_for_token(hl: Hotline, token: str) -> Actor | None:
    """The user behind a bearer token, cached: systems call the API many times a second. A token revoked or a
    user deactivated by any process stops working here within a second (the "tokens" shared cache)."""
    seen, digest = hl.token_users(), token_hash(token)
    known, actor = _remembered(seen, digest)
    if known:
        return actor
    now = time.monotonic()
    with hl.uow.begin() as tx:
        user = tx.users.by_token_hash(digest)
    actor = Actor(user.name, user.role, user.unit_code) if user is not None and user.active else None
    with _token_lock:
        if len(seen) > TOKENS_KEPT:
            seen.clear()
        seen[digest] = (now, actor)
    return actor


def set_active(hl: Hotline, name: str, active: bool, actor: Actor) -> None:
    """Let a user log in and use their tokens again, or stop them (someone who left, a lost laptop): their
    sessions stop at the next request, their tokens within a second on every app process."""
    check_write(actor, "manage_users")
    if not active and name == actor.name:
        raise InvalidInput("不能停用自己", "you cannot deactivate yourself")
    with hl.uow.begin(write=True) as tx:
        user = _user_named(tx, name)
        tx.users.set_active(user.id, active)
        tx.audit.record(hl.clock.now(), actor.name, "user.activate" if active else "user.deactivate", "user",
                        str(user.id), {})
        mark_changed(tx, "tokens")
        tx.commit()
    hl.forget("tokens")


def revoke_tokens(hl: Hotline, name: str, actor: Actor) -> int:
    """Revoke every API token of a user (a token leaked or a system retired); the user may still log in and be
    issued a new one. How many were revoked."""
    check_write(actor, "manage_users")
    with hl.uow.begin(write=True) as tx:
        user = _user_named(tx, name)
        revoked = tx.users.revoke_tokens(user.id)
        tx.audit.record(hl.clock.now(), actor.name, "token.revoke", "user", str(user.id), {"tokens": revoked})
        mark_changed(tx, "tokens")
        tx.commit()
    hl.forget("tokens")
    return revoked


def list_users(hl: Hotline, actor: Actor) -> list[dict[str, Any]]:
    """Every user: name, role, unit, whether active, how many live tokens (never the tokens themselves)."""
    check_write(actor, "manage_users")
    with hl.uow.begin() as tx:
        return tx.users.summaries()


def _user_named(tx: Transaction, name: str) -> UserRecord:
    user = tx.users.by_name(name)
    if user is None:
        raise NotFound(f"用户不存在：{name}", f"no such user: {name}")
    return user


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
