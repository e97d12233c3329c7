"""Records shared by the online-path tests: one valid request for contracts/user_features.yaml."""

from __future__ import annotations

from typing import Any

# Valid in serving data; `os` is mapped to "Other" and `click_rate` filled with 0.0.
USER_RECORD: dict[str, Any] = {
    "user_id": 7,
    "user_age": 30,
    "browser_type": "Chrome",
    "os": "ChromeOS",
    "country": "US",
    "last_purchase_at": "2024-05-01T10:00:00Z",
    "local_time": "2024-05-01T10:00:00",
    "signup_date": "2024-01-02",
    "session_count": 3,
    "basket_value": 12.5,
    "click_rate": None,
    "is_premium": False,
    "referrer": "example.com",
    "comment": None,
}
