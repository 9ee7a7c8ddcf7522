"""The one settings object. Every configurable value lives here.

Values come from the environment (prefix ``HOIDAP_``) or a ``.env`` file in the
working directory; ``.env.example`` documents each field. No other module reads
the environment.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_MODEL_DIR = "models/multilingual-e5-small"


class Settings(BaseSettings):
    """Configuration of the assistant, its channels and its storage."""

    model_config = SettingsConfigDict(
        env_prefix="HOIDAP_",
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,  # "HOIDAP_TELEGRAM_TOKEN=" in .env means "not set"
        extra="ignore",
    )

    # --- where things live -------------------------------------------------
    knowledge_dir: Path = Field(Path("knowledge"), description="Source documents (.txt .md .docx .pdf).")
    index_dir: Path = Field(Path("index"), description="Built index versions (git-ignored).")
    data_dir: Path = Field(Path("data"), description="Runtime data: SQLite database, uploads.")
    database_url: str = Field(
        "sqlite:///data/hoidap.db",
        validation_alias=AliasChoices("HOIDAP_DATABASE_URL", "DATABASE_URL"),
        description="SQLAlchemy URL; PostgreSQL: postgresql+psycopg://user@host/db",
    )

    index_storage: Literal["auto", "folder", "database"] = Field(
        "auto",
        description="Where documents and index versions are kept: folder (this host's folders), database "
        "(PostgreSQL, each host caching them in its folders: no shared disk); auto = database on PostgreSQL.",
    )

    redis_url: SecretStr | None = Field(
        None,
        description="Redis shared by several bot processes (redis://127.0.0.1:6379/0): per-member limits, "
        "Telegram's bot-wide send budget, per-member ordering. Unset: kept in this process's memory.",
    )
    redis_prefix: str = Field("hoidap", description="Prefix of every Redis key (several bots on one Redis).")

    # --- retrieval pipeline ------------------------------------------------
    model: str = Field(DEFAULT_MODEL_DIR, description="sentence-transformers model: local path or hub id.")
    model_segmented: bool = Field(False, description="Feed the model underthesea-segmented text (PhoBERT).")
    query_prompt: str = Field("query: ", description="Prefix added to questions before embedding.")
    passage_prompt: str = Field("passage: ", description="Prefix added to document units before embedding.")
    embedder: str = Field(
        "onnx", description="Embedder backend: onnx (exported at setup-model, no torch) or sentence-transformers."
    )
    onnx_int8: bool = Field(
        False, description="ONNX embedder: the int8 export (faster builds; needs its own `hoidap calibrate`)."
    )
    vector_index: str = Field("faiss", description="Vector index backend.")
    keyword_index: str = Field("bm25", description="Keyword index backend.")
    segmenter: str = Field("underthesea", description="Word segmenter backend.")
    device: str = Field("cpu", description="torch device for the model.")
    torch_threads: int = Field(
        1, ge=0, description="CPU threads of torch/BLAS/FAISS in a serving process (0 = every core)."
    )
    build_threads: int = Field(0, ge=0, description="CPU threads while building an index (0 = every core).")
    embed_batch_size: int = Field(32, ge=1)
    hnsw_min_units: int = Field(
        15_000, ge=1, description="From this many units on, FAISS uses HNSW instead of exact search (measured)."
    )
    calibration_file: Path | None = Field(
        None, description="Answer/refuse calibration JSON; default: the one shipped for the default model."
    )
    query_adapter: bool = Field(
        True,
        description="Map questions through the query adapter fitted by `hoidap calibrate` (when it fits the model).",
    )
    query_adapter_file: Path | None = Field(
        None, description="Query adapter (.npz); default: the one shipped for the default model."
    )
    question_retention_days: int = Field(
        180, ge=1, description="Question logs older than this are deleted (except those an admin linked)."
    )
    answer_cache_size: int = Field(2048, ge=0, description="Identical questions served from memory.")
    query_cache_size: int = Field(
        4096, ge=0, description="Query vectors kept by normalised text (0 disables the cache)."
    )
    max_suggestions: int = Field(3, ge=0, le=10)
    index_keep_versions: int = Field(5, ge=1, description="Index versions kept for rollback.")

    # --- documents ---------------------------------------------------------
    max_upload_mb: float = Field(20, gt=0, description="Largest document accepted, in MB.")
    parse_memory_mb: int = Field(
        768,
        ge=128,
        description="Address space a document's parsing child process may use (RLIMIT_AS), in MB: a file "
        "needing more (a decompression bomb) is refused, the server's own memory untouched.",
    )
    parse_seconds: int = Field(
        60, ge=5, description="CPU and wall-clock seconds one document's parsing may take before it is refused."
    )
    ocr_enabled: bool = Field(
        True, description="Read scanned PDF pages and photos of pages with Tesseract OCR (tesseract-ocr-vie)."
    )
    ocr_dpi: int = Field(
        300, ge=100, le=600, description="Resolution scanned pages are rendered at for OCR (300 read best, measured)."
    )
    ocr_languages: str = Field("vie", description="Tesseract languages, '+'-joined (vie, vie+eng).")
    ocr_seconds: int = Field(
        900,
        ge=10,
        description="Wall-clock seconds reading one scanned/photographed document (or converting a .doc) may take.",
    )
    ocr_page_seconds: int = Field(120, ge=5, description="Seconds Tesseract may spend on one page.")
    ocr_workers: int = Field(0, ge=0, description="Pages recognised at once (0 = one per core).")
    ocr_tesseract_cmd: str = Field("tesseract", description="The Tesseract program (name on PATH, or a path).")
    libreoffice_cmd: str = Field(
        "soffice", description="LibreOffice, which converts old .doc files to .docx (name on PATH, or a path)."
    )

    # --- Telegram ----------------------------------------------------------
    telegram_token: SecretStr | None = Field(None, description="Bot token from @BotFather.")
    telegram_mode: Literal["polling", "webhook"] = "polling"
    telegram_base_url: str = Field("https://api.telegram.org/bot", description="Bot API base URL.")
    telegram_base_file_url: str = Field("https://api.telegram.org/file/bot")
    telegram_messages_per_second: int = Field(
        30,
        ge=0,
        description="Messages per second the whole bot may send (Telegram's free limit is about 30); "
        "0 = no limit of ours (a local Bot API server, benchmarks).",
    )
    webhook_url: str | None = Field(None, description="Public HTTPS URL Telegram posts updates to.")
    webhook_secret: SecretStr | None = Field(None, description="X-Telegram-Bot-Api-Secret-Token value.")
    admin_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list, description="Telegram user ids of admins, comma-separated."
    )
    questions_per_minute: int = Field(10, ge=1, description="Per-user limit on incoming questions.")
    followup_minutes: float = Field(
        5,
        ge=0,
        description='How long a member\'s last answer frames a short follow-up ("ý 5 là gì?", "còn cấp phó '
        'thì sao?") in the same chat; 0 turns follow-ups off. Shared by every process through Redis.',
    )

    # --- quiz --------------------------------------------------------------
    timezone: str = Field("Asia/Ho_Chi_Minh", description="Time zone of quiz schedules.")
    quiz_open_period: int = Field(
        0, ge=0, le=600, description="Seconds a quiz poll stays open (5-600); 0 = until the next quiz."
    )
    quiz_misfire_grace_minutes: int = Field(
        60,
        ge=1,
        le=720,
        description="A quiz whose time passed while the bot was busy or down still goes out this late.",
    )
    quiz_claim_timeout_seconds: float = Field(
        300,
        ge=5,
        le=3600,
        description="A quiz claimed by a process but not sent this long after (the process died) is taken over.",
    )
    quiz_tick_seconds: float = Field(
        20, gt=0, le=300, description="How often the quiz scheduler looks for due quizzes."
    )

    # --- Zalo --------------------------------------------------------------
    zalo_token: SecretStr | None = Field(None, description="Zalo Bot Platform token.")
    zalo_mode: Literal["polling", "webhook"] = "polling"
    zalo_base_url: str = Field("https://bot-api.zaloplatforms.com", description="Zalo Bot API base URL.")
    zalo_webhook_url: str | None = None
    zalo_webhook_secret: SecretStr | None = Field(None, description="8-256 characters.")
    zalo_admin_ids: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Zalo user ids of admins, comma-separated."
    )
    zalo_bot_name: str | None = Field(
        None, description='The bot\'s name as members see it in Zalo ("Bot Hỏi Đáp"), stripped from @mentions.'
    )
    zalo_delete_webhook: bool = Field(
        False, description="Polling mode: remove a webhook set on the bot (never done unless asked)."
    )

    # --- web: the one HTTP app (webhooks, web chat, dashboard, health, metrics) ----
    web_host: str = Field("127.0.0.1", description="Address `hoidap serve` listens on (behind a reverse proxy).")
    web_port: int = Field(8080, ge=1, le=65535, description="Port `hoidap serve` listens on.")
    public_url: str | None = Field(
        None,
        description="Public base URL of the web app (https://hoidap.example.vn): login links start with it. "
        "Default: the address `hoidap serve` listens on (http://HOIDAP_WEB_HOST:HOIDAP_WEB_PORT).",
    )
    web_secret: SecretStr | None = Field(
        None,
        description="Key signing session cookies and login links; default: generated once into data_dir/web-secret.",
    )
    web_login_minutes: int = Field(10, ge=1, le=1440, description="How long a /web login link stays valid.")
    web_session_hours: int = Field(12, ge=1, le=720, description="How long a dashboard session lasts.")
    web_requests_per_minute: int = Field(
        30, ge=1, description="Web chat requests (questions and taps) a member (a session) may make per minute."
    )
    web_address_requests_per_minute: int = Field(
        600,
        ge=1,
        description="Web chat requests per minute from one address (an office behind one NAT holds many members).",
    )
    forwarded_allow_ips: str = Field(
        "127.0.0.1",
        description="Reverse proxies whose X-Forwarded-For is believed (comma-separated addresses or CIDR ranges, "
        "e.g. 10.0.0.5,10.0.1.0/24); requests from anywhere else are limited by their own address.",
    )

    # --- several processes ----------------------------------------------------------------
    intake_lease_seconds: float = Field(
        15,
        ge=2,
        le=600,
        description="Webhook mode: an update accepted by a process that died is taken over by another after this.",
    )

    log_level: str = "INFO"
    log_format: Literal["text", "json"] = Field(
        "text",
        description="json: one JSON object per log line (requests and answered questions with their fields, "
        "never question text or ids), for a log collector.",
    )

    @field_validator("admin_ids", "zalo_admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value):
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        if isinstance(value, int):
            return [value]
        return value

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def site_url(self) -> str:
        """Where people open the web app: ``public_url``, else the address the server listens on (a
        fresh install without a proxy or a domain can still log in from the machine it runs on)."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.web_host in ("0.0.0.0", "::", "") else self.web_host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.web_port}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
