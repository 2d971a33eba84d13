package e2e

import (
	"strings"
	"testing"
)

// TestParseResultLines: the Node scripts' result lines are read, what the
// client libraries print themselves is skipped, and a line that looks
// like a result but is not one is reported (it becomes a red row).
func TestParseResultLines(t *testing.T) {
	ok := `{"client":"openai-node","call":"models.list","ok":true,"status":200,"detail":"1 models","requests":[{"method":"GET","path":"/v1/models","status":200,"id":"ab"}]}`
	failed := `{"client":"ollama-js","call":"ps","ok":false,"status":404,"detail":"ResponseError"}`
	cases := []struct {
		name    string
		out     string
		calls   []string
		bad     string
		okFirst bool
	}{
		{"results", ok + "\n" + failed + "\n", []string{"models.list", "ps"}, "", true},
		{"library chatter skipped", "Getting text from response\n" + ok + "\n\n", []string{"models.list"}, "", true},
		{"a broken result line", ok + "\n{\"client\":\"x\"\n" + failed, []string{"models.list"}, `{"client":"x"`, true},
		{"a result without a call", `{"client":"x","ok":true}`, nil, `{"client":"x","ok":true}`, false},
		{"nothing", "", nil, "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rows, bad := parseResultLines(c.out)
			var calls []string
			for _, r := range rows {
				calls = append(calls, r.Call)
			}
			if strings.Join(calls, ",") != strings.Join(c.calls, ",") || bad != c.bad {
				t.Fatalf("calls %v bad %q, want %v %q", calls, bad, c.calls, c.bad)
			}
			if c.okFirst && (!rows[0].OK || rows[0].Status != 200 || len(rows[0].Requests) != 1 || rows[0].Requests[0].ID != "ab") {
				t.Fatalf("first row %+v", rows[0])
			}
		})
	}
}

// TestClientTable: every row is one line, a red row says FAIL, pipes in
// details do not break the table, and the count of green rows is right.
func TestClientTable(t *testing.T) {
	table := clientTable([]clientResult{
		{Client: "raw HTTP", Call: "HEAD /", OK: true, Status: 200},
		{Client: "openai-node", Call: "tools", Status: 200, Detail: "a|b\nc"},
	})
	for _, want := range []string{"| raw HTTP | HEAD / | ok 200:  |", `| openai-node | tools | FAIL 200: a\|b c |`, "1 of 2 rows green"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
}
