"""Domain exceptions. One handler (app.py) maps them to HTTP with a stable body."""


class DomainError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.headers: dict[str, str] = {}  # sent with the HTTP answer (e.g. Retry-After)


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class NotAllowed(DomainError):
    status_code = 403
    code = "forbidden"


class NotSignedIn(DomainError):
    status_code = 401
    code = "unauthorized"


class InvalidInput(DomainError):
    status_code = 422
    code = "invalid_input"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class SlowDown(DomainError):
    """Too many of the same request too fast (comments, engagement pings)."""

    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        if retry_after is not None:
            self.headers["Retry-After"] = str(retry_after)


class OutOfStock(Conflict):
    code = "out_of_stock"
