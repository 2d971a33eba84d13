package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"forensics/report"
)

func newCmdReport(io *ioStreams) *cobra.Command {
	o := report.DefaultOptions()
	var formats string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "report DIR",
		Short: "Render an evidence bundle as a report for lawyers (HTML, PDF, Markdown)",
		Long: `Render a finished probe's evidence bundle for a reader who is not an
engineer: a one-page summary (the claims, the finding on each in plain
words, the stated false-positive rate, what the evidence does not show, the
Merkle root and signature), then each test with what was measured, the
p-value, effect size with its interval, power and the control results, with
plots; the methodology and its limits; and an appendix of sample
transcripts with their hashes and the manifest.

The report files go into DIR (report.html, report.pdf, report.md with its
SVG figures, and report.json with the options used) and SHA256SUMS is
updated. Rendering is deterministic: the same bundle and options give the
same bytes (the PDF's creation date is the manifest's), and
'forensics verify DIR' checks the report against results.json.`,
		Example: `  forensics report case-17/
  forensics report --format pdf --case-id "2026-CV-0417" --title "Acme v. Example" case-17/`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("give one bundle folder")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Formats = nil
			for _, f := range strings.Split(formats, ",") {
				f = strings.TrimSpace(f)
				switch f {
				case "md", "html", "pdf":
					o.Formats = append(o.Formats, f)
				case "":
				default:
					return usagef("unknown format %q (md, html, pdf)", f)
				}
			}
			if len(o.Formats) == 0 {
				return usagef("--format needs at least one of md, html, pdf")
			}
			if o.Samples < 1 {
				return usagef("--samples must be at least 1")
			}
			names, err := report.Render(args[0], o)
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(jsonOut(io.Out)).Encode(map[string]any{"bundle": args[0], "files": names})
			}
			for _, n := range names {
				fmt.Fprintln(io.Out, filepath.Join(args[0], n))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&formats, "format", "html,pdf,md", "formats to write: any of html, pdf, md")
	f.StringVar(&o.Title, "title", o.Title, "the report's title")
	f.StringVar(&o.CaseID, "case-id", "", "a case or matter number for the title page")
	f.IntVar(&o.Samples, "samples", o.Samples, "sample transcripts in the appendix")
	f.BoolVar(&asJSON, "json", false, "print the files written as JSON")
	return cmd
}
