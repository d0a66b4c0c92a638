"""Rate-limit counters: hits per client in fixed windows, shared by every app process on the database."""

from __future__ import annotations

from sqlalchemy import Column, Integer, String, Table

from rexian.adapters.db.tables import metadata

rate_limit_hits = Table(
    "rate_limit_hits", metadata,
    Column("scope", String(16), primary_key=True),  # which limit: public (citizens), login
    Column("window_start", Integer, primary_key=True),  # seconds since the epoch, a multiple of the window
    Column("client", String(64), primary_key=True),  # the client's address
    Column("hits", Integer, nullable=False),
)
