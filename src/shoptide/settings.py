"""One Settings object for the whole process (env prefix SHOPTIDE_)."""

from datetime import timedelta
from functools import cached_property
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

GLOBAL_CELL = "global"
DEFAULT_CELL = "main"
# The development key earlier versions shipped as the default: public, so never accepted.
PUBLIC_DEV_SECRET_KEY = "insecure-dev-secret-change-me"


class SecretKeyMissing(RuntimeError):
    """The app would sign cookies and tokens with a key anyone can know."""

    def __init__(self) -> None:
        super().__init__(
            "SHOPTIDE_SECRET_KEY is not set (or is the public development value): anyone could "
            "forge sessions, the operations console's sign-in and the media hooks' token. Set "
            "it to a long random value, the same for every app process and across restarts, "
            "e.g. SHOPTIDE_SECRET_KEY=$(python3 -c 'import secrets; "
            "print(secrets.token_urlsafe(48))'). `shoptide demo` makes one of its own."
        )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SHOPTIDE_", env_file=".env", extra="ignore")

    data_dir: Path = Path("var")
    # Database of each cell; a cell without an entry gets an SQLite file in data_dir.
    # The "global" cell holds what is not personal: markets, shops, catalog, prices.
    cell_urls: dict[str, str] = Field(default_factory=dict)
    # Market code -> cell. Markets not named here live in the default cell.
    market_cells: dict[str, str] = Field(default_factory=dict)
    default_cell: str = DEFAULT_CELL

    # signs session cookies, the console's sign-in and (derived) the media hooks' token:
    # required, see require_secret_key (`shoptide demo` makes one per data folder)
    secret_key: str = ""
    # cookies only over HTTPS; `shoptide demo` (plain http on 127.0.0.1) turns it off
    cookie_secure: bool = True
    max_body_bytes: int = 6_000_000  # product photos up to 5 MB
    max_video_bytes: int = 200_000_000  # short-video uploads (their routes only)
    reservation_ttl_seconds: int = 900
    # The built-in test gateway keeps its charges in this SQLite file, so they outlive the
    # app process and a separate worker sees them; unset, in this process's memory
    payment_sandbox_file: Path | None = None
    # A payment still "charging" this long after its last attempt was left by a process
    # that stopped: the recovery sweep asks the gateway whether the card was charged
    payment_recovery_grace_seconds: int = 120
    embedded_dispatcher: bool = True
    dispatcher_interval_seconds: float = 2.0
    # argon2 cost; tests lower it so thousands of sign-ups stay fast
    password_time_cost: int = 3
    password_memory_cost_kib: int = 65536
    # API bearer tokens end this long after they are issued (a new sign-in gets a new one)
    api_token_days: float = 30.0
    # Failed sign-ins allowed (limits' notation, ";" between tiers), per account and per
    # client address, on every sign-in (pages, API token, console). Only failures count,
    # and each longer tier makes the wait longer: a backoff in steps.
    sign_in_limits_per_account: str = "5/minute;10/15 minutes;30/day"
    sign_in_limits_per_ip: str = "20/minute;50/15 minutes;300/day"
    # Where the counts are kept: Redis shares them between app processes; unset, each
    # process counts on its own (the embedded, one-process deployment)
    sign_in_redis_url: str | None = None
    sign_in_redis_prefix: str = "shoptide:signin:"
    log_json: bool = False

    # Live video: nginx with the RTMP module ingests streams (`shoptide media nginx-config`)
    rtmp_port: int = 1935
    media_http_port: int = 8088
    # where browsers fetch HLS from; empty: no media server, pages say video is unavailable
    live_hls_url: str = "http://127.0.0.1:8088/hls"
    rtmp_public_url: str = "rtmp://127.0.0.1:1935/live"  # the "server" hosts put in OBS
    # nginx-rtmp's control endpoint, to drop the encoder when a host ends a room; empty: don't
    media_control_url: str = "http://127.0.0.1:8088/control"
    # the token nginx puts in its callback URLs; empty: derived from secret_key
    media_hook_secret: str = ""
    # nginx's prefix folder (hls/, records/, logs/); the app remuxes recordings found there
    media_server_dir: Path | None = None

    # Live rooms' real-time messages: Redis pub/sub carries them between app processes;
    # unset, they stay in this process (the embedded, one-process deployment)
    live_redis_url: str | None = None
    # prefix of the Redis channels and keys, so deployments (or test runs) sharing a server
    # never hear each other
    live_redis_prefix: str = "shoptide:live:"

    # The For You feed's real-time features: in this process unless a Redis URL is given
    # (needed as soon as several app processes serve the feed)
    feed_redis_url: str | None = None
    feed_redis_prefix: str = "shoptide:feed:"
    # an embedded (in-process) store starts empty: it replays this much of the event log
    feed_replay_hours: float = 7 * 24.0
    # seconds between reloads of the feed's items and stages from the databases (what
    # other processes changed)
    feed_refresh_seconds: float = 300.0
    # hours between retrainings of the ranker (champion/challenger, feed.training)
    feed_retrain_hours: float = 6.0
    # shown items with logged features a training needs before it fits anything
    feed_min_examples: int = 500

    def require_secret_key(self) -> None:
        """Refuse to run with no secret key or the public development one."""
        if not self.secret_key.strip() or self.secret_key == PUBLIC_DEV_SECRET_KEY:
            raise SecretKeyMissing

    def cell_of_market(self, market_code: str) -> str:
        return self.market_cells.get(market_code.upper(), self.default_cell)

    @cached_property
    def cells(self) -> list[str]:
        """Every cell that holds market data (the global cell excluded)."""
        return sorted({self.default_cell, *self.market_cells.values()})

    def database_url(self, cell: str) -> str:
        if cell in self.cell_urls:
            return self.cell_urls[cell]
        return f"sqlite+aiosqlite:///{(self.data_dir / f'{cell}.db').resolve()}"

    @property
    def reservation_ttl(self) -> timedelta:
        """How long a checkout holds its stock while the payment goes through."""
        return timedelta(seconds=self.reservation_ttl_seconds)

    @property
    def api_token_lifetime(self) -> timedelta:
        return timedelta(days=self.api_token_days)

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def models_dir(self) -> Path:
        """The feed's trained rankers (ranker-<training run id>.json)."""
        return self.data_dir / "models"

    @property
    def media_server_root(self) -> Path:
        return self.media_server_dir or self.data_dir / "media-server"
