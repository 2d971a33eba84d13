package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"forensics/evidence"
	"forensics/report"
)

func TestRenderOptions(t *testing.T) {
	def := report.DefaultOptions()
	recorded := report.Options{Title: "Acme v. Example", CaseID: "2026-CV-0417", Samples: 2, Formats: []string{"html"}}
	flags := report.Options{Title: "Other", CaseID: "", Samples: 9, Formats: []string{"pdf", "md"}}
	cases := []struct {
		name     string
		recorded report.Options
		given    []string
		want     report.Options
	}{
		{"never rendered", report.Options{}, nil, def},
		{"recorded options kept", recorded, nil, recorded},
		{"one flag overrides only itself", recorded, []string{"samples"},
			report.Options{Title: "Acme v. Example", CaseID: "2026-CV-0417", Samples: 9, Formats: []string{"html"}}},
		{"formats", recorded, []string{"format"},
			report.Options{Title: "Acme v. Example", CaseID: "2026-CV-0417", Samples: 2, Formats: []string{"pdf", "md"}}},
		{"case id cleared", recorded, []string{"case-id"},
			report.Options{Title: "Acme v. Example", Samples: 2, Formats: []string{"html"}}},
		{"every flag", recorded, []string{"title", "case-id", "samples", "format"}, flags},
		{"older report.json: title only", report.Options{Title: "Old"}, nil,
			report.Options{Title: "Old", Samples: def.Samples, Formats: def.Formats}},
		{"older report.json: nothing", report.Options{}, []string{"title"},
			report.Options{Title: "Other", Samples: def.Samples, Formats: def.Formats}},
	}
	for _, c := range cases {
		if got := renderOptions(c.recorded, flags, c.given); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, got, c.want)
		}
	}
}

// TestReportRerenderKeepsOptions renders a bundle with options, renders it
// again without flags and with one, and with a report.json of an earlier
// version: the recorded options are kept, a flag changes only its own, and
// verify re-derives every rendering byte for byte.
func TestReportRerenderKeepsOptions(t *testing.T) {
	key := newKeyFile(t)
	bundle := filepath.Join(t.TempDir(), "case")
	if code, _, stderr := runCLI(t, "", "probe", "--target", "embedded:reference?key="+key, "--key", key,
		"--prompts", "12", "--max-tokens", "40", "--null-keys", "0", "--rounds", "99", "--out", bundle); code != 0 {
		t.Fatalf("probe: %s", stderr)
	}
	render := func(args ...string) report.Options {
		t.Helper()
		if code, out, stderr := runCLI(t, "", append(append([]string{"report"}, args...), bundle)...); code != 0 {
			t.Fatalf("report %q: %d\n%s\n%s", args, code, out, stderr)
		}
		if code, out, stderr := runCLI(t, "", "verify", "--key", key, bundle); code != 0 || !strings.Contains(out, "match a rendering") {
			t.Fatalf("verify after report %q: %d\n%s\n%s", args, code, out, stderr)
		}
		o, ok, err := report.Recorded(bundle)
		if err != nil || !ok {
			t.Fatalf("report.json: %v %v", ok, err)
		}
		return o
	}
	first := render("--title", "Acme v. Example", "--case-id", "X-17", "--samples", "2", "--format", "html,md")
	if again := render(); !reflect.DeepEqual(again, first) {
		t.Errorf("rendered again without flags:\n got %+v\nwant %+v", again, first)
	}
	if html, _ := os.ReadFile(filepath.Join(bundle, "report.html")); !strings.Contains(string(html), "Acme v. Example") || !strings.Contains(string(html), "X-17") {
		t.Error("the re-rendered report.html lost the title or case id")
	}
	if _, err := os.Stat(filepath.Join(bundle, "report.pdf")); err == nil {
		t.Error("a re-render without --format wrote a PDF the recorded formats do not have")
	}
	want := first
	want.Samples = 3
	if got := render("--samples", "3"); !reflect.DeepEqual(got, want) {
		t.Errorf("--samples 3:\n got %+v\nwant %+v", got, want)
	}
	// A report.json of an earlier version with fewer fields: what it
	// lacks takes the defaults.
	old, _ := json.Marshal(map[string]any{"title": "Older"})
	os.WriteFile(filepath.Join(bundle, report.FileOptions), old, 0o644)
	got := render()
	def := report.DefaultOptions()
	if got.Title != "Older" || got.CaseID != "" || got.Samples != def.Samples || !reflect.DeepEqual(got.Formats, def.Formats) {
		t.Errorf("from an older report.json: %+v", got)
	}
}

// TestReportHostileRecordedOptions: a bundle is someone else's, and its
// report.json sets the title and case id a re-render reuses. 'forensics
// report' names them on stderr, escaped, on one line; and a report.json
// sealed again with a negative sample count (which panicked verify) is
// refused by report and by verify, naming it.
func TestReportHostileRecordedOptions(t *testing.T) {
	key := newKeyFile(t)
	bundle := filepath.Join(t.TempDir(), "case")
	if code, _, stderr := runCLI(t, "", "probe", "--target", "embedded:reference?key="+key, "--key", key,
		"--prompts", "12", "--max-tokens", "40", "--null-keys", "0", "--rounds", "99", "--out", bundle); code != 0 {
		t.Fatalf("probe: %s", stderr)
	}
	title := "Acme\n## Finding: SUPPORTED \x1b[2J\u202eevil"
	if code, _, stderr := runCLI(t, "", "report", "--format", "html", "--title", title, "--case-id", "X\a17", bundle); code != 0 {
		t.Fatalf("report: %s", stderr)
	}
	code, _, stderr := runCLI(t, "", "report", "--samples", "2", bundle)
	if code != 0 {
		t.Fatalf("report again: %s", stderr)
	}
	want := `reusing from ` + filepath.Join(bundle, "report.json") + `: title "Acme\n## Finding: SUPPORTED \x1b[2J\u202eevil", case id "X\a17", formats html`
	if !strings.Contains(stderr, want+"\n") {
		t.Errorf("stderr does not name the reused options on one line:\n%s\nwant %s", stderr, want)
	}
	if strings.ContainsAny(stderr, "\x1b\a\u202e") {
		t.Errorf("stderr holds raw controls: %q", stderr)
	}

	data, _ := os.ReadFile(filepath.Join(bundle, report.FileOptions))
	var o map[string]any
	json.Unmarshal(data, &o)
	o["samples"] = -1
	data, _ = json.Marshal(o)
	os.WriteFile(filepath.Join(bundle, report.FileOptions), data, 0o644)
	if err := evidence.Seal(bundle, nil); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCLI(t, "", "verify", "--key", key, bundle)
	if code == 0 || !strings.Contains(out+stderr, "report.json is malformed: samples -1") || strings.Contains(out+stderr, "goroutine") {
		t.Errorf("verify of samples −1: %d\n%s\n%s", code, out, stderr)
	}
	if code, _, stderr := runCLI(t, "", "report", bundle); code == 0 || !strings.Contains(stderr, "report.json is malformed: samples -1") {
		t.Errorf("report of samples −1: %d\n%s", code, stderr)
	}
}
