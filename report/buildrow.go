package report

import "forensics/probe"

// toolRow names the build that made the bundle: in full (revision, dirty
// flag, Go version, binary hash) when the manifest records it, else the
// manifest's tool string as older bundles have it.
func toolRow(m *probe.Manifest) string {
	if m.Build != nil {
		return m.Build.Detail()
	}
	return m.Tool
}

// withRenderer adds the build that rendered the report, which may be
// another than the probe's, to rows; reports from before it was recorded
// keep their rows (verify renders them again byte for byte).
func withRenderer(o Options, rows [][2]string) [][2]string {
	if o.Build == nil {
		return rows
	}
	return append(rows, [2]string{"Report rendered by", o.Build.Detail()})
}
