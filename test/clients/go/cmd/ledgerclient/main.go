// Command ledgerclient is Ledger's Go client check: a short session against a
// running service.
//
//	ledgerclient HOST:PORT
//
// It opens an account, deposits, withdraws, retries the withdrawal with the
// same command_id, overdraws, sends a bad request and reads the account as of
// the last revision. The overdraft and the bad request must fail with the gRPC
// rich error model, decoded here with the standard packages
// (google.golang.org/grpc/status and genproto's errdetails), not with Ledger's
// own google.rpc declarations. It prints one JSON document on stdout and
// exits 1 if anything differs from what the API promises (the list is in
// "mismatches"), 2 if the service is not there.
//
// Authentication (issue 13), from the environment: LEDGER_TLS_CA turns TLS
// on, LEDGER_TLS_CERT and LEDGER_TLS_KEY add a client certificate,
// LEDGER_TOKEN is sent as `authorization: Bearer <token>`, LEDGER_OWNER_ID is
// the owner_id of the account it opens (random by default, for AUTH_MODE=none).
//
// The stubs in gen/ come from
// `npx buf generate --template test/clients/buf.gen.clients.yaml`.
package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	ledgerv1 "ledger.test/clients/gen/ledger/v1"
)

const (
	deadline   = 10 * time.Second
	currency   = "EUR"
	deposit    = 10_000
	withdrawal = 2_500
	overdraft  = 1_000_000
	transfer   = 1_000
)

// Detail is one decoded google.rpc.Status detail.
type Detail struct {
	Type            string            `json:"type"`
	Reason          string            `json:"reason,omitempty"`
	Domain          string            `json:"domain,omitempty"`
	Metadata        map[string]string `json:"metadata,omitempty"`
	FieldViolations []Violation       `json:"field_violations,omitempty"`
}

// Violation is one google.rpc.BadRequest field violation.
type Violation struct {
	Field       string `json:"field"`
	Description string `json:"description"`
}

// Step is the answer to one call: a command result, an account, or an error.
type Step struct {
	OK             bool     `json:"ok"`
	Revision       *uint64  `json:"revision,omitempty"`
	CommitPosition *uint64  `json:"commit_position,omitempty"`
	Balance        *int64   `json:"balance,omitempty"`
	AccountID      string   `json:"account_id,omitempty"`
	Currency       string   `json:"currency,omitempty"`
	Status         string   `json:"status,omitempty"`
	Code           string   `json:"code,omitempty"`
	Message        string   `json:"message,omitempty"`
	Details        []Detail `json:"details,omitempty"`
	TransferID     string   `json:"transfer_id,omitempty"`
}

var upperRun = regexp.MustCompile(`([a-z])([A-Z])`)

// codeName spells a gRPC code as the other languages do (FAILED_PRECONDITION).
func codeName(s *status.Status) string {
	return strings.ToUpper(upperRun.ReplaceAllString(s.Code().String(), "${1}_${2}"))
}

func errorStep(err error) Step {
	s, ok := status.FromError(err)
	if !ok {
		return Step{Code: "NOT_A_STATUS", Message: err.Error()}
	}
	step := Step{Code: codeName(s), Message: s.Message(), Details: []Detail{}}
	for _, d := range s.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			step.Details = append(step.Details, Detail{Type: "ErrorInfo", Reason: d.GetReason(), Domain: d.GetDomain(), Metadata: d.GetMetadata()})
		case *errdetails.BadRequest:
			vs := []Violation{}
			for _, v := range d.GetFieldViolations() {
				vs = append(vs, Violation{Field: v.GetField(), Description: v.GetDescription()})
			}
			step.Details = append(step.Details, Detail{Type: "BadRequest", FieldViolations: vs})
		case error:
			step.Details = append(step.Details, Detail{Type: "undecodable: " + d.Error()})
		default:
			step.Details = append(step.Details, Detail{Type: fmt.Sprintf("%T", d)})
		}
	}
	return step
}

type resulter interface{ GetResult() *ledgerv1.CommandResult }

func command[Req any, Res resulter](call func(context.Context, Req, ...grpc.CallOption) (Res, error), req Req) Step {
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	res, err := call(ctx, req, grpc.WaitForReady(true))
	if err != nil {
		return errorStep(err)
	}
	r := res.GetResult()
	rev, pos, bal := r.GetRevision(), r.GetCommitPosition(), r.GetBalance()
	return Step{OK: true, Revision: &rev, CommitPosition: &pos, Balance: &bal}
}

func newUUID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func detail(s Step, kind string) *Detail {
	for i := range s.Details {
		if s.Details[i].Type == kind {
			return &s.Details[i]
		}
	}
	return nil
}

func val[T any](p *T) (v T) {
	if p != nil {
		v = *p
	}
	return v
}

// check lists every way the answers differ from the API's promises.
func check(steps map[string]Step) []string {
	problems := []string{}
	expectOK := func(name string, balance int64) {
		s := steps[name]
		switch {
		case !s.OK:
			problems = append(problems, fmt.Sprintf("%s: failed with %s: %s", name, s.Code, s.Message))
		case val(s.Balance) != balance:
			problems = append(problems, fmt.Sprintf("%s: balance %d, expected %d", name, val(s.Balance), balance))
		}
	}
	expectOK("open", 0)
	expectOK("deposit", deposit)
	expectOK("withdraw", deposit-withdrawal)
	expectOK("withdraw_retry", deposit-withdrawal)
	if steps["open"].OK && steps["deposit"].OK && steps["withdraw"].OK && steps["withdraw_retry"].OK {
		o, d, w := val(steps["open"].Revision), val(steps["deposit"].Revision), val(steps["withdraw"].Revision)
		if !(o < d && d < w) {
			problems = append(problems, "revisions do not increase from open to deposit to withdraw")
		}
		if val(steps["withdraw_retry"].Revision) != w {
			problems = append(problems, "withdraw_retry: the same command_id answered a different revision")
		}
	}

	o := steps["overdraft"]
	if o.OK || o.Code != "FAILED_PRECONDITION" {
		problems = append(problems, fmt.Sprintf("overdraft: expected FAILED_PRECONDITION, got %q", o.Code))
	}
	if info := detail(o, "ErrorInfo"); info == nil || info.Reason != "INSUFFICIENT_FUNDS" || info.Domain != "ledger.v1" {
		problems = append(problems, fmt.Sprintf("overdraft: expected ErrorInfo INSUFFICIENT_FUNDS in ledger.v1, got %+v", info))
	}

	b := steps["bad_request"]
	if b.OK || b.Code != "INVALID_ARGUMENT" {
		problems = append(problems, fmt.Sprintf("bad_request: expected INVALID_ARGUMENT, got %q", b.Code))
	}
	bad := detail(b, "BadRequest")
	if bad == nil || !slices.ContainsFunc(bad.FieldViolations, func(v Violation) bool { return v.Field == "amount" }) {
		problems = append(problems, fmt.Sprintf("bad_request: expected a BadRequest field violation for amount, got %+v", bad))
	}

	r := steps["reverse"]
	switch {
	case !r.OK:
		problems = append(problems, fmt.Sprintf("reverse: failed with %s: %s", r.Code, r.Message))
	case val(r.Balance) != deposit:
		problems = append(problems, fmt.Sprintf("reverse: balance %d, expected %d (the withdrawal given back)", val(r.Balance), deposit))
	}
	t := steps["transfer"]
	switch {
	case !t.OK:
		problems = append(problems, fmt.Sprintf("transfer: failed with %s: %s", t.Code, t.Message))
	case val(t.Balance) != deposit-transfer || t.Status != "TRANSFER_STATUS_COMPLETED":
		problems = append(problems, fmt.Sprintf("transfer: unexpected outcome %+v", t))
	}

	a := steps["as_of"]
	switch {
	case !a.OK:
		problems = append(problems, fmt.Sprintf("as_of: failed with %s: %s", a.Code, a.Message))
	case val(a.Balance) != deposit-withdrawal || a.Status != "ACCOUNT_STATUS_OPEN" || a.Currency != currency:
		problems = append(problems, fmt.Sprintf("as_of: unexpected account %+v", a))
	}
	return problems
}

// bearer sends `authorization: Bearer <token>` with every call (issue 13).
type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

// RequireTransportSecurity is false so AUTH_MODE=jwt behind a TLS-terminating proxy can be tried in plaintext too.
func (bearer) RequireTransportSecurity() bool { return false }

// dialOptions reads the credentials the environment names: LEDGER_TLS_CA
// turns TLS on, LEDGER_TLS_CERT/LEDGER_TLS_KEY add a client certificate,
// LEDGER_TOKEN a bearer token.
func dialOptions() ([]grpc.DialOption, error) {
	transport := insecure.NewCredentials()
	if ca := os.Getenv("LEDGER_TLS_CA"); ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("no certificate in %s", ca)
		}
		config := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		if cert, key := os.Getenv("LEDGER_TLS_CERT"), os.Getenv("LEDGER_TLS_KEY"); cert != "" {
			pair, err := tls.LoadX509KeyPair(cert, key)
			if err != nil {
				return nil, err
			}
			config.Certificates = []tls.Certificate{pair}
		}
		transport = credentials.NewTLS(config)
	}
	opts := []grpc.DialOption{grpc.WithTransportCredentials(transport)}
	if token := os.Getenv("LEDGER_TOKEN"); token != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(bearer(token)))
	}
	return opts, nil
}

// reverseAndTransfer (issue 15): reverses the withdrawal, found through
// ListTransactions, then transfers to a second account of the same owner and
// waits for it with GetTransfer.
func reverseAndTransfer(cmds ledgerv1.AccountCommandsClient, queries ledgerv1.AccountQueriesClient, accountID, owner string, withdrawRevision uint64) (Step, Step) {
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	minRevision := withdrawRevision
	txs, err := queries.ListTransactions(ctx, &ledgerv1.ListTransactionsRequest{AccountId: accountID, MinRevision: &minRevision})
	if err != nil {
		return errorStep(err), Step{Code: "SKIPPED", Message: "no transactions"}
	}
	eventID := ""
	for _, t := range txs.GetTransactions() {
		if t.GetType() == ledgerv1.TransactionType_TRANSACTION_TYPE_WITHDRAWAL {
			eventID = t.GetEventId()
		}
	}
	if eventID == "" {
		missing := Step{Code: "NOT_FOUND", Message: "no withdrawal in ListTransactions"}
		return missing, missing
	}
	reverse := command(cmds.ReverseTransaction, &ledgerv1.ReverseTransactionRequest{CommandId: newUUID(), AccountId: accountID, TransactionId: eventID, Reason: "client test"})
	to := newUUID()
	command(cmds.OpenAccount, &ledgerv1.OpenAccountRequest{CommandId: newUUID(), AccountId: to, OwnerId: owner, Currency: currency})
	asked, err := cmds.TransferMoney(ctx, &ledgerv1.TransferMoneyRequest{CommandId: newUUID(), FromAccountId: accountID, ToAccountId: to, Amount: transfer, Currency: currency})
	if err != nil {
		return reverse, errorStep(err)
	}
	done, err := queries.GetTransfer(ctx, &ledgerv1.GetTransferRequest{TransferId: asked.GetTransferId(), WaitForCompletion: true})
	if err != nil {
		return reverse, errorStep(err)
	}
	bal := asked.GetResult().GetBalance()
	return reverse, Step{OK: true, TransferID: asked.GetTransferId(), Balance: &bal, Status: done.GetTransfer().GetStatus().String(), AccountID: to}
}

func ownerID() string {
	if owner := os.Getenv("LEDGER_OWNER_ID"); owner != "" {
		return owner
	}
	return newUUID()
}

func run(addr string) int {
	opts, err := dialOptions()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	conn, err := grpc.NewClient(addr, opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer conn.Close()
	ready, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	conn.Connect()
	for s := conn.GetState(); s != connectivity.Ready; s = conn.GetState() {
		if !conn.WaitForStateChange(ready, s) {
			fmt.Fprintf(os.Stderr, "no gRPC server at %s within %s\n", addr, deadline)
			return 2
		}
	}

	cmds := ledgerv1.NewAccountCommandsClient(conn)
	queries := ledgerv1.NewAccountQueriesClient(conn)
	accountID := newUUID()
	withdraw := &ledgerv1.WithdrawRequest{CommandId: newUUID(), AccountId: accountID, Amount: withdrawal, Currency: currency}
	steps := map[string]Step{}
	owner := ownerID()
	steps["open"] = command(cmds.OpenAccount, &ledgerv1.OpenAccountRequest{CommandId: newUUID(), AccountId: accountID, OwnerId: owner, Currency: currency})
	steps["deposit"] = command(cmds.Deposit, &ledgerv1.DepositRequest{CommandId: newUUID(), AccountId: accountID, Amount: deposit, Currency: currency})
	steps["withdraw"] = command(cmds.Withdraw, withdraw)
	steps["withdraw_retry"] = command(cmds.Withdraw, withdraw)
	steps["overdraft"] = command(cmds.Withdraw, &ledgerv1.WithdrawRequest{CommandId: newUUID(), AccountId: accountID, Amount: overdraft, Currency: currency})
	steps["bad_request"] = command(cmds.Deposit, &ledgerv1.DepositRequest{CommandId: newUUID(), AccountId: accountID, Amount: 0, Currency: currency})

	ctx, cancelAsOf := context.WithTimeout(context.Background(), deadline)
	defer cancelAsOf()
	res, err := queries.GetAccountAsOf(ctx, &ledgerv1.GetAccountAsOfRequest{
		AccountId: accountID,
		AsOf:      &ledgerv1.GetAccountAsOfRequest_Revision{Revision: val(steps["withdraw"].Revision)},
	})
	if err != nil {
		steps["as_of"] = errorStep(err)
	} else {
		acc := res.GetAccount()
		bal, rev := acc.GetBalance(), acc.GetRevision()
		steps["as_of"] = Step{OK: true, AccountID: acc.GetAccountId(), Balance: &bal, Currency: acc.GetCurrency(), Status: acc.GetStatus().String(), Revision: &rev}
	}

	steps["reverse"], steps["transfer"] = reverseAndTransfer(cmds, queries, accountID, owner, val(steps["withdraw"].Revision))

	problems := check(steps)
	out, err := json.MarshalIndent(map[string]any{"client": "go", "account_id": accountID, "steps": steps, "mismatches": problems}, "", "  ")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Println(string(out))
	if len(problems) > 0 {
		return 1
	}
	return 0
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: ledgerclient HOST:PORT")
		os.Exit(2)
	}
	os.Exit(run(os.Args[1]))
}
