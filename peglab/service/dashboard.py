"""The dashboard: server-rendered pages (Jinja2) with plotly charts, no build step, no CDN.

Pages: ``/`` (sandboxes and jobs), ``/sandboxes/{sb}`` (per AI dollar: supply, debt, collateral
ratio, peg, buffer; pools; open auctions; prices), ``/sandboxes/{sb}/vaults`` and
``/sandboxes/{sb}/vaults/{dollar}/{id}`` (a vault and its history), ``/sandboxes/{sb}/events``
(the log with filters), ``/sandboxes/{sb}/loans`` (USD.AI loans: terms, tranches, status, the
remaining schedule), ``/jobs`` (the stress form and the jobs) and ``/jobs/{id}`` (progress,
then the report). Charts are plotly figures built in Python, as the stress reports build theirs,
and drawn by the ``plotly.min.js`` shipped inside the plotly package, served at
``/static/plotly.min.js``. The stress form posts an API key with the job (the key's account owns
the job).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from ..errors import InvalidInput, PeglabError
from ..store import encode, plain
from .context import Service

__all__ = ["register_dashboard"]

HERE = Path(__file__).resolve().parent


def _plotly_js() -> Path:
    import plotly

    return Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"


def _fig(traces: list[Any], title: str, **layout: Any) -> str:
    import plotly.graph_objects as go

    fig = go.Figure(data=traces)
    fig.update_layout(
        title=title,
        template="plotly_white",
        height=320,
        margin={"l": 50, "r": 20, "t": 50, "b": 40},
        **layout,
    )
    return str(fig.to_json())


def _overview_figs(ov: dict[str, Any]) -> list[str]:
    import plotly.graph_objects as go

    figs: list[str] = []
    dollars = ov["dollars"]
    if dollars:
        names = [d["symbol"] for d in dollars]
        figs.append(
            _fig(
                [
                    go.Bar(name="supply", x=names, y=[d["supply"] for d in dollars]),
                    go.Bar(name="debt", x=names, y=[d["debt"] for d in dollars]),
                    go.Bar(
                        name="collateral value (USD)",
                        x=names,
                        y=[d["collateral_value"] for d in dollars],
                    ),
                ],
                "Supply, debt and collateral per AI dollar",
                barmode="group",
            )
        )
        figs.append(
            _fig(
                [
                    go.Bar(name="surplus", x=names, y=[d["surplus"] for d in dollars]),
                    go.Bar(name="bad debt", x=names, y=[-d["bad_debt"] for d in dollars]),
                ],
                "System buffer (surplus above zero, bad debt below)",
                barmode="relative",
            )
        )
    if ov["pools"]:
        p = ov["pools"]
        traces = []
        width = max(len(x["coins"]) for x in p)
        for i in range(width):
            traces.append(
                go.Bar(
                    name=f"coin {i}",
                    x=[x["id"] for x in p],
                    y=[x["balances"][i] if i < len(x["balances"]) else 0 for x in p],
                    text=[x["coins"][i] if i < len(x["coins"]) else "" for x in p],
                )
            )
        figs.append(_fig(traces, "Pool balances (whole tokens)", barmode="group"))
    return figs


def _history_fig(entries: list[Any]) -> str | None:
    import plotly.graph_objects as go

    if not entries:
        return None
    counts: dict[str, int] = {}
    for e in entries:
        counts[e.name] = counts.get(e.name, 0) + 1
    names = sorted(counts, key=lambda k: -counts[k])[:15]
    return _fig([go.Bar(x=names, y=[counts[n] for n in names])], "Operations by action (this page)")


def register_dashboard(app: FastAPI, service: Service) -> None:
    """Add the dashboard pages and static files to ``app``."""
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    store = service.store
    sbx = service.sandboxes
    service.runs_dir.mkdir(parents=True, exist_ok=True)
    app.mount("/static/app", StaticFiles(directory=str(HERE / "static")), name="static")
    app.mount("/runs", StaticFiles(directory=str(service.runs_dir), html=True), name="runs")

    def page(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        return templates.TemplateResponse(request, name, ctx, status_code=status)

    @app.exception_handler(404)
    def _not_found(request: Request, exc: Any) -> Response:
        if request.url.path.startswith("/api/"):
            from fastapi.responses import JSONResponse

            return JSONResponse(
                status_code=404,
                content={
                    "error": {
                        "code": "http/not-found",
                        "kind": "invalid-input",
                        "message": "no such route",
                    }
                },
            )
        return page(request, "error.html", 404, code="http/not-found", message="No such page.")

    def guarded(request: Request, fn: Any) -> HTMLResponse:
        try:
            result: HTMLResponse = fn()
            return result
        except PeglabError as e:
            status = 404 if e.code.endswith("/unknown") else 400
            return page(request, "error.html", status, code=e.code, message=e.message)

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        return FileResponse(_plotly_js(), media_type="application/javascript")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request) -> HTMLResponse:
        rows = []
        for info in store.sandboxes():
            head, state_hash = store.head(info.name)
            rows.append({"info": info, "seq": head, "hash": state_hash})
        return page(request, "index.html", sandboxes=rows, jobs=service.jobs.list()[:10])

    @app.get("/sandboxes/{sandbox}", response_class=HTMLResponse, include_in_schema=False)
    def sandbox_page(request: Request, sandbox: str) -> HTMLResponse:
        def render() -> HTMLResponse:
            live = sbx.get(sandbox)
            with live.lock:
                from .views import overview

                ov = overview(live.world)
                seq = live.seq
            return page(
                request,
                "sandbox.html",
                sandbox=store.sandbox(sandbox),
                seq=seq,
                ov=ov,
                figs=_overview_figs(ov),
            )

        return guarded(request, render)

    @app.get("/sandboxes/{sandbox}/vaults", response_class=HTMLResponse, include_in_schema=False)
    def vaults_page(request: Request, sandbox: str, owner: str | None = None) -> HTMLResponse:
        def render() -> HTMLResponse:
            import plotly.graph_objects as go

            from .views import vault_rows

            live = sbx.get(sandbox)
            with live.lock:
                rows = vault_rows(live.world, owner=owner or None, limit=500)
            with_debt = [r for r in rows if r["ratio"] is not None]
            fig = (
                _fig(
                    [
                        go.Histogram(
                            x=[r["ratio"] for r in with_debt if r["dollar"] == d],
                            name=d,
                            opacity=0.7,
                        )
                        for d in sorted({r["dollar"] for r in with_debt})
                    ],
                    "Collateral ratio of vaults with debt",
                    barmode="overlay",
                )
                if with_debt
                else None
            )
            return page(
                request,
                "vaults.html",
                sandbox=store.sandbox(sandbox),
                rows=rows,
                owner=owner or "",
                fig=fig,
            )

        return guarded(request, render)

    @app.get(
        "/sandboxes/{sandbox}/vaults/{dollar}/{vault_id}",
        response_class=HTMLResponse,
        include_in_schema=False,
    )
    def vault_page(request: Request, sandbox: str, dollar: str, vault_id: int) -> HTMLResponse:
        def render() -> HTMLResponse:
            import plotly.graph_objects as go

            from .views import vault_rows

            live = sbx.get(sandbox)
            with live.lock:
                rows = [
                    r
                    for r in vault_rows(live.world, limit=10**6)
                    if r["dollar"] == dollar and r["id"] == vault_id
                ]
            if not rows:
                raise InvalidInput("vault/unknown", f"{dollar} has no vault {vault_id}")
            history = [
                e
                for e in store.entries(sandbox, action="cdp.AIDollar")
                if e.target.endswith(f"[{dollar}]") and e.args.get("vault_id") == vault_id
            ]
            fig = (
                _fig(
                    [
                        go.Scatter(
                            x=[e.seq for e in history],
                            y=list(range(1, len(history) + 1)),
                            mode="lines+markers",
                            name="operations",
                        )
                    ],
                    "Operations on this vault (cumulative, by log seq)",
                )
                if history
                else None
            )
            return page(
                request,
                "vault.html",
                sandbox=store.sandbox(sandbox),
                v=rows[0],
                history=[_row(e) for e in history],
                fig=fig,
            )

        return guarded(request, render)

    @app.get("/sandboxes/{sandbox}/loans", response_class=HTMLResponse, include_in_schema=False)
    def loans_page(request: Request, sandbox: str) -> HTMLResponse:
        def render() -> HTMLResponse:
            import plotly.graph_objects as go

            from .views import loan_rows

            live = sbx.get(sandbox)
            with live.lock:
                rows = loan_rows(live.world, limit=500)
            fig = (
                _fig(
                    [
                        go.Bar(name=status, x=[r["id"][:10] for r in rows if r["status"] == status],
                               y=[r["balance"] for r in rows if r["status"] == status])
                        for status in sorted({r["status"] for r in rows})
                    ],
                    "Outstanding balance per loan, by status",
                    barmode="stack",
                )
                if rows
                else None
            )  # fmt: skip
            return page(request, "loans.html", sandbox=store.sandbox(sandbox), rows=rows, fig=fig)

        return guarded(request, render)

    @app.get("/sandboxes/{sandbox}/events", response_class=HTMLResponse, include_in_schema=False)
    def events_page(
        request: Request,
        sandbox: str,
        kind: str = "",
        sender: str = "",
        action: str = "",
        before: int | None = None,
    ) -> HTMLResponse:
        def render() -> HTMLResponse:
            store.sandbox(sandbox)
            entries = list(
                store.entries(
                    sandbox,
                    kind=kind or None,
                    sender=sender or None,
                    action=action or None,
                    upto=(before - 1) if before else None,
                    newest_first=True,
                    limit=100,
                )
            )
            return page(
                request,
                "events.html",
                sandbox=store.sandbox(sandbox),
                entries=[_row(e) for e in entries],
                filters={"kind": kind, "sender": sender, "action": action},
                older=entries[-1].seq if len(entries) == 100 else None,
                fig=_history_fig(entries),
            )

        return guarded(request, render)

    @app.get("/jobs", response_class=HTMLResponse, include_in_schema=False)
    def jobs_page(request: Request) -> HTMLResponse:
        from ..risk.library import list_scenarios

        return page(
            request, "jobs.html", jobs=service.jobs.list(), scenarios=list_scenarios(), error=None
        )

    @app.post("/jobs", response_class=HTMLResponse, include_in_schema=False)
    def jobs_form(
        request: Request,
        api_key: str = Form(...),
        scenario: str = Form(...),
        paths: int = Form(4),
        seed: int = Form(1),
    ) -> Response:
        from ..risk.library import list_scenarios

        try:
            if not 1 <= paths <= 64 or not 0 <= seed < 2**63:
                raise InvalidInput(
                    "job/bad-input", "paths must be 1-64 and seed a non-negative integer"
                )
            who = store.authenticate(api_key.strip())
            job = service.jobs.start(who, scenario, paths, seed)
        except PeglabError as e:
            return page(
                request,
                "jobs.html",
                400,
                jobs=service.jobs.list(),
                scenarios=list_scenarios(),
                error=f"{e.code}: {e.message}",
            )
        return RedirectResponse(f"/jobs/{job['id']}", status_code=303)

    @app.get("/jobs/{job_id}", response_class=HTMLResponse, include_in_schema=False)
    def job_page(request: Request, job_id: int) -> HTMLResponse:
        if not 1 <= job_id < 2**31:
            return page(request, "error.html", 404, code="job/unknown", message=f"no job {job_id}")
        return guarded(request, lambda: page(request, "job.html", job=service.jobs.get(job_id)))


def _row(e: Any) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "name": e.name,
        "target": e.target,
        "sender": e.sender,
        "args": json.dumps({k: plain(encode(v)) for k, v in e.args.items()}),
        "events": [(ev["kind"], json.dumps(plain(ev["fields"]))) for ev in e.events],
        "time": e.chain_time,
        "hash": e.state_hash[:12],
    }
