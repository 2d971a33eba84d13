package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"forensics/watermark/schemes"
)

type schemesOptions struct {
	io   *ioStreams
	JSON bool
}

func newCmdSchemes(io *ioStreams, runF func(context.Context, *schemesOptions) error) *cobra.Command {
	opts := &schemesOptions{io: io}
	cmd := &cobra.Command{
		Use:   "schemes",
		Short: "List the watermark schemes forensics reads",
		Long: `List the registered watermark schemes: this project's own
kgw-siphash24-v1 (the default; the gateway embeds it) and the schemes
serving engines embed themselves (vLLM's red-green and Gumbel-max), with
what each scores, its statistic and its null. keygen --scheme makes a key
of any of them; detect takes any scheme's key file.`,
		Example: `  forensics schemes
  forensics schemes --json`,
		Args: maxArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return schemesRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the registry as JSON")
	return cmd
}

func schemesRun(opts *schemesOptions) error {
	reg := schemes.Registered()
	if opts.JSON {
		return writeJSON(opts.io.Out, reg)
	}
	for i, s := range reg {
		if i > 0 {
			fmt.Fprintln(opts.io.Out)
		}
		def := ""
		if s.Default {
			def = " (default)"
		}
		fmt.Fprintf(opts.io.Out, "%s%s\n", s.Name, def)
		fmt.Fprintf(opts.io.Out, "  source     %s\n  units      %s\n  prfs       %s\n", s.Source, s.Units, strings.Join(s.PRFs, ", "))
		fmt.Fprintf(opts.io.Out, "  statistic  %s\n  null       %s\n  embedded   %s\n  defaults   %s\n", s.Statistic, s.Null, s.Embeds, s.Params)
	}
	return nil
}
