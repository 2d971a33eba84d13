package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"forensics/internal/buildinfo"
)

// versionLong is version's --help text.
const versionLong = `Print the build this binary is: its module version, the VCS revision
it was built from (with +dirty when the working tree had changes), the Go
version and platform, and the SHA-256 of the executable. Evidence records
the same identity (the probe manifest's build, report.json, the request
log's checkpoints, the case ledger's events), and verify compares it with
its own.

A build without a revision (go run, go test, go build with
-buildvcs=false, a tree without .git) says "unstamped build": the
executable's hash is then all that names it. 'make build' stamps the
revision.`

type versionOptions struct {
	io   *ioStreams
	JSON bool
}

func newCmdVersion(io *ioStreams, runF func(context.Context, *versionOptions) error) *cobra.Command {
	opts := &versionOptions{io: io}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print this build's identity",
		Long:  versionLong,
		Example: `  forensics version
  forensics version --json`,
		Args: maxArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return versionRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the build as JSON")
	return cmd
}

func versionRun(opts *versionOptions) error {
	b := buildinfo.Current()
	if opts.JSON {
		return writeJSON(opts.io.Out, b)
	}
	w := opts.io.Out
	fmt.Fprintln(w, b.String())
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "  %-13s %s\n", k, v)
		}
	}
	row("version", b.Version)
	row("revision", b.Revision)
	row("commit time", b.CommitTime)
	if b.Revision != "" {
		row("modified", fmt.Sprint(b.Modified))
	}
	row("go", b.GoVersion)
	row("platform", b.GOOS+"/"+b.GOARCH)
	row("binary sha256", b.BinarySHA256)
	return nil
}

// toolName is the one-line identity evidence records as its tool.
func toolName() string { return buildinfo.Current().String() }
