package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"forensics/internal/demo"
	"forensics/probe"
	"forensics/stats"
)

type demoOptions struct {
	io   *ioStreams
	Demo demo.Options // Out, Quick and Seed from the flags
	JSON bool
}

func newCmdDemo(io *ioStreams, runF func(context.Context, *demoOptions) error) *cobra.Command {
	opts := &demoOptions{io: io}
	cmd := &cobra.Command{
		Use:   "demo [--out DIR] [--quick]",
		Short: "Run the whole job on the embedded model, offline: serve, harvest, distil, scan, probe, report",
		Long: `Run the whole job end to end on the embedded model, with no network and no
Ollama:

  1. keys, and the watermarking gateway on a local port (per-account keys)
  2. ordinary accounts and a harvesting campaign (several accounts asking for
     reasoning traces on every topic) through the gateway's real HTTP APIs
  3. a student model distilled from the harvest (a 4-gram model trained on
     the harvested prompts and answers), and controls trained on human text
     of the same size
  4. scan-logs on the gateway's request log
  5. probe of the student and of a control, with evidence bundles and
     HTML/PDF reports
  6. a summary: who was flagged, the verdicts and p-values, where the files are

Everything goes into --out (default .demo), which the demo clears on its
next run (only if it made it). Every number printed is computed in the run.
--quick uses fewer accounts, requests and probe prompts (under a minute on
2 cores); the full run takes a few minutes.`,
		Example: `  forensics demo
  forensics demo --quick --out /tmp/demo`,
		Args: maxArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return demoRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Demo.Out, "out", "o", ".demo", "folder for everything the demo writes (cleared first if the demo made it)")
	f.BoolVar(&opts.Demo.Quick, "quick", false, "a smaller run, under a minute")
	f.Uint64Var(&opts.Demo.Seed, "seed", 0, "make the run repeatable: keys and sampling seeds derive from it (default: fresh random ones)")
	f.BoolVar(&opts.JSON, "json", false, "print the summary as JSON")
	return cmd
}

func demoRun(ctx context.Context, opts *demoOptions) error {
	o := opts.Demo
	errOut := opts.io.ErrOut
	o.Tool = toolName()
	o.Stage = func(n, total int, what string) { fmt.Fprintf(errOut, "[%d/%d] %s\n", n, total, what) }
	o.Detail = func(s string) { fmt.Fprintf(errOut, "      %s\n", s) }
	sum, err := demo.Run(ctx, o)
	if err != nil {
		return err
	}
	if opts.JSON {
		return json.NewEncoder(jsonOut(opts.io.Out)).Encode(sum)
	}
	printDemo(opts.io, sum)
	return nil
}

func printDemo(io *ioStreams, s *demo.Summary) {
	w := io.Out
	fmt.Fprintf(w, "\nThe gateway answered %d requests; the campaign (%s) harvested %d answers, %d tokens.\n",
		s.Requests, strings.Join(s.Attackers, ", "), s.Harvested, s.HarvestTok)
	attacker := map[string]bool{}
	for _, a := range s.Attackers {
		attacker[a] = true
	}
	fmt.Fprintf(w, "\nscan-logs on the gateway's log (%d lines; full report %s/report.html):\n", s.Scan.Read.Records, s.ScanDir)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  ACCOUNT\tREQUESTS\tSCORE\tACTION\tCLUSTER\tTRUTH")
	for _, a := range s.Scan.Accounts {
		truth := "ordinary"
		if attacker[a.Account] {
			truth = "campaign"
		}
		cl := "-"
		if a.Cluster > 0 {
			cl = fmt.Sprint(a.Cluster)
		}
		fmt.Fprintf(tw, "  %s\t%d\t%.1f\t%s\t%s\t%s\n", a.Account, a.Requests, a.Score, a.Action, cl, truth)
	}
	tw.Flush()
	for _, c := range s.Scan.Clusters {
		fmt.Fprintf(w, "  cluster %d: %s — score %.1f, %s\n", c.ID, strings.Join(c.Accounts, ", "), c.Score, c.Action)
	}
	if len(s.Cases) > 0 {
		fmt.Fprintf(w, "\ncases the gateway opened halfway, on a scan of the log so far (ledger %s/gateway/cases.jsonl):\n", s.Out)
		for _, c := range s.Cases {
			fmt.Fprintf(w, "  %s: %s — served under key %s from %s\n", c.ID, strings.Join(c.Accounts(), ", "), c.KeyID, c.Opened.Format(time.RFC3339))
		}
	}
	for _, p := range []struct {
		name string
		r    demo.Probed
	}{{"the student (trained on the harvest)", s.Student}, {"the control (trained on human text)", s.Control}} {
		fmt.Fprintf(w, "\nprobe of %s: %d queries\n", p.name, p.r.Stats.Planned)
		for _, t := range p.r.Results.Tests {
			pv := "-"
			if t.Status != probe.StatusNotRun {
				pv = stats.FormatP(t.Log10P)
			}
			fmt.Fprintf(w, "  %-13s %-12s p = %s\n", t.Name, t.Status, pv)
		}
		for _, pr := range p.r.Results.Propositions {
			fmt.Fprintf(w, "  %s — %s\n", pr.Statement, strings.ToUpper(pr.Verdict))
		}
		for _, t := range p.r.Results.Tests {
			if t.Attribution == nil {
				continue
			}
			for _, c := range t.Attribution.Cases {
				fmt.Fprintf(w, "  case %s (%s): %s, p = %s\n", c.ID, strings.Join(c.AccountNames(), ", "), c.Status, stats.FormatP(c.Log10P))
			}
		}
		fmt.Fprintf(w, "  evidence: %s\n  reports:  %s\n", p.r.Bundle, strings.Join(p.r.Reports, ", "))
	}
	fmt.Fprintf(w, "\nDone in %s. Check a bundle with: forensics verify --key %s/keys/main.yaml --pub %s/keys/signer.key.pub --ledger-pub %s/keys/signer.key.pub --request-log %s/gateway/requests.jsonl %s\n", s.Elapsed.Round(time.Second), s.Out, s.Out, s.Out, s.Out, s.Student.Bundle)
}
