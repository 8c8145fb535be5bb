"""Failed-login counters per account name and per client IP (fixed windows, kept in the database).

Keyed by the *typed* user name, existing or not, so a locked name answers the same whether or not
the account exists (no enumeration through the throttle either). Counters live in the database so
every worker process sees the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from fhir_server.auth.schema import login_failure


@dataclass(frozen=True)
class LoginLimits:
    """How many failures each key may accumulate within the window."""

    per_account: int = 5
    per_ip: int = 20
    window_us: int = 900 * 1_000_000


def account_key(username: str) -> str:
    return f"user:{username[:190]}"


def ip_key(address: str) -> str:
    return f"ip:{address[:190]}"


def is_throttled(connection: sa.Connection, limits: dict[str, int], now: int, window_us: int) -> bool:
    """True when any key has reached its limit inside the current window."""
    rows = connection.execute(
        sa.select(login_failure.c.key, login_failure.c.failures, login_failure.c.window_start_us).where(
            login_failure.c.key.in_(list(limits))
        )
    ).all()
    return any(row.failures >= limits[row.key] and now - row.window_start_us < window_us for row in rows)


def record_failure(connection: sa.Connection, key: str, now: int, window_us: int) -> None:
    """Count one failure; a window that has passed starts again at one."""
    table = login_failure
    updated = connection.execute(
        table.update()
        .where(table.c.key == key, table.c.window_start_us > now - window_us)
        .values(failures=table.c.failures + 1)
    ).rowcount
    if updated:
        return
    restarted = connection.execute(
        table.update().where(table.c.key == key).values(failures=1, window_start_us=now)
    ).rowcount
    if not restarted:
        connection.execute(table.insert().values(key=key, failures=1, window_start_us=now))


def clear(connection: sa.Connection, key: str) -> None:
    """Forget a key's failures (after a good login)."""
    connection.execute(login_failure.delete().where(login_failure.c.key == key))
