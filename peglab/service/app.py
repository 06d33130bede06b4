"""The HTTP API: accounts, sandboxes, every registry action as a generated route, reads, clock, jobs.

Routes (all JSON; integers as decimal strings in responses; OpenAPI at ``/docs``):

- ``POST /api/accounts`` ``{"name"}`` -> ``{"name", "api_key"}`` (open sign-up; the key is shown once)
- ``GET/POST /api/sandboxes``, ``GET/DELETE /api/sandboxes/{sb}``, ``POST /api/sandboxes/{sb}/fork``
- ``POST /api/sandboxes/{sb}/actions/{family}/{Class}/{method}``: one route per registry action,
  request and response models generated from the registry (``schemas.py``)
- ``POST /api/sandboxes/{sb}/clock/advance`` / ``clock/warp``
- ``GET /api/sandboxes/{sb}/targets|state/{path}|balances/{account}|overview|vaults|log``
- ``POST/GET /api/jobs``, ``GET /api/jobs/{id}``; run directories under ``/runs/{id}/``

Authorization: a write needs ``Authorization: Bearer <api key>``; the sender of every operation is
the key's account, always (the request models have no sender field and refuse unknown fields).
What an account may do inside a sandbox is the engine's own rule (owner checks, approvals, roles);
the sandbox owner holds ``root`` there. Accounts that exist in a sandbox's genesis world (its
oracle, its DAOs, ``gov``) cannot be used as senders. Reads are open. A refusal is an HTTP 4xx with
``{"error": {"code", "kind", "message"}}`` and nothing changed.
"""

import inspect
from typing import Annotated, Any

from fastapi import Body, Depends, FastAPI, Query, Request
from fastapi import Path as FPath
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from .. import __version__
from ..errors import InvalidInput, NotAuthorized, PeglabError
from ..store import ActionSpec, Op, library_systems, plain, plain_events, registry
from .context import Service
from .dashboard import register_dashboard
from .sandboxes import Sandboxes
from .schemas import ActionResponse, ErrorBody, ExactInt, request_model, response_model
from .views import overview, state_at, vault_rows

__all__ = ["Service", "create_app"]

STATUS = {
    "invalid-input": 400,
    "not-authorized": 403,
    "unsafe": 409,
    "limit-exceeded": 409,
    "stale-price": 409,
    "slippage": 409,
    "shut-down": 409,
    "unavailable": 503,
}
NOT_FOUND = ("sandbox/unknown", "sandbox/unknown-target", "state/unknown-path", "job/unknown")
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody} for code in (400, 401, 403, 404, 409, 422)
}


def error_response(e: PeglabError) -> JSONResponse:
    status = 404 if e.code in NOT_FOUND else STATUS.get(e.kind, 400)
    if e.code.startswith("auth/bad-key") or e.code == "auth/missing-key":
        status = 401
    return JSONResponse(
        status_code=status,
        content={"error": {"code": e.code, "kind": e.kind, "message": e.message}},
    )


_bearer = HTTPBearer(auto_error=False, description="an API key from POST /api/accounts")


class NewAccount(BaseModel):
    name: str = Field(min_length=1, max_length=64)


class NewSandbox(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    system: str | None = Field(default=None, max_length=64, description="a library system")
    scenario: str | None = Field(default=None, max_length=64, description="a library scenario")
    seed: ExactInt = 1


class ForkRequest(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    seq: ExactInt | None = None


class Advance(BaseModel):
    seconds: ExactInt


class Warp(BaseModel):
    time: ExactInt


class NewJob(BaseModel):
    scenario: str = Field(min_length=1, max_length=64)
    paths: int = Field(default=4, ge=1, le=64)
    seed: int = Field(default=1, ge=0, le=2**63 - 1)


def create_app(service: Service) -> FastAPI:
    """The FastAPI application of ``service`` (API and dashboard)."""
    app = FastAPI(
        title="peglab sandbox service",
        version=__version__,
        description=(__doc__ or "").split("\n\n")[0],
    )
    sbx = service.sandboxes
    store = service.store

    @app.exception_handler(PeglabError)
    def _peglab_error(request: Request, e: PeglabError) -> JSONResponse:
        return error_response(e)

    @app.exception_handler(RequestValidationError)
    def _validation(request: Request, e: RequestValidationError) -> JSONResponse:
        details = [
            {"loc": [str(x) for x in d.get("loc", ())], "msg": str(d.get("msg", ""))}
            for d in e.errors()
        ]
        msg = "; ".join(f"{'.'.join(d['loc'])}: {d['msg']}" for d in details[:5])
        return JSONResponse(
            status_code=422,
            content={
                "error": {
                    "code": "request/invalid",
                    "kind": "invalid-input",
                    "message": msg,
                    "details": details,
                }
            },
        )

    def account(
        cred: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> str:
        if cred is None:
            raise NotAuthorized("auth/missing-key", "send Authorization: Bearer <api key>")
        if len(cred.credentials) > 200:
            raise NotAuthorized("auth/bad-key", "unknown API key")
        return store.authenticate(cred.credentials)

    Account = Annotated[str, Depends(account)]

    # -- accounts -------------------------------------------------------------------------------
    @app.post("/api/accounts", status_code=201, responses=ERRORS, tags=["accounts"])
    def create_account(body: NewAccount) -> dict[str, str]:
        """Register an account; returns its API key (shown once)."""
        return {"name": body.name, "api_key": store.create_account(body.name)}

    @app.get("/api/me", responses=ERRORS, tags=["accounts"])
    def me(who: Account) -> dict[str, str]:
        return {"name": who}

    # -- catalogue ------------------------------------------------------------------------------
    @app.get("/api/registry", tags=["catalogue"])
    def get_registry() -> dict[str, Any]:
        """Every action (name, route, parameters) and those the API cannot offer, with why."""
        reg = registry()
        return {
            "actions": [
                {
                    "name": a.name,
                    "route": _route(a),
                    "class": a.cls.__name__,
                    "doc": a.doc,
                    "params": [
                        {
                            "name": p.name,
                            "kind": p.kind,
                            "required": p.required,
                            "optional": p.optional,
                        }
                        for p in a.params
                    ],
                }
                for a in reg.actions.values()
            ],
            "unavailable": reg.unavailable,
        }

    @app.get("/api/systems", tags=["catalogue"])
    def systems() -> list[str]:
        return sorted(library_systems())

    @app.get("/api/scenarios", tags=["catalogue"])
    def scenarios() -> list[str]:
        from ..risk.library import list_scenarios

        return list_scenarios()

    # -- sandboxes ------------------------------------------------------------------------------
    def _summary(name: str) -> dict[str, Any]:
        info = store.sandbox(name)
        live = sbx.get(name)
        return {
            "name": info.name,
            "owner": info.owner,
            "genesis": {k: v for k, v in info.genesis.items() if k != "reserved"},
            "parent": info.parent,
            "fork_seq": info.fork_seq,
            "seq": live.seq,
            "chain_time": live.world.chain.now,
            "state_hash": live.world.chain.state_hash(),
        }

    @app.get("/api/sandboxes", tags=["sandboxes"])
    def list_sandboxes() -> list[dict[str, Any]]:
        return [
            {"name": i.name, "owner": i.owner, "parent": i.parent, "genesis": i.genesis}
            for i in store.sandboxes()
        ]

    @app.post("/api/sandboxes", status_code=201, responses=ERRORS, tags=["sandboxes"])
    def create_sandbox(body: NewSandbox, who: Account) -> dict[str, Any]:
        """Create a sandbox from a library system or a scenario (at a seed); you own it."""
        if (body.system is None) == (body.scenario is None):
            raise InvalidInput("sandbox/bad-genesis", "give exactly one of system or scenario")
        if body.system is not None:
            genesis: dict[str, Any] = {"kind": "system", "name": body.system}
        else:
            genesis = {"kind": "scenario", "name": body.scenario, "seed": body.seed}
        sbx.create(body.name, who, genesis)
        return _summary(body.name)

    @app.get("/api/sandboxes/{sandbox}", responses=ERRORS, tags=["sandboxes"])
    def get_sandbox(sandbox: str) -> dict[str, Any]:
        return _summary(sandbox)

    @app.delete("/api/sandboxes/{sandbox}", responses=ERRORS, tags=["sandboxes"])
    def delete_sandbox(sandbox: str, who: Account) -> dict[str, str]:
        """Delete a sandbox and its history (owner only)."""
        if store.sandbox(sandbox).owner != who:
            raise NotAuthorized("sandbox/not-owner", f"only the owner may delete {sandbox}")
        sbx.delete(sandbox)
        return {"deleted": sandbox}

    @app.post(
        "/api/sandboxes/{sandbox}/fork", status_code=201, responses=ERRORS, tags=["sandboxes"]
    )
    def fork_sandbox(sandbox: str, body: ForkRequest, who: Account) -> dict[str, Any]:
        """A new sandbox (yours) with this one's history up to ``seq`` (default: now)."""
        sbx.fork(sandbox, body.seq, body.name, who)
        return _summary(body.name)

    # -- clock ----------------------------------------------------------------------------------
    def _respond(sandbox: str, name: str, target: str, op: Op) -> dict[str, Any]:
        seq, out = sbx.act(sandbox, op)
        return {
            "seq": seq,
            "action": name,
            "target": target,
            "sender": op.sender,
            "result": plain(out.result),
            "events": plain_events(out.events),
            "chain_time": out.time,
            "state_hash": out.state_hash,
        }

    @app.post("/api/sandboxes/{sandbox}/clock/advance", responses=ERRORS, tags=["clock"])
    def advance(sandbox: str, body: Advance, who: Account) -> ActionResponse:
        """Move the chain's clock forward (holders of the ``clock`` role: the owner)."""
        op = Op("clock.advance", "", {"seconds": body.seconds}, who)
        return ActionResponse(**_respond(sandbox, "clock.advance", "", op))

    @app.post("/api/sandboxes/{sandbox}/clock/warp", responses=ERRORS, tags=["clock"])
    def warp(sandbox: str, body: Warp, who: Account) -> ActionResponse:
        """Set the chain's clock to a later time (``clock`` role)."""
        op = Op("clock.warp", "", {"time": body.time}, who)
        return ActionResponse(**_respond(sandbox, "clock.warp", "", op))

    # -- generated action routes ----------------------------------------------------------------
    for spec in registry().actions.values():
        _add_action_route(app, spec, account, _respond, sbx)

    # -- reads ----------------------------------------------------------------------------------
    @app.get("/api/sandboxes/{sandbox}/targets", responses=ERRORS, tags=["state"])
    def targets(sandbox: str) -> dict[str, Any]:
        """Every object with actions, by path, with its class and action names."""
        live = sbx.get(sandbox)
        with live.lock:
            tg = dict(live.world.targets())
        reg = registry()
        return {
            path: {"class": type(o).__name__, "actions": [a.name for a in reg.for_class(type(o))]}
            for path, o in tg.items()
        }

    @app.get("/api/sandboxes/{sandbox}/state/{path:path}", responses=ERRORS, tags=["state"])
    def state(
        sandbox: str,
        path: str,
        offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
        limit: Annotated[int, Query(ge=0, le=500)] = 100,
    ) -> Any:
        """Any public state by path: vaults, auctions, pools, locks, shares, loans of any family."""
        live = sbx.get(sandbox)
        with live.lock:
            return state_at(live.world, path, offset=offset, limit=limit)

    @app.get("/api/sandboxes/{sandbox}/balances/{holder}", responses=ERRORS, tags=["state"])
    def balances(sandbox: str, holder: str) -> dict[str, str]:
        """Every non-zero ledger balance of an account (base units, decimal text)."""
        live = sbx.get(sandbox)
        with live.lock:
            ledger = live.world.chain.ledger
            return {t: str(b[holder]) for t, b in ledger.balances.items() if holder in b}

    @app.get("/api/sandboxes/{sandbox}/overview", responses=ERRORS, tags=["state"])
    def get_overview(sandbox: str) -> dict[str, Any]:
        """AI dollars (supply, debt, collateral ratio, peg, buffer), pools, open auctions."""
        live = sbx.get(sandbox)
        with live.lock:
            return overview(live.world)

    @app.get("/api/sandboxes/{sandbox}/vaults", responses=ERRORS, tags=["state"])
    def vaults(
        sandbox: str,
        owner: Annotated[str | None, Query(max_length=64)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    ) -> list[dict[str, Any]]:
        live = sbx.get(sandbox)
        with live.lock:
            return vault_rows(live.world, owner=owner, limit=limit)

    @app.get("/api/sandboxes/{sandbox}/log", responses=ERRORS, tags=["state"])
    def log(
        sandbox: str,
        after: Annotated[int, Query(ge=0, le=2**62)] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        kind: Annotated[str | None, Query(max_length=64)] = None,
        sender: Annotated[str | None, Query(max_length=64)] = None,
        action: Annotated[str | None, Query(max_length=128)] = None,
    ) -> list[dict[str, Any]]:
        """The action log in order, filtered by event kind, sender or action-name prefix."""
        return [
            _entry_json(e)
            for e in store.entries(
                sandbox, after=after, limit=limit, kind=kind, sender=sender, action=action
            )
        ]

    # -- jobs -----------------------------------------------------------------------------------
    @app.post("/api/jobs", status_code=201, responses=ERRORS, tags=["jobs"])
    def start_job(body: NewJob, who: Account) -> dict[str, Any]:
        """Start a stress run (``peglab.risk.run_stress``) in the background."""
        return service.jobs.start(who, body.scenario, body.paths, body.seed)

    @app.get("/api/jobs", tags=["jobs"])
    def list_jobs() -> list[dict[str, Any]]:
        return service.jobs.list()

    @app.get("/api/jobs/{job_id}", responses=ERRORS, tags=["jobs"])
    def get_job(job_id: Annotated[int, FPath(ge=1, le=2**31 - 1)]) -> dict[str, Any]:
        return service.jobs.get(job_id)

    register_dashboard(app, service)
    return app


def _entry_json(e: Any) -> dict[str, Any]:
    from ..store import encode

    return {
        "seq": e.seq,
        "action": e.name,
        "target": e.target,
        "args": {k: plain(encode(v)) for k, v in e.args.items()},
        "sender": e.sender,
        "wall_time": e.wall_time.isoformat() + "Z",
        "chain_time": e.chain_time,
        "result": plain(e.result),
        "events": plain_events(e.events),
        "state_hash": e.state_hash,
    }


def _route(spec: ActionSpec) -> str:
    return f"/api/sandboxes/{{sandbox}}/actions/{spec.family}/{spec.cls.__name__}/{spec.method}"


def _add_action_route(
    app: FastAPI, spec: ActionSpec, account: Any, respond: Any, sbx: Sandboxes
) -> None:
    req = request_model(spec)
    resp = response_model(spec)

    def endpoint(sandbox: str, body: Any, who: str) -> Any:
        target = body.target or _only_target(sbx, sandbox, spec)
        args = body.args.model_dump()
        op = Op(spec.name, target, args, who)
        return respond(sandbox, spec.name, target, op)

    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("sandbox", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=str),
            inspect.Parameter(
                "body", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Annotated[req, Body()]
            ),
            inspect.Parameter(
                "who",
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                annotation=Annotated[str, Depends(account)],
            ),
        ],
        return_annotation=resp,
    )
    endpoint.__name__ = spec.name.replace(".", "_")
    app.post(
        _route(spec),
        response_model=resp,
        responses=ERRORS,
        tags=[f"actions: {spec.family}"],
        summary=f"{spec.cls.__name__}.{spec.method}",
        description=spec.doc or spec.name,
        operation_id=spec.name.replace(".", "_"),
    )(endpoint)


def _only_target(sbx: Sandboxes, sandbox: str, spec: ActionSpec) -> str:
    live = sbx.get(sandbox)
    with live.lock:
        paths = [p for p, o in live.world.targets(refresh=False).items() if isinstance(o, spec.cls)]
        if len(paths) != 1:  # the cache may predate a new object: look again
            paths = [p for p, o in live.world.targets().items() if isinstance(o, spec.cls)]
    if len(paths) != 1:
        raise InvalidInput(
            "sandbox/need-target",
            f"{sandbox} has {len(paths)} objects for {spec.name}; give target as one of: "
            + ", ".join(paths[:20]),
        )
    return paths[0]
