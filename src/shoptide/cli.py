"""The `shoptide` command: serve, demo, db, worker, media, feed, affiliate."""

import asyncio
import contextlib
import os
import secrets
import shutil
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import uvicorn
from sqlalchemy import func, select

from shoptide.db import Databases, alembic_config, upgrade_all
from shoptide.markets import service as markets_service
from shoptide.settings import GLOBAL_CELL, SecretKeyMissing, Settings

if TYPE_CHECKING:
    from fastapi import FastAPI

    from shoptide.feed.training import TrainingResult

app = typer.Typer(help="Shoptide: open content commerce.", no_args_is_help=True)
db_app = typer.Typer(help="Databases of every cell.", no_args_is_help=True)
app.add_typer(db_app, name="db")
media_app = typer.Typer(help="Live video: nginx with the RTMP module.", no_args_is_help=True)
app.add_typer(media_app, name="media")
feed_app = typer.Typer(help="The For You feed's ranking.", no_args_is_help=True)
app.add_typer(feed_app, name="feed")
affiliate_app = typer.Typer(help="Creators' commissions and payouts.", no_args_is_help=True)
app.add_typer(affiliate_app, name="affiliate")

Host = Annotated[str, typer.Option(help="Interface to listen on")]
Port = Annotated[int, typer.Option(help="Port to listen on")]


async def _seed_markets(settings: Settings) -> None:
    databases = Databases(settings)
    try:
        async with databases.session(GLOBAL_CELL) as session:
            await markets_service.ensure_defaults(session)
    finally:
        await databases.dispose()


def _upgrade(settings: Settings) -> None:
    for url in upgrade_all(settings):
        typer.echo(f"migrated {url}")
    asyncio.run(_seed_markets(settings))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply migrations to every cell's database and add the default markets."""
    _upgrade(Settings())


@db_app.command("check")
def db_check() -> None:
    """Fail if the models and the migrations disagree (on a scratch SQLite database)."""
    import tempfile
    from pathlib import Path

    from alembic import command

    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite+aiosqlite:///{Path(scratch) / 'check.db'}"
        config = alembic_config(url)
        command.upgrade(config, "head")
        command.check(config)
    typer.echo("models and migrations agree")


async def _has_catalog(settings: Settings) -> bool:
    from shoptide.catalog.models import Product

    databases = Databases(settings)
    try:
        async with databases.session(GLOBAL_CELL, write=False) as session:
            return bool(await session.scalar(select(func.count()).select_from(Product)))
    finally:
        await databases.dispose()


async def _load_demo(settings: Settings, seed: int) -> None:
    from shoptide.accounts.service import Passwords
    from shoptide.demo.data import load_demo

    databases = Databases(settings)
    try:
        summary = await load_demo(databases, settings, seed=seed, passwords=Passwords(settings))
    finally:
        await databases.dispose()
    typer.echo(
        f"demo data: {summary.markets} markets, {summary.shops} shops ({summary.brands} brands), "
        f"{summary.products} products, {summary.variants} variants, {summary.shoppers} shoppers, "
        f"{summary.orders} orders, {summary.live_rooms} live rooms scheduled, "
        f"{summary.videos} videos uploaded"
        + ("" if summary.videos else " (install ffmpeg for demo videos)")
    )
    typer.echo("demo logins (sign in at /signin; shoppers pick their market first):")
    for login in summary.logins:
        typer.echo(f"  {login.email:<34} {login.password:<15} {login.note}")


def _configured(settings: Settings | None = None) -> Settings:
    """The settings of a server, worker or media server: refused, with what to set, without
    a secret key."""
    settings = settings or Settings()
    try:
        settings.require_secret_key()
    except SecretKeyMissing as exc:
        typer.echo(f"shoptide: {exc}", err=True)
        raise typer.Exit(code=2) from None
    return settings


DEMO_SECRET_KEY_FILE = "secret_key"


def _demo_settings(settings: Settings, *, create: bool) -> Settings:
    """The demo's settings: unless SHOPTIDE_SECRET_KEY is set, a random key of its own, made
    once per data folder (data_dir/secret_key, readable by its owner only), so the demo runs
    without setup and nothing it signs can be forged with a published key; cookies over
    plain http (it serves http://127.0.0.1) unless SHOPTIDE_COOKIE_SECURE says otherwise."""
    update: dict[str, Any] = {}
    if "cookie_secure" not in settings.model_fields_set:
        update["cookie_secure"] = False
    path = settings.data_dir / DEMO_SECRET_KEY_FILE
    if not settings.secret_key and (create or path.exists()):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):  # one made before (or by a demo meanwhile)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as key_file:
                key_file.write(secrets.token_urlsafe(48))
        update["secret_key"] = path.read_text().strip()
    return settings.model_copy(update=update)


@app.command()
def demo(
    host: Host = "127.0.0.1",
    port: Port = 8000,
    seed: Annotated[int, typer.Option(help="Seed of the generated demo data")] = 7,
    reset: Annotated[bool, typer.Option(help="Delete the data folder and start over")] = False,
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve")] = True,
) -> None:
    """Create the databases, load demo data (once) and serve Shoptide."""
    settings = Settings()
    if reset and settings.data_dir.exists():
        shutil.rmtree(settings.data_dir)
    settings = _demo_settings(settings, create=True)
    _upgrade(settings)
    if asyncio.run(_has_catalog(settings)):
        typer.echo(f"demo data already in {settings.data_dir} (use --reset to regenerate)")
    else:
        asyncio.run(_load_demo(settings, seed))
    if serve_after:
        typer.echo(
            f"\nShoptide is at http://{host}:{port}  (operations console: /admin, "
            f"API docs: /docs)\n"
        )
        from shoptide.app import create_app

        _serve(create_app(settings), host=host, port=port, workers=1)


@app.command()
def serve(
    host: Host = "127.0.0.1",
    port: Port = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
) -> None:
    """Apply pending migrations, then serve the web app and API (SHOPTIDE_SECRET_KEY set)."""
    _upgrade(_configured())
    # each worker process builds the app from the same SHOPTIDE_* settings
    _serve("shoptide.app:create_app", host=host, port=port, workers=workers)


def _serve(target: "str | FastAPI", *, host: str, port: int, workers: int) -> None:
    """Serve the app: built here (one process), or by each worker from an import path."""
    uvicorn.run(
        target,
        factory=isinstance(target, str),
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
    )


@app.command()
def worker() -> None:
    """Run the outbox dispatcher and the expiry sweep outside the web process."""
    from shoptide import background
    from shoptide.app import create_app

    web = create_app(_configured())
    typer.echo("worker: dispatching events (Ctrl+C to stop)")
    asyncio.run(
        background.run_loop(
            web.state.databases,
            web.state.dispatcher,
            web.state.settings.dispatcher_interval_seconds,
            web.state.gateway,
        )
    )


AppUrl = Annotated[str, typer.Option(help="Where nginx reaches Shoptide (hooks and proxy)")]
WorkerUser = Annotated[
    str | None, typer.Option(help="User of nginx's workers when started as root (else nobody)")
]


def _media_settings() -> Settings:
    """The app's settings, or the demo's (its key, when SHOPTIDE_SECRET_KEY is not set and
    the demo made one in the data folder): nginx's hook token is derived from the key."""
    return _configured(_demo_settings(Settings(), create=False))


@media_app.command("nginx-config")
def media_nginx_config(
    install: Annotated[
        Path | None, typer.Option(help="Write DIR/nginx.conf and its folders instead of printing")
    ] = None,
    app_url: AppUrl = "http://127.0.0.1:8000",
    user: WorkerUser = None,
) -> None:
    """Print (or install) the nginx.conf that ingests live streams for Shoptide."""
    from shoptide.live import media

    settings = _media_settings()
    prefix = (install or settings.media_server_root).resolve()
    config = media.nginx_config(settings, prefix=prefix, app_url=app_url, user=user)
    if install is None:
        typer.echo(config, nl=False)
        return
    target = media.install_nginx_config(config, prefix, worker_user=user)
    typer.echo(f"wrote {target}\nrun: {' '.join(media.nginx_command(prefix))}")
    if prefix != settings.media_server_root.resolve():
        typer.echo(f"and give the app SHOPTIDE_MEDIA_SERVER_DIR={prefix}: replays come from there")


@media_app.command("run-nginx")
def media_run_nginx(app_url: AppUrl = "http://127.0.0.1:8000", user: WorkerUser = None) -> None:
    """Install the configuration in the media server folder and run nginx in the foreground."""
    import os

    from shoptide.live import media

    settings = _media_settings()
    prefix = settings.media_server_root.resolve()
    config = media.nginx_config(settings, prefix=prefix, app_url=app_url, user=user)
    media.install_nginx_config(config, prefix, worker_user=user)
    command = media.nginx_command(prefix)
    os.execvp(command[0], command)


def _default_feed_dataset() -> Path:
    import shoptide

    repo_root = Path(shoptide.__file__).parents[2]
    return repo_root.parent / "shared" / "data" / "amazon-beauty" / "Beauty.txt"


@feed_app.command("evaluate")
def feed_evaluate(
    dataset: Annotated[
        Path | None,
        typer.Option(help="Sequences file, `user item item ...` per line (default: Beauty.txt)"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Offline ranking quality (HR@k, NDCG@k, leave-one-out) of the feed and baselines."""
    import json

    from shoptide.feed import evaluation

    path = dataset or _default_feed_dataset()
    if not path.is_file():
        typer.echo(f"dataset not found: {path} (give one with --dataset)", err=True)
        raise typer.Exit(code=1)
    typer.echo(f"loading {path}", err=True)
    results = evaluation.evaluate(
        evaluation.load_dataset(path), progress=lambda line: typer.echo(line, err=True)
    )
    typer.echo(json.dumps(results) if as_json else evaluation.format_table(results))


async def _train_feed(settings: Settings) -> "TrainingResult":
    from shoptide.feed import champion, examples, serving, training
    from shoptide.feed.ranking import PriorRanker

    databases = Databases(settings)
    try:
        durations = examples.durations_of(await serving.load_items(databases))
        current = await champion.load_champion(databases) or PriorRanker()
        with typer.progressbar(length=100, label="loading") as bar:

            def show(percent: int, stage: str) -> None:
                bar.label = stage
                bar.update(percent - bar.pos)

            return await training.train(
                databases, current=current, durations=durations, on_progress=show
            )
    finally:
        await databases.dispose()


def _metrics_table(metrics: dict[str, Any]) -> str:
    rows = [f"{'':<14}{'new ranker':>12}{'live ranker':>13}"]
    for name in ("auc_value", "auc_engage", "auc_purchase"):
        rows.append(
            f"{name:<14}{metrics['challenger'][name]:>12.3f}{metrics['champion'][name]:>13.3f}"
        )
    rows.append(f"examples {metrics['examples']}, judged on the newest {metrics['held_out']}")
    return "\n".join(rows)


@feed_app.command("train")
def feed_train() -> None:
    """Retrain the feed's ranker now; it replaces the live one only if it ranks better.

    A running server picks a new champion up at its next start (or its own retraining)."""
    result = asyncio.run(_train_feed(Settings()))
    typer.echo(f"training run {result.run_id}: {result.status}: {result.message}")
    if "challenger" in result.metrics:
        typer.echo(_metrics_table(result.metrics))
    if result.model_path is not None:
        typer.echo(f"saved {result.model_path}")
    if result.status == "failed":
        raise typer.Exit(code=1)


async def _with_databases(settings: Settings, job: Callable[[Databases], Awaitable[int]]) -> int:
    databases = Databases(settings)
    try:
        return await job(databases)
    finally:
        await databases.dispose()


@affiliate_app.command("settle")
def affiliate_settle(
    as_of: Annotated[
        datetime | None,
        typer.Option(
            "--as-of", help="Settle what is due at this ISO time (UTC if no zone; default now)"
        ),
    ] = None,
) -> None:
    """Settle the commissions whose return window has passed (the background job, now)."""
    from shoptide.affiliate.payouts import flows as payouts

    moment = as_of if as_of is None or as_of.tzinfo else as_of.replace(tzinfo=UTC)
    settled = asyncio.run(_with_databases(Settings(), lambda d: payouts.settle_due(d, now=moment)))
    typer.echo(f"settled {settled} commission line(s)")


@affiliate_app.command("payouts")
def affiliate_payouts(
    run_key: Annotated[
        str | None,
        typer.Option(help="Name of the run; rerunning a key pays nothing twice (default: today)"),
    ] = None,
) -> None:
    """Pay every creator's settled commissions, one payout per creator and currency."""
    from shoptide.affiliate.payouts import flows as payouts
    from shoptide.affiliate.payouts import service as payouts_service
    from shoptide.errors import DomainError

    key = run_key or payouts_service.daily_run_key()
    try:
        made = asyncio.run(
            _with_databases(Settings(), lambda d: payouts.run_payouts(d, run_key=key))
        )
    except DomainError as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(code=2) from None
    typer.echo(f"payout run {key}: {made} payout(s) made")
