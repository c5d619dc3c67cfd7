"""One Settings object for the whole process (env prefix SHOPTIDE_)."""

from datetime import timedelta
from functools import cached_property
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

GLOBAL_CELL = "global"
DEFAULT_CELL = "main"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SHOPTIDE_", env_file=".env", extra="ignore")

    data_dir: Path = Path("var")
    # Database of each cell; a cell without an entry gets an SQLite file in data_dir.
    # The "global" cell holds what is not personal: markets, shops, catalog, prices.
    cell_urls: dict[str, str] = Field(default_factory=dict)
    # Market code -> cell. Markets not named here live in the default cell.
    market_cells: dict[str, str] = Field(default_factory=dict)
    default_cell: str = DEFAULT_CELL

    secret_key: str = "insecure-dev-secret-change-me"
    cookie_secure: bool = False
    max_body_bytes: int = 6_000_000  # product photos up to 5 MB
    max_video_bytes: int = 200_000_000  # short-video uploads (their routes only)
    reservation_ttl_seconds: int = 900
    embedded_dispatcher: bool = True
    dispatcher_interval_seconds: float = 2.0
    # argon2 cost; tests lower it so thousands of sign-ups stay fast
    password_time_cost: int = 3
    password_memory_cost_kib: int = 65536
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
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def models_dir(self) -> Path:
        """The feed's trained rankers (ranker-<training run id>.json)."""
        return self.data_dir / "models"

    @property
    def media_server_root(self) -> Path:
        return self.media_server_dir or self.data_dir / "media-server"
