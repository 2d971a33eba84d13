package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"forensics/canary"
	"forensics/caseledger"
	"forensics/evidence"
	"forensics/internal/termsafe"
	"forensics/watermark"
)

// verifyLedgerLong is verify-ledger's --help text.
const verifyLedgerLong = `Check the gateway's case ledger (cases.ledger, docs/cases.md). Every line
carries its sequence number, the SHA-256 of the line before and its own,
and an ed25519 signature by the gateway's log.signing_key: a line that was
changed, removed, inserted or moved breaks the chain where it happened.
--public-key pins the signer (without it only the chain is checked).

With --key (the master watermark key) it also re-derives every case key
and its secret canary set and checks them against the commitments in the
ledger, so that a case key a probe later uses is the one the gateway
recorded.

With --request-log (the gateway's request log, which records every
ledger event's sequence number and hash in its own signed chain) it checks
that every event the log records is in the ledger with that hash: a ledger
cut after its last line, or replaced, fails.

Prints each case (opened, closed, accounts, commitments) and the head
hash, which a report quotes to pin the ledger. Exit status 1 names the
first problem and its line.`

type verifyLedgerOptions struct {
	io      *ioStreams
	Ledger  string
	PubPath string
	KeyPath string
	Logs    []string
	JSON    bool
}

func newCmdVerifyLedger(io *ioStreams, runF func(context.Context, *verifyLedgerOptions) error) *cobra.Command {
	opts := &verifyLedgerOptions{io: io}
	cmd := &cobra.Command{
		Use:   "verify-ledger LEDGER",
		Short: "Check the case ledger's chain, signatures and key commitments",
		Long:  verifyLedgerLong,
		Example: `  forensics verify-ledger --public-key log-signer.key.pub cases.jsonl
  forensics verify-ledger --public-key log-signer.key.pub --key prod.key --json cases.jsonl`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("give the case ledger's path")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ledger = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return verifyLedgerRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.PubPath, "public-key", "", "accept only events signed by this public key (keygen --signing)")
	f.StringVar(&opts.KeyPath, "key", "", "the master watermark key: re-derive case keys and canaries and check the commitments")
	f.StringArrayVar(&opts.Logs, "request-log", nil, "the gateway's request log (repeatable): every ledger event it records must be in the ledger, with the same hash (a ledger cut after its last line, or replaced, does not match; check the log itself with verify-log)")
	f.BoolVar(&opts.JSON, "json", false, "print the report as JSON")
	return cmd
}

// ledgerReport is verify-ledger's result.
type ledgerReport struct {
	OK     bool   `json:"ok"`
	Events int    `json:"events"`
	Head   string `json:"head"`
	Signed bool   `json:"signatures_checked"`
	Keys   bool   `json:"keys_checked"`
	// Logged is how many of the events the request logs record (with
	// --request-log).
	Logged   int               `json:"events_in_request_log,omitempty"`
	Cases    []caseledger.Case `json:"cases"`
	Problems []string          `json:"problems,omitempty"`
}

func verifyLedgerRun(_ context.Context, opts *verifyLedgerOptions) error {
	var pub []byte
	if opts.PubPath != "" {
		var err error
		if pub, err = evidence.LoadPublicKey(opts.PubPath); err != nil {
			return err
		}
	}
	events, err := caseledger.ReadFile(opts.Ledger, pub)
	if err != nil {
		return errors.New(termsafe.Line("case ledger does not verify: " + err.Error()))
	}
	cases, err := caseledger.Replay(events)
	if err != nil {
		return err
	}
	r := ledgerReport{OK: true, Events: len(events), Head: caseledger.Head(events), Signed: pub != nil, Cases: cases}
	if opts.KeyPath != "" {
		master, err := watermark.LoadKey(opts.KeyPath)
		if err != nil {
			return err
		}
		r.Keys = true
		r.Problems = checkCaseKeys(master, cases)
	}
	if len(opts.Logs) > 0 {
		problems, logged, err := ledgerLogProblems(events, opts.Logs)
		if err != nil {
			return err
		}
		r.Problems, r.Logged = append(r.Problems, problems...), logged
	}
	r.OK = len(r.Problems) == 0
	if opts.JSON {
		if err := json.NewEncoder(jsonOut(opts.io.Out)).Encode(r); err != nil {
			return err
		}
	} else {
		printLedgerReport(opts.io.Out, r)
	}
	if !r.OK {
		return errors.New(termsafe.Line("case ledger does not match: " + r.Problems[0]))
	}
	return nil
}

// checkCaseKeys re-derives each case's key and canary set from the master
// key and lists the commitments that do not match.
func checkCaseKeys(master *watermark.Key, cases []caseledger.Case) []string {
	var problems []string
	for _, c := range cases {
		if c.MasterKey != master.ID || c.MasterCommitment != master.Commitment() {
			problems = append(problems, fmt.Sprintf("case %s: master key %s (commitment %.12s…) is not the given key %s", c.ID, c.MasterKey, c.MasterCommitment, master.ID))
			continue
		}
		k, err := master.DeriveCase(c.Ledger, c.ID, c.Nonce)
		if err != nil {
			problems = append(problems, fmt.Sprintf("case %s: %v", c.ID, err))
			continue
		}
		if k.Commitment() != c.KeyCommitment || k.ID != c.KeyID {
			problems = append(problems, fmt.Sprintf("case %s: the derived key %s does not match the ledger's key commitment", c.ID, k.ID))
		}
		if c.CanaryCommitment == "" {
			continue
		}
		cs, err := canary.NewSecret(k.CanarySeed(), k.ID)
		if err != nil || cs.SHA256 != c.CanaryCommitment {
			problems = append(problems, fmt.Sprintf("case %s: the derived secret canary set does not match the ledger's canary commitment", c.ID))
		}
	}
	return problems
}

func printLedgerReport(w io.Writer, r ledgerReport) {
	fmt.Fprintf(w, "events       %d, chain intact", r.Events)
	if r.Signed {
		fmt.Fprint(w, ", every signature verified")
	} else {
		fmt.Fprint(w, " (signatures not checked: give --public-key)")
	}
	fmt.Fprintln(w)
	printCases(w, r.Cases)
	fmt.Fprintf(w, "head         %s\n", r.Head)
	for _, p := range r.Problems {
		fmt.Fprintf(w, "FAIL         %s\n", termsafe.Line(p))
	}
	if r.Keys && r.OK {
		fmt.Fprintln(w, "ok           every case key and canary set matches its commitment")
	}
	if r.Logged > 0 {
		fmt.Fprintf(w, "request log  records %d of the %d events, each with the ledger's hash\n", r.Logged, r.Events)
	}
}

// printCases prints one block per case. Times are effective times (the
// repeat-window boundary a decision took, or takes, effect at); an
// account that joined later says when.
func printCases(w io.Writer, cases []caseledger.Case) {
	for _, c := range cases {
		closed := "open"
		if !c.Closed.IsZero() {
			closed = "closed, effective " + c.Closed.Format(time.RFC3339)
		}
		fmt.Fprintf(w, "case         %s  effective %s (decided %s), %s, by %s\n", termsafe.Line(c.ID), c.Opened.Format(time.RFC3339),
			c.Decided.Format(time.RFC3339), closed, termsafe.Line(c.Trigger.Source))
		accounts := make([]string, len(c.Members))
		for i, m := range c.Members {
			accounts[i] = m.Account
			if !m.Added.Equal(c.Opened) {
				accounts[i] += " (effective " + m.Added.Format(time.RFC3339) + ")"
			}
		}
		fmt.Fprintf(w, "  accounts   %s\n", termsafe.Line(strings.Join(accounts, ", ")))
		fmt.Fprintf(w, "  key        %s sha256:%.16s…", termsafe.Line(c.KeyID), c.KeyCommitment)
		if c.CanaryCommitment != "" {
			fmt.Fprintf(w, "  canaries sha256:%.16s…", c.CanaryCommitment)
		}
		fmt.Fprintln(w)
	}
}
