"""The HTTP half of scripts/wheel-smoke: a served isocourse (the demo clinic, from the
installed wheel) answers the sign-in page, a static file, /health, API round trips
and one page per role. Standard library only (it runs in the wheel's environment).

Usage: ``python scripts/wheel_smoke_client.py BASE_URL RECORD.json SERVER_PID``; exit 1
with the first failure's description (at once when the server process has ended).
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

PASSWORD = "demo-clinic-password"
HOME = {"prescriber": "/worklist", "pharmacist": "/pharmacy", "patient": "/me", "admin": "/admin"}


class SmokeFailure(Exception):
    pass


def request(
    opener: urllib.request.OpenerDirector,
    url: str,
    *,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, str, bytes]:
    """(status, final URL, body); an HTTP error status is returned, not raised."""
    try:
        with opener.open(urllib.request.Request(url, data=data, headers=headers or {})) as answer:
            return answer.status, answer.geturl(), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, url, error.read()


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise SmokeFailure(what)
    print(f"ok   {what}")


def running(pid: int) -> bool:
    """The server process is alive (not ended, not a zombie waiting to be reaped)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:  # noqa: PTH123
            return stat.read().rsplit(")", 1)[1].split()[0] not in {"Z", "X"}
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True


def wait_until_up(base: str, pid: int, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    opener = urllib.request.build_opener()
    while time.monotonic() < deadline:
        if not running(pid):
            raise SmokeFailure("the server process ended before answering /health")
        try:
            status, _, _ = request(opener, f"{base}/health")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SmokeFailure(f"{base}/health did not answer 200 within {seconds:.0f} s")


def api(base: str, record: dict[str, Any]) -> None:
    opener = urllib.request.build_opener()
    form = urllib.parse.urlencode({"username": "prescriber@demo.test", "password": PASSWORD})
    status, _, body = request(opener, f"{base}/api/v1/auth/token", data=form.encode())
    expect(status == 200, "POST /api/v1/auth/token signs the demo prescriber in")
    bearer = {"Authorization": f"Bearer {json.loads(body)['access_token']}"}
    status, _, body = request(opener, f"{base}/api/v1/worklist", headers=bearer)
    rows = json.loads(body) if status == 200 else []
    expect(status == 200 and len(rows) > 0, "GET /api/v1/worklist lists the demo patients")
    headers = {**bearer, "Content-Type": "application/json"}
    status, _, body = request(
        opener, f"{base}/api/v1/evaluate", data=json.dumps(record).encode(), headers=headers
    )
    answer = json.loads(body) if status == 200 else {}
    expect(
        answer.get("format") == "isocourse.assessment/1",
        "POST /api/v1/evaluate answers an assessment",
    )
    patient = rows[0]["patient_id"]
    status, _, body = request(opener, f"{base}/api/v1/patients/{patient}/record", headers=bearer)
    expect(status == 200, "GET /api/v1/patients/{id}/record reads a demo patient's record")
    status, _, body = request(opener, f"{base}/api/v1/schemas/course-record")
    expect(status == 200 and b"2020-12" in body, "GET /api/v1/schemas/course-record (public)")


def pages(base: str) -> None:
    status, _, body = request(urllib.request.build_opener(), f"{base}/login")
    expect(status == 200 and b"csrf_token" in body, "GET /login: the sign-in page")
    status, _, body = request(urllib.request.build_opener(), f"{base}/static/style.css")
    expect(status == 200 and len(body) > 0, "GET /static/style.css: a static file")
    for role, home in HOME.items():
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        request(opener, f"{base}/login")
        csrf = next(cookie.value for cookie in jar if cookie.name == "isocourse_csrf")
        form = {"email": f"{role}@demo.test", "password": PASSWORD, "csrf_token": csrf}
        status, landed, body = request(
            opener, f"{base}/login", data=urllib.parse.urlencode(form).encode()
        )
        expect(
            status == 200 and urllib.parse.urlsplit(landed).path == home,
            f"{role} signs in and lands on {home} (200)",
        )
        if role == "prescriber":
            status, _, body = request(opener, f"{base}/worklist")
            link = body.split(b'href="/patients/', 1)
            expect(len(link) == 2, "the work-list links to the patients")
            patient = link[1].split(b'"', 1)[0].decode()
            status, _, _ = request(opener, f"{base}/patients/{patient}")
            expect(status == 200, "the prescriber opens a patient's page")
        if role == "patient":
            status, _, _ = request(opener, f"{base}/me/guide")
            expect(status == 200, "the patient opens their guide")


def main() -> int:
    base, record_file, pid = sys.argv[1].rstrip("/"), sys.argv[2], int(sys.argv[3])
    with open(record_file, encoding="utf-8") as handle:  # noqa: PTH123 (stdlib only, short)
        record = json.load(handle)
    try:
        wait_until_up(base, pid)
        status, _, body = request(urllib.request.build_opener(), f"{base}/health")
        expect(status == 200 and json.loads(body) == {"status": "ok"}, "GET /health")
        pages(base)
        api(base, record)
    except SmokeFailure as failure:
        print(f"FAIL {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
