package logscan

import (
	"fmt"
	"html"
	"html/template"
	"io"
	"strings"
)

// maxClusterGraphs is how many clusters (the highest-scoring) get a graph.
const maxClusterGraphs = 20

// htmlView is what the page's template reads.
type htmlView struct {
	Rep              *Report
	Accounts         Counts // by each account's own action
	Clusters         Counts
	FlaggedTotal     int // accounts with an action of their own or through their cluster
	Flagged          []flaggedView
	MoreFlagged      int
	ScoreFigure      template.HTML
	Thresholds       bool
	Tails            []string
	Scanned          bool
	Replayed         bool
	ReplaySkipped    string // why the replay read nothing
	ClusterGraphs    []clusterView
	MoreClusterPlots int
}

// flaggedView is one detailed account.
type flaggedView struct {
	N       int
	Account *AccountReport
	Action  string  // the more severe of its own and its cluster's
	Score   float64 // the larger of its own and its cluster's
	Figure  template.HTML
	// Width is its bars' width; OutOfOrder and ReplayDropped its
	// replay's notes.
	Width         string
	OutOfOrder    int
	ReplayDropped string
}

// clusterView is one cluster's graph.
type clusterView struct {
	Cluster     *ClusterReport
	Figure      template.HTML
	Key         []string // the drawn accounts, by node number
	HiddenNodes int
	HiddenLinks int
}

// writeHTML writes report.html.
func writeHTML(w io.Writer, rep *Report) error {
	return reportHTML.Execute(w, newHTMLView(rep))
}

// newHTMLView draws the figures. The SVG is ours, built with every log
// text escaped (svg.go), hence template.HTML.
func newHTMLView(rep *Report) *htmlView {
	p := rep.page
	if p == nil {
		p = &pageData{}
		p.flagged, p.moreFlagged = selectFlagged(rep, DefaultPageAccounts)
		p.setGrids(rep.Accounts)
	}
	v := &htmlView{Rep: rep, Scanned: p.scanned, Replayed: p.replayed, ReplaySkipped: p.replaySkipped, Thresholds: p.actions != nil,
		MoreFlagged: p.moreFlagged, FlaggedTotal: len(p.flagged) + p.moreFlagged}
	scores := make([]float64, len(rep.Accounts))
	score, action := make(map[string]float64, len(rep.Accounts)), make(map[string]string, len(rep.Accounts))
	for i, a := range rep.Accounts {
		scores[i] = a.Score
		score[a.Account], action[a.Account] = a.Score, a.Action
		v.Accounts.add(a.Action)
	}
	v.ScoreFigure = template.HTML(scoreHistogramSVG(scores, p.actions, p.tails))
	for _, m := range p.tails {
		v.Tails = append(v.Tails, tailText(m))
	}
	for i := range p.flagged {
		f := &p.flagged[i]
		a := &rep.Accounts[f.index]
		v.Flagged = append(v.Flagged, flaggedView{N: i + 1, Account: a, Action: f.action, Score: f.score,
			Figure:     template.HTML(activitySVG(fmt.Sprintf("fig-activity-%d", i+1), p, a.Account, f)),
			Width:      widthText(max(f.grid.level, f.activity.level)),
			OutOfOrder: f.outOfOrder, ReplayDropped: f.replayDropped})
	}
	for i := range rep.Clusters {
		c := &rep.Clusters[i]
		v.Clusters.add(c.Action)
		if i >= maxClusterGraphs {
			v.MoreClusterPlots++
			continue
		}
		fig, hn, hl := clusterGraphSVG(fmt.Sprintf("fig-cluster-%d", c.ID), c, score, action)
		v.ClusterGraphs = append(v.ClusterGraphs, clusterView{Cluster: c, Figure: template.HTML(fig), Key: graphNodes(c, score), HiddenNodes: hn, HiddenLinks: hl})
	}
	return v
}

// tailPct shows a reference tail as a percentage, small ones to two
// significant digits.
func tailPct(q float64) string {
	if q >= 0.1 {
		return fmt.Sprintf("%.0f%%", 100*q)
	}
	return fmt.Sprintf("%.2g%%", 100*q)
}

// reportHTML is a self-contained page (no scripts, no fetches; figures
// are inline SVG). Text from the log goes through safe, text or join
// (logText).
var reportHTML = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct":   tailPct,
	"join":  func(s []string, sep string) template.HTML { return logText(strings.Join(s, sep), maxLogText) },
	"safe":  func(s string) template.HTML { return logText(s, maxLogName) },
	"text":  func(s string) template.HTML { return logText(s, maxLogText) },
	"first": func(s []string, n int) []string { return s[:min(n, len(s))] },
}).Parse(reportTemplate))

// The page clips log text (the CSVs hold it whole): a name at
// maxLogName runes, other text at maxLogText. A 15 MB account name made a
// 500 MB page no browser would open, and a long name pushed the action
// column off the printed page.
const (
	maxLogName = 48
	maxLogText = 600
)

// logText is log text as the page shows it: control and invisible
// characters escaped (termsafe.Line, in clip), clipped to n runes, markup
// escaped, and isolated in <bdi> so that right-to-left letters in it
// cannot reorder the text around it.
func logText(s string, n int) template.HTML {
	return template.HTML("<bdi>" + html.EscapeString(clip(s, n)) + "</bdi>")
}
