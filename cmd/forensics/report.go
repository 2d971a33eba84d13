package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"forensics/evidence"
	"forensics/internal/termsafe"
	"forensics/report"
)

// reportLong is report's --help text.
const reportLong = `Render a finished probe's evidence bundle for a reader who is not an
engineer: a one-page summary (the claims, the finding on each in plain
words, the stated false-positive rate, what the evidence does not show, the
Merkle root and signature), then each test with what was measured, the
p-value, effect size with its interval, power and the control results, with
plots; the methodology and its limits; and an appendix of sample
transcripts with their hashes and the manifest.

The report files go into DIR (report.html, report.pdf, report.md with its
SVG figures, and report.json with the options used). A bundle rendered
before is rendered again with the options its report.json records (title,
case id, samples, formats); a flag given overrides only its own option.
The bundle is then sealed again: SHA256SUMS lists every file, the reports
included, and --sign signs it (SHA256SUMS.sig). Without --sign it is left
UNSIGNED, since a signature made before the reports would not cover them:
give the key the probe signed with to keep it signed. A bundle altered
since it was sealed (a file that differs from SHA256SUMS, a file it does
not list, a signature that does not match) is refused.

Rendering is deterministic: the same bundle, options and signer give the
same bytes (the PDF's creation date is the manifest's), and
'forensics verify DIR' checks the report against results.json.`

type reportOptions struct {
	io     *ioStreams
	Bundle string
	// Render holds the rendering flags' values; Given names those given
	// on the command line (renderFlags): only they override the options
	// the bundle's report was last rendered with.
	Render   report.Options
	Given    []string
	SignPath string
	JSON     bool
}

// renderFlags are the flags that set report.Options.
var renderFlags = []string{"title", "case-id", "samples", "format"}

// renderOptions are the options to render with: the defaults, then those
// recorded in the bundle's report.json (a report rendered again keeps its
// title, case id, samples and formats), then the flags given.
func renderOptions(recorded, flags report.Options, given []string) report.Options {
	o := report.DefaultOptions()
	if recorded.Title != "" {
		o.Title = recorded.Title
	}
	o.CaseID = recorded.CaseID
	if recorded.Samples > 0 {
		o.Samples = recorded.Samples
	}
	if len(recorded.Formats) > 0 {
		o.Formats = recorded.Formats
	}
	for _, name := range given {
		switch name {
		case "title":
			o.Title = flags.Title
		case "case-id":
			o.CaseID = flags.CaseID
		case "samples":
			o.Samples = flags.Samples
		case "format":
			o.Formats = flags.Formats
		}
	}
	return o
}

// reusedOptions is the one line that names the options taken from a
// bundle's report.json (those no flag overrides), escaped.
func reusedOptions(path string, recorded report.Options, given []string) string {
	var parts []string
	reused := func(flag string) bool { return !slices.Contains(given, flag) }
	if reused("title") && recorded.Title != "" {
		parts = append(parts, fmt.Sprintf("title %q", recorded.Title))
	}
	if reused("case-id") && recorded.CaseID != "" {
		parts = append(parts, fmt.Sprintf("case id %q", recorded.CaseID))
	}
	if reused("samples") && recorded.Samples > 0 {
		parts = append(parts, fmt.Sprintf("samples %d", recorded.Samples))
	}
	if reused("format") && len(recorded.Formats) > 0 {
		parts = append(parts, "formats "+strings.Join(recorded.Formats, ","))
	}
	if len(parts) == 0 {
		return termsafe.Line(fmt.Sprintf("%s sets no option the flags do not", path))
	}
	return termsafe.Line(fmt.Sprintf("reusing from %s: %s", path, strings.Join(parts, ", ")))
}

func newCmdReport(io *ioStreams, runF func(context.Context, *reportOptions) error) *cobra.Command {
	opts := &reportOptions{io: io, Render: report.DefaultOptions()}
	var formats string
	cmd := &cobra.Command{
		Use:   "report DIR",
		Short: "Render an evidence bundle as a report for lawyers (HTML, PDF, Markdown)",
		Long:  reportLong,
		Example: `  forensics report --sign signer.key case-17/
  forensics report --sign signer.key --format pdf --case-id "2026-CV-0417" --title "Acme v. Example" case-17/`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("give one bundle folder")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if opts.Render.Formats, err = parseFormats(formats); err != nil {
				return err
			}
			if opts.Render.Samples < 1 || opts.Render.Samples > report.MaxSamples {
				return usagef("--samples must be between 1 and %d", report.MaxSamples)
			}
			if len(opts.Render.Title) > report.MaxTitle || len(opts.Render.CaseID) > report.MaxTitle {
				return usagef("--title and --case-id must be at most %d bytes", report.MaxTitle)
			}
			opts.Bundle = args[0]
			for _, name := range renderFlags {
				if cmd.Flags().Changed(name) {
					opts.Given = append(opts.Given, name)
				}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return reportRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&formats, "format", "html,pdf,md", "formats to write: any of html, pdf, md")
	f.StringVar(&opts.Render.Title, "title", opts.Render.Title, "the report's title")
	f.StringVar(&opts.Render.CaseID, "case-id", "", "a case or matter number for the title page")
	f.IntVar(&opts.Render.Samples, "samples", opts.Render.Samples, "sample transcripts in the appendix")
	f.StringVar(&opts.SignPath, "sign", "", "ed25519 private key to sign the sealed bundle with (keygen --signing); without it the bundle is left unsigned")
	f.BoolVar(&opts.JSON, "json", false, "print the files written as JSON")
	return cmd
}

// parseFormats reads --format: a comma-separated list of md, html, pdf.
func parseFormats(list string) ([]string, error) {
	var formats []string
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		switch f {
		case "md", "html", "pdf":
			formats = append(formats, f)
		case "":
		default:
			return nil, usagef("unknown format %q (md, html, pdf)", f)
		}
	}
	if len(formats) == 0 {
		return nil, usagef("--format needs at least one of md, html, pdf")
	}
	return formats, nil
}

func reportRun(_ context.Context, opts *reportOptions) error {
	var sign ed25519.PrivateKey
	if opts.SignPath != "" {
		k, err := evidence.LoadSigningKey(opts.SignPath)
		if err != nil {
			return err
		}
		sign = k
	}
	dir := opts.Bundle
	recorded, ok, err := report.Recorded(dir)
	if err != nil {
		return err
	}
	if ok {
		// The bundle may be someone else's: show what it sets.
		fmt.Fprintln(opts.io.ErrOut, reusedOptions(filepath.Join(dir, report.FileOptions), recorded, opts.Given))
	}
	before := signerOf(dir)
	names, err := report.Render(dir, renderOptions(recorded, opts.Render, opts.Given), sign)
	if err != nil {
		return err
	}
	signedBy := ""
	if sign != nil {
		signedBy = evidence.KeyFingerprint(sign.Public().(ed25519.PublicKey))
	} else if before != "" {
		fmt.Fprintf(opts.io.ErrOut, "warning: %s was signed by %s; sealed again without --sign it is now UNSIGNED (give --sign with that key to sign it again)\n", termsafe.Line(dir), termsafe.Line(before))
	}
	if opts.JSON {
		return json.NewEncoder(jsonOut(opts.io.Out)).Encode(map[string]any{"bundle": dir, "files": names, "signed_by": signedBy})
	}
	for _, n := range names {
		fmt.Fprintln(opts.io.Out, filepath.Join(dir, n))
	}
	if signedBy == "" {
		fmt.Fprintln(opts.io.Out, "UNSIGNED")
	} else {
		fmt.Fprintf(opts.io.Out, "sealed and signed by %s\n", signedBy)
	}
	return nil
}

// signerOf names the key that signed a bundle ("" when it is unsigned or
// the signature cannot be read).
func signerOf(dir string) string {
	data, err := evidence.ReadBundleFile(dir, evidence.FileSignature)
	if err != nil {
		return ""
	}
	var s evidence.Signature
	if json.Unmarshal(data, &s) != nil {
		return ""
	}
	if fp := s.Fingerprint(); fp != "" {
		return fp
	}
	return "an unreadable key"
}
