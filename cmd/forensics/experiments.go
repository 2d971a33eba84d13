package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"forensics/internal/experiments"
	"forensics/internal/termsafe"
)

func newCmdExperiments(io *ioStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "experiments",
		Short: "Measurements on the embedded model (distillation, case keys)",
		Args:  maxArgs(0),
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newCmdDistill(io, nil), newCmdCasesExperiment(io, nil))
	return cmd
}

type casesExperimentOptions struct {
	io    *ioStreams
	Out   string
	Quick bool
	Runs  int // -1: the default
	JSON  bool
}

func newCmdCasesExperiment(io *ioStreams, runF func(context.Context, *casesExperimentOptions) error) *cobra.Command {
	opts := &casesExperimentOptions{io: io}
	cmd := &cobra.Command{
		Use:   "cases [--out DIR] [--quick]",
		Short: "Case keys: attribution to the flagged campaign, power, false attribution",
		Long: `Measure case keys (issue 16) on the embedded world:

  world   the gateway in-process with a case ledger, benign accounts and two
          campaigns; after phase 1 campaign 1 is flagged (a case opens),
          after phase 2 campaign 2; students trained on campaign 1's
          post-opening harvest (mixed with other text at 100/25/5%), on
          campaign 1 before its case, on the benign accounts and on both
          campaigns are questioned by the real probe with the ledger
  power   probe answers needed to reach p ≤ 1e-6 under the case key and the
          master key, by the share of the student's data served after the
          case opened
  null    false attribution over many students with fresh master keys: of
          another case, of unflagged accounts, of another provider, of the
          same teacher unwatermarked; rate with its exact 95% interval

Writes cases.json and cases.md.`,
		Example: "  forensics experiments cases --out docs/experiments",
		Args:    maxArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return casesExperimentRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Out, "out", "o", "docs/experiments", "folder for the results")
	f.BoolVar(&opts.Quick, "quick", false, "a smaller world, fewer students and runs")
	f.IntVar(&opts.Runs, "runs", -1, "false-attribution runs (default 500; 25 with --quick)")
	f.BoolVar(&opts.JSON, "json", false, "print the results as JSON")
	return cmd
}

func casesExperimentRun(ctx context.Context, opts *casesExperimentOptions) error {
	o := experiments.DefaultCases()
	if opts.Quick {
		o = experiments.QuickCases()
	}
	if opts.Runs >= 0 {
		o.Runs = opts.Runs
	}
	o.Progress = func(s string) { fmt.Fprintln(opts.io.ErrOut, termsafe.Line(s)) }
	r, err := experiments.Cases(ctx, o)
	if err != nil {
		return err
	}
	if err := experiments.WriteCases(r, opts.Out); err != nil {
		return err
	}
	if opts.JSON {
		return json.NewEncoder(jsonOut(opts.io.Out)).Encode(r)
	}
	fmt.Fprintf(opts.io.Out, "wrote %s/cases.md and cases.json (%.0f s)\n", opts.Out, r.Seconds)
	return nil
}

type distillOptions struct {
	io    *ioStreams
	Out   string
	Quick bool
	JSON  bool
}

func newCmdDistill(io *ioStreams, runF func(context.Context, *distillOptions) error) *cobra.Command {
	opts := &distillOptions{io: io}
	cmd := &cobra.Command{
		Use:   "distill [--out DIR] [--quick]",
		Short: "How much watermark survives distillation, by watermarked share and context width h",
		Long: `Train students (4-gram models) on the embedded teacher's answers, of which
100%, 25%, 5% or 1% carry the watermark (the rest are the same teacher's
unwatermarked answers), for context widths h = 0, 1, 2 and 4; probe each
student with the canary prompts; and record the evidence (log10 p) against
the number of probe answers and pieces, and the number of probe answers it
takes to reach p ≤ 1e-6. Writes distill.json, distill.md and one plot per h.`,
		Example: "  forensics experiments distill --out docs/experiments",
		Args:    maxArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return distillRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Out, "out", "o", "docs/experiments", "folder for the results")
	cmd.Flags().BoolVar(&opts.Quick, "quick", false, "fewer students and prompts")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the results as JSON")
	return cmd
}

func distillRun(ctx context.Context, opts *distillOptions) error {
	o := experiments.DefaultDistill()
	if opts.Quick {
		o.Answers, o.ProbePrompts, o.Fractions, o.Widths = 400, 100, []float64{1, 0.25}, []int{1, 2}
	}
	o.Progress = func(s string) { fmt.Fprintln(opts.io.ErrOut, s) }
	r, err := experiments.Distill(ctx, o)
	if err != nil {
		return err
	}
	if err := experiments.WriteDistill(r, opts.Out); err != nil {
		return err
	}
	if opts.JSON {
		return json.NewEncoder(jsonOut(opts.io.Out)).Encode(r)
	}
	fmt.Fprintf(opts.io.Out, "wrote %s/distill.md, distill.json and plots (%.0f s)\n", opts.Out, r.Seconds)
	return nil
}

type calibrateOptions struct {
	io       *ioStreams
	Out      string
	Quick    bool
	Innocent bool
	Runs     int // -1: the default for the run
	JSON     bool
}

func newCmdCalibrate(io *ioStreams, runF func(context.Context, *calibrateOptions) error) *cobra.Command {
	opts := &calibrateOptions{io: io}
	cmd := &cobra.Command{
		Use:   "calibrate [--out DIR] [--quick] [--innocent]",
		Short: "Empirical false-positive rates against nominal ones, on null data",
		Long: `Measure how often the detector and the probe battery raise a false alarm
on data that carries no watermark of ours: human text from corpora/,
unwatermarked generations of the embedded model, watermarked text scored
under other keys, and full probes of models not derived from ours. Reports
the empirical rate at α = 1e-2, 1e-3 and 1e-4 with exact 95% intervals, in
calibration.md (table), calibration.json and calibration.svg. docs/statistics.md and
every report's methodology section carry this table.`,
		Example: "  forensics calibrate --out docs/calibration",
		Args:    maxArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return calibrateRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Out, "out", "o", "docs/calibration", "folder for the results")
	f.BoolVar(&opts.Quick, "quick", false, "fewer keys, generations and probes")
	f.IntVar(&opts.Runs, "probe-runs", -1, "full null probes to run (default 200; 20 with --quick); with --innocent, runs per case (default 100; 10 with --quick)")
	f.BoolVar(&opts.Innocent, "innocent", false, "run the innocent-suspect suite instead: other providers, a relay of our API, echo and paraphrase bots, models trained on our public data or on our unwatermarked outputs, cherry-picked transcripts; false \"supported\" per case with exact intervals (innocent.md, innocent.json)")
	f.BoolVar(&opts.JSON, "json", false, "print the results as JSON")
	return cmd
}

func calibrateRun(ctx context.Context, opts *calibrateOptions) error {
	if opts.Innocent {
		return innocentRun(ctx, opts)
	}
	return nullRun(ctx, opts)
}

// nullRun measures false-positive rates on null data.
func nullRun(ctx context.Context, opts *calibrateOptions) error {
	o := experiments.DefaultCalibrate()
	if opts.Quick {
		o.Keys, o.Generations, o.ProbeRuns = 3, 200, 20
	}
	if opts.Runs >= 0 {
		o.ProbeRuns = opts.Runs
	}
	o.Progress = func(s string) { fmt.Fprintln(opts.io.ErrOut, s) }
	r, err := experiments.Calibrate(ctx, o, toolName())
	if err != nil {
		return err
	}
	if err := experiments.WriteCalibration(r, opts.Out); err != nil {
		return err
	}
	if opts.JSON {
		return json.NewEncoder(jsonOut(opts.io.Out)).Encode(r)
	}
	fmt.Fprint(opts.io.Out, experiments.CalibrationTable(r))
	fmt.Fprintf(opts.io.Out, "\nwrote %s/calibration.md, calibration.json, calibration.svg (%.0f s)\n", opts.Out, r.Seconds)
	return nil
}

// innocentRun runs the innocent-suspect suite (calibrate --innocent).
func innocentRun(ctx context.Context, opts *calibrateOptions) error {
	o := experiments.DefaultInnocent()
	if opts.Quick {
		o.Runs = 10
	}
	if opts.Runs >= 0 {
		o.Runs = opts.Runs
	}
	o.Progress = func(s string) { fmt.Fprintln(opts.io.ErrOut, termsafe.Line(s)) }
	r, err := experiments.Innocent(ctx, o, toolName())
	if err != nil {
		return err
	}
	if err := experiments.WriteInnocent(r, opts.Out); err != nil {
		return err
	}
	if opts.JSON {
		return json.NewEncoder(jsonOut(opts.io.Out)).Encode(r)
	}
	fmt.Fprint(opts.io.Out, experiments.InnocentTable(r))
	fmt.Fprintf(opts.io.Out, "\nwrote %s/innocent.md, innocent.json (%.0f s)\n", opts.Out, r.Seconds)
	return nil
}
