package main

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"forensics/evidence"
	"forensics/internal/termsafe"
	"forensics/report"
)

func newCmdReport(io *ioStreams) *cobra.Command {
	o := report.DefaultOptions()
	var formats, signPath string
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
SVG figures, and report.json with the options used) and the bundle is
sealed again: SHA256SUMS lists every file, the reports included, and
--sign signs it (SHA256SUMS.sig). Without --sign the bundle is left
UNSIGNED, since a signature made before the reports would not cover them:
give the key the probe signed with to keep it signed. A bundle altered
since it was sealed (a file that differs from SHA256SUMS, a file it does
not list, a signature that does not match) is refused.

Rendering is deterministic: the same bundle, options and signer give the
same bytes (the PDF's creation date is the manifest's), and
'forensics verify DIR' checks the report against results.json.`,
		Example: `  forensics report --sign signer.key case-17/
  forensics report --sign signer.key --format pdf --case-id "2026-CV-0417" --title "Acme v. Example" case-17/`,
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
			var sign ed25519.PrivateKey
			if signPath != "" {
				k, err := evidence.LoadSigningKey(signPath)
				if err != nil {
					return err
				}
				sign = k
			}
			before := signerOf(args[0])
			names, err := report.Render(args[0], o, sign)
			if err != nil {
				return err
			}
			signedBy := ""
			if sign != nil {
				signedBy = evidence.KeyFingerprint(sign.Public().(ed25519.PublicKey))
			} else if before != "" {
				fmt.Fprintf(io.ErrOut, "warning: %s was signed by %s; sealed again without --sign it is now UNSIGNED (give --sign with that key to sign it again)\n", termsafe.Line(args[0]), termsafe.Line(before))
			}
			if asJSON {
				return json.NewEncoder(jsonOut(io.Out)).Encode(map[string]any{"bundle": args[0], "files": names, "signed_by": signedBy})
			}
			for _, n := range names {
				fmt.Fprintln(io.Out, filepath.Join(args[0], n))
			}
			if signedBy == "" {
				fmt.Fprintln(io.Out, "UNSIGNED")
			} else {
				fmt.Fprintf(io.Out, "sealed and signed by %s\n", signedBy)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&formats, "format", "html,pdf,md", "formats to write: any of html, pdf, md")
	f.StringVar(&o.Title, "title", o.Title, "the report's title")
	f.StringVar(&o.CaseID, "case-id", "", "a case or matter number for the title page")
	f.IntVar(&o.Samples, "samples", o.Samples, "sample transcripts in the appendix")
	f.StringVar(&signPath, "sign", "", "ed25519 private key to sign the sealed bundle with (keygen --signing); without it the bundle is left unsigned")
	f.BoolVar(&asJSON, "json", false, "print the files written as JSON")
	return cmd
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
