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
	// AccountsOut is the accounts file to write ("": none).
	AccountsOut string
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
for step-by-step answers; office colleagues on one network; and, one of each
in every 50 accounts, the systematic pipelines of companies and labs:
eval-research (public benchmark suites in bursts at temperature 0), rag
(retrieved passages and a question), classification (one-word labels),
translation, chat-backend (a consumer app's end users' chats) and
agent-workflow (tool calls on a schedule). Attack campaigns, in turn: bulk,
hydra, cot, sweep, slow-low, mixed, sleeper, scatter, judge (one prompt
answered several times), agent-trace (fabricated agent trajectories),
sharded-hydra (20–60 heads, one or two topics each, human hours, home
networks), cloud-hydra (about 120 short-lived heads on rotating cloud
addresses), polyglot-cot (reasoning traces asked for in 14 languages) and
throwaway (a chain of accounts replacing each other). Prompts come from the
word lists and templates in the code and corpora/topics.yaml, not from any
dataset.

With --accounts-out, it also writes what the business knows about every
account (tier, contract, KYC, allow-list, sign-up, organisation, payment,
keys), the file scan-logs reads with --accounts.

The simulator's attacks are written by the same hand as the detector, so
scores on it are an upper bound, not a forecast for real traffic.`,
		Example: `  forensics simulate-traffic --accounts 500 --attackers 12 --days 7 --seed 1 --out sim.jsonl --labels labels.json
  forensics simulate-traffic -o sim.jsonl --labels labels.json --accounts-out accounts.jsonl
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
	f.StringVar(&opts.AccountsOut, "accounts-out", "", "accounts file to write (JSONL: tier, contract, KYC, organisation, payment, keys per account)")
	return cmd
}

func simulateRun(_ context.Context, opts *simulateOptions) error {
	cfg := traffic.Config{Accounts: opts.Accounts, Attackers: opts.Attackers, Days: opts.Days, Seed: opts.Seed}
	var accts *os.File
	if opts.AccountsOut != "" {
		var err error
		if accts, err = os.Create(opts.AccountsOut); err != nil {
			return fmt.Errorf("write accounts file: %w", err)
		}
		defer accts.Close()
		cfg.AccountsOut = accts
	}
	f, err := os.Create(opts.Out)
	if err != nil {
		return fmt.Errorf("write log: %w", err)
	}
	bw := bufio.NewWriter(f)
	labels, err := traffic.Simulate(cfg, bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write log: %w", err)
	}
	if accts != nil {
		if err := accts.Close(); err != nil {
			return fmt.Errorf("write accounts file: %w", err)
		}
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
	if opts.AccountsOut != "" {
		fmt.Fprintf(opts.io.Out, "wrote %s\n", opts.AccountsOut)
	}
	return nil
}
