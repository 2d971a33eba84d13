package serve

import (
	"testing"
	"time"
)

func TestRepeatWindow(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	hour := repeatWindow(time.Hour)
	if i := hour.index(at("1970-01-01T00:59:59Z")); i != 0 {
		t.Errorf("index of the first hour %d", i)
	}
	if i := hour.index(at("1969-12-31T23:30:00Z")); i != -1 {
		t.Errorf("index before the epoch %d, want -1 (floor)", i)
	}
	if i := hour.index(at("2030-01-07T10:00:00Z")); !hour.start(i).Equal(at("2030-01-07T10:00:00Z")) || hour.index(at("2030-01-07T09:59:59.999999999Z")) != i-1 {
		t.Errorf("a boundary starts its window")
	}
	tests := []struct {
		w                        repeatWindow
		decided, notBefore, want string
	}{
		{hour, "2030-01-07T09:10:00Z", "", "2030-01-07T10:00:00Z"},
		{hour, "2030-01-07T09:58:59Z", "", "2030-01-07T10:00:00Z"},
		{hour, "2030-01-07T09:59:00Z", "", "2030-01-07T11:00:00Z"}, // in the margin: the next one
		{hour, "2030-01-07T10:00:00Z", "", "2030-01-07T11:00:00Z"}, // on a boundary: strictly after
		{hour, "2030-01-07T09:10:00Z", "2030-01-07T12:00:00Z", "2030-01-07T12:00:00Z"},
		{repeatWindow(10 * time.Minute), "2030-01-07T09:10:00Z", "2030-01-07T11:00:00Z", "2030-01-07T11:00:00Z"},
		{hour, "2030-01-07T09:10:00Z", "2030-01-07T11:20:00Z", "2030-01-07T12:00:00Z"},  // a pending switch of an older window
		{repeatWindow(time.Minute), "2030-01-07T09:10:44Z", "", "2030-01-07T09:11:00Z"}, // margin a quarter window
		{repeatWindow(time.Minute), "2030-01-07T09:10:46Z", "", "2030-01-07T09:12:00Z"},
	}
	for _, tc := range tests {
		var nb time.Time
		if tc.notBefore != "" {
			nb = at(tc.notBefore)
		}
		if got := tc.w.switchAt(at(tc.decided), nb); !got.Equal(at(tc.want)) {
			t.Errorf("window %s, decided %s, not before %q: %s, want %s", time.Duration(tc.w), tc.decided, tc.notBefore, got, tc.want)
		}
	}
}

// TestCaseTimeline: a request sees the switch in effect at its time,
// pending ones in ledger order (an opening and a closing at the same
// boundary leave the last decided), and a fold at a decision keeps what
// times from the decision on see.
func TestCaseTimeline(t *testing.T) {
	t0 := time.Date(2030, 1, 7, 9, 0, 0, 0, time.UTC)
	a, b := &caseServing{id: "a"}, &caseServing{id: "b"}
	var tl *caseTimeline
	tl = tl.then(t0, caseSwitch{from: t0.Add(time.Hour), serving: a})
	tl = tl.then(t0, caseSwitch{from: t0.Add(time.Hour), serving: nil}) // closed in the same window
	tl = tl.then(t0, caseSwitch{from: t0.Add(time.Hour), serving: b})
	check := func(tl *caseTimeline, at time.Duration, want *caseServing) {
		t.Helper()
		if got := tl.at(t0.Add(at)); got != want {
			t.Errorf("at +%s: %v, want %v", at, got, want)
		}
	}
	check(tl, 0, nil)
	check(tl, 59*time.Minute, nil)
	check(tl, time.Hour, b)
	folded := tl.then(t0.Add(90*time.Minute), caseSwitch{from: t0.Add(2 * time.Hour), serving: nil})
	if len(folded.pending) != 1 || folded.base != b || len(tl.pending) != 3 {
		t.Errorf("after folding at +90m: base %v, %d pending; the old timeline has %d", folded.base, len(folded.pending), len(tl.pending))
	}
	check(folded, 90*time.Minute, b)
	check(folded, 2*time.Hour, nil)
	check((*caseTimeline)(nil), 0, nil)
}
