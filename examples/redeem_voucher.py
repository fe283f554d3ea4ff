#!/usr/bin/env python
"""A resident spends points at a shop and the shop's clerk redeems the voucher, through
the JSON API only, with nothing but ``requests``.

    python examples/redeem_voucher.py                       # the demo at http://127.0.0.1:5000
    python examples/redeem_voucher.py --base-url URL --resident PHONE --clerk PHONE \
        --password PASSWORD --points 50

1. The resident signs in (``POST /api/v1/auth/token``) and reads their balance.
2. The clerk signs in and reads which shop they work for (``GET /api/v1/me``).
3. The resident makes a voucher of ``--points`` at that shop (``POST /api/v1/vouchers``,
   with an ``Idempotency-Key``: sending the same request again answers 200 with the same
   voucher and moves nothing).
4. The clerk redeems it by its code (``POST /api/v1/merchant/redemptions``); a second
   attempt answers 409.
5. The resident's balance has gone down by the voucher's points.
Exits 0 when every step answered as the contract says, 1 otherwise.
"""
import argparse
import sys
import uuid

import requests

DEMO_PASSWORD = "jifen-demo-2026"


class Client:
    def __init__(self, base_url, language="zh-CN"):
        self.base_url = base_url.rstrip("/") + "/api/v1"
        self.http = requests.Session()
        self.http.headers["Accept-Language"] = language

    def call(self, method, path, expect, **kwargs):
        response = self.http.request(method, self.base_url + path, timeout=10, **kwargs)
        if response.status_code != expect:
            raise SystemExit(f"{method} {path}: expected {expect}, got {response.status_code} "
                             f"{response.text}")
        return response.json() if response.content else None

    def sign_in(self, phone, password):
        answer = self.call("POST", "/auth/token", 201, json={"phone": phone, "password": password})
        self.http.headers["Authorization"] = f"Bearer {answer['token']}"
        return answer


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:5000")
    parser.add_argument("--resident", default="13800000002")
    parser.add_argument("--clerk", default="13800000003")
    parser.add_argument("--password", default=DEMO_PASSWORD)
    parser.add_argument("--clerk-password", default=None)
    parser.add_argument("--points", default="50")
    args = parser.parse_args(argv)

    resident, clerk = Client(args.base_url), Client(args.base_url)
    resident.sign_in(args.resident, args.password)
    before = resident.call("GET", "/me/balance", 200)
    print(f"resident balance: {before['points']} points ({before['held']} held)")

    clerk.sign_in(args.clerk, args.clerk_password or args.password)
    shop = clerk.call("GET", "/me", 200)["merchant_id"]
    print(f"clerk works at shop {shop}")

    key = str(uuid.uuid4())
    body = {"merchant_id": shop, "points": args.points}
    voucher = resident.call("POST", "/vouchers", 201, json=body, headers={"Idempotency-Key": key})
    again = resident.call("POST", "/vouchers", 200, json=body, headers={"Idempotency-Key": key})
    if again["id"] != voucher["id"]:
        raise SystemExit("the same Idempotency-Key made a second voucher")
    print(f"voucher {voucher['code']} for {voucher['points']} points, {voucher['status']}, "
          f"valid until {voucher['expires_at']}")

    redeemed = clerk.call("POST", "/merchant/redemptions", 201, json={"code": voucher["code"]})
    print(f"redeemed: {redeemed}")
    clerk.call("POST", "/merchant/redemptions", 409, json={"code": voucher["code"]})
    print("a second scan of the same code is refused (409)")

    after = resident.call("GET", "/me/balance", 200)
    spent = int(before["points"]) - int(after["points"])
    print(f"resident balance: {after['points']} points (spent {spent})")
    if spent != int(voucher["points"]):
        raise SystemExit(f"the balance went down by {spent}, not {voucher['points']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
