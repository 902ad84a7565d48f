"""Principals and roles in the database: users, OAuth clients, API keys, roles and grants.

Every function takes an engine and runs its own transaction. Secrets are returned once, when
they are created, and stored only as hashes (see auth.credentials, auth.passwords).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from auth import credentials, tables
from auth.audit import SYSTEM, record
from auth.passwords import hash_password, verify_password
from auth.permissions import ADMIN_ROLE, Operation, Permissions, parse_grant
from auth.principal import Principal, PrincipalKind
from auth.transactions import write_transaction


class AuthStoreError(ValueError):
    """A management request that cannot be carried out; the message says why."""


class NotFoundError(AuthStoreError):
    pass


class AlreadyExistsError(AuthStoreError):
    pass


def now() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything dexgate stores is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


# --- roles ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RoleInfo:
    name: str
    grants: dict[str, frozenset[Operation]]


async def set_role(
    engine: AsyncEngine, name: str, grants: Iterable[str], *, actor: str = SYSTEM
) -> RoleInfo:
    """Create the role or replace its grants (``products:read,create``, ``categories:*``)."""
    if name == ADMIN_ROLE:
        raise AuthStoreError("The admin role is built in: it grants everything and cannot change.")
    if not name or len(name) > 64:
        raise AuthStoreError("A role name needs 1 to 64 characters.")
    parsed: dict[str, set[Operation]] = {}
    for spec in grants:
        alias, ops = parse_grant(spec)
        parsed.setdefault(alias, set()).update(ops)
    stamp = now()
    async with write_transaction(engine) as connection:
        exists = await connection.scalar(
            sa.select(tables.role.c.name).where(tables.role.c.name == name)
        )
        if exists is None:
            await connection.execute(
                tables.role.insert().values(name=name, created_at=stamp, updated_at=stamp)
            )
        else:
            await connection.execute(
                tables.role.update().where(tables.role.c.name == name).values(updated_at=stamp)
            )
        await connection.execute(
            tables.role_grant.delete().where(tables.role_grant.c.role_name == name)
        )
        rows = [
            {"role_name": name, "entity": alias, "operation": op}
            for alias, ops in sorted(parsed.items())
            for op in sorted(ops)
        ]
        if rows:
            await connection.execute(tables.role_grant.insert(), rows)
        specs = [f"{r['entity']}:{r['operation']}" for r in rows]
        await record(connection, actor, "role.set", detail={"role": name, "grants": specs})
    return RoleInfo(name, {a: frozenset(o) for a, o in parsed.items()})


async def delete_role(engine: AsyncEngine, name: str, *, actor: str = SYSTEM) -> None:
    if name == ADMIN_ROLE:
        raise AuthStoreError("The admin role is built in and cannot be deleted.")
    async with write_transaction(engine) as connection:
        await connection.execute(
            tables.role_grant.delete().where(tables.role_grant.c.role_name == name)
        )
        await connection.execute(
            tables.principal_role.delete().where(tables.principal_role.c.role_name == name)
        )
        result = await connection.execute(tables.role.delete().where(tables.role.c.name == name))
        if result.rowcount == 0:
            raise NotFoundError(f"There is no role {name!r}.")
        await record(connection, actor, "role.delete", detail={"role": name})


async def list_roles(engine: AsyncEngine) -> list[RoleInfo]:
    async with engine.connect() as connection:
        names = (await connection.scalars(sa.select(tables.role.c.name).order_by("name"))).all()
        grants = (await connection.execute(sa.select(tables.role_grant))).all()
    merged: dict[str, dict[str, set[Operation]]] = {n: {} for n in names}
    for role_name, entity, operation in grants:
        merged.setdefault(role_name, {}).setdefault(entity, set()).add(operation)
    return [RoleInfo(n, {a: frozenset(o) for a, o in merged[n].items()}) for n in sorted(merged)]


async def _check_roles(connection: AsyncConnection, roles: Sequence[str]) -> None:
    if not roles:
        raise AuthStoreError("Give at least one role (--role).")
    known = set(
        (
            await connection.scalars(
                sa.select(tables.role.c.name).where(tables.role.c.name.in_(roles))
            )
        ).all()
    )
    missing = [r for r in roles if r not in known]
    if missing:
        raise NotFoundError(
            f"No such role: {', '.join(missing)}. "
            "Create it with `dexgate role set NAME --grant ...`."
        )


async def _assign(
    connection: AsyncConnection, kind: PrincipalKind, ident: int, roles: Sequence[str]
) -> None:
    await connection.execute(
        tables.principal_role.delete().where(
            tables.principal_role.c.principal_kind == kind,
            tables.principal_role.c.principal_id == ident,
        )
    )
    await connection.execute(
        tables.principal_role.insert(),
        [
            {"principal_kind": kind, "principal_id": ident, "role_name": r}
            for r in dict.fromkeys(roles)
        ],
    )


async def load_principal(
    connection: AsyncConnection, kind: PrincipalKind, ident: int, name: str
) -> Principal:
    pr, rg = tables.principal_role, tables.role_grant
    roles = tuple(
        (
            await connection.scalars(
                sa.select(pr.c.role_name)
                .where(pr.c.principal_kind == kind, pr.c.principal_id == ident)
                .order_by(pr.c.role_name)
            )
        ).all()
    )
    grants = (
        await connection.execute(
            sa.select(rg.c.role_name, rg.c.entity, rg.c.operation).where(rg.c.role_name.in_(roles))
        )
    ).all()
    permissions = Permissions.union((tuple(g) for g in grants), roles=roles, actor=f"{kind}:{name}")
    return Principal(kind, ident, name, roles, permissions)


# --- users ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UserInfo:
    id: int
    username: str
    is_active: bool
    roles: tuple[str, ...]
    created_at: datetime | None
    last_login_at: datetime | None


async def create_user(
    engine: AsyncEngine,
    username: str,
    password: str,
    roles: Sequence[str],
    *,
    actor: str = SYSTEM,
) -> int:
    if not username or len(username) > 255:
        raise AuthStoreError("A username needs 1 to 255 characters.")
    password_hash = hash_password(password)
    stamp = now()
    async with write_transaction(engine) as connection:
        await _check_roles(connection, roles)
        if await _user_id(connection, username) is not None:
            raise AlreadyExistsError(f"User {username!r} exists already.")
        ident = (
            await connection.execute(
                tables.user.insert()
                .values(
                    username=username,
                    password_hash=password_hash,
                    is_active=True,
                    created_at=stamp,
                    updated_at=stamp,
                )
                .returning(tables.user.c.id)
            )
        ).scalar_one()
        await _assign(connection, "user", ident, roles)
        detail = {"user": username, "roles": list(roles)}
        await record(connection, actor, "user.create", detail=detail)
    return int(ident)


async def _user_id(connection: AsyncConnection, username: str) -> int | None:
    value = await connection.scalar(
        sa.select(tables.user.c.id).where(tables.user.c.username == username)
    )
    return None if value is None else int(value)


async def _require_user(connection: AsyncConnection, username: str) -> int:
    ident = await _user_id(connection, username)
    if ident is None:
        raise NotFoundError(f"There is no user {username!r}.")
    return ident


async def set_password(
    engine: AsyncEngine, username: str, password: str, *, actor: str = SYSTEM
) -> None:
    password_hash = hash_password(password)
    async with write_transaction(engine) as connection:
        ident = await _require_user(connection, username)
        await connection.execute(
            tables.user.update()
            .where(tables.user.c.id == ident)
            .values(password_hash=password_hash, updated_at=now())
        )
        await _revoke_sessions(connection, ident)
        await record(connection, actor, "user.password", detail={"user": username})


async def set_user_active(
    engine: AsyncEngine, username: str, active: bool, *, actor: str = SYSTEM
) -> None:
    async with write_transaction(engine) as connection:
        ident = await _require_user(connection, username)
        await connection.execute(
            tables.user.update()
            .where(tables.user.c.id == ident)
            .values(is_active=active, updated_at=now())
        )
        if not active:
            await _revoke_sessions(connection, ident)
        action = "user.enable" if active else "user.disable"
        await record(connection, actor, action, detail={"user": username})


async def set_user_roles(
    engine: AsyncEngine, username: str, roles: Sequence[str], *, actor: str = SYSTEM
) -> None:
    async with write_transaction(engine) as connection:
        ident = await _require_user(connection, username)
        await _check_roles(connection, roles)
        await _assign(connection, "user", ident, roles)
        detail = {"user": username, "roles": list(roles)}
        await record(connection, actor, "user.roles", detail=detail)


async def _revoke_sessions(connection: AsyncConnection, user_id: int) -> None:
    rt = tables.refresh_token
    await connection.execute(
        rt.update()
        .where(rt.c.user_id == user_id, rt.c.revoked_at.is_(None))
        .values(revoked_at=now())
    )


async def _roles_of(connection: AsyncConnection, kind: PrincipalKind) -> dict[int, list[str]]:
    pr = tables.principal_role
    rows = await connection.execute(
        sa.select(pr.c.principal_id, pr.c.role_name)
        .where(pr.c.principal_kind == kind)
        .order_by(pr.c.role_name)
    )
    out: dict[int, list[str]] = {}
    for ident, role_name in rows:
        out.setdefault(int(ident), []).append(role_name)
    return out


async def list_users(engine: AsyncEngine) -> list[UserInfo]:
    u = tables.user
    async with engine.connect() as connection:
        roles = await _roles_of(connection, "user")
        rows = (await connection.execute(sa.select(u).order_by(u.c.username))).mappings().all()
    return [
        UserInfo(
            r["id"],
            r["username"],
            bool(r["is_active"]),
            tuple(roles.get(r["id"], ())),
            aware(r["created_at"]),
            aware(r["last_login_at"]),
        )
        for r in rows
    ]


# --- OAuth clients -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClientInfo:
    id: int
    name: str
    client_id: str
    is_active: bool
    roles: tuple[str, ...]
    created_at: datetime | None
    last_used_at: datetime | None


async def create_client(
    engine: AsyncEngine, name: str, roles: Sequence[str], *, actor: str = SYSTEM
) -> tuple[str, str]:
    """Register a client; returns ``(client_id, client_secret)``, the secret shown only now."""
    if not name or len(name) > 255:
        raise AuthStoreError("A client name needs 1 to 255 characters.")
    client_id, secret = credentials.new_client_id(), credentials.new_secret()
    stamp = now()
    c = tables.client
    async with write_transaction(engine) as connection:
        await _check_roles(connection, roles)
        if await connection.scalar(sa.select(c.c.id).where(c.c.name == name)) is not None:
            raise AlreadyExistsError(f"Client {name!r} exists already.")
        ident = (
            await connection.execute(
                c.insert()
                .values(
                    name=name,
                    client_id=client_id,
                    secret_hash=credentials.digest(secret),
                    is_active=True,
                    created_at=stamp,
                    updated_at=stamp,
                )
                .returning(c.c.id)
            )
        ).scalar_one()
        await _assign(connection, "client", int(ident), roles)
        detail = {"client": name, "client_id": client_id, "roles": list(roles)}
        await record(connection, actor, "client.create", detail=detail)
    return client_id, secret


async def rotate_client_secret(
    engine: AsyncEngine, name: str, *, actor: str = SYSTEM
) -> tuple[str, str]:
    secret = credentials.new_secret()
    c = tables.client
    async with write_transaction(engine) as connection:
        row = (await connection.execute(sa.select(c.c.client_id).where(c.c.name == name))).first()
        if row is None:
            raise NotFoundError(f"There is no client {name!r}.")
        await connection.execute(
            c.update()
            .where(c.c.name == name)
            .values(secret_hash=credentials.digest(secret), updated_at=now())
        )
        await record(connection, actor, "client.rotate", detail={"client": name})
    return str(row[0]), secret


async def set_client_active(
    engine: AsyncEngine, name: str, active: bool, *, actor: str = SYSTEM
) -> None:
    c = tables.client
    async with write_transaction(engine) as connection:
        result = await connection.execute(
            c.update().where(c.c.name == name).values(is_active=active, updated_at=now())
        )
        if result.rowcount == 0:
            raise NotFoundError(f"There is no client {name!r}.")
        action = "client.enable" if active else "client.revoke"
        await record(connection, actor, action, detail={"client": name})


async def list_clients(engine: AsyncEngine) -> list[ClientInfo]:
    c = tables.client
    async with engine.connect() as connection:
        roles = await _roles_of(connection, "client")
        rows = (await connection.execute(sa.select(c).order_by(c.c.name))).mappings().all()
    return [
        ClientInfo(
            r["id"],
            r["name"],
            r["client_id"],
            bool(r["is_active"]),
            tuple(roles.get(r["id"], ())),
            aware(r["created_at"]),
            aware(r["last_used_at"]),
        )
        for r in rows
    ]


# --- API keys ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ApiKeyInfo:
    id: int
    name: str
    prefix: str
    roles: tuple[str, ...]
    valid_to: datetime | None
    revoked_at: datetime | None
    created_at: datetime | None
    last_used_at: datetime | None

    def status(self, at: datetime | None = None) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.valid_to is not None and self.valid_to <= (at or now()):
            return "expired"
        return "active"


async def create_api_key(
    engine: AsyncEngine,
    name: str,
    roles: Sequence[str],
    valid_to: datetime | None = None,
    *,
    actor: str = SYSTEM,
) -> str:
    """Create a key and return it; only its hash is kept, so this is the one time it is seen."""
    if not name or len(name) > 255:
        raise AuthStoreError("A key name needs 1 to 255 characters.")
    if valid_to is not None:
        # Stored in UTC: SQLite keeps no offset, and reads come back as UTC.
        valid_to = (valid_to if valid_to.tzinfo else valid_to.replace(tzinfo=UTC)).astimezone(UTC)
    key = credentials.new_api_key()
    k = tables.api_key
    async with write_transaction(engine) as connection:
        await _check_roles(connection, roles)
        if await connection.scalar(sa.select(k.c.id).where(k.c.name == name)) is not None:
            raise AlreadyExistsError(f"API key {name!r} exists already.")
        ident = (
            await connection.execute(
                k.insert()
                .values(
                    name=name,
                    key_prefix=credentials.key_prefix(key),
                    key_hash=credentials.digest(key),
                    valid_to=valid_to,
                    created_at=now(),
                )
                .returning(k.c.id)
            )
        ).scalar_one()
        await _assign(connection, "apikey", int(ident), roles)
        detail = {
            "key": name,
            "prefix": credentials.key_prefix(key),
            "roles": list(roles),
            "expires": None if valid_to is None else valid_to.isoformat(),
        }
        await record(connection, actor, "apikey.create", detail=detail)
    return key


async def revoke_api_key(engine: AsyncEngine, name: str, *, actor: str = SYSTEM) -> None:
    k = tables.api_key
    async with write_transaction(engine) as connection:
        result = await connection.execute(
            k.update().where(k.c.name == name, k.c.revoked_at.is_(None)).values(revoked_at=now())
        )
        if result.rowcount == 0:
            exists = await connection.scalar(sa.select(k.c.id).where(k.c.name == name))
            if exists is None:
                raise NotFoundError(f"There is no API key {name!r}.")
        else:
            await record(connection, actor, "apikey.revoke", detail={"key": name})


async def list_api_keys(engine: AsyncEngine) -> list[ApiKeyInfo]:
    k = tables.api_key
    async with engine.connect() as connection:
        roles = await _roles_of(connection, "apikey")
        rows = (await connection.execute(sa.select(k).order_by(k.c.name))).mappings().all()
    return [_key_info(r, roles) for r in rows]


def _key_info(r: Any, roles: dict[int, list[str]]) -> ApiKeyInfo:
    return ApiKeyInfo(
        r["id"],
        r["name"],
        r["key_prefix"],
        tuple(roles.get(r["id"], ())),
        aware(r["valid_to"]),
        aware(r["revoked_at"]),
        aware(r["created_at"]),
        aware(r["last_used_at"]),
    )


# --- the token-signing secret --------------------------------------------------------------

SIGNING_SECRET = "access_token_signing_key"  # noqa: S105  # a row name, not a secret


async def signing_secret(engine: AsyncEngine) -> str:
    """The secret access tokens are signed with when ``DEXGATE_SECRET_KEY`` is not set: created
    once and kept in the database, so every process and every restart shares it."""
    s = tables.secret
    async with engine.connect() as connection:
        value = await connection.scalar(sa.select(s.c.value).where(s.c.name == SIGNING_SECRET))
    if value is not None:
        return str(value)
    try:
        async with write_transaction(engine) as connection:
            await connection.execute(
                s.insert().values(
                    name=SIGNING_SECRET, value=credentials.new_secret(), created_at=now()
                )
            )
    except sa.exc.IntegrityError:
        pass  # another process created it first; use theirs
    async with engine.connect() as connection:
        return str(await connection.scalar(sa.select(s.c.value).where(s.c.name == SIGNING_SECRET)))


async def check_password(engine: AsyncEngine, username: str, password: str) -> bool:
    """Whether ``password`` is the user's current password."""
    async with engine.connect() as connection:
        stored = await connection.scalar(
            sa.select(tables.user.c.password_hash).where(tables.user.c.username == username)
        )
    return verify_password(stored, password)
