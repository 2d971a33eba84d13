package main

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"forensics/internal/termsafe"
	"forensics/probe"
	"forensics/report"
	"forensics/watermark"
)

func newCmdVerify(io *ioStreams) *cobra.Command {
	var keyPath, pubPath string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify DIR",
		Short: "Re-check an evidence bundle from its files alone",
		Long: `Re-derive an evidence bundle without the network: every file against
SHA256SUMS, every transcript line (the answer text re-extracted from the raw
response bytes), the Merkle root over the transcripts and its signature,
and every number in results.json, recomputed from manifest, canary set,
tokenizer and transcripts and compared byte for byte; and a report made by
'forensics report', rendered again from results.json and compared.

The radioactivity numbers need the watermark key (--key); without it they
are taken as recorded and the output says so. Exit status 1 names the first
file and line, or the results field, that does not match.`,
		Example: `  forensics verify case-17/
  forensics verify --key key.yaml --pub signer.key.pub case-17/`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("give one bundle folder")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o := probe.VerifyOptions{Tool: "forensics " + version()}
			if keyPath != "" {
				k, err := watermark.LoadKey(keyPath)
				if err != nil {
					return err
				}
				o.Key = k
			}
			if pubPath != "" {
				pub, err := probe.LoadPublicKey(pubPath)
				if err != nil {
					return err
				}
				o.PublicKey = ed25519.PublicKey(pub)
			}
			checks, err := probe.Verify(cmd.Context(), args[0], o)
			if err != nil {
				return err
			}
			detail, err := report.Check(args[0])
			c := probe.Check{Name: "report", OK: err == nil, Detail: detail}
			if err != nil {
				c.Detail = err.Error()
			}
			checks = append(checks, c)
			failed := 0
			for _, c := range checks {
				if !c.OK {
					failed++
				}
			}
			if asJSON {
				if err := json.NewEncoder(jsonOut(io.Out)).Encode(map[string]any{"bundle": args[0], "ok": failed == 0, "checks": checks}); err != nil {
					return err
				}
			} else {
				for _, c := range checks {
					mark := "ok  "
					if !c.OK {
						mark = "FAIL"
					}
					fmt.Fprintf(io.Out, "%s %-12s %s\n", mark, termsafe.Line(c.Name), termsafe.Line(c.Detail))
				}
			}
			if failed > 0 {
				return errors.New("bundle verification failed: " + firstFailure(checks))
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&keyPath, "key", "k", "", "the watermark key, to re-derive the radioactivity numbers")
	cmd.Flags().StringVar(&pubPath, "pub", "", "accept only a signature by this public key (keygen --signing)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the checks as JSON")
	return cmd
}

func firstFailure(cs []probe.Check) string {
	for _, c := range cs {
		if !c.OK {
			return c.Detail
		}
	}
	return ""
}
