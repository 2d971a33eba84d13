package main

import (
	"github.com/spf13/cobra"
)

func init() { cobra.AddTemplateFunc("buildIdentity", toolName) }

func newCmdRoot(io *ioStreams) *cobra.Command {
	root := &cobra.Command{
		Use:   "forensics",
		Short: "Output watermarking and derivative-model forensics",
		Long: `forensics watermarks a model's outputs at serve time with a keyed
green-list watermark, finds accounts that harvest them, probes suspect
models for signs they were trained on them, and writes evidence bundles
that another analyst can re-check.

Exit codes: 0 success, 1 failure, 2 usage error.`,
		// --version prints the build (versionTemplate): hashing the
		// executable waits until someone asks.
		Version: "set",
		Args:    cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("unknown command %q", args[0])
			}
			return cmd.Help()
		},
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate(`{{buildIdentity}}` + "\n")
	root.SetOut(io.Out)
	root.SetErr(io.ErrOut)
	root.SetFlagErrorFunc(flagError)
	root.AddCommand(
		newCmdKeygen(io, nil),
		newCmdDetect(io, nil),
		newCmdSchemes(io, nil),
		newCmdRadioactivity(io, nil),
		newCmdGenerate(io, nil),
		newCmdTokenizer(io),
		newCmdServe(io, nil),
		newCmdScanLogs(io, nil),
		newCmdSimulateTraffic(io, nil),
		newCmdProbe(io, nil),
		newCmdVerify(io, nil),
		newCmdVerifyLog(io, nil),
		newCmdVerifyLedger(io, nil),
		newCmdCase(io),
		newCmdReport(io, nil),
		newCmdDemo(io, nil),
		newCmdExperiments(io),
		newCmdCalibrate(io, nil),
		newCmdBench(io, nil),
		newCmdVersion(io, nil),
	)
	return root
}

// flagError makes a flag that does not parse a usage error (exit code 2).
func flagError(_ *cobra.Command, err error) error { return &usageError{err} }

// maxArgs is cobra.MaximumNArgs with a usage error.
func maxArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) > n {
			return usagef("%s takes at most %d argument(s), got %d", cmd.CommandPath(), n, len(args))
		}
		return nil
	}
}
