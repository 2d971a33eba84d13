package main

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"forensics/internal/bench"
)

type benchOptions struct {
	io   *ioStreams
	JSON bool
}

func newCmdBench(io *ioStreams, runF func(context.Context, *benchOptions) error) *cobra.Command {
	opts := &benchOptions{io: io}
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure speed on this machine, as ratios to baselines measured in the same run",
		Long: `Measure, in one run and on this machine: detection from pieces and from
text against tokenizing alone; the radioactivity scoring of the probe; upstream
round trips per token with speculative acceptance against one request per
token; the gateway's watermarked against unwatermarked throughput on the
embedded backend over HTTP; and log scanning in lines per second. Read the
ratios: absolute numbers depend on the machine. Runs on one core
(GOMAXPROCS 1); about 15 seconds.`,
		Args: maxArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return benchRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the measurements as JSON")
	return cmd
}

func benchRun(ctx context.Context, opts *benchOptions) error {
	// One core, so the figures do not depend on how many there are
	// (the garbage collector's background work aside).
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	rows, err := bench.Run(ctx, func(name string) {
		if !opts.JSON {
			fmt.Fprintf(opts.io.ErrOut, "measuring %s…\n", name)
		}
	})
	if err != nil {
		return err
	}
	if opts.JSON {
		return json.NewEncoder(jsonOut(opts.io.Out)).Encode(map[string]any{"go": runtime.Version(), "cpus": runtime.NumCPU(), "rows": rows})
	}
	w := opts.io.Out
	fmt.Fprintf(w, "%s, %s/%s, %d CPUs (GOMAXPROCS %d)\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0))
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "MEASUREMENT\tVALUE\tUNIT\tRATIO\t")
	for _, r := range rows {
		ratio := ""
		if r.Ratio != 0 {
			ratio = fmt.Sprintf("%.3g×", r.Ratio)
		}
		fmt.Fprintf(tw, "%s\t%.4g\t%s\t%s\t\n", r.Name, r.Value, r.Unit, ratio)
	}
	tw.Flush()
	fmt.Fprintln(w, "ratio: the value divided by the row it is compared with (the tokenizer for detection and scoring, stepping for round trips, the unwatermarked account for the gateway, per-request features for the whole scan)")
	return nil
}
