#!/usr/bin/env python3
"""Drives real clients (msal, exchangelib) against `moxi-setup sim serve`.

For each scenario this starts the simulator, points the clients at it and asserts what a
real tenant would make them do: succeed for the ready scenarios, raise the right error for
the failure ones.

How the clients reach the simulator (nothing here touches the outside network):
- Host mapping: socket.getaddrinfo is patched so every simulated host name resolves to the
  simulator's loopback port; any other name fails to resolve.
- Trust: REQUESTS_CA_BUNDLE / SSL_CERT_FILE point at the CA file `sim serve` printed, and
  exchangelib gets an HTTP adapter that verifies against that same file.
- exchangelib's own DNS checks (dnspython A/SRV lookups during Autodiscover) are replaced by
  the same host table, and its auth-type sniffing is pinned to Basic: the simulator speaks
  Basic only (what moxi-setup uses), while exchangelib would otherwise pick NTLM.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time

BIN = sys.argv[1] if len(sys.argv) > 1 else "target/debug/moxi-setup"
PASSWORD = "Demo-Passw0rd!"
CLIENT_ID = "9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d"
TENANT = "contoso.onmicrosoft.com"
TENANT_ID = "3f2b8a4c-9d1e-4c7a-b5e6-0a1b2c3d4e5f"
SVC_M365 = "moxiengage@contoso.onmicrosoft.com"
USER_M365 = "agent@contoso.onmicrosoft.com"
SVC_EX = "moxiengage@contoso.example"
USER_EX = "agent@contoso.example"
EWS_SCOPE = ["https://outlook.office365.com/EWS.AccessAsUser.All"]

SIM = {"hosts": {}, "port": None}
_real_getaddrinfo = socket.getaddrinfo


def _sim_getaddrinfo(host, port, *args, **kwargs):
    h = (host or "").lower().rstrip(".")
    if h in SIM["hosts"]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", SIM["port"]))]
    if h in ("127.0.0.1", "localhost"):
        return _real_getaddrinfo(host, port, *args, **kwargs)
    raise socket.gaierror(socket.EAI_NONAME, f"{host} is not a simulated host")


socket.getaddrinfo = _sim_getaddrinfo


class Sim:
    """One `moxi-setup sim serve` process."""

    def __init__(self, scenario, extra_args=()):
        # extra_args: e.g. ("--latency", "100") for scripts/bench/bench.py.
        self.proc = subprocess.Popen(
            [BIN, "sim", "serve", "--scenario", scenario, "--listen", "127.0.0.1:0", *extra_args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.ca_file = None
        deadline = time.time() + 60
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("sim serve exited: " + self.proc.stderr.read())
            m = re.match(r"ca-file: (.+)", line.strip())
            if m:
                self.ca_file = m.group(1)
            if line.startswith("client-args:"):
                hosts = re.findall(r"--resolve ([^=\s]+)=127\.0\.0\.1:(\d+)", line)
                SIM["hosts"] = {h for h, _ in hosts}
                SIM["port"] = int(hosts[0][1])
                break
        assert self.ca_file and SIM["port"], "sim serve did not print its client arguments"
        os.environ["REQUESTS_CA_BUNDLE"] = self.ca_file
        os.environ["SSL_CERT_FILE"] = self.ca_file

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def msal_token(scenario_user=SVC_M365, tenant=TENANT):
    import msal

    app = msal.PublicClientApplication(
        CLIENT_ID, authority=f"https://login.microsoftonline.com/{tenant}"
    )
    return app.acquire_token_by_username_password(scenario_user, PASSWORD, scopes=EWS_SCOPE)


def setup_exchangelib():
    import requests.adapters
    import exchangelib.autodiscover.discovery as disc
    from exchangelib import BASIC
    from exchangelib.autodiscover.protocol import AutodiscoverProtocol
    from exchangelib.errors import TransportError
    from exchangelib.protocol import BaseProtocol

    class SimCA(requests.adapters.HTTPAdapter):
        def cert_verify(self, conn, url, verify, cert):
            super().cert_verify(conn=conn, url=url, verify=os.environ["REQUESTS_CA_BUNDLE"], cert=cert)

    BaseProtocol.HTTP_ADAPTER_CLS = SimCA

    def ensure_valid_hostname(self, url):
        from urllib.parse import urlparse

        if urlparse(url).hostname not in SIM["hosts"]:
            raise TransportError(f"{urlparse(url).hostname!r} has no DNS entry")

    disc.Autodiscovery._ensure_valid_hostname = ensure_valid_hostname
    disc.Autodiscovery._get_srv_records = lambda self, hostname: []
    AutodiscoverProtocol.get_auth_type = lambda self: BASIC


def ews_account(kind, token=None, target=None, retry=False):
    from exchangelib import (
        BASIC,
        IMPERSONATION,
        OAUTH2,
        Account,
        Build,
        Configuration,
        Credentials,
        FaultTolerance,
        FailFast,
        OAuth2AuthorizationCodeCredentials,
        Version,
    )

    if kind == "exo":
        creds = OAuth2AuthorizationCodeCredentials(
            client_id=CLIENT_ID,
            access_token={"access_token": token, "token_type": "Bearer", "expires_in": 3599},
        )
        config = Configuration(
            service_endpoint="https://outlook.office365.com/EWS/Exchange.asmx",
            credentials=creds,
            auth_type=OAUTH2,
            version=Version(build=Build(15, 20, 8722, 22)),
            retry_policy=FaultTolerance(max_wait=60) if retry else FailFast(),
        )
    else:
        creds = Credentials(SVC_EX, PASSWORD)
        config = Configuration(
            service_endpoint="https://mail.contoso.example/EWS/Exchange.asmx",
            credentials=creds,
            auth_type=BASIC,
            # No version: exchangelib sniffs it from the server (ConvertId + ServerVersionInfo).
        )
    return Account(target, config=config, autodiscover=False, access_type=IMPERSONATION)


def read_folders(account):
    # Each property access sends GetFolder for a distinguished folder.
    return [f.name for f in (account.inbox, account.calendar, account.contacts, account.sent)]


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print(f"  ok: {what}")


def scenario_m365_ready(retry=False):
    r = msal_token()
    check("access_token" in r, f"msal ROPC token issued ({r.get('error_codes')})")
    import base64, json

    payload = r["access_token"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    check(claims["tid"] == TENANT_ID and claims["appid"] == CLIENT_ID, "token claims tid/appid")
    check("EWS.AccessAsUser.All" in claims["scp"].split(), "token scp")
    acct = ews_account("exo", r["access_token"], USER_M365, retry=retry)
    names = read_folders(acct)
    check(len(names) == 4, f"exchangelib impersonated GetFolder for the test user: {names}")


def scenario_ex_ready():
    from exchangelib import DELEGATE, Account, Credentials

    acct = ews_account("onprem", target=USER_EX)
    names = read_folders(acct)
    check(len(names) == 4, f"exchangelib impersonated GetFolder (Basic): {names}")
    build = acct.protocol.version.build
    check(build.major_version == 15 and build.minor_version in (1, 2), f"exchangelib read the server build {build}")
    auto = Account(SVC_EX, credentials=Credentials(SVC_EX, PASSWORD), autodiscover=True, access_type=DELEGATE)
    check(
        auto.protocol.service_endpoint.lower() == "https://mail.contoso.example/ews/exchange.asmx",
        f"exchangelib Autodiscover found {auto.protocol.service_endpoint}",
    )
    check(auto.inbox.name is not None, "GetFolder on the autodiscovered endpoint")


def expect_token_error(code, error):
    r = msal_token()
    check("access_token" not in r, "no token")
    check(r.get("error") == error and code in r.get("error_codes", []), f"msal reports {error} / AADSTS{code}: {r.get('error_description', '')[:60]}")


def scenario_impersonation_denied(kind):
    from exchangelib.errors import ErrorImpersonateUserDenied

    token = None
    target = USER_EX
    if kind == "exo":
        token = msal_token()["access_token"]
        target = USER_M365
    try:
        read_folders(ews_account(kind, token, target))
    except ErrorImpersonateUserDenied as e:
        check(True, f"exchangelib raised ErrorImpersonateUserDenied: {e}")
        return
    raise AssertionError("impersonation was not refused")


def scenario_redirect_loop():
    from exchangelib import DELEGATE, Account, Credentials
    from exchangelib.errors import AutoDiscoverCircularRedirect

    try:
        Account(SVC_EX, credentials=Credentials(SVC_EX, PASSWORD), autodiscover=True, access_type=DELEGATE)
    except AutoDiscoverCircularRedirect as e:
        check(True, f"exchangelib raised AutoDiscoverCircularRedirect: {e}")
        return
    raise AssertionError("the Autodiscover loop was not detected")


SCENARIOS = [
    ("m365-guide-2021", scenario_m365_ready),
    # exchangelib honours BackOffMilliseconds when told to retry.
    ("m365-throttled", lambda: scenario_m365_ready(retry=True)),
    ("ex2016-ready", scenario_ex_ready),
    ("exse-ready", scenario_ex_ready),
    ("ex2016-autodiscover-redirect", scenario_ex_ready),
    ("m365-wrong-password", lambda: expect_token_error(50126, "invalid_grant")),
    ("m365-public-client-off", lambda: expect_token_error(7000218, "invalid_client")),
    ("m365-mfa-required", lambda: expect_token_error(50076, "invalid_grant")),
    ("m365-allowlisted", lambda: scenario_impersonation_denied("exo")),
    ("ex2016-no-impersonation-role", lambda: scenario_impersonation_denied("onprem")),
    ("ex2016-redirect-loop", scenario_redirect_loop),
]


def main():
    setup_exchangelib()
    only = set(sys.argv[2:])
    failed = []
    for name, fn in SCENARIOS:
        if only and name not in only:
            continue
        print(f"== {name}")
        sim = Sim(name)
        try:
            # exchangelib caches Autodiscover results and protocols per process.
            from exchangelib.autodiscover import clear_cache
            from exchangelib.protocol import close_connections

            clear_cache()
            fn()
        except Exception as e:  # report every scenario, then fail
            print(f"  FAILED: {type(e).__name__}: {e}")
            failed.append(name)
        finally:
            try:
                close_connections()
            except Exception:
                pass
            sim.stop()
    if failed:
        print("peer checks failed: " + ", ".join(failed))
        sys.exit(1)
    print("peer checks passed")


if __name__ == "__main__":
    main()
