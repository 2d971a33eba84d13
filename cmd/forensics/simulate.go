package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"forensics/internal/traffic"
)

type simulateOptions struct {
	io        *ioStreams
	Accounts  int
	Attackers int
	Days      int
	Seed      uint64
	Out       string
	Labels    string
}

func newCmdSimulateTraffic(io *ioStreams, runF func(context.Context, *simulateOptions) error) *cobra.Command {
	opts := &simulateOptions{io: io}
	cmd := &cobra.Command{
		Use:   "simulate-traffic --out logs.jsonl --labels labels.json",
		Short: "Write a labelled synthetic request log for evaluating scan-logs",
		Long: `Write a synthetic request log in the gateway's layout, with the labels that
say who attacks and how, for evaluating scan-logs honestly.

Benign accounts: people with one to three favourite topics at human hours,
multi-turn chats and typos; power users with many topics and high volume;
batch jobs sending one summarisation template on a timer; students who ask
for step-by-step answers. Attack campaigns, in turn: bulk (one account, high
volume, every topic), hydra (4–8 accounts under the per-account limits,
sharing a template and a /24), cot (reasoning-trace harvesting), sweep
(templated capability sweep with logprobs and temperature sweeps), slow-low
(little volume, systematic coverage, human hours), mixed (harvesting hidden
among benign-looking requests). Prompts come from the word lists and
templates in the code and corpora/topics.yaml, not from any dataset.

The simulator's attacks are written by the same hand as the detector, so
scores on it are an upper bound, not a forecast for real traffic.`,
		Example: `  forensics simulate-traffic --accounts 500 --attackers 12 --days 7 --seed 1 --out sim.jsonl --labels labels.json
  forensics scan-logs sim.jsonl`,
		Args: maxArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Out == "" || opts.Labels == "" {
				return usagef("--out and --labels are required")
			}
			if opts.Accounts < 1 || opts.Days < 1 || opts.Attackers < 0 {
				return usagef("need --accounts ≥ 1, --days ≥ 1, --attackers ≥ 0")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return simulateRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.IntVar(&opts.Accounts, "accounts", 500, "benign accounts")
	f.IntVar(&opts.Attackers, "attackers", 12, "attack campaigns (kinds in turn; a hydra is several accounts)")
	f.IntVar(&opts.Days, "days", 7, "days of traffic")
	f.Uint64Var(&opts.Seed, "seed", 1, "random seed")
	f.StringVarP(&opts.Out, "out", "o", "", "log file to write (JSONL)")
	f.StringVar(&opts.Labels, "labels", "", "labels file to write (JSON)")
	return cmd
}

func simulateRun(_ context.Context, opts *simulateOptions) error {
	f, err := os.Create(opts.Out)
	if err != nil {
		return fmt.Errorf("write log: %w", err)
	}
	bw := bufio.NewWriter(f)
	labels, err := traffic.Simulate(traffic.Config{Accounts: opts.Accounts, Attackers: opts.Attackers, Days: opts.Days, Seed: opts.Seed}, bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write log: %w", err)
	}
	lf, err := os.Create(opts.Labels)
	if err != nil {
		return fmt.Errorf("write labels: %w", err)
	}
	enc := json.NewEncoder(lf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(labels); err != nil {
		lf.Close()
		return fmt.Errorf("write labels: %w", err)
	}
	if err := lf.Close(); err != nil {
		return fmt.Errorf("write labels: %w", err)
	}
	fmt.Fprintf(opts.io.Out, "wrote %s (%d benign accounts, %d attacker accounts in %d campaigns) and %s\n",
		opts.Out, len(labels.Benign), len(labels.Attackers), opts.Attackers, opts.Labels)
	return nil
}
