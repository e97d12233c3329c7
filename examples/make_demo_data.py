"""Regenerate the demo datasets in examples/data/ (deterministic; run from the repo root).

`user_events_clean.csv` passes contracts/user_features.yaml. `user_events.csv` is the same
export after a bad upstream release: each classic failure is seeded once or twice, so the demo
report shows what a gate catches before a model is trained on it, and a column was renamed.
`user_events_bad_rows.csv` has the same bad rows without the rename: the gate passes its valid
rows on and quarantines the others.
"""

from __future__ import annotations

import csv
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent / "data"
BROWSERS = ["Chrome", "Safari", "Firefox", "Edge", "Other"]
SYSTEMS = ["Windows", "macOS", "Linux", "iOS", "Android"]
COUNTRIES = ["US", "FR", "DE", "GB", "JP", "BR", "IN"]
COMMENTS = ["", "fast delivery", "gift for my sister", "ça marche très bien", "дякую", "好"]
HEADER = [
    "user_id",
    "user_age",
    "browser_type",
    "os",
    "country",
    "last_purchase_at",
    "local_time",
    "signup_date",
    "session_count",
    "basket_value",
    "click_rate",
    "is_premium",
    "referrer",
    "comment",
]


def clean_rows(n: int, rng: random.Random) -> list[dict[str, str]]:
    start = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    rows = []
    for i in range(n):
        at = start + timedelta(minutes=7 * i)
        rows.append(
            {
                "user_id": str(1000 + i),
                "user_age": str(rng.randint(16, 80)),
                "browser_type": rng.choice(BROWSERS),
                "os": rng.choice(SYSTEMS),
                "country": rng.choice(COUNTRIES),
                "last_purchase_at": at.isoformat().replace("+00:00", "Z"),
                "local_time": (at - timedelta(hours=7)).strftime("%Y-%m-%d %H:%M:%S"),
                "signup_date": (date(2022, 1, 1) + timedelta(days=rng.randint(0, 800))).isoformat(),
                "session_count": str(rng.randint(0, 40)),
                "basket_value": f"{rng.uniform(5, 400):.2f}",
                "click_rate": "" if i % 9 == 0 else f"{rng.random():.3f}",
                "is_premium": rng.choice(["true", "false"]),
                "referrer": "" if i % 4 == 0 else rng.choice(["google.com", "news.example.org"]),
                "comment": rng.choice(COMMENTS),
            }
        )
    return rows


def seed_failures(rows: list[dict[str, str]], *, rename: bool = True) -> list[dict[str, str]]:
    broken = [dict(r) for r in rows]
    broken[3]["browser_type"] = "Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101"
    broken[7]["last_purchase_at"] = "2024-05-01T09:49:00"  # naive: no offset
    broken[11]["last_purchase_at"] = "2024-05-01T02:17:00-07:00"  # Pacific time, not UTC
    broken[14]["user_age"] = ""  # null age
    broken[21]["user_age"] = ""
    broken[17]["comment"] = "great\x00service"  # NUL byte
    broken[25]["comment"] = "love it \U0001f60d"  # 4-byte UTF-8 where charset: bmp
    broken[29]["country"] = "usa"
    broken[33]["user_id"] = broken[32]["user_id"]  # duplicate id
    broken[36]["basket_value"] = "NaN"
    if rename:
        for row in broken:  # an upstream rename: session_count -> sessions
            row["sessions"] = row.pop("session_count")
    return broken


def write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    rng = random.Random(7)
    rows = clean_rows(40, rng)
    HERE.mkdir(exist_ok=True)
    write(HERE / "user_events_clean.csv", rows)
    write(HERE / "user_events.csv", seed_failures(rows))
    write(HERE / "user_events_bad_rows.csv", seed_failures(rows, rename=False))


if __name__ == "__main__":
    main()
