package report

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"forensics/evidence"
	"forensics/internal/buildinfo"
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
	for i, f := range o.Formats {
		if slices.Contains(o.Formats[:i], f) {
			continue // rendered already
		}
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

// Recorded reads the options a bundle's report was last rendered with
// (report.json), for rendering it again the same way; ok is false when the
// bundle has no report.json. Fields a report.json of an earlier version
// lacks are left zero, which Render reads as the defaults.
func Recorded(dir string) (o Options, ok bool, err error) {
	data, err := evidence.ReadBundleFile(dir, FileOptions)
	if errors.Is(err, fs.ErrNotExist) {
		return Options{}, false, nil
	}
	if err != nil {
		return Options{}, false, err
	}
	if o, err = parseOptions(data); err != nil {
		return Options{}, false, fmt.Errorf("%w (remove it to render with the defaults and the options given)", err)
	}
	return o, true, nil
}

// Render writes the report files into the bundle and seals it again
// (evidence.Seal), so that SHA256SUMS and its signature cover them: signed
// by sign, or, without it, left UNSIGNED (an earlier signature would not
// cover the new files, so it is removed, and the report says "not
// signed"). It refuses a bundle altered since it was last sealed (a file
// that differs from SHA256SUMS, an unlisted file, a signature that does
// not match), since sealing it again would vouch for the alteration; the
// report files it replaces are not checked. It returns the names written.
func Render(dir string, o Options, sign ed25519.PrivateKey) ([]string, error) {
	def := DefaultOptions()
	o.Layout = CurrentLayout // a new rendering; verify uses the recorded one
	if o.Title == "" {
		o.Title = def.Title
	}
	if o.Samples <= 0 {
		o.Samples = def.Samples
	}
	// report.json stores the options as JSON, which has no bytes that are
	// not UTF-8: render with what verify will read back.
	o.Title, o.CaseID = strings.ToValidUTF8(o.Title, "\uFFFD"), strings.ToValidUTF8(o.CaseID, "\uFFFD")
	// The running build renders, whatever options an earlier rendering
	// recorded.
	o.Build = buildinfo.Current()
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("report options: %w", err)
	}
	b, err := Load(dir)
	if err != nil {
		return nil, err
	}
	isReport := func(name string) bool { return strings.HasPrefix(name, evidence.ReportPrefix) }
	if err := evidence.CheckSeal(context.Background(), dir, isReport); err != nil {
		return nil, fmt.Errorf("%s was altered since it was sealed, and a report would seal it again: %w", dir, err)
	}
	// The report states the signature the bundle will carry.
	b.Signature = nil
	if sign != nil {
		b.Signature = &evidence.Signature{Algorithm: "ed25519", Signed: evidence.FileSums,
			PublicKey: base64.StdEncoding.EncodeToString(sign.Public().(ed25519.PublicKey))}
	}
	files, err := Files(b, o)
	if err != nil {
		return nil, err
	}
	// Reports from an earlier run with other formats would be stale.
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		if _, keep := files[e.Name()]; isReport(e.Name()) && !keep {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return nil, fmt.Errorf("remove the stale %s: %w", e.Name(), err)
			}
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
	return names, evidence.Seal(dir, sign)
}

// Check re-renders a bundle's report from its results and options and
// compares it with the files present, and refuses report files the
// options do not make (a report.pdf added to an HTML-only bundle, a report
// without report.json): every listed file whose name begins with
// evidence.ReportPrefix must be one of the rendering. An edited number in a
// report makes its bytes differ from the rendering of results.json, which
// verify has already re-derived. The files checked are those SHA256SUMS
// lists; evidence.Verify checks that the folder holds no others.
func Check(dir string) (string, error) {
	listed, err := evidence.ListedFiles(dir)
	if err != nil {
		return "", err
	}
	var reports []string
	for _, name := range listed {
		if strings.HasPrefix(name, evidence.ReportPrefix) {
			reports = append(reports, name)
		}
	}
	if !slices.Contains(reports, FileOptions) {
		if len(reports) > 0 {
			return "", fmt.Errorf("%s is in the bundle without %s, the options it would be made again from: it cannot be checked against results.json", strings.Join(reports, ", "), FileOptions)
		}
		return "no report in the bundle", nil
	}
	ob, err := evidence.ReadBundleFile(dir, FileOptions)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%s is listed in %s but missing from the bundle", FileOptions, evidence.FileSums)
	}
	if err != nil {
		return "", err
	}
	o, err := parseOptions(ob)
	if err != nil {
		return "", err
	}
	b, err := Load(dir)
	if err != nil {
		return "", err
	}
	files, err := Files(b, o)
	if err != nil {
		return "", err
	}
	for _, name := range reports {
		if _, ok := files[name]; !ok {
			return "", fmt.Errorf("%s is in the bundle, but the options in %s (formats %s) do not make it: it is no rendering of results.json", name, FileOptions, strings.Join(o.Formats, ", "))
		}
	}
	var names []string
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if !slices.Contains(reports, name) {
			return "", fmt.Errorf("%s, which the options in %s make, is not in %s", name, FileOptions, evidence.FileSums)
		}
		have, err := evidence.ReadBundleFile(dir, name)
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
