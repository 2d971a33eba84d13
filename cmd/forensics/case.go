package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"forensics/caseledger"
	"forensics/evidence"
	"forensics/internal/termsafe"
	"forensics/serve"
)

// caseOptions are the options of forensics case open, close and list.
type caseOptions struct {
	io           *ioStreams
	Action       string // open, close, list
	Gateway      string // the gateway's (admin) URL
	AdminKeyFile string
	Accounts     []string
	Case         string
	Note         string
	Ledger       string // list offline from a ledger file
	PubPath      string
	JSON         bool
}

func newCmdCase(io *ioStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "case <command>",
		Short: "Open, close and list cases on a running gateway (docs/cases.md)",
		Long: `A case moves accounts onto a watermark key derived from the master key,
without telling them, and records the decision in the gateway's signed
case ledger. The gateway opens cases itself from scan results; these
commands are the operator's way (POST /admin/cases, with the admin key).`,
	}
	cmd.AddCommand(newCmdCaseOpen(io, nil), newCmdCaseClose(io, nil), newCmdCaseList(io, nil))
	return cmd
}

// gatewayFlags are the flags of the commands that call the gateway.
func gatewayFlags(cmd *cobra.Command, opts *caseOptions) {
	f := cmd.Flags()
	f.StringVar(&opts.Gateway, "gateway", "", "the gateway's URL (its admin_listen address, or its public one)")
	f.StringVar(&opts.AdminKeyFile, "admin-key-file", "", "a file holding an admin API key (one of admin_api_keys)")
	f.BoolVar(&opts.JSON, "json", false, "print the gateway's answer as JSON")
}

func newCmdCaseOpen(io *ioStreams, runF func(context.Context, *caseOptions) error) *cobra.Command {
	opts := &caseOptions{io: io, Action: "open"}
	cmd := &cobra.Command{
		Use:   "open --gateway URL --admin-key-file FILE --accounts A,B [--case ID] [--note TEXT]",
		Short: "Open a case for accounts, or add them to an open case (--case)",
		Example: `  forensics case open --gateway http://10.0.0.5:9090 --admin-key-file admin.key --accounts acme-3,acme-7 --note "ticket 4411"
  forensics case open --gateway http://10.0.0.5:9090 --admin-key-file admin.key --accounts acme-9 --case case-0002`,
		Args: maxArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(opts.Accounts) == 0 {
				return usagef("give --accounts")
			}
			return runCase(cmd, opts, runF)
		},
	}
	gatewayFlags(cmd, opts)
	cmd.Flags().StringSliceVar(&opts.Accounts, "accounts", nil, "accounts to put in the case (comma-separated)")
	cmd.Flags().StringVar(&opts.Case, "case", "", "an open case to extend, or the id of a new one (default: the next case-NNNN)")
	cmd.Flags().StringVar(&opts.Note, "note", "", "why, for the ledger (a ticket, a name)")
	return cmd
}

func newCmdCaseClose(io *ioStreams, runF func(context.Context, *caseOptions) error) *cobra.Command {
	opts := &caseOptions{io: io, Action: "close"}
	cmd := &cobra.Command{
		Use:     "close --gateway URL --admin-key-file FILE --case ID [--note TEXT]",
		Short:   "Close a case: its accounts return to the master key",
		Example: `  forensics case close --gateway http://10.0.0.5:9090 --admin-key-file admin.key --case case-0002`,
		Args:    maxArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Case == "" {
				return usagef("give --case")
			}
			return runCase(cmd, opts, runF)
		},
	}
	gatewayFlags(cmd, opts)
	cmd.Flags().StringVar(&opts.Case, "case", "", "the case to close")
	cmd.Flags().StringVar(&opts.Note, "note", "", "why, for the ledger")
	return cmd
}

func newCmdCaseList(io *ioStreams, runF func(context.Context, *caseOptions) error) *cobra.Command {
	opts := &caseOptions{io: io, Action: "list"}
	cmd := &cobra.Command{
		Use:   "list (--gateway URL --admin-key-file FILE | --ledger FILE [--public-key FILE])",
		Short: "List the cases, from the gateway or from a ledger file",
		Example: `  forensics case list --gateway http://10.0.0.5:9090 --admin-key-file admin.key
  forensics case list --ledger cases.jsonl --public-key log-signer.key.pub`,
		Args: maxArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (opts.Ledger == "") == (opts.Gateway == "") {
				return usagef("give --gateway or --ledger")
			}
			return runCase(cmd, opts, runF)
		},
	}
	gatewayFlags(cmd, opts)
	cmd.Flags().StringVar(&opts.Ledger, "ledger", "", "read the cases from this ledger file instead of a gateway")
	cmd.Flags().StringVar(&opts.PubPath, "public-key", "", "with --ledger: accept only events signed by this public key")
	return cmd
}

func runCase(cmd *cobra.Command, opts *caseOptions, runF func(context.Context, *caseOptions) error) error {
	if opts.Ledger == "" && (opts.Gateway == "" || opts.AdminKeyFile == "") {
		return usagef("give --gateway and --admin-key-file")
	}
	if runF != nil {
		return runF(cmd.Context(), opts)
	}
	return caseRun(cmd.Context(), opts)
}

func caseRun(ctx context.Context, opts *caseOptions) error {
	var resp serve.CasesResponse
	var err error
	switch {
	case opts.Ledger != "":
		resp, err = casesFromLedger(opts)
	case opts.Action == "list":
		err = callGateway(ctx, opts, http.MethodGet, "/admin/cases", nil, &resp)
	case opts.Action == "open":
		err = callGateway(ctx, opts, http.MethodPost, "/admin/cases", serve.CaseRequest{Accounts: opts.Accounts, Case: opts.Case, Note: opts.Note}, &resp)
	default:
		err = callGateway(ctx, opts, http.MethodPost, "/admin/cases/close", serve.CaseRequest{Case: opts.Case, Note: opts.Note}, &resp)
	}
	if err != nil {
		return err
	}
	if opts.JSON {
		return json.NewEncoder(jsonOut(opts.io.Out)).Encode(resp)
	}
	printCases(opts.io.Out, resp.Cases)
	fmt.Fprintf(opts.io.Out, "head         %s\n", resp.Head)
	return nil
}

func casesFromLedger(opts *caseOptions) (serve.CasesResponse, error) {
	var pub []byte
	if opts.PubPath != "" {
		var err error
		if pub, err = evidence.LoadPublicKey(opts.PubPath); err != nil {
			return serve.CasesResponse{}, err
		}
	}
	events, err := caseledger.ReadFile(opts.Ledger, pub)
	if err != nil {
		return serve.CasesResponse{}, err
	}
	cases, err := caseledger.Replay(events)
	return serve.CasesResponse{Cases: cases, Head: caseledger.Head(events)}, err
}

// callGateway makes one admin call and decodes its JSON answer; a refusal
// comes back as the gateway's error message.
func callGateway(ctx context.Context, opts *caseOptions, method, path string, body, out any) error {
	key, err := os.ReadFile(opts.AdminKeyFile)
	if err != nil {
		return fmt.Errorf("admin key: %w", err)
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(opts.Gateway, "/")+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(key)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		if json.Unmarshal(data, &e) != nil || e.Error == "" {
			e.Error = strings.TrimSpace(string(data))
		}
		return errors.New(termsafe.Line(fmt.Sprintf("gateway: %s: %s", resp.Status, e.Error)))
	}
	return json.Unmarshal(data, out)
}
