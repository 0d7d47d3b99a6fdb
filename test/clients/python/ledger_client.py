"""Ledger's Python client check: a short session against a running service.

Usage: python3 ledger_client.py HOST:PORT

Opens an account, deposits, withdraws, retries the withdrawal with the same
command_id, overdraws, sends a bad request and reads the account as of the
last revision; then (issue 15) reverses the withdrawal, found through
ListTransactions, and transfers to a second account of the same owner,
waiting for the transfer with GetTransfer. The overdraft and the bad request must fail with the gRPC rich
error model, decoded here with the standard packages (grpcio-status,
googleapis-common-protos), not with Ledger's own google.rpc declarations.
Prints one JSON document on stdout and exits 1 if anything differs from what
the API promises (the list is in "mismatches"), 2 if the service is not there.

Authentication (issue 13), from the environment: LEDGER_TLS_CA (PEM file)
turns TLS on; LEDGER_TLS_CERT and LEDGER_TLS_KEY add a client certificate
(mutual TLS); LEDGER_TOKEN is sent as `authorization: Bearer <token>` on every
call; LEDGER_OWNER_ID is the owner_id of the account it opens (the principal
the credentials name; a random one by default, for AUTH_MODE=none).

The stubs in gen/ come from `npx buf generate --template
test/clients/buf.gen.clients.yaml`.
"""

import json
import os
import sys
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen"))

import grpc  # noqa: E402
from google.rpc import error_details_pb2  # noqa: E402
from grpc_status import rpc_status  # noqa: E402

from ledger.v1 import account_commands_pb2 as commands  # noqa: E402
from ledger.v1 import account_commands_pb2_grpc as commands_grpc  # noqa: E402
from ledger.v1 import account_pb2  # noqa: E402
from ledger.v1 import account_queries_pb2 as queries  # noqa: E402
from ledger.v1 import account_queries_pb2_grpc as queries_grpc  # noqa: E402

DEADLINE_S = 10.0
CURRENCY = "EUR"
DEPOSIT = 10_000
WITHDRAWAL = 2_500
OVERDRAFT = 1_000_000
TRANSFER = 1_000


def result_of(response):
    r = response.result
    return {"ok": True, "revision": r.revision, "commit_position": r.commit_position, "balance": r.balance}


def error_of(err: grpc.RpcError):
    """The status and the decoded google.rpc.Status details of a failed call."""
    out = {"ok": False, "code": err.code().name, "message": err.details(), "details": []}
    status = rpc_status.from_call(err)  # raises if the trailer disagrees with the status line
    if status is None:
        return out
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            out["details"].append(
                {"type": "ErrorInfo", "reason": info.reason, "domain": info.domain, "metadata": dict(info.metadata)}
            )
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            out["details"].append(
                {
                    "type": "BadRequest",
                    "field_violations": [
                        {"field": v.field, "description": v.description} for v in bad.field_violations
                    ],
                }
            )
        else:
            out["details"].append({"type": detail.type_url})
    return out


def call(method, request):
    try:
        return result_of(method(request, timeout=DEADLINE_S, wait_for_ready=True))
    except grpc.RpcError as err:
        return error_of(err)


def detail(step, kind):
    return next((d for d in step.get("details", []) if d["type"] == kind), None)


def check(steps):
    """Every way the answers differ from the API's promises, as sentences."""
    problems = []

    def expect_ok(name, balance):
        s = steps[name]
        if not s["ok"]:
            problems.append(f"{name}: failed with {s['code']}: {s['message']}")
        elif s["balance"] != balance:
            problems.append(f"{name}: balance {s['balance']}, expected {balance}")

    expect_ok("open", 0)
    expect_ok("deposit", DEPOSIT)
    expect_ok("withdraw", DEPOSIT - WITHDRAWAL)
    expect_ok("withdraw_retry", DEPOSIT - WITHDRAWAL)
    if all(steps[n]["ok"] for n in ("open", "deposit", "withdraw", "withdraw_retry")):
        if not steps["open"]["revision"] < steps["deposit"]["revision"] < steps["withdraw"]["revision"]:
            problems.append("revisions do not increase from open to deposit to withdraw")
        if steps["withdraw_retry"]["revision"] != steps["withdraw"]["revision"]:
            problems.append("withdraw_retry: the same command_id answered a different revision")

    o = steps["overdraft"]
    info = detail(o, "ErrorInfo")
    if o["ok"] or o["code"] != "FAILED_PRECONDITION":
        problems.append(f"overdraft: expected FAILED_PRECONDITION, got {o.get('code', 'OK')}")
    if info is None or info["reason"] != "INSUFFICIENT_FUNDS" or info["domain"] != "ledger.v1":
        problems.append(f"overdraft: expected ErrorInfo INSUFFICIENT_FUNDS in ledger.v1, got {info}")

    b = steps["bad_request"]
    bad = detail(b, "BadRequest")
    if b["ok"] or b["code"] != "INVALID_ARGUMENT":
        problems.append(f"bad_request: expected INVALID_ARGUMENT, got {b.get('code', 'OK')}")
    if bad is None or "amount" not in [v["field"] for v in bad["field_violations"]]:
        problems.append(f"bad_request: expected a BadRequest field violation for amount, got {bad}")

    r = steps["reverse"]
    if not r["ok"]:
        problems.append(f"reverse: failed with {r['code']}: {r['message']}")
    elif r["balance"] != DEPOSIT:
        problems.append(f"reverse: balance {r['balance']}, expected {DEPOSIT} (the withdrawal given back)")
    t = steps["transfer"]
    if not t["ok"]:
        problems.append(f"transfer: failed with {t['code']}: {t['message']}")
    elif t["balance"] != DEPOSIT - TRANSFER or t["status"] != "TRANSFER_STATUS_COMPLETED":
        problems.append(f"transfer: unexpected outcome {t}")

    a = steps["as_of"]
    if not a["ok"]:
        problems.append(f"as_of: failed with {a['code']}: {a['message']}")
    elif a["balance"] != DEPOSIT - WITHDRAWAL or a["status"] != "ACCOUNT_STATUS_OPEN" or a["currency"] != CURRENCY:
        problems.append(f"as_of: unexpected account {a}")
    return problems


def reverse_and_transfer(cmds, qs, account_id, owner_id, withdraw_revision):
    """Issue 15: reverse the withdrawal (found through ListTransactions), then transfer to a second account of the owner."""
    try:
        txs = qs.ListTransactions(
            queries.ListTransactionsRequest(account_id=account_id, min_revision=withdraw_revision), timeout=DEADLINE_S
        ).transactions
    except grpc.RpcError as err:
        return error_of(err), {"ok": False, "code": "SKIPPED", "message": "no transactions"}
    withdrawal = next((t for t in txs if t.type == account_pb2.TRANSACTION_TYPE_WITHDRAWAL), None)
    if withdrawal is None:
        missing = {"ok": False, "code": "NOT_FOUND", "message": "no withdrawal in ListTransactions"}
        return missing, missing
    reverse = call(
        cmds.ReverseTransaction,
        commands.ReverseTransactionRequest(
            command_id=str(uuid.uuid4()), account_id=account_id, transaction_id=withdrawal.event_id, reason="client test"
        ),
    )
    to = str(uuid.uuid4())
    call(cmds.OpenAccount, commands.OpenAccountRequest(command_id=str(uuid.uuid4()), account_id=to, owner_id=owner_id, currency=CURRENCY))
    try:
        asked = cmds.TransferMoney(
            commands.TransferMoneyRequest(
                command_id=str(uuid.uuid4()), from_account_id=account_id, to_account_id=to, amount=TRANSFER, currency=CURRENCY
            ),
            timeout=DEADLINE_S,
        )
        done = qs.GetTransfer(
            queries.GetTransferRequest(transfer_id=asked.transfer_id, wait_for_completion=True), timeout=DEADLINE_S
        ).transfer
        transfer = {
            "ok": True,
            "transfer_id": asked.transfer_id,
            "balance": asked.result.balance,
            "status": account_pb2.TransferStatus.Name(done.status),
            "to_account_id": to,
        }
    except grpc.RpcError as err:
        transfer = error_of(err)
    return reverse, transfer


def read(path):
    with open(path, "rb") as f:
        return f.read()


def open_channel(address):
    """A channel with the credentials the environment names (module docstring)."""
    ca = os.environ.get("LEDGER_TLS_CA")
    token = os.environ.get("LEDGER_TOKEN")
    if ca is None:
        if token is not None:
            # grpcio sends call credentials only over TLS; a plaintext channel gets the header on each call.
            return grpc.intercept_channel(grpc.insecure_channel(address), BearerHeader(token))
        return grpc.insecure_channel(address)
    cert, key = os.environ.get("LEDGER_TLS_CERT"), os.environ.get("LEDGER_TLS_KEY")
    creds = grpc.ssl_channel_credentials(
        root_certificates=read(ca),
        private_key=read(key) if key else None,
        certificate_chain=read(cert) if cert else None,
    )
    if token is not None:
        creds = grpc.composite_channel_credentials(creds, grpc.access_token_call_credentials(token))
    return grpc.secure_channel(address, creds)


class BearerHeader(grpc.UnaryUnaryClientInterceptor):
    def __init__(self, token):
        self.header = ("authorization", f"Bearer {token}")

    def intercept_unary_unary(self, continuation, details, request):
        details = details._replace(metadata=list(details.metadata or []) + [self.header])
        return continuation(details, request)


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    channel = open_channel(argv[1])
    try:
        grpc.channel_ready_future(channel).result(timeout=DEADLINE_S)
    except grpc.FutureTimeoutError:
        print(f"no gRPC server at {argv[1]} within {DEADLINE_S}s", file=sys.stderr)
        return 2
    cmds = commands_grpc.AccountCommandsStub(channel)
    qs = queries_grpc.AccountQueriesStub(channel)
    account_id = str(uuid.uuid4())
    withdraw = commands.WithdrawRequest(
        command_id=str(uuid.uuid4()), account_id=account_id, amount=WITHDRAWAL, currency=CURRENCY
    )
    steps = {}
    owner_id = os.environ.get("LEDGER_OWNER_ID", str(uuid.uuid4()))
    steps["open"] = call(
        cmds.OpenAccount,
        commands.OpenAccountRequest(command_id=str(uuid.uuid4()), account_id=account_id, owner_id=owner_id, currency=CURRENCY),
    )
    steps["deposit"] = call(
        cmds.Deposit,
        commands.DepositRequest(command_id=str(uuid.uuid4()), account_id=account_id, amount=DEPOSIT, currency=CURRENCY),
    )
    steps["withdraw"] = call(cmds.Withdraw, withdraw)
    steps["withdraw_retry"] = call(cmds.Withdraw, withdraw)
    steps["overdraft"] = call(
        cmds.Withdraw,
        commands.WithdrawRequest(
            command_id=str(uuid.uuid4()), account_id=account_id, amount=OVERDRAFT, currency=CURRENCY
        ),
    )
    steps["bad_request"] = call(
        cmds.Deposit,
        commands.DepositRequest(command_id=str(uuid.uuid4()), account_id=account_id, amount=0, currency=CURRENCY),
    )
    try:
        as_of = qs.GetAccountAsOf(
            queries.GetAccountAsOfRequest(account_id=account_id, revision=steps["withdraw"].get("revision", 0)),
            timeout=DEADLINE_S,
        ).account
        steps["as_of"] = {
            "ok": True,
            "account_id": as_of.account_id,
            "balance": as_of.balance,
            "currency": as_of.currency,
            "status": account_pb2.AccountStatus.Name(as_of.status),
            "revision": as_of.revision,
        }
    except grpc.RpcError as err:
        steps["as_of"] = error_of(err)
    steps["reverse"], steps["transfer"] = reverse_and_transfer(cmds, qs, account_id, owner_id, steps["withdraw"].get("revision", 0))
    channel.close()

    problems = check(steps)
    print(json.dumps({"client": "python", "account_id": account_id, "steps": steps, "mismatches": problems}, indent=2))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
