package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"forensics/evidence"
	"forensics/internal/termsafe"
	"forensics/reqlog"
)

// verifyLogLong is verify-log's --help text.
const verifyLogLong = `Check the gateway's request log as evidence. Every line carries its
sequence number and the SHA-256 of the line before it, so a line that was
changed, removed, inserted or moved breaks the chain where it happened.
Checkpoint lines carry an ed25519 signature over the chain so far when the
gateway has log.signing_key; --pub pins the signer.

Given the live log's path, verify-log reads its rotated archives (oldest
first, gzip or not) and then the live file; given several files, it reads
them in the order given. --checkpoints names a copy of the side file
(LOG.checkpoints) kept elsewhere: each exported checkpoint must be in the
log byte for byte, so a log cut or rewritten after its last exported
checkpoint shows.

Reported besides: torn lines (a write cut by a crash or a full disk, kept
as a line of their own), gaps (requests the gateway could not log while its
disk failed, with their number and time span), and how many lines follow
the last checkpoint (covered by no signature yet). Exit status 1 names the
first problem.`

type verifyLogOptions struct {
	io          *ioStreams
	Files       []string // the live log's path, or the files in order
	PubPath     string
	Checkpoints string
	JSON        bool
}

func newCmdVerifyLog(io *ioStreams, runF func(context.Context, *verifyLogOptions) error) *cobra.Command {
	opts := &verifyLogOptions{io: io}
	cmd := &cobra.Command{
		Use:   "verify-log LOG [FILE...]",
		Short: "Check that a request log was not edited, cut or reordered",
		Long:  verifyLogLong,
		Example: `  forensics verify-log requests.jsonl
  forensics verify-log --pub log-signer.key.pub --checkpoints /mnt/offsite/requests.jsonl.checkpoints requests.jsonl`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("give the request log's path")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Files = args
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return verifyLogRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.PubPath, "pub", "", "accept only checkpoints signed by this public key (keygen --signing)")
	f.StringVar(&opts.Checkpoints, "checkpoints", "", "a copy of LOG.checkpoints kept elsewhere, to detect a cut log")
	f.BoolVar(&opts.JSON, "json", false, "print the report as JSON")
	return cmd
}

func verifyLogRun(ctx context.Context, opts *verifyLogOptions) error {
	o := reqlog.VerifyOptions{Checkpoints: opts.Checkpoints}
	if opts.PubPath != "" {
		pub, err := evidence.LoadPublicKey(opts.PubPath)
		if err != nil {
			return err
		}
		o.Pub = ed25519.PublicKey(pub)
	}
	files := opts.Files
	if len(files) == 1 {
		var err error
		if files, err = reqlog.Files(files[0]); err != nil {
			return err
		}
	}
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			return err
		}
	}
	r, err := reqlog.Verify(ctx, files, o)
	if err != nil {
		return err
	}
	if opts.JSON {
		if err := json.NewEncoder(jsonOut(opts.io.Out)).Encode(map[string]any{"ok": r.OK(), "report": r}); err != nil {
			return err
		}
	} else {
		printLogReport(opts.io, r)
	}
	if !r.OK() {
		p := r.Problems[0]
		return errors.New(termsafe.Line(fmt.Sprintf("request log does not verify: %s line %d: %s", p.File, p.Line, p.Msg)))
	}
	return nil
}

func printLogReport(io *ioStreams, r *reqlog.Report) {
	w := io.Out
	fmt.Fprintf(w, "files        %d\n", len(r.Files))
	fmt.Fprintf(w, "lines        %d (%d events), seq %d..%d", r.Lines, r.Events, r.FirstSeq, r.LastSeq)
	if !r.Genesis {
		fmt.Fprint(w, " — the chain starts before these files")
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "checkpoints  %d, %d with a verified signature", r.Checkpoints, r.Signed)
	if len(r.Signers) > 0 {
		fmt.Fprintf(w, " (signer %s)", termsafe.Line(fmt.Sprint(r.Signers)))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "unprotected  %d lines after the last checkpoint (seq %d)\n", r.Unprotected, r.LastCheckpoint)
	for _, b := range r.Builds {
		fmt.Fprintf(w, "build        %s\n", termsafe.Line(b))
	}
	if r.SideFile > 0 {
		fmt.Fprintf(w, "side file    %d exported checkpoints found in the log\n", r.SideFile)
	}
	for _, t := range r.Torn {
		fmt.Fprintf(w, "torn         %s line %d (a write cut short; kept as its own line)\n", termsafe.Line(t.File), t.Line)
	}
	for _, g := range r.Gaps {
		fmt.Fprintf(w, "gap          %s line %d: %d requests not logged, %s to %s\n", termsafe.Line(g.File), g.Line, g.Lost, termsafe.Line(g.From), termsafe.Line(g.To))
	}
	for _, p := range r.Problems {
		fmt.Fprintf(w, "FAIL         %s line %d: %s\n", termsafe.Line(p.File), p.Line, termsafe.Line(p.Msg))
	}
	if r.OK() {
		fmt.Fprintln(w, "ok           chain intact")
	}
}
