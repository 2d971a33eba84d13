package logscan

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"
)

// hostileNames are account names and items an adversary writes into the
// log: markup, attribute breakers, a bidi override, terminal and C0
// controls, a newline, an entity.
var hostileNames = []string{
	`<script>alert(1)</script>`,
	`"><svg onload=alert(1)>`,
	`' onmouseover='alert(1)`,
	"evil\u202egnp.exe",
	"\x1b]0;pwned\x07\x1b[2J",
	"nul\x00byte\r\nnext line",
	"&#x202e;&amp;",
	"</title></svg><img src=x>",
}

// hostileReport is a report of hostile account names, flagged, linked in
// one cluster by hostile items, with a page as a scan makes it.
func hostileReport() *Report {
	t0 := time.Date(2026, 11, 2, 3, 0, 0, 0, time.UTC)
	rep := &Report{Reference: ReferenceInfo{Note: "<b>note</b>\u202e"}}
	var links []Link
	for i, n := range hostileNames {
		rep.Accounts = append(rep.Accounts, AccountReport{Account: n, Requests: 5, First: t0, Last: t0.Add(30 * time.Hour),
			Verdict: Verdict{Score: float64(10 - i), Action: "suspend", Fired: []string{n}}, Cluster: 1,
			Samples: []string{n}, Templates: []string{n}})
		if i > 0 {
			links = append(links, Link{A: hostileNames[0], B: n, Kind: []string{LinkContent, LinkInfra, LinkSchedule, LinkBusiness, "<kind>"}[i%5], Item: n, Weight: 3})
		}
	}
	rep.Clusters = []ClusterReport{{ID: 1, Accounts: hostileNames, Links: hostileNames, LinkDetails: links, Verdict: Verdict{Score: 9, Action: "suspend", Fired: hostileNames}}}
	s := &Scanner{cfg: DefaultConfig(), accounts: map[string]*account{}, pageAccounts: DefaultPageAccounts}
	for _, n := range hostileNames {
		a := &account{}
		for h := range 30 {
			a.activity.add(t0.Add(time.Duration(h) * time.Hour))
		}
		s.accounts[n] = a
	}
	rep.page = s.pageData(rep, &reference{scores: dist{Sorted: []float64{0, 1, 2}, N: 3}})
	rep.page.replayed = true
	for i := range rep.page.flagged {
		rep.page.flagged[i].replay = []replayPoint{{bucket: 1, score: 4, action: "alert", fired: 1}, {bucket: 20, score: 9, action: "suspend", fired: 3}}
	}
	return rep
}

// TestPageEscapesLogText: nothing the log holds reaches the page as markup
// or as a raw control or bidi character, and every figure is well-formed
// XML.
func TestPageEscapesLogText(t *testing.T) {
	var buf bytes.Buffer
	if err := writeHTML(&buf, hostileReport()); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, bad := range []string{"<script", "<img", "<svg onload", "\u202e", "\x1b", "\x00", "\x07", "<b>note"} {
		if strings.Contains(page, bad) {
			t.Errorf("the page holds %q", bad)
		}
	}
	if tag := handlerTag(page); tag != "" {
		t.Errorf("a tag with an event handler: %q", tag)
	}
	for _, want := range []string{"&lt;script&gt;", `\u202e`, `\x1b`, "&amp;#x202e;"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks the escaped %q", want)
		}
	}
	figs := checkSVGs(t, page)
	for _, id := range []string{"fig-scores", "fig-activity-1", "fig-activity-8", "fig-cluster-1"} {
		if !figs[id] {
			t.Errorf("no figure %s (have %v)", id, figs)
		}
	}
}

// handlerTag returns a tag of the page with an on… attribute, if any.
func handlerTag(page string) string {
	for rest := page; ; {
		i := strings.IndexByte(rest, '<')
		if i < 0 {
			return ""
		}
		rest = rest[i+1:]
		j := strings.IndexAny(rest, "<>")
		if j < 0 {
			j = len(rest)
		}
		fields := strings.Fields(rest[:j])
		for k := 1; k < len(fields); k++ {
			if strings.HasPrefix(strings.ToLower(fields[k]), "on") {
				return rest[:j]
			}
		}
	}
}

func TestHandlerTag(t *testing.T) {
	for page, want := range map[string]string{
		`<svg onload=alert(1)>`:                  "svg onload=alert(1)",
		`<td>&lt;svg onload=x&gt; <b>x</b></td>`: "",
		`<rect x="1" ONCLICK="x"/>`:              `rect x="1" ONCLICK="x"/`,
		`a < b <> <`:                             "",
		`<text class="small">only text</text>`:   "",
	} {
		if got := handlerTag(page); got != want {
			t.Errorf("handlerTag(%q) = %q, want %q", page, got, want)
		}
	}
}

// figures are the page's <svg> elements.
func figures(page string) []string {
	var out []string
	for {
		i := strings.Index(page, "<svg ")
		if i < 0 {
			return out
		}
		j := strings.Index(page[i:], "</svg>")
		if j < 0 {
			return append(out, page[i:])
		}
		out = append(out, page[i:i+j+len("</svg>")])
		page = page[i+j:]
	}
}

// checkSVGs parses every figure of the page as XML and returns their ids.
func checkSVGs(t *testing.T, page string) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	for _, fig := range figures(page) {
		d := xml.NewDecoder(strings.NewReader(fig))
		d.Entity = xml.HTMLEntity
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("figure is not well-formed: %v\n%.300s", err, fig)
			}
			if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "svg" {
				for _, a := range se.Attr {
					if a.Name.Local == "id" {
						ids[a.Value] = true
					}
				}
			}
		}
	}
	return ids
}

func TestPageEdgeCases(t *testing.T) {
	t0 := time.Date(2026, 11, 2, 3, 0, 0, 0, time.UTC)
	one := &Report{Accounts: []AccountReport{{Account: "solo", Requests: 1, First: t0, Last: t0, Verdict: Verdict{Score: 9, Action: "suspend"}}}}
	// A Unix-time layout takes any number: times at the ends of int64.
	far := fuzzReport("far", "x")
	far.Accounts[0].First, far.Accounts[1].Last = time.Unix(-1<<62, 0), time.Unix(1<<62, 0)
	far.page.setGrid(far.Accounts)
	far.page.flagged[0].activity.add(far.Accounts[0].First)
	far.page.flagged[0].activity.add(far.Accounts[1].Last)
	far.page.flagged[0].replay = append(far.page.flagged[0].replay, replayPoint{bucket: far.page.buckets - 1, score: 9, action: "suspend", fired: 2})
	tests := []struct {
		name string
		rep  *Report
		want []string
	}{
		{"empty", &Report{}, []string{`id="fig-scores"`, "no accounts", "No account has an action"}},
		{"one account, no page", one, []string{`id="fig-activity-1"`, "thresholds are unknown", "Activity is not available", "solo"}},
		{"times across millennia", far, []string{`id="fig-activity-2"`, "first fired by"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := writeHTML(&buf, tt.rep); err != nil {
				t.Fatal(err)
			}
			checkSVGs(t, buf.String())
			for _, w := range tt.want {
				if !strings.Contains(buf.String(), w) {
					t.Errorf("page lacks %q", w)
				}
			}
		})
	}
}

// TestClusterGraphCap: a cluster of 300 is drawn as its 40 highest-scoring
// accounts, the rest counted, the same on every call.
func TestClusterGraphCap(t *testing.T) {
	c := &ClusterReport{ID: 7}
	score := map[string]float64{}
	for i := range 300 {
		n := fmt.Sprintf("head-%03d", i)
		c.Accounts = append(c.Accounts, n)
		score[n] = float64(i % 17)
		if i > 0 {
			c.LinkDetails = append(c.LinkDetails, Link{A: c.Accounts[i-1], B: n, Kind: LinkInfra, Item: "10.0.0.0/24", Weight: 2})
		}
	}
	svg, hiddenNodes, hiddenLinks := clusterGraphSVG("fig-cluster-7", c, score, nil)
	if hiddenNodes != 260 {
		t.Errorf("hidden accounts %d, want 260", hiddenNodes)
	}
	if n := strings.Count(svg, "<circle"); n != maxGraphNodes {
		t.Errorf("%d accounts drawn, want %d", n, maxGraphNodes)
	}
	drawn := strings.Count(svg, `class="link k-infrastructure"><title>`)
	if drawn+hiddenLinks != len(c.LinkDetails) {
		t.Errorf("%d links drawn and %d hidden of %d", drawn, hiddenLinks, len(c.LinkDetails))
	}
	again, _, _ := clusterGraphSVG("fig-cluster-7", c, score, nil)
	if again != svg {
		t.Error("the layout changed between two calls")
	}
	checkSVGs(t, svg)
}

// TestHourHist: the histogram depends on the times only (not their order),
// keeps every request, and stays within its cap however long the span.
func TestHourHist(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 30, 0, 0, time.UTC)
	tests := []struct {
		name      string
		hours     []int
		wantShift uint8
	}{
		{"one request", []int{0}, 0},
		{"a week hourly", seq(0, 168, 1), 0},
		{"a month hourly", seq(0, 720, 1), 2},
		{"a year, every 5 h", seq(0, 8760, 5), 6},
		{"before the first", []int{100, 50, 0, -3000}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in, shuffled hourHist
			for _, h := range tt.hours {
				in.add(t0.Add(time.Duration(h) * time.Hour))
			}
			perm := rand.New(rand.NewPCG(1, 2)).Perm(len(tt.hours))
			for _, i := range perm {
				shuffled.add(t0.Add(time.Duration(tt.hours[i]) * time.Hour))
			}
			if fmt.Sprint(in) != fmt.Sprint(shuffled) {
				t.Errorf("order matters: %v vs %v", in, shuffled)
			}
			if len(in.buckets) > maxHourBuckets || in.shift != tt.wantShift {
				t.Errorf("%d buckets of 2^%d h, want 2^%d", len(in.buckets), in.shift, tt.wantShift)
			}
			total := 0
			for _, c := range in.at(0, t0.Add(-4000*time.Hour), 200) {
				total += c
			}
			if total != len(tt.hours) {
				t.Errorf("rebinned total %d, want %d", total, len(tt.hours))
			}
		})
	}
}

func seq(from, to, step int) []int {
	var out []int
	for i := from; i < to; i += step {
		out = append(out, i)
	}
	return out
}

func TestTailMarks(t *testing.T) {
	scores := make([]float64, 2000)
	for i := range scores {
		scores[i] = float64(i) / 100
	}
	marks := tailMarks(dist{Sorted: scores, N: len(scores)}, DefaultConfig().Actions)
	if len(marks) != 3 {
		t.Fatalf("marks %+v", marks)
	}
	for _, m := range marks {
		if q := (dist{Sorted: scores, N: len(scores)}).tail(m.score, nil); q > m.limit && !m.above {
			t.Errorf("%s: tail at %.2f is %g, above its limit %g", m.action, m.score, q, m.limit)
		}
	}
	if small := tailMarks(dist{Sorted: scores[:400], N: 400}, DefaultConfig().Actions); len(small) != 1 {
		t.Errorf("400 reference accounts resolve the 1%% limit only: %+v", small)
	}
}

// FuzzPageEscapes: whatever an account name or a link item holds, the
// figures stay well-formed XML and the page carries no tag with a handler,
// no raw control or bidi character from it.
func FuzzPageEscapes(f *testing.F) {
	for _, n := range hostileNames {
		f.Add(n, n)
	}
	f.Add("\xff\xfe", "]]><![CDATA[")
	f.Fuzz(func(t *testing.T, name, item string) {
		rep := fuzzReport(name, item)
		var buf bytes.Buffer
		if err := writeHTML(&buf, rep); err != nil {
			t.Fatal(err)
		}
		page := buf.String()
		checkSVGs(t, page)
		if tag := handlerTag(page); tag != "" {
			t.Fatalf("a tag with an event handler: %q", tag)
		}
		for _, r := range page {
			if (r < 0x20 && r != '\n') || (r >= 0x7f && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
				t.Fatalf("raw %U on the page", r)
			}
		}
	})
}

// fuzzReport is a small report of two flagged, linked accounts, one named
// name, linked by item, with a replayed page.
func fuzzReport(name, item string) *Report {
	t0 := time.Date(2026, 11, 2, 3, 0, 0, 0, time.UTC)
	names := []string{name, "other"}
	rep := &Report{Clusters: []ClusterReport{{ID: 1, Accounts: names, Links: []string{item}, Verdict: Verdict{Score: 9, Action: "suspend", Fired: []string{item}},
		LinkDetails: []Link{{A: name, B: "other", Kind: LinkContent, Item: item, Weight: 3}}}}}
	for i, n := range names {
		rep.Accounts = append(rep.Accounts, AccountReport{Account: n, Requests: 2, First: t0, Last: t0.Add(5 * time.Hour),
			Verdict: Verdict{Score: float64(9 - i), Action: "suspend", Fired: []string{item}}, Cluster: 1, Samples: []string{item}, Templates: []string{item}})
	}
	rep.page = &pageData{scanned: true, replayed: true, tails: []tailMark{{action: "alert", limit: 0.01, score: 4}}}
	rep.page.setGrid(rep.Accounts)
	rep.page.flagged, _ = selectFlagged(rep, DefaultPageAccounts)
	for i := range rep.page.flagged {
		rep.page.flagged[i].activity.add(t0)
		rep.page.flagged[i].replay = []replayPoint{{bucket: 0, score: 9, action: "suspend", fired: 1}}
	}
	return rep
}

// TestPageNamesAndAnchors: a name made to look like another's (an
// invisible character) shows its escape; a 100,000-rune name is clipped
// on the page (the CSVs keep it); log text is isolated (<bdi>); every
// link within the page has its target, also for a cluster beyond the
// graphs drawn; a large cluster's nodes carry numbers, named in a key.
func TestPageNamesAndAnchors(t *testing.T) {
	rep := hostileReport()
	long := strings.Repeat("<", 100000)
	rep.Accounts[1].Account = "user-0001\u200b"
	rep.Accounts[2].Account = long
	for i := range maxClusterGraphs + 2 {
		id := 100 + i
		rep.Clusters = append(rep.Clusters, ClusterReport{ID: id, Accounts: []string{"x", "y"}, Verdict: Verdict{Score: 1, Action: "alert"}})
	}
	rep.Accounts[0].Cluster = 100 + maxClusterGraphs + 1 // no graph
	var buf bytes.Buffer
	if err := writeHTML(&buf, rep); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	if !strings.Contains(page, `user-0001\u200b`) || strings.Contains(page, "\u200b") {
		t.Error("the zero-width space is not shown as an escape")
	}
	if strings.Contains(page, strings.Repeat("&lt;", maxLogText+1)) || len(page) > 2<<20 {
		t.Errorf("a long name is not clipped (page %d bytes)", len(page))
	}
	if !strings.Contains(page, "<bdi>") {
		t.Error("log text is not isolated in <bdi>")
	}
	ids := map[string]bool{}
	for _, m := range regexp.MustCompile(`id="([^"]+)"`).FindAllStringSubmatch(page, -1) {
		ids[m[1]] = true
	}
	for _, m := range regexp.MustCompile(`href="#([^"]+)"`).FindAllStringSubmatch(page, -1) {
		if !ids[m[1]] {
			t.Errorf("link to #%s, which the page does not hold", m[1])
		}
	}
	c := &ClusterReport{ID: 7}
	for i := range maxNamedNodes + 1 {
		c.Accounts = append(c.Accounts, fmt.Sprintf("a-rather-long-account-name-%02d", i))
	}
	svg, _, _ := clusterGraphSVG("fig-cluster-7", c, nil, nil)
	for _, m := range regexp.MustCompile(`<text[^>]*>([^<]*)</text>`).FindAllStringSubmatch(svg, -1) {
		if strings.Contains(m[1], "a-rather-long") {
			t.Errorf("a graph of more than maxNamedNodes accounts labels a node %q", m[1])
		}
	}
}
