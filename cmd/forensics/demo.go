package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"forensics/stats"

	"github.com/spf13/cobra"

	"forensics/internal/demo"
	"forensics/probe"
)

func newCmdDemo(io *ioStreams) *cobra.Command {
	var o demo.Options
	var asJSON bool
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
			o.Tool = "forensics " + version()
			o.Stage = func(n, total int, what string) { fmt.Fprintf(io.ErrOut, "[%d/%d] %s\n", n, total, what) }
			o.Detail = func(s string) { fmt.Fprintf(io.ErrOut, "      %s\n", s) }
			sum, err := demo.Run(cmd.Context(), o)
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(jsonOut(io.Out)).Encode(sum)
			}
			printDemo(io, sum)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Out, "out", "o", ".demo", "folder for everything the demo writes (cleared first if the demo made it)")
	f.BoolVar(&o.Quick, "quick", false, "a smaller run, under a minute")
	f.Uint64Var(&o.Seed, "seed", 0, "make the run repeatable: keys and sampling seeds derive from it (default: fresh random ones)")
	f.BoolVar(&asJSON, "json", false, "print the summary as JSON")
	return cmd
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
	fmt.Fprintln(tw, "  ACCOUNT\tREQUESTS\tRISK\tACTION\tCLUSTER\tTRUTH")
	for _, a := range s.Scan.Accounts {
		truth := "ordinary"
		if attacker[a.Account] {
			truth = "campaign"
		}
		cl := "-"
		if a.Cluster > 0 {
			cl = fmt.Sprint(a.Cluster)
		}
		fmt.Fprintf(tw, "  %s\t%d\t%.2f\t%s\t%s\t%s\n", a.Account, a.Requests, a.Risk, a.Action, cl, truth)
	}
	tw.Flush()
	for _, c := range s.Scan.Clusters {
		fmt.Fprintf(w, "  cluster %d: %s — risk %.2f, %s\n", c.ID, strings.Join(c.Accounts, ", "), c.Risk, c.Action)
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
		fmt.Fprintf(w, "  evidence: %s\n  reports:  %s\n", p.r.Bundle, strings.Join(p.r.Reports, ", "))
	}
	fmt.Fprintf(w, "\nDone in %s. Check a bundle with: forensics verify --key %s/keys/main.yaml --pub %s/keys/signer.key.pub --request-log %s/gateway/requests.jsonl %s\n", s.Elapsed.Round(time.Second), s.Out, s.Out, s.Out, s.Student.Bundle)
}
