package logscan

import (
	"testing"
	"time"
)

// TestTickLabelsYear: dates name their year when the span crosses one or
// is over 300 days, not otherwise.
func TestTickLabelsYear(t *testing.T) {
	at := func(s string) int64 {
		tm, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.Unix()
	}
	tests := []struct {
		from, to string
		step     int64
		want     string
	}{
		{"2026-03-01", "2026-03-08", 86400, "Mar 1"},
		{"2026-12-30", "2027-01-02", 86400, "Dec 30 2026"},
		{"2026-01-01", "2026-12-01", 14 * 86400, "Jan 1 2026"},
		{"2026-03-01", "2026-03-02", 3600, "Mar 1"},
		{"2026-12-31", "2027-01-01", 3600, "Dec 31"}, // ends at the new year's midnight: within one year
	}
	for _, tt := range tests {
		from, to := at(tt.from), at(tt.to)
		label, _ := tickLabel(from, tt.step, withYear(from, to))
		if tt.step < 86400 {
			_, label = tickLabel(from+tt.step, tt.step, withYear(from, to))
		}
		if label != tt.want {
			t.Errorf("%s to %s: %q, want %q", tt.from, tt.to, label, tt.want)
		}
	}
}
