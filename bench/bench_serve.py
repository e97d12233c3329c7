"""What skewless' ASGI middleware adds to a request, measured against a real uvicorn server.

    .venv/bin/python bench/bench_serve.py [--app model|echo] [--requests 200] [--rounds 40]

Two uvicorn servers on loopback, each in its own subprocess (one worker, `--log-level
warning`, `--no-access-log`, a free port each):

- bare: a Starlette app whose `POST /predict` parses the JSON body and returns a small JSON
  score: with `--app model` (the default) the score of examples/inference_service's numpy
  model, as an inference endpoint computes it; with `--app echo`, a two-term formula (the
  smallest app a gate can sit in front of, where its cost shows most);
- wrapped: the same app inside `skewless.middleware.ContractMiddleware(app, routes={"/predict":
  Route("contracts/user_features.yaml")})`, which validates every body against the contract,
  normalises it, and hands the app the normalised body (a 422 for a record that breaks it).

The client, in this process, is one `httpx.Client` per server (keep-alive, one connection),
sending valid `user_features` records (`bench_record.py`'s generator) one after another: a
bounded closed loop, each request's latency taken with `time.perf_counter_ns()` around
`client.post`. After `--warmup` untimed requests to each, rounds alternate between the
servers (bare, wrapped, wrapped, bare, ...), `--rounds` each, every round `--rewarm` untimed
requests then `--requests` timed ones, the same bodies for both. Rounds are short (200
requests) because on a shared machine the p50 of a whole round drifts by 30% and more from
one round to the next: short alternating rounds expose both servers to the same drift, and
the round-by-round overhead is reported beside the pooled one. Before timing, the script
checks that the wrapped server really gates: a broken record gets a 422 there (200 from the
bare one), and a `ChromeOS` record reaches its app with `os` normalised to `Other`.

Both servers run their app behind the same stopwatch (`_clocked`: the time each request
spends inside the ASGI app, as uvicorn runs it, read back after each round through
`GET /_bench/times`): their difference is the middleware's own cost per request, free of the
client's and the network's noise. To attribute it, the two apps are also called in this
process with no server, in a hot loop (a fake `receive`/`send`), and the middleware's steps
are timed alone: parsing, validating, re-serialising the normalised body, counting the
outcome. A hot loop runs the same code 3 to 5 times faster than a server that sleeps between
requests (cold caches): its figures are for proportions, not for the overhead.

The figures are p50/p90/p99 per server over all its timed requests, and the overhead
`(wrapped - bare) / bare` at p50 and p99 (target: p50 overhead <= 10%). They go to
bench/results/bench_serve-<time>.json and bench_serve-latest.json. The servers are always
stopped, whatever happens.
"""

from __future__ import annotations

import importlib.util
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from typing import Any

import common

SERVERS = ("bare", "wrapped")


# --- the two apps (imported by uvicorn in the server processes) ------------------------------


MODEL = common.ROOT / "examples" / "inference_service"


def _app() -> str:
    return os.environ.get("BENCH_SERVE_APP", "model")


def service() -> Any:
    """The inference service without a gate: parse the body, return a score.

    `BENCH_SERVE_APP=model` (the default): the score of examples/inference_service's numpy
    model (features, one-hot vocabularies, a dot product), after the two repairs the bare
    app needs not to crash on this data (a null click rate, an unknown `os`), which are no-ops
    behind the gate; `echo`: a two-term formula, the smallest app a gate can sit in front of.
    """
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route as Endpoint

    if _app() == "model":
        sys.path.insert(0, str(MODEL))
        from model import SYSTEMS
        from model import score as model_score

        async def predict(request: Request) -> JSONResponse:
            record = json.loads(await request.body())
            clean = dict(record, click_rate=record["click_rate"] or 0.0)
            if clean["os"] not in SYSTEMS:
                clean["os"] = "Other"
            return JSONResponse({"score": model_score(clean), "os": record["os"]})

    else:

        async def predict(request: Request) -> JSONResponse:
            features = json.loads(await request.body())
            score = 0.01 * features["session_count"] + 0.5 * (features["click_rate"] or 0.0)
            return JSONResponse({"score": round(score, 4), "os": features["os"]})

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[
            Endpoint("/predict", predict, methods=["POST"]),
            Endpoint("/health", health, methods=["GET"]),
        ]
    )


def gate(app: Any) -> Any:
    """The service behind the contract."""
    from skewless.middleware import ContractMiddleware, Route

    return ContractMiddleware(app, routes={"/predict": Route(str(common.CONTRACT))})


def _clocked(app: Any) -> Any:
    """`app` behind a stopwatch: the ns each `POST /predict` spends in it, as the server runs
    it; `GET /_bench/times` answers them (a JSON list) and starts a new list."""
    times: list[int] = []
    clock = time.perf_counter_ns

    async def clocked(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/_bench/times":
            body = json.dumps(times).encode()
            times.clear()
            headers = [(b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        if scope["type"] != "http" or scope["path"] != "/predict":
            await app(scope, receive, send)
            return
        t0 = clock()
        await app(scope, receive, send)
        times.append(clock() - t0)

    return clocked


def make_bare() -> Any:
    return _clocked(service())


def make_wrapped() -> Any:
    return _clocked(gate(service()))


# --- the servers ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:
    """In the child, before exec: on Linux, be killed when the benchmark dies, even by SIGKILL."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _stop_on_sigterm() -> None:
    """SIGTERM (and SIGINT, even where a shell ignores it) unwind through the `finally`."""

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


class Server:
    """One uvicorn process serving `factory` on a free loopback port."""

    def __init__(self, name: str, factory: str) -> None:
        self.name, self.factory = name, factory
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()

    def start(self, timeout: float = 30.0) -> None:
        import httpx

        for _ in range(3):  # a free port can be taken between our probe and uvicorn's bind
            self.port = free_port()
            command = [
                *(sys.executable, "-m", "uvicorn", f"bench_serve:{self.factory}", "--factory"),
                *("--app-dir", str(common.BENCH), "--host", "127.0.0.1", "--port", str(self.port)),
                *("--workers", "1", "--log-level", "warning", "--no-access-log"),
            ]
            self.process = subprocess.Popen(
                command,
                cwd=common.ROOT,
                stdout=subprocess.DEVNULL,
                stderr=self.log,
                preexec_fn=_die_with_parent,  # safe: this process starts no threads
            )
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.process.poll() is None:
                try:
                    if httpx.get(f"{self.url}/health", timeout=1.0).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.05)
            self.stop()
        raise RuntimeError(f"the {self.name} server did not start:\n{self.stderr()}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stderr(self) -> str:
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")[-4000:]

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# --- the client -------------------------------------------------------------------------------


def bodies(n: int, seed: int) -> list[bytes]:
    sys.path.insert(0, str(common.BENCH))
    from bench_record import clean_records, to_json

    return to_json(clean_records(n, random.Random(seed)))


def sanity(clients: dict[str, Any], body: dict[str, Any]) -> list[str]:
    """Check that the wrapped server gates and normalises; WARNING lines when it does not."""
    warnings = []
    good = dict(body, os="ChromeOS")
    bad = dict(body, browser_type="Netscape")
    for name, client in clients.items():
        r = client.post("/predict", content=json.dumps(good).encode(), headers=JSON)
        expected_os = "Other" if name == "wrapped" else "ChromeOS"
        if r.status_code != 200 or r.json().get("os") != expected_os:
            warnings.append(
                f"WARNING: {name}: a ChromeOS record gave {r.status_code} {r.text[:200]!r}, "
                f"expected 200 with os {expected_os!r}"
            )
        r = client.post("/predict", content=json.dumps(bad).encode(), headers=JSON)
        # Without the gate, the model crashes on a browser it never saw (the point of it).
        expected = 422 if name == "wrapped" else 500 if _app() == "model" else 200
        if r.status_code != expected:
            warnings.append(
                f"WARNING: {name}: a record with browser_type 'Netscape' gave "
                f"{r.status_code}, expected {expected}"
            )
    return warnings


JSON = {"content-type": "application/json"}


def run_round(client: Any, payloads: list[bytes], start: int, count: int, timed: bool) -> Any:
    """`count` sequential POSTs; their latencies in ns (or None), and the non-200 count."""
    clock = time.perf_counter_ns
    post = client.post
    n = len(payloads)
    times: list[int] = []
    errors = 0
    for i in range(start, start + count):
        body = payloads[i % n]
        t0 = clock()
        response = post("/predict", content=body, headers=JSON)
        t1 = clock()
        if response.status_code != 200:
            errors += 1
        if timed:
            times.append(t1 - t0)
    return times, errors


# --- in process: where the overhead comes from ---------------------------------------------


def _scope(body: bytes) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/predict",
        "raw_path": b"/predict",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def _asgi_call(app: Any, body: bytes) -> int:
    """One request through an ASGI app, no server: the response status."""
    import asyncio

    delivered = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # the client never leaves
        raise AssertionError

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(_scope(body), receive, send)
    return status


def in_process(payloads: list[bytes], repeat: int) -> dict[str, Any]:
    """The two apps called directly (no server, no socket), and the middleware's steps alone.

    The steps are timed through skewless' public functions, as the middleware chains them:
    `validate_body` (parse and validate in one step, as the middleware calls it; the general
    way, `parse_json` then `validate`, beside it), `to_json` (the normalised body the app
    receives) and the default `Observer().observe(...)` of a valid record. A step whose API
    changed is skipped.
    """
    import asyncio

    import skewless
    from skewless.payload import parse_json, to_json

    apps = {"bare": service(), "wrapped": gate(service())}
    clock = time.perf_counter_ns
    times: dict[str, list[int]] = {name: [] for name in apps}

    async def calls() -> None:
        for rep in range(repeat + 1):
            for i, body in enumerate(payloads):
                for name in SERVERS[i % 2 :] + SERVERS[: i % 2]:
                    t0 = clock()
                    status = await _asgi_call(apps[name], body)
                    t1 = clock()
                    if status != 200:
                        raise RuntimeError(f"{name}: status {status} in process")
                    if rep:
                        times[name].append(t1 - t0)

    asyncio.run(calls())
    out: dict[str, Any] = {name: common.quantiles(ts) for name, ts in times.items()}
    out["overhead_p50_ns"] = out["wrapped"]["p50_ns"] - out["bare"]["p50_ns"]

    contract = skewless.load_contract(common.CONTRACT)
    validator = contract.record_validator(env="serving")
    records = [parse_json(b).records[0] for b in payloads]
    normalised = [validator.validate(r).record for r in records]
    steps: dict[str, tuple[Any, list[Any]]] = {
        "validate_body (what the middleware calls)": (validator.validate_body, payloads),
        "(the general way: parse_json)": (parse_json, payloads),
        "(the general way: validate)": (validator.validate, records),
        "to_json (forwarded body)": (to_json, normalised),
    }
    try:
        from skewless.observe import Observer

        observer = Observer()
        steps["Observer.observe (valid)"] = (
            lambda _: observer.observe(contract, "/predict", "valid", records=1),
            payloads,
        )
    except (ImportError, TypeError) as exc:
        out["steps_skipped"] = repr(exc)
    step_times: dict[str, list[int]] = {name: [] for name in steps}
    for rep in range(repeat + 1):
        for i in range(len(payloads)):
            for name, (fn, inputs) in steps.items():
                t0 = clock()
                fn(inputs[i])
                t1 = clock()
                if rep:
                    step_times[name].append(t1 - t0)
    out["steps_p50_ns"] = {name: float(statistics.median(ts)) for name, ts in step_times.items()}
    return out


def _source_hashes() -> dict[str, Any]:
    """Which skewless was measured: the commit, and the two modules being worked on."""
    src = common.ROOT / "src" / "skewless"
    hashes = {
        f"{name}_sha256": common.short_sha256(src / name)
        for name in ("record.py", "middleware.py")
        if (src / name).exists()
    }
    return {"skewless_commit": common.git("rev-parse", "--short", "HEAD"), **hashes}


def machine() -> dict[str, Any]:
    installed = importlib.util.find_spec
    return common.machine_facts(
        **_source_hashes(),
        uvicorn=version("uvicorn"),
        starlette=version("starlette"),
        httpx=version("httpx"),
        # uvicorn's `auto` picks uvloop and httptools when installed, else asyncio and h11.
        uvicorn_loop="uvloop" if installed("uvloop") else "asyncio",
        uvicorn_http="httptools" if installed("httptools") else "h11",
    )


def main() -> int:
    parser = common.argument_parser(__doc__)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per round")
    parser.add_argument("--rounds", type=int, default=40, help="rounds per server")
    parser.add_argument("--warmup", type=int, default=1000, help="untimed requests, once")
    parser.add_argument("--rewarm", type=int, default=20, help="untimed requests per round")
    parser.add_argument("--records", type=int, default=2000, help="distinct bodies sent")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--app",
        choices=("model", "echo"),
        default="model",
        help="the app behind both servers: examples/inference_service's model, or a formula",
    )
    parser.add_argument(
        "--in-process", type=int, default=1000, help="bodies for the in-process attribution"
    )
    args = parser.parse_args()

    import httpx

    _stop_on_sigterm()
    os.environ["BENCH_SERVE_APP"] = args.app  # read by service(), here and in the servers
    payloads = bodies(args.records, args.seed)
    results: dict[str, Any] = {
        "app": args.app,
        "requests_per_round": args.requests,
        "rounds_per_server": args.rounds,
        "warmup": args.warmup,
        "rewarm_per_round": args.rewarm,
        "records": args.records,
        "seed": args.seed,
        "mean_body_bytes": statistics.fmean(len(b) for b in payloads),
        "machine": machine(),
    }
    print("in process (no server) ...", flush=True)
    results["in_process"] = in_process(payloads[: args.in_process], 2)
    servers = {"bare": Server("bare", "make_bare"), "wrapped": Server("wrapped", "make_wrapped")}
    clients: dict[str, httpx.Client] = {}
    times: dict[str, list[int]] = {name: [] for name in SERVERS}
    inside: dict[str, list[int]] = {name: [] for name in SERVERS}  # server side
    round_medians: dict[str, list[float]] = {name: [] for name in SERVERS}
    errors = dict.fromkeys(SERVERS, 0)
    try:
        for server in servers.values():
            server.start()
        for name, server in servers.items():
            clients[name] = httpx.Client(
                base_url=server.url,
                limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
                timeout=30.0,
            )
        warnings = sanity(clients, json.loads(payloads[0]))
        for line in warnings:
            print(line, flush=True)
        results["warnings"] = warnings
        for name in SERVERS:
            run_round(clients[name], payloads, 0, args.warmup, timed=False)
        print(
            f"{args.rounds} rounds x {args.requests:,} requests per server, alternating ",
            end="",
            flush=True,
        )
        at = 0
        for r in range(args.rounds):
            order = SERVERS if r % 2 == 0 else SERVERS[::-1]  # bare first, then wrapped first
            for name in order:
                client = clients[name]
                run_round(client, payloads, at, args.rewarm, timed=False)
                client.get("/_bench/times")  # forget the untimed requests
                ts, bad = run_round(client, payloads, at, args.requests, timed=True)
                inside[name] += client.get("/_bench/times").json()
                times[name] += ts
                errors[name] += bad
                round_medians[name].append(statistics.median(ts))
            at += args.requests
            print(".", end="", flush=True)
        print(flush=True)
    except Exception:
        for name, server in servers.items():
            if server.process is not None and server.process.poll() is not None:
                print(f"the {name} server exited:\n{server.stderr()}", file=sys.stderr)
        raise
    finally:
        for client in clients.values():
            client.close()
        for server in servers.values():
            server.stop()
            server.log.close()
    results["machine"]["load_average_after"] = common.load_average()
    results["latency"] = {name: common.quantiles(ts) for name, ts in times.items()}
    results["server_side"] = {name: common.quantiles(ts) for name, ts in inside.items()}
    results["round_p50_ns"] = round_medians
    results["non_200"] = errors
    bare, wrapped = results["latency"]["bare"], results["latency"]["wrapped"]
    results["overhead"] = {
        p: {
            "ns": wrapped[f"{p}_ns"] - bare[f"{p}_ns"],
            "ratio": (wrapped[f"{p}_ns"] - bare[f"{p}_ns"]) / bare[f"{p}_ns"],
        }
        for p in ("p50", "p90", "p99")
    }
    # Drift on a shared machine moves whole rounds: the overhead of each (bare, wrapped) pair
    # of neighbouring rounds, and their median, show how much of the figure is drift.
    paired = [
        (w - b) / b for b, w in zip(round_medians["bare"], round_medians["wrapped"], strict=True)
    ]
    results["overhead"]["p50_paired_rounds"] = {
        "median_ratio": statistics.median(paired),
        "ratios": paired,
    }
    side = results["server_side"]
    results["overhead"]["p50_server_side"] = {
        "ns": side["wrapped"]["p50_ns"] - side["bare"]["p50_ns"],
        "ratio": (side["wrapped"]["p50_ns"] - side["bare"]["p50_ns"]) / bare["p50_ns"],
    }
    results["target"] = "p50 overhead <= 10%"
    results["target_met"] = results["overhead"]["p50"]["ratio"] <= 0.10
    for name, count in errors.items():
        if count:
            line = f"WARNING: {name}: {count} timed requests did not answer 200"
            print(line)
            results["warnings"].append(line)

    print_report(results)
    common.write_results("bench_serve", results)
    return 0


def print_report(results: dict[str, Any]) -> None:
    m = results["machine"]
    app = {
        "model": "examples/inference_service's numpy model",
        "echo": "a two-term formula (--app echo)",
    }[results.get("app", "echo")]
    print(f"\napp behind both servers: {app}")
    print(
        f"{results['rounds_per_server']} x {results['requests_per_round']:,} sequential "
        f"requests per server, one keep-alive connection, bodies of "
        f"{results['mean_body_bytes']:.0f} bytes on average; {common.describe_machine(m)}, "
        f"uvicorn {m['uvicorn']} ({m['uvicorn_loop']}, {m['uvicorn_http']}), "
        f"starlette {m['starlette']}, httpx {m['httpx']}"
    )
    header = f"{'server':<8} {'p50 us':>8} {'p90 us':>8} {'p99 us':>8} {'mean us':>8}"
    print(f"{header}  rounds' p50s (us): min / median / max")
    for name, q in results["latency"].items():
        rounds = results["round_p50_ns"][name]
        spread = " / ".join(
            f"{x / 1000:.0f}" for x in (min(rounds), statistics.median(rounds), max(rounds))
        )
        print(
            f"{name:<8} {q['p50_ns'] / 1000:>8.0f} {q['p90_ns'] / 1000:>8.0f} "
            f"{q['p99_ns'] / 1000:>8.0f} {q['mean_ns'] / 1000:>8.0f}  {spread}"
        )
    print("\noverhead (wrapped - bare) / bare (target: p50 overhead <= 10%)")
    for p in ("p50", "p90", "p99"):
        o = results["overhead"][p]
        print(f"  {p}: {o['ratio']:+.1%} ({o['ns'] / 1000:+.0f} us)")
    paired = results["overhead"]["p50_paired_rounds"]
    ratios = sorted(paired["ratios"])
    print(
        f"  p50, round by round: median {paired['median_ratio']:+.1%} over {len(ratios)} pairs "
        f"of neighbouring rounds (from {ratios[0]:+.1%} to {ratios[-1]:+.1%})"
    )
    o = results["overhead"]["p50_server_side"]
    print(
        f"  p50, server side: the middleware's own time, {o['ns'] / 1000:+.0f} us, is "
        f"{o['ratio']:+.1%} of the bare request's p50"
    )
    print(f"  p50 target {'met' if results['target_met'] else 'NOT met'}")
    side = results["server_side"]
    print(
        "\nserver side (time inside the ASGI app as uvicorn runs it, p50 / p99): bare "
        f"{side['bare']['p50_ns'] / 1000:.0f} / {side['bare']['p99_ns'] / 1000:.0f} us, "
        f"wrapped {side['wrapped']['p50_ns'] / 1000:.0f} / "
        f"{side['wrapped']['p99_ns'] / 1000:.0f} us"
    )
    ip = results["in_process"]
    print(
        f"\nin process, in a hot loop (the ASGI apps called directly, no server): bare "
        f"{ip['bare']['p50_ns'] / 1000:.1f} us, wrapped {ip['wrapped']['p50_ns'] / 1000:.1f} us "
        f"at p50: the middleware adds {ip['overhead_p50_ns'] / 1000:.1f} us, of which (p50 each):"
    )
    for name, ns in ip["steps_p50_ns"].items():
        print(f"  {name:<28} {ns / 1000:>6.1f} us")
    common.print_closing_notes(results)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt as stopped:
        print(f"\ninterrupted ({stopped}); servers stopped", file=sys.stderr)
        sys.exit(130)
