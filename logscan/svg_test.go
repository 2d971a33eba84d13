package logscan

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"regexp"
	"sort"
	"strconv"
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
	far.Accounts[0].Last = far.Accounts[1].Last
	far.page.flagged[0].activity.add(far.Accounts[0].First)
	far.page.flagged[0].activity.add(far.Accounts[1].Last)
	far.page.setGrids(far.Accounts)
	far.page.flagged[0].replay = append(far.page.flagged[0].replay, replayPoint{bucket: far.page.flagged[0].grid.buckets - 1, score: 9, action: "suspend", fired: 2})
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

// TestTimeHist: the histogram depends on the times only (not their
// order), is the finest ladder level at which the times' buckets fit the
// cap, keeps every request, and stays within its cap however long the span
// or wherever the times.
func TestTimeHist(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 30, 7, 0, time.UTC).Unix()
	far := int64(1) << 62
	tests := []struct {
		name      string
		secs      []int64
		wantWidth int64
	}{
		{"one request", []int64{t0}, 1},
		{"a minute, every second", seqFrom(t0, 61, 1), 1},
		{"ten minutes, every second", seqFrom(t0, 600, 1), 5},
		{"an hour, every 2 s", seqFrom(t0, 1800, 2), 30},
		{"a week hourly (sparse)", seqFrom(t0, 168, 3600), 1},
		{"a month hourly", seqFrom(t0, 720, 3600), 4 * 3600},
		{"a year, every 5 h", seqFrom(t0, 1752, 5*3600), 2 * 86400},
		{"before 1970", seqFrom(-86400*365-3, 300, 7), 15},
		{"across 1970", seqFrom(-150, 300, 1), 5},
		{"int64's ends (offsets past an int32)", []int64{-far, far, -far, far, 0}, 2 * 3600},
		{"two requests 60 years apart", []int64{t0, t0 + 60*365*86400}, 1},
		{"two requests 100 years apart (offsets past an int32)", []int64{t0 + 100*365*86400, t0}, 5},
		{"spread over millennia", seqFrom(-maxUnixSec, 400, maxUnixSec/200), ladderWidth(levelFor(-maxUnixSec, maxUnixSec, maxHistBuckets, 0))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in timeHist
			for _, s := range tt.secs {
				in.add(time.Unix(s, 0))
			}
			for seed := range uint64(3) {
				var shuffled timeHist
				for _, i := range rand.New(rand.NewPCG(seed, 2)).Perm(len(tt.secs)) {
					shuffled.add(time.Unix(tt.secs[i], 0))
				}
				if fmt.Sprint(in) != fmt.Sprint(shuffled) {
					t.Fatalf("order matters: %v vs %v", in, shuffled)
				}
			}
			if w := ladderWidth(in.level); w != tt.wantWidth {
				t.Errorf("width %d s, want %d s", w, tt.wantWidth)
			}
			if len(in.buckets) > maxHistBuckets {
				t.Errorf("%d buckets, over the cap", len(in.buckets))
			}
			if got, want := fmt.Sprint(absolute(in)), fmt.Sprint(binAt(tt.secs, in.level)); got != want {
				t.Errorf("buckets %s, binned directly %s", got, want)
			}
			if in.level > 0 && fitsHist(binAt(tt.secs, in.level-1)) {
				t.Errorf("level %d is not the finest that fits", in.level)
			}
			total := 0
			for _, c := range in.at(in.level, -maxUnixSec, 3) {
				total += c
			}
			if total != len(tt.secs) {
				t.Errorf("rebinned total %d, want %d", total, len(tt.secs))
			}
		})
	}
}

// indexed is a bucket by its absolute index.
type indexed struct {
	idx int64
	n   uint32
}

// binAt bins times (clamped as the page does) at a level, sorted.
func binAt(secs []int64, level uint8) []indexed {
	m := map[int64]uint32{}
	for _, s := range secs {
		m[bucketOf(min(max(s, -maxUnixSec), maxUnixSec), level)]++
	}
	var out []indexed
	for idx, n := range m {
		out = append(out, indexed{idx, n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].idx < out[j].idx })
	return out
}

// absolute is a histogram's buckets by absolute index.
func absolute(h timeHist) []indexed {
	var out []indexed
	for _, b := range h.buckets {
		out = append(out, indexed{h.base + int64(b.off), b.n})
	}
	return out
}

// fitsHist is whether buckets fit a histogram: the cap, and offsets
// within an int32.
func fitsHist(b []indexed) bool {
	return len(b) <= maxHistBuckets && b[len(b)-1].idx-b[0].idx <= maxOffset
}

func seqFrom(from int64, n int, step int64) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = from + int64(i)*step
	}
	return out
}

// TestLadder: every width is a multiple of the one before (so coarsening
// is a division of the index), the top holds any time, the grid is the
// finest width giving at most the cap over a span, and the axis names
// the width.
func TestLadder(t *testing.T) {
	for l := uint8(1); l <= maxLevel; l++ {
		if a, b := ladderWidth(l-1), ladderWidth(l); b <= a || b%a != 0 {
			t.Errorf("level %d: width %d after %d", l, b, a)
		}
	}
	if ladderWidth(maxLevel) < 2*maxUnixSec {
		t.Errorf("the top width %d does not hold ±%d", ladderWidth(maxLevel), int64(maxUnixSec))
	}
	t0 := time.Date(2026, 11, 27, 12, 47, 10, 0, time.UTC).Unix()
	tests := []struct {
		name     string
		from, to int64
		width    int64
		text     string
	}{
		{"one request", t0, t0, 1, "second"},
		{"a minute", t0, t0 + 60, 1, "second"},
		{"ten minutes", t0, t0 + 600, 5, "5 s"},
		{"an hour", t0, t0 + 3600, 30, "30 s"},
		{"three hours", t0, t0 + 3*3600, 60, "minute"},
		{"a day", t0, t0 + 86400, 15 * 60, "15 min"},
		{"five days", t0, t0 + 5*86400, 3600, "hour"},
		{"a month", t0, t0 + 30*86400, 4 * 3600, "4 h"},
		{"a year", t0, t0 + 365*86400, 2 * 86400, "2 days"},
		{"int64's ends, clamped", -maxUnixSec, maxUnixSec, 86400 << 20, "1048576 days"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := levelFor(tt.from, tt.to, maxHistBuckets, 0)
			if w := ladderWidth(l); w != tt.width || widthText(l) != tt.text {
				t.Errorf("width %d s (%q), want %d s (%q)", w, widthText(l), tt.width, tt.text)
			}
			if n := bucketOf(tt.to, l) - bucketOf(tt.from, l) + 1; n > maxHistBuckets {
				t.Errorf("%d buckets", n)
			}
			if l > 0 && bucketOf(tt.to, l-1)-bucketOf(tt.from, l-1)+1 <= maxHistBuckets {
				t.Errorf("level %d is not the finest that fits", l)
			}
		})
	}
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
	rep.page.flagged, _ = selectFlagged(rep, DefaultPageAccounts)
	rep.page.setGrids(rep.Accounts)
	for i := range rep.page.flagged {
		rep.page.flagged[i].activity.add(t0)
		rep.page.flagged[i].replay = []replayPoint{{bucket: 0, score: 9, action: "suspend", fired: 1}}
	}
	return rep
}

// TestReplayStripsAbut: the judgements' strips share their edges as
// written (each width rounded on its own left hairline seams), and a run
// of judgements that found an indicator is one rectangle.
func TestReplayStripsAbut(t *testing.T) {
	rep := fuzzReport("a", "b")
	p := rep.page
	f := &p.flagged[0]
	f.replay = nil
	for k := range f.grid.buckets {
		f.replay = append(f.replay, replayPoint{bucket: k, score: float64(k), action: []string{"alert", "throttle"}[k%2], fired: 1})
	}
	svg := activitySVG("fig", p, "a", f)
	strips := regexp.MustCompile(`<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)" height="[\d.]+" class="act-\w+ strip"`).FindAllStringSubmatch(svg, -1)
	if len(strips) != f.grid.buckets {
		t.Fatalf("%d strips for %d judgements", len(strips), f.grid.buckets)
	}
	for i := 1; i < len(strips); i++ {
		x0, _ := strconv.ParseFloat(strips[i-1][1], 64)
		w0, _ := strconv.ParseFloat(strips[i-1][2], 64)
		x1, _ := strconv.ParseFloat(strips[i][1], 64)
		if math.Abs(x0+w0-x1) > 0.01 {
			t.Errorf("strip %d ends at %.2f, the next starts at %.2f", i-1, x0+w0, x1)
		}
	}
	if n := strings.Count(svg, `class="fired"`); n != 1 {
		t.Errorf("%d rectangles for one run of firing", n)
	}
	// Each judgement covers the bucket it judged: the last one, in the
	// grid's last bucket, is a bucket wide, not a hairline.
	bucketW := float64(actW-actLeft-actRight) / float64(f.grid.buckets)
	if w, _ := strconv.ParseFloat(strips[len(strips)-1][2], 64); w < bucketW-0.5 {
		t.Errorf("the last judgement is %.1f px wide, a bucket %.1f px", w, bucketW)
	}
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
