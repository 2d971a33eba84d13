package evidence

import (
	"testing"

	"forensics/probe"
)

func TestFirstDifferenceTolerance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{`{"x":1.0000000000001}`, `{"x":1}`, true},
		{`{"x":1.000001}`, `{"x":1}`, false},
		{`{"x":[1,2]}`, `{"x":[1,2,3]}`, false},
		{`{"s":"a"}`, `{"s":"b"}`, false},
		{`{"x":0}`, `{"x":0}`, true},
	} {
		if got := firstDifference([]byte(c.a), []byte(c.b)); (got == "") != c.same {
			t.Errorf("%s vs %s: %q", c.a, c.b, got)
		}
	}
}

// TestSameArchives: verify --request-log must be given the logs the probe
// searched: archives byte for byte, the live file no shorter.
func TestSameArchives(t *testing.T) {
	rec := &probe.RelayLogCheck{Files: []probe.LogFileRef{{Name: "requests.jsonl.1.gz", SHA256: "aa", Bytes: 10}, {Name: "requests.jsonl", SHA256: "bb", Bytes: 20}}}
	live := []string{"/var/log/gw/requests.jsonl"}
	for _, c := range []struct {
		name string
		now  []probe.LogFileRef
		ok   bool
	}{
		{"the same", rec.Files, true},
		{"live file grew", []probe.LogFileRef{rec.Files[0], {Name: "requests.jsonl", SHA256: "cc", Bytes: 30}}, true},
		{"archive changed", []probe.LogFileRef{{Name: "requests.jsonl.1.gz", SHA256: "dd", Bytes: 10}, rec.Files[1]}, false},
		{"archive missing", rec.Files[1:], false},
		{"live file shorter", []probe.LogFileRef{rec.Files[0], {Name: "requests.jsonl", SHA256: "cc", Bytes: 5}}, false},
	} {
		if err := sameArchives(rec, &probe.RelayLogCheck{Files: c.now}, live); (err == nil) != c.ok {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
