package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"forensics/internal/termsafe"
	"forensics/logscan"
)

type scanLogsOptions struct {
	io       *ioStreams
	Config   string
	Baseline string
	Out      string
	JSON     bool
	Top      int
	Workers  int
	Logs     []string
}

func newCmdScanLogs(io *ioStreams, runF func(context.Context, *scanLogsOptions) error) *cobra.Command {
	opts := &scanLogsOptions{io: io}
	cmd := &cobra.Command{
		Use:   "scan-logs [--config rules.yaml] LOG.jsonl[.gz]...",
		Short: "Score each account in API request logs for distillation patterns",
		Long: `Read request logs (the gateway's, or another layout through the config's
fields mapping; gzip is detected) in one pass on all cores (--workers), with
memory proportional to the number of accounts, and score every account for
the patterns of a distillation campaign:

  volume, token_volume    requests and tokens per day
  topic_coverage          how many of the topics in corpora/topics.yaml an
                          account touches, and how evenly
  templated_prompts       share of prompts in its 3 commonest templates
  near_duplicates         share of prompts a few SimHash bits from an earlier one
  reasoning_harvest       share of prompts asking for reasoning traces
  parameter_sweeps        top_logprobs, logit_bias, n > 1, many temperatures
  uniform_lengths         narrow prompt-length distribution (synthetic prompts)
  regular_timing          machine-regular inter-arrival times
  around_the_clock        activity spread evenly over 24 hours
  peak_hour_requests      the busiest 60 minutes (sliding window)
  peak_day_topics         the most topics in any 24 hours (sliding window)
  window_coverage, window_templated, window_reasoning
                          the worst 100 consecutive prompts

Each indicator scores 0..1 between its lo and hi thresholds; scores combine
as a noisy-OR weighted by each indicator's strength into a risk, and the
risk picks an action (alert ≥ 0.3, throttle ≥ 0.5 with a suggested limit
factor, suspend for review ≥ 0.8). Accounts that share two kinds of
evidence — content (a specific template or a rare opening), infrastructure
(a /24 or a rare client string), schedule (the same active minutes) — are
linked into clusters, which are judged as one account: a "hydra" keeps each
head small.

Malformed lines are counted and the first few reported; they never stop the
scan. Defaults are in logscan.DefaultConfig; a --config YAML overrides
fields (the log layout), rules (lo, hi, strength, min_requests per
indicator) and actions.`,
		Example: `  forensics scan-logs requests.jsonl
  forensics scan-logs --out scan/ requests.jsonl   # also scan/report.html and CSVs
  forensics scan-logs --json requests.jsonl requests.jsonl.1.gz > scan.json
  forensics scan-logs --config rules.yaml --top 20 other-layout.jsonl`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("give at least one log file")
			}
			if opts.Workers < 0 {
				return usagef("--workers must be 0 (all cores) or more")
			}
			opts.Logs = args
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return scanLogsRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Config, "config", "c", "", "scan rules and log field mapping (YAML)")
	f.BoolVar(&opts.JSON, "json", false, "print the full report as JSON")
	f.IntVar(&opts.Top, "top", 25, "accounts to list in the table (0 = all)")
	f.StringVarP(&opts.Out, "out", "o", "", "also write report.html, accounts.csv and clusters.csv into this folder")
	f.StringVar(&opts.Baseline, "baseline", "", "calibration from `scan-logs calibrate`, for thresholds given as percentiles")
	f.IntVar(&opts.Workers, "workers", 0, "cores to read and parse the logs on (0 = all)")
	cmd.AddCommand(newCmdScanLogsCalibrate(io, nil))
	return cmd
}

type scanLogsCalibrateOptions struct {
	io     *ioStreams
	Config string
	Out    string
	Logs   []string
}

func newCmdScanLogsCalibrate(io *ioStreams, runF func(context.Context, *scanLogsCalibrateOptions) error) *cobra.Command {
	opts := &scanLogsCalibrateOptions{io: io}
	cmd := &cobra.Command{
		Use:   "calibrate --out calib.json BENIGN.jsonl...",
		Short: "Record indicator percentiles of benign traffic",
		Long: `Scan logs of traffic you consider benign and store, per indicator, the
50th to 99.9th percentiles of its value over accounts with enough requests.
Rules can then set thresholds as percentiles (lo_percentile: 99,
hi_percentile: 99.9) and scan-logs --baseline resolves them, so a threshold
means "above what 1% of our normal users reach".`,
		Example: `  forensics scan-logs calibrate --out calib.json last-month-benign.jsonl.gz
  forensics scan-logs --config rules.yaml --baseline calib.json today.jsonl`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 || opts.Out == "" {
				return usagef("give benign log files and --out")
			}
			opts.Logs = args
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return scanLogsCalibrateRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Config, "config", "c", "", "scan config (for the log field mapping and min_requests)")
	cmd.Flags().StringVarP(&opts.Out, "out", "o", "", "baseline file to write (JSON)")
	return cmd
}

func scanLogsCalibrateRun(ctx context.Context, opts *scanLogsCalibrateOptions) error {
	cfg := logscan.DefaultConfig()
	if opts.Config != "" {
		var err error
		if cfg, err = logscan.LoadConfig(opts.Config); err != nil {
			return err
		}
	}
	b, st, err := logscan.Calibrate(ctx, cfg, opts.Logs)
	if err != nil {
		return err
	}
	if err := b.WriteFile(opts.Out); err != nil {
		return err
	}
	fmt.Fprintf(opts.io.Out, "wrote %s: percentiles of %d indicators over %d accounts (%d lines, %d malformed)\n",
		opts.Out, len(b.Percentiles), b.Accounts, st.Lines, st.Malformed)
	return nil
}

func scanLogsRun(ctx context.Context, opts *scanLogsOptions) error {
	cfg, err := scanConfig(opts.Config, opts.Baseline)
	if err != nil {
		return err
	}
	var progress func(int64)
	if bar := progressBar(opts.io, "scan", barBytes, func() int64 { return totalSize(opts.Logs) }); bar != nil {
		defer bar.Finish()
		progress = func(n int64) { bar.Add64(n) }
	}
	rep, err := logscan.ScanWith(ctx, cfg, opts.Logs, logscan.ReadOptions{Workers: opts.Workers, Progress: progress})
	if err != nil {
		return err
	}
	if opts.Out != "" {
		if err := logscan.WriteOutputs(rep, opts.Out); err != nil {
			return err
		}
		if !opts.JSON {
			fmt.Fprintf(opts.io.ErrOut, "wrote %s/report.html, accounts.csv, clusters.csv\n", opts.Out)
		}
	}
	if opts.JSON {
		return writeJSON(opts.io.Out, rep)
	}
	printScan(opts.io.Out, rep, opts.Top)
	return nil
}

// scanConfig loads the scan rules (the defaults without a file) and
// resolves thresholds given as percentiles against the baseline.
func scanConfig(path, baselinePath string) (logscan.Config, error) {
	cfg := logscan.DefaultConfig()
	if path != "" {
		var err error
		if cfg, err = logscan.LoadConfig(path); err != nil {
			return cfg, err
		}
	}
	var baseline *logscan.Baseline
	if baselinePath != "" {
		var err error
		if baseline, err = logscan.LoadBaseline(baselinePath); err != nil {
			return cfg, err
		}
	}
	if err := cfg.Resolve(baseline); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// totalSize is the bytes in the files, for a progress bar (files that
// cannot be read count 0; the scan reports them).
func totalSize(paths []string) int64 {
	var total int64
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil {
			total += st.Size()
		}
	}
	return total
}

// printScan writes the scan's table of accounts (top of them, 0 = all)
// and its clusters.
func printScan(w io.Writer, rep *logscan.Report, top int) {
	fmt.Fprintf(w, "read %d lines: %d records, %d malformed\n", rep.Read.Lines, rep.Read.Records, rep.Read.Malformed)
	for _, b := range rep.Read.Examples {
		fmt.Fprintf(w, "  malformed: %s line %d: %s\n", termsafe.Line(b.File), b.Line, termsafe.Line(b.Err))
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tREQUESTS\tRISK\tACTION\tCLUSTER\tFIRED")
	for i, a := range rep.Accounts {
		if top > 0 && i == top {
			fmt.Fprintf(tw, "… %d more (--top 0 lists all)\t\t\t\t\t\n", len(rep.Accounts)-i)
			break
		}
		action := a.Action
		if a.Throttle > 0 {
			action = fmt.Sprintf("throttle ×%.2f", a.Throttle)
		}
		cluster := "-"
		if a.Cluster > 0 {
			cluster = fmt.Sprint(a.Cluster)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%s\t%s\t%s\n", termsafe.Line(a.Account), a.Requests, a.Risk, termsafe.Line(action), cluster, termsafe.Line(strings.Join(a.Fired, " ")))
	}
	tw.Flush()
	if len(rep.Clusters) > 0 {
		fmt.Fprintln(w, "\nclusters (linked accounts judged together):")
		for _, c := range rep.Clusters {
			fmt.Fprintf(w, "  #%d  risk %.2f  %s  %d accounts, %d requests: %s\n", c.ID, c.Risk, termsafe.Line(c.Action), len(c.Accounts), c.Requests, termsafe.Line(strings.Join(c.Accounts, ", ")))
			fmt.Fprintf(w, "       fired: %s\n", termsafe.Line(strings.Join(c.Fired, " ")))
			for i, l := range c.Links {
				if i == 3 {
					fmt.Fprintf(w, "       … %d more links\n", len(c.Links)-3)
					break
				}
				fmt.Fprintf(w, "       link: %s\n", termsafe.Line(l))
			}
		}
	}
}
