package report

import (
	"strings"

	"forensics/internal/buildinfo"
	"forensics/probe"
)

// toolRow names the build that made the bundle: in full (revision, dirty
// flag, Go version, binary hash) when the manifest records it, else the
// manifest's tool string as older bundles have it.
func toolRow(m *probe.Manifest) string {
	if m.Build != nil {
		return m.Build.Detail()
	}
	return m.Tool
}

// withBuilds adds to rows the build that computed the results when it is
// not the probe's (a probe resumed and finished by another build), and
// the build that rendered the report, which may be another again;
// reports from before they were recorded keep their rows (verify renders
// them again byte for byte).
func withBuilds(o Options, m *probe.Manifest, r *probe.Results, rows [][2]string) [][2]string {
	if r.Build != nil && (m.Build == nil || buildinfo.Compare(m.Build, r.Build).Sameness != buildinfo.Identical) {
		rows = append(rows, [2]string{"Results computed by", r.Build.Detail()})
	}
	if o.Build == nil {
		return rows
	}
	return append(rows, [2]string{"Report rendered by", o.Build.Detail()})
}

// commandText shows the recorded command line: one argument a line before
// LayoutCommandLines; from it, the program with its subcommand on the
// first line and each flag with its value on one (display only: the
// manifest keeps the arguments as given).
func commandText(args []string, layout int) string {
	if layout < LayoutCommandLines {
		return strings.Join(args, " \\\n    ")
	}
	var lines []string
	for i := 0; i < len(args); i++ {
		line := args[i]
		if strings.HasPrefix(line, "-") && !strings.Contains(line, "=") && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") && i > 0 {
			i++
			line += " " + args[i]
		}
		lines = append(lines, line)
	}
	// The program and its subcommands share the first line.
	for len(lines) > 1 && !strings.HasPrefix(lines[1], "-") && !strings.Contains(lines[0], " -") {
		lines = append([]string{lines[0] + " " + lines[1]}, lines[2:]...)
	}
	return strings.Join(lines, " \\\n    ")
}
