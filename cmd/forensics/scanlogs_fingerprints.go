package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"forensics/internal/termsafe"
	"forensics/logscan/benchmarks"
)

// newCmdScanLogsFingerprints groups the commands for the benchmark
// fingerprints scan-logs recognises.
func newCmdScanLogsFingerprints(io *ioStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fingerprints",
		Short: "Build and list the public-benchmark fingerprints scan-logs recognises",
		Long: `Requests that carry an item of a public benchmark (GSM8K, HumanEval, …) are
evaluation traffic, not harvesting, and a template taken from a public
benchmark links no accounts. scan-logs recognises them by hashed word
shingles: the shipped set (corpora/benchmarks) and any you build.
See docs/benchmarks.md.`,
	}
	cmd.AddCommand(newCmdFingerprintsBuild(io, nil), newCmdFingerprintsList(io, nil))
	return cmd
}

type fingerprintsBuildOptions struct {
	io     *ioStreams
	Suite  string
	Fields []string
	Merge  []string
	Out    string
	Files  []string
}

func newCmdFingerprintsBuild(io *ioStreams, runF func(context.Context, *fingerprintsBuildOptions) error) *cobra.Command {
	opts := &fingerprintsBuildOptions{io: io}
	cmd := &cobra.Command{
		Use:   "build --suite NAME [--field F]... FILE... -o OUT.fp",
		Short: "Fingerprint a benchmark's items",
		Long: `Read a benchmark's items and write their fingerprints: 64-bit hashes of
3-word shingles and item numbers, never the text. FILE is JSON lines (.jsonl;
an item is the --field values joined, a list field's elements joined), a CSV
with a header row (.csv; --field names columns) or plain text (one item per
paragraph when blank lines separate paragraphs, else per line); gzip is
detected. --merge adds the suites of existing fingerprint files (a suite of
the same name is replaced by the new one).`,
		Example: `  forensics scan-logs fingerprints build --suite gsm8k --field question test.jsonl -o gsm8k.fp
  forensics scan-logs fingerprints build --suite our-evals prompts.txt --merge corpora/benchmarks/default.fp -o all.fp`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 || opts.Out == "" || opts.Suite == "" {
				return usagef("give --suite, item files and -o")
			}
			if err := benchmarks.CheckName(opts.Suite); err != nil {
				return usagef("--suite: %v", err)
			}
			opts.Files = args
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return fingerprintsBuildRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Suite, "suite", "", "the suite's name (as scan-logs reports it)")
	f.StringArrayVar(&opts.Fields, "field", []string{"text"}, "JSON field or CSV column holding an item's text (repeat to join several)")
	f.StringArrayVar(&opts.Merge, "merge", nil, "fingerprint file whose suites to include (repeatable)")
	f.StringVarP(&opts.Out, "out", "o", "", "fingerprint file to write")
	return cmd
}

func fingerprintsBuildRun(_ context.Context, opts *fingerprintsBuildOptions) error {
	var items []string
	for _, path := range opts.Files {
		got, err := benchmarks.ReadItemsFile(path, opts.Fields)
		if err != nil {
			return err
		}
		items = append(items, got...)
	}
	set := benchmarks.Build(opts.Suite, items)
	built := set.Suites()[0]
	if built.Items == 0 {
		return fmt.Errorf("suite %s: none of %d items has %d informative shingles to fingerprint", termsafe.Line(opts.Suite), len(items), benchmarks.MinShingles)
	}
	for i := len(opts.Merge) - 1; i >= 0; i-- {
		other, err := benchmarks.Load(opts.Merge[i])
		if err != nil {
			return err
		}
		set = other.Merge(set)
	}
	var buf bytes.Buffer
	if _, err := set.WriteTo(&buf); err != nil {
		return err
	}
	if err := os.WriteFile(opts.Out, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write fingerprints: %w", err)
	}
	fmt.Fprintf(opts.io.Out, "wrote %s (%d bytes): suite %s, %d items fingerprinted, %d skipped as too short or generic; %d suites, %d shingles in all\n",
		opts.Out, buf.Len(), termsafe.Line(opts.Suite), built.Items, built.Skipped, len(set.Suites()), set.Shingles())
	return nil
}

type fingerprintsListOptions struct {
	io   *ioStreams
	File string
	JSON bool
}

func newCmdFingerprintsList(io *ioStreams, runF func(context.Context, *fingerprintsListOptions) error) *cobra.Command {
	opts := &fingerprintsListOptions{io: io}
	cmd := &cobra.Command{
		Use:   "list [FILE.fp]",
		Short: "List the suites of a fingerprint file (default: the shipped set)",
		Args:  maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.File = args[0]
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return fingerprintsListRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the suites as JSON")
	return cmd
}

func fingerprintsListRun(_ context.Context, opts *fingerprintsListOptions) error {
	var set *benchmarks.Set
	if opts.File == "" {
		set = benchmarks.Default()
	} else {
		var err error
		if set, err = benchmarks.Load(opts.File); err != nil {
			return err
		}
	}
	suites := set.Suites()
	if opts.JSON {
		return writeJSON(opts.io.Out, suites)
	}
	tw := tabwriter.NewWriter(opts.io.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SUITE\tITEMS\tSKIPPED")
	for _, s := range suites {
		fmt.Fprintf(tw, "%s\t%d\t%d\n", termsafe.Line(s.Name), s.Items, s.Skipped)
	}
	fmt.Fprintf(tw, "total\t%d\t\n", set.Items())
	return tw.Flush()
}
