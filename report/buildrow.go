package report

import (
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
