package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"forensics/evidence"
	"forensics/internal/buildinfo"
	"forensics/internal/termsafe"
	"forensics/report"
	"forensics/watermark"
)

// verifyLong is verify's --help text.
const verifyLong = `Re-derive an evidence bundle without the network: the signed statement
(SHA256SUMS lists every file of the bundle with its SHA-256; every listed
file must be there and match, and the folder must hold no other file,
hidden ones included), its signature (SHA256SUMS.sig, over the exact bytes
of SHA256SUMS), every transcript line (the answer text re-extracted from
the raw response bytes), the Merkle root over the transcripts, and every
number in results.json, recomputed from manifest, canary set, tokenizer and
transcripts and compared byte for byte; and a report made by 'forensics
report', rendered again from results.json and its options (report.json)
and compared, with any report file those options do not make refused.

The signature: with --pub the bundle must be signed by that key, and an
unsigned bundle or another signer fails (exit status 1). Without --pub
nobody is trusted: a valid signature is "signed by an unknown key
ed25519:…" (anyone can sign with a key of their own) and a bundle without
one is UNSIGNED (anyone could have changed any file and written SHA256SUMS
again). Both are marked WARN and printed again on a line of their own at
the end (on standard error with --json), but the exit status stays 0: the
files are consistent, only their origin is unknown. Give --pub to make
origin part of the verdict.

The radioactivity numbers need the watermark key (--key); without it they
are taken as recorded and the output says so. Exit status 1 names the first
file and line, or the results field, that does not match.

The last check, build, compares the build that made the bundle (the
manifest's build; 'forensics version' prints this one's) with this one:
the very executable, the same code built otherwise (another Go version,
platform or flags), another revision, or not comparable (either side
unstamped or built from a modified tree, or a bundle from before builds
were recorded). Any difference is marked WARN, never FAIL, and says
whether it matters: if every re-derived check passed, it changed no
re-derived number; if one failed, the failure may come from the build,
and the warning names the build to verify with.`

type verifyOptions struct {
	io          *ioStreams
	Bundle      string
	KeyPath     string
	PubPath     string
	LedgerPub   string
	RequestLogs []string
	JSON        bool
}

func newCmdVerify(io *ioStreams, runF func(context.Context, *verifyOptions) error) *cobra.Command {
	opts := &verifyOptions{io: io}
	cmd := &cobra.Command{
		Use:   "verify DIR",
		Short: "Re-check an evidence bundle from its files alone",
		Long:  verifyLong,
		Example: `  forensics verify --pub signer.key.pub case-17/
  forensics verify --key key.yaml --pub signer.key.pub case-17/`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("give one bundle folder")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Bundle = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return verifyRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.KeyPath, "key", "k", "", "the watermark key, to re-derive the radioactivity numbers")
	f.StringVar(&opts.PubPath, "pub", "", "require a signature by this public key (keygen --signing); without it the signer is unknown")
	f.BoolVar(&opts.JSON, "json", false, "print the checks as JSON")
	f.StringVar(&opts.LedgerPub, "ledger-pub", "", "require the case ledger's signatures to have been checked with this public key (the gateway's log signing key)")
	f.StringArrayVar(&opts.RequestLogs, "request-log", nil, "our gateways' request logs, to re-run the relay check (repeatable); without them it is taken as recorded and verify warns")
	return cmd
}

func verifyRun(ctx context.Context, opts *verifyOptions) error {
	vo, err := verifyBundleOptions(opts)
	if err != nil {
		return err
	}
	checks, err := evidence.Verify(ctx, opts.Bundle, vo)
	if err != nil {
		return err
	}
	failed := 0
	warnings := []string{}
	for _, c := range checks {
		if !c.OK {
			failed++
		}
		if c.Warning != "" {
			warnings = append(warnings, c.Warning)
		}
	}
	if err := printVerify(opts, checks, warnings, failed == 0); err != nil {
		return err
	}
	if failed > 0 {
		return errors.New("bundle verification failed: " + firstFailure(checks))
	}
	return nil
}

// verifyBundleOptions loads the keys the flags name.
func verifyBundleOptions(opts *verifyOptions) (evidence.VerifyOptions, error) {
	o := evidence.VerifyOptions{Build: buildinfo.Current(), Rederive: reportCheck, RequestLogs: opts.RequestLogs}
	if opts.KeyPath != "" {
		k, err := watermark.LoadKey(opts.KeyPath)
		if err != nil {
			return o, err
		}
		o.Key = k
	}
	if opts.PubPath != "" {
		pub, err := evidence.LoadPublicKey(opts.PubPath)
		if err != nil {
			return o, err
		}
		o.PublicKey = ed25519.PublicKey(pub)
	}
	if opts.LedgerPub != "" {
		pub, err := evidence.LoadPublicKey(opts.LedgerPub)
		if err != nil {
			return o, err
		}
		o.LedgerPub = pub
	}
	return o, nil
}

// reportCheck renders the bundle's report again and compares.
func reportCheck(dir string) evidence.Check {
	detail, err := report.Check(dir)
	if err != nil {
		return evidence.Check{Name: "report", Detail: err.Error()}
	}
	return evidence.Check{Name: "report", OK: true, Detail: detail}
}

// printVerify writes the checks, then the warnings again on their own
// lines: on standard error with --json, else last, where the eye lands.
func printVerify(opts *verifyOptions, checks []evidence.Check, warnings []string, ok bool) error {
	if opts.JSON {
		if err := json.NewEncoder(jsonOut(opts.io.Out)).Encode(map[string]any{"bundle": opts.Bundle, "ok": ok, "warnings": warnings, "checks": checks}); err != nil {
			return err
		}
		for _, w := range warnings {
			fmt.Fprintln(opts.io.ErrOut, termsafe.Line(w))
		}
		return nil
	}
	for _, c := range checks {
		mark := "ok  "
		switch {
		case !c.OK:
			mark = "FAIL"
		case c.Warning != "":
			mark = "WARN"
		}
		fmt.Fprintf(opts.io.Out, "%s %-12s %s\n", mark, termsafe.Line(c.Name), termsafe.Line(c.Detail))
	}
	for _, w := range warnings {
		fmt.Fprintln(opts.io.Out, termsafe.Line(w))
	}
	return nil
}

func firstFailure(cs []evidence.Check) string {
	for _, c := range cs {
		if !c.OK {
			return c.Detail
		}
	}
	return ""
}
