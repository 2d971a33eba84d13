package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"forensics/internal/experiments"
	"forensics/internal/termsafe"
)

func newCmdExperiments(io *ioStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "experiments",
		Short: "Measurements on the embedded model (distillation)",
		Args:  maxArgs(0),
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	var out string
	var quick, asJSON bool
	distill := &cobra.Command{
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
			o := experiments.DefaultDistill()
			if quick {
				o.Answers, o.ProbePrompts, o.Fractions, o.Widths = 400, 100, []float64{1, 0.25}, []int{1, 2}
			}
			o.Progress = func(s string) { fmt.Fprintln(io.ErrOut, s) }
			r, err := experiments.Distill(cmd.Context(), o)
			if err != nil {
				return err
			}
			if err := experiments.WriteDistill(r, out); err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(jsonOut(io.Out)).Encode(r)
			}
			fmt.Fprintf(io.Out, "wrote %s/distill.md, distill.json and plots (%.0f s)\n", out, r.Seconds)
			return nil
		},
	}
	distill.Flags().StringVarP(&out, "out", "o", "docs/experiments", "folder for the results")
	distill.Flags().BoolVar(&quick, "quick", false, "fewer students and prompts")
	distill.Flags().BoolVar(&asJSON, "json", false, "print the results as JSON")
	cmd.AddCommand(distill)
	return cmd
}

func newCmdCalibrate(io *ioStreams) *cobra.Command {
	var out string
	var quick, asJSON, innocent bool
	var runs int
	cmd := &cobra.Command{
		Use:   "calibrate [--out DIR] [--quick] [--innocent]",
		Short: "Empirical false-positive rates against nominal ones, on null data",
		Long: `Measure how often the detector and the probe battery raise a false alarm
on data that carries no watermark of ours: human text from corpora/,
unwatermarked generations of the embedded model, watermarked text scored
under other keys, and full probes of models not derived from ours. Reports
the empirical rate at α = 1e-2, 1e-3 and 1e-4 with exact 95% intervals, in
calibration.md (table), calibration.json and calibration.svg. The README and
every report's methodology section carry this table.`,
		Example: "  forensics calibrate --out docs/calibration",
		Args:    maxArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if innocent {
				o := experiments.DefaultInnocent()
				if quick {
					o.Runs = 10
				}
				if runs >= 0 {
					o.Runs = runs
				}
				o.Progress = func(s string) { fmt.Fprintln(io.ErrOut, termsafe.Line(s)) }
				r, err := experiments.Innocent(cmd.Context(), o, "forensics "+version())
				if err != nil {
					return err
				}
				if err := experiments.WriteInnocent(r, out); err != nil {
					return err
				}
				if asJSON {
					return json.NewEncoder(jsonOut(io.Out)).Encode(r)
				}
				fmt.Fprint(io.Out, experiments.InnocentTable(r))
				fmt.Fprintf(io.Out, "\nwrote %s/innocent.md, innocent.json (%.0f s)\n", out, r.Seconds)
				return nil
			}
			o := experiments.DefaultCalibrate()
			if quick {
				o.Keys, o.Generations, o.ProbeRuns = 3, 200, 20
			}
			if runs >= 0 {
				o.ProbeRuns = runs
			}
			o.Progress = func(s string) { fmt.Fprintln(io.ErrOut, s) }
			r, err := experiments.Calibrate(cmd.Context(), o, "forensics "+version())
			if err != nil {
				return err
			}
			if err := experiments.WriteCalibration(r, out); err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(jsonOut(io.Out)).Encode(r)
			}
			fmt.Fprint(io.Out, experiments.CalibrationTable(r))
			fmt.Fprintf(io.Out, "\nwrote %s/calibration.md, calibration.json, calibration.svg (%.0f s)\n", out, r.Seconds)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "docs/calibration", "folder for the results")
	cmd.Flags().BoolVar(&quick, "quick", false, "fewer keys, generations and probes")
	cmd.Flags().IntVar(&runs, "probe-runs", -1, "full null probes to run (default 200; 20 with --quick); with --innocent, runs per case (default 100; 10 with --quick)")
	cmd.Flags().BoolVar(&innocent, "innocent", false, "run the innocent-suspect suite instead: other providers, a relay of our API, echo and paraphrase bots, models trained on our public data or on our unwatermarked outputs, cherry-picked transcripts; false \"supported\" per case with exact intervals (innocent.md, innocent.json)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the results as JSON")
	return cmd
}
