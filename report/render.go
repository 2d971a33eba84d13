package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"forensics/probe"
)

// FileOptions is where a bundle keeps the options its report was made
// with, so that verify can make it again.
const FileOptions = "report.json"

// Files renders the report in the requested formats, in memory: file name
// → bytes (Markdown comes with one SVG file per figure).
func Files(b *Bundle, o Options) (map[string][]byte, error) {
	if len(o.Formats) == 0 {
		o.Formats = DefaultOptions().Formats
	}
	d := Build(b, o)
	out := map[string][]byte{}
	for _, f := range o.Formats {
		switch f {
		case "md":
			out["report.md"] = []byte(Markdown(d))
			for _, blk := range d.Blocks {
				if fig, ok := blk.(Figure); ok {
					svg, err := svgOf(fig)
					if err != nil {
						return nil, err
					}
					out["report-"+fig.Name+".svg"] = svg
				}
			}
		case "html":
			h, err := HTML(d)
			if err != nil {
				return nil, err
			}
			out["report.html"] = []byte(h)
		case "pdf":
			p, err := PDF(d)
			if err != nil {
				return nil, err
			}
			out["report.pdf"] = p
		default:
			return nil, fmt.Errorf("unknown report format %q (md, html, pdf)", f)
		}
	}
	opts, _ := json.MarshalIndent(o, "", "  ")
	out[FileOptions] = append(opts, '\n')
	return out, nil
}

// Render writes the report files into the bundle and updates SHA256SUMS
// to cover them. It returns the names written.
func Render(dir string, o Options) ([]string, error) {
	def := DefaultOptions()
	if o.Title == "" {
		o.Title = def.Title
	}
	if o.Samples <= 0 {
		o.Samples = def.Samples
	}
	// report.json stores the options as JSON, which has no bytes that are
	// not UTF-8: render with what verify will read back.
	o.Title, o.CaseID = strings.ToValidUTF8(o.Title, "\uFFFD"), strings.ToValidUTF8(o.CaseID, "\uFFFD")
	b, err := Load(dir)
	if err != nil {
		return nil, err
	}
	files, err := Files(b, o)
	if err != nil {
		return nil, err
	}
	// Reports from an earlier run with other formats would be stale.
	old, _ := filepath.Glob(filepath.Join(dir, "report*"))
	for _, f := range old {
		if _, keep := files[filepath.Base(f)]; !keep {
			os.Remove(f)
		}
	}
	var names []string
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return nil, fmt.Errorf("write %s: %w", name, err)
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return names, probe.WriteSums(dir)
}

// Check re-renders a bundle's report from its results and options and
// compares it with the files present; nil when there is no report. An
// edited number in a report makes its bytes differ from the rendering of
// results.json, which verify has already re-derived.
func Check(dir string) (string, error) {
	ob, err := probe.ReadBundleFile(dir, FileOptions)
	if errors.Is(err, os.ErrNotExist) {
		return "no report in the bundle", nil
	}
	if err != nil {
		return "", err
	}
	var o Options
	if err := json.Unmarshal(ob, &o); err != nil {
		return "", fmt.Errorf("%s: %w", FileOptions, err)
	}
	b, err := Load(dir)
	if err != nil {
		return "", err
	}
	files, err := Files(b, o)
	if err != nil {
		return "", err
	}
	var names []string
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		have, err := probe.ReadBundleFile(dir, name)
		if err != nil {
			return "", fmt.Errorf("%s: %w", name, err)
		}
		if !bytes.Equal(have, files[name]) {
			return "", fmt.Errorf("%s does not match a rendering of results.json (%s)", name, firstLineDiff(have, files[name]))
		}
	}
	return fmt.Sprintf("%s match a rendering of results.json", strings.Join(names, ", ")), nil
}

// firstLineDiff names the first differing line of two texts.
func firstLineDiff(a, b []byte) string {
	la, lb := bytes.Split(a, []byte{'\n'}), bytes.Split(b, []byte{'\n'})
	for i := 0; i < len(la) && i < len(lb); i++ {
		if !bytes.Equal(la[i], lb[i]) {
			return fmt.Sprintf("first difference at line %d", i+1)
		}
	}
	return fmt.Sprintf("lengths differ: %d and %d lines", len(la), len(lb))
}
