package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"forensics/internal/bench"
)

func newCmdBench(io *ioStreams) *cobra.Command {
	var asJSON bool
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
			// One core, so the figures do not depend on how many there are
			// (the garbage collector's background work aside).
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
			rows, err := bench.Run(cmd.Context(), func(name string) {
				if !asJSON {
					fmt.Fprintf(io.ErrOut, "measuring %s…\n", name)
				}
			})
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(jsonOut(io.Out)).Encode(map[string]any{"go": runtime.Version(), "cpus": runtime.NumCPU(), "rows": rows})
			}
			fmt.Fprintf(io.Out, "%s, %s/%s, %d CPUs (GOMAXPROCS %d)\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0))
			tw := tabwriter.NewWriter(io.Out, 2, 4, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "MEASUREMENT\tVALUE\tUNIT\tRATIO\t")
			for _, r := range rows {
				ratio := ""
				if r.Ratio != 0 {
					ratio = fmt.Sprintf("%.3g×", r.Ratio)
				}
				fmt.Fprintf(tw, "%s\t%.4g\t%s\t%s\t\n", r.Name, r.Value, r.Unit, ratio)
			}
			tw.Flush()
			fmt.Fprintln(io.Out, "ratio: the value divided by the row it is compared with (the tokenizer for detection and scoring, stepping for round trips, the unwatermarked account for the gateway, per-request features for the whole scan)")
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the measurements as JSON")
	return cmd
}
