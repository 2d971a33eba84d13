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
	"forensics/logscan/benchmarks"
)

type scanLogsOptions struct {
	io        *ioStreams
	Config    string
	Baseline  string
	Reference string
	Accounts  string
	// Benchmarks are fingerprint files (scan-logs fingerprints build) of
	// public suites the shipped set lacks.
	Benchmarks []string
	Out        string
	JSON       bool
	Top        int
	Workers    int
	// HTMLAccounts is how many flagged accounts report.html details
	// (with --out).
	HTMLAccounts int
	Logs         []string
}

// scanLogsLong is scan-logs' --help: the indicators, the score and the
// actions in brief (docs/scan-logs.md in full).
const scanLogsLong = `Read request logs (the gateway's, or another layout through the config's
fields mapping; gzip is detected) in one pass, with memory bounded per
account, and score every account for the patterns of a distillation
campaign, telling them from legitimate systematic use.

Indicators, in families. What is taken:
  breadth      topic_coverage, peak_day_topics, window_coverage (weighted by
               answer_share: the model's answers' share of the tokens)
  reasoning    reasoning_harvest, window_reasoning (requests for reasoning
               traces, in any part of the input)
  sampling     parameter_sweeps, low_temperature, resampling
  output       length_limit, flagship_model
  trajectory   written_turns (assistant turns never served to the account)
How systematically:
  volume       volume, token_volume, peak_hour_requests
  templating   templated_prompts, window_templated, near_duplicates,
               uniform_lengths
  timing       regular_timing, around_the_clock

Each indicator's evidence is how rare its value is in a reference of
benign accounts, in decades (log10(½/p) of its upper tail p; a ranking on
a calibrated scale, not a p-value). The reference is your own benign
traffic with --baseline (from "scan-logs calibrate"), or else a shipped
prior of simulated benign traffic (--reference log: this log's own
accounts, which are not known to be benign). A family counts once (its
strongest indicator), and

  score = what + min(how, what)

so systematic use amplifies evidence of taking but never makes it: an
evaluation lab, a classifier or a chat backend is as systematic as a
campaign. Public benchmark items count in volume and timing only.
Actions (defaults): alert at score ≥ 3 within the top 1% of the
reference's scores; throttle at ≥ 5 with what ≥ 3 within the top 0.2%;
suspend for review at ≥ 8 with what ≥ 5 within the top 0.1% (an action
the reference is too small to resolve is not given). An account the
accounts file vouches for (allow-listed, or a contract with a verified
organisation that signed up 30 days or more before its first request)
gets at most an alert; its evidence is still shown.

Accounts linked by shared evidence (a rare template or opening, a network
or client string few accounts use, the same active minutes, an org_id or
payment_id in the accounts file) form clusters, judged as one account
against the reference without their own members: a hydra keeps each head
small, and its heads look alike.

Malformed lines are counted and the first few reported; they never stop the
scan. Defaults are in logscan.DefaultConfig; a --config YAML overrides
fields (the log layout), rules (floor, min_requests, off per indicator),
actions and flagship_models.`

func newCmdScanLogs(io *ioStreams, runF func(context.Context, *scanLogsOptions) error) *cobra.Command {
	opts := &scanLogsOptions{io: io}
	cmd := &cobra.Command{
		Use:   "scan-logs [--config rules.yaml] LOG.jsonl[.gz]...",
		Short: "Score each account in API request logs for distillation patterns",
		Long:  scanLogsLong,
		Example: `  forensics scan-logs requests.jsonl
  forensics scan-logs --out scan/ requests.jsonl   # also scan/report.html and CSVs
  forensics scan-logs --out scan/ --html-accounts 50 requests.jsonl
  forensics scan-logs --json requests.jsonl requests.jsonl.1.gz > scan.json
  forensics scan-logs --config rules.yaml --top 20 other-layout.jsonl`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.setLogs(args); err != nil {
				return err
			}
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
	f.IntVar(&opts.Workers, "workers", 0, "cores to read and parse the logs on (0 = all)")
	f.StringVarP(&opts.Out, "out", "o", "", "also write report.html, accounts.csv and clusters.csv into this folder")
	f.IntVar(&opts.HTMLAccounts, "html-accounts", logscan.DefaultPageAccounts, "with --out: flagged accounts report.html shows over time (the log is read again for them)")
	f.StringVar(&opts.Baseline, "baseline", "", "benign traffic's distributions from `scan-logs calibrate`: the reference scores are calibrated against")
	f.StringVar(&opts.Reference, "reference", logscan.RefPrior, "without --baseline: \"prior\" (the shipped prior of simulated benign traffic) or \"log\" (this log's own accounts, each against the others)")
	f.StringArrayVar(&opts.Benchmarks, "benchmarks", nil, "fingerprints of more public benchmark suites (scan-logs fingerprints build), added to the shipped ones; repeatable")
	f.StringVar(&opts.Accounts, "accounts", "", "accounts file (JSONL: account, tier, contract, kyc, allowlist, created, org_id, payment_id, keys_created)")
	cmd.AddCommand(newCmdScanLogsCalibrate(io, nil))
	cmd.AddCommand(newCmdScanLogsFingerprints(io))
	return cmd
}

// setLogs checks the arguments and flags and takes the logs.
func (opts *scanLogsOptions) setLogs(args []string) error {
	if len(args) == 0 {
		return usagef("give at least one log file")
	}
	if opts.Workers < 0 {
		return usagef("--workers must be 0 (all cores) or more")
	}
	if opts.HTMLAccounts < 1 || opts.HTMLAccounts > maxHTMLAccounts {
		return usagef("--html-accounts must be from 1 to %d", maxHTMLAccounts)
	}
	opts.Logs = args
	return nil
}

// maxHTMLAccounts bounds --html-accounts: each is a figure on the page
// and its state during the replay.
const maxHTMLAccounts = 1000

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
distribution of its value over the accounts with enough requests, and of
their scores.
scan-logs --baseline then measures every account's evidence as how rare
it is among these accounts, and states each score's tail against them:
"a score this high is reached by 0.1% of our normal users".`,
		Example: `  forensics scan-logs calibrate --out calib.json last-month-benign.jsonl.gz
  forensics scan-logs --baseline calib.json today.jsonl`,
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
	b, st, err := logscan.Calibrate(ctx, cfg, logscan.Options{}, opts.Logs)
	if err != nil {
		return err
	}
	if err := b.WriteFile(opts.Out); err != nil {
		return err
	}
	fmt.Fprintf(opts.io.Out, "wrote %s: distributions of %d indicators over %d accounts (%d lines, %d malformed)\n",
		opts.Out, len(b.Values), b.Accounts, st.Lines, st.Malformed)
	return nil
}

func scanLogsRun(ctx context.Context, opts *scanLogsOptions) error {
	cfg, so, err := scanSetup(ctx, opts)
	if err != nil {
		return err
	}
	var progress func(int64)
	if bar := progressBar(opts.io, "scan", barBytes, func() int64 { return totalSize(opts.Logs) }); bar != nil {
		defer bar.Finish()
		progress = func(n int64) { bar.Add64(n) }
	}
	rep, err := logscan.ScanWith(ctx, cfg, so, opts.Logs, progress)
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

// scanSetup loads the scan's config (the defaults without a file), its
// baseline and its accounts file.
func scanSetup(ctx context.Context, opts *scanLogsOptions) (logscan.Config, logscan.Options, error) {
	cfg := logscan.DefaultConfig()
	// With --out, the page's flagged accounts are replayed to show when
	// their indicators fired (a second read); without, the scan is as it
	// was.
	so := logscan.Options{Reference: opts.Reference, Workers: opts.Workers, PageAccounts: opts.HTMLAccounts, FiringTimes: opts.Out != ""}
	if opts.Config != "" {
		var err error
		if cfg, err = logscan.LoadConfig(opts.Config); err != nil {
			return cfg, so, err
		}
	}
	if so.Reference != logscan.RefPrior && so.Reference != logscan.RefLog {
		return cfg, so, usagef("--reference %q: want %s or %s", opts.Reference, logscan.RefPrior, logscan.RefLog)
	}
	if opts.Baseline != "" {
		var err error
		if so.Baseline, err = logscan.LoadBaseline(opts.Baseline); err != nil {
			return cfg, so, err
		}
	}
	if opts.Accounts != "" {
		var err error
		if so.Business, err = logscan.LoadAccounts(ctx, opts.Accounts); err != nil {
			return cfg, so, err
		}
	}
	if len(opts.Benchmarks) > 0 {
		set := benchmarks.Default()
		for _, p := range opts.Benchmarks {
			more, err := benchmarks.Load(p)
			if err != nil {
				return cfg, so, err
			}
			set = set.Merge(more)
		}
		so.Public = set
	}
	return cfg, so, nil
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
	fmt.Fprintf(w, "reference: %s\n\n", termsafe.Line(rep.Reference.Note))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tREQUESTS\tSCORE\tWHAT\tHOW\tREF. TAIL\tACTION\tCLUSTER\tEVIDENCE (decades)")
	for i, a := range rep.Accounts {
		if top > 0 && i == top {
			fmt.Fprintf(tw, "… %d more (--top 0 lists all)\t\t\t\t\t\t\t\t\n", len(rep.Accounts)-i)
			break
		}
		cluster := "-"
		if a.Cluster > 0 {
			cluster = fmt.Sprint(a.Cluster)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%.1f\t%s\t%s\t%s\t%s\n", termsafe.Line(a.Account), a.Requests, a.Score, a.What, a.How,
			tailText(a.ReferenceTail), termsafe.Line(actionText(a.Verdict)), cluster, termsafe.Line(strings.Join(a.Fired, " ")))
	}
	tw.Flush()
	if len(rep.Clusters) > 0 {
		fmt.Fprintln(w, "\nclusters (linked accounts judged together, against the reference without their members):")
		for _, c := range rep.Clusters {
			fmt.Fprintf(w, "  #%d  score %.1f (what %.1f, how %.1f)  %s  %d accounts, %d requests: %s\n", c.ID, c.Score, c.What, c.How,
				termsafe.Line(actionText(c.Verdict)), len(c.Accounts), c.Requests, termsafe.Line(strings.Join(c.Accounts, ", ")))
			fmt.Fprintf(w, "       evidence: %s\n", termsafe.Line(strings.Join(c.Fired, " ")))
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

// actionText is a verdict's action with its throttle factor and cap.
func actionText(v logscan.Verdict) string {
	s := v.Action
	if v.Throttle > 0 {
		s = fmt.Sprintf("throttle ×%.2f", v.Throttle)
	}
	if v.Capped != "" {
		s += " (capped)"
	}
	return s
}

// tailText shows a benign tail as a percentage.
func tailText(q float64) string {
	if q >= 0.1 {
		return fmt.Sprintf("%.0f%%", 100*q)
	}
	return fmt.Sprintf("%.2g%%", 100*q)
}
