"""The sandbox service: an HTTP API over the store and a dashboard (see docs/service.md)."""

from __future__ import annotations

from .app import Service, create_app
from .server import build_app, serve

__all__ = ["Service", "build_app", "create_app", "serve"]
