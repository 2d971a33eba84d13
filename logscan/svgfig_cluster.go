package logscan

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"forensics/internal/termsafe"
)

// maxGraphNodes caps a cluster's drawing: beyond it the highest-scoring
// members are drawn, with the links among them, and the page says so.
const maxGraphNodes = 40

// linkKinds are the kinds in legend order.
var linkKinds = []string{LinkContent, LinkInfra, LinkSchedule, LinkBusiness}

// graphEdge is the evidence of one kind between two drawn accounts.
type graphEdge struct {
	a, b   int // node indexes, a < b
	kind   string
	items  []string
	weight float64
}

// clusterGraphSVG draws a cluster's accounts on a circle (in order of
// score, so the layout depends on the report only) and its links, one
// line per pair and kind, coloured and dashed by kind. score and action
// give each account's own verdict. It returns the figure and how many
// accounts and links were left out.
func clusterGraphSVG(id string, c *ClusterReport, score map[string]float64, action map[string]string) (svg string, hiddenNodes, hiddenLinks int) {
	nodes := graphNodes(c, score)
	hiddenNodes = len(c.Accounts) - len(nodes)
	edges, hiddenLinks := graphEdges(nodes, c.LinkDetails)
	size := min(640, 260+10*len(nodes))
	height := size + 30
	var w svgWriter
	w.open(id, fmt.Sprintf("Cluster %d: %d accounts and the links between them", c.ID, len(c.Accounts)), size+240, height)
	cx, cy, r := float64(size+240)/2, float64(size)/2, float64(size)/2-40
	pos := func(i int) (float64, float64) {
		a := 2*math.Pi*float64(i)/float64(max(1, len(nodes))) - math.Pi/2
		return cx + r*math.Cos(a), cy + r*math.Sin(a)
	}
	drawEdges(&w, nodes, edges, pos)
	for i, n := range nodes {
		x, y := pos(i)
		w.f(`<circle cx="%.1f" cy="%.1f" r="6" class="node %s"><title>%s: score %.2f, %s</title></circle>`,
			x, y, actionClass(action[n]), esc(n), score[n], esc(action[n]))
		anchor, dx := "start", 9.0
		if x < cx-1 {
			anchor, dx = "end", -9
		}
		w.text(x+dx, y+4, anchor, "small", nodeLabel(i, n, len(nodes)))
	}
	graphLegend(&w, float64(height)-10)
	return w.close(), hiddenNodes, hiddenLinks
}

// graphNodes are the accounts a cluster's graph draws, in drawing order:
// highest own score first (ties by name), at most maxGraphNodes.
func graphNodes(c *ClusterReport, score map[string]float64) []string {
	nodes := append([]string(nil), c.Accounts...)
	sort.SliceStable(nodes, func(i, j int) bool {
		if score[nodes[i]] != score[nodes[j]] {
			return score[nodes[i]] > score[nodes[j]]
		}
		return nodes[i] < nodes[j]
	})
	return nodes[:min(len(nodes), maxGraphNodes)]
}

// maxNamedNodes is the most accounts a graph labels by name: beyond, the
// labels would overlap on the circle, so nodes carry their number in the
// key below the figure (the page's HTML, where names wrap and are
// isolated), and so does every node whose name is long.
const maxNamedNodes = 12

// nodeLabel is node i's label: its number, and its name when the graph is
// small enough for names not to overlap and the name short enough to fit
// the margin.
func nodeLabel(i int, name string, nodes int) string {
	if nodes <= maxNamedNodes && len([]rune(termsafe.Line(name))) <= 16 {
		return fmt.Sprintf("%d %s", i+1, termsafe.Line(name))
	}
	return fmt.Sprint(i + 1)
}

// graphEdges gathers the links among the drawn nodes by pair and kind,
// and counts the pairs of links left out.
func graphEdges(nodes []string, links []Link) ([]graphEdge, int) {
	at := make(map[string]int, len(nodes))
	for i, n := range nodes {
		at[n] = i
	}
	byKey := map[[2]int]map[string]*graphEdge{}
	hidden := 0
	for _, l := range links {
		a, okA := at[l.A]
		b, okB := at[l.B]
		if !okA || !okB || a == b {
			hidden++
			continue
		}
		a, b = min(a, b), max(a, b)
		kinds := byKey[[2]int{a, b}]
		if kinds == nil {
			kinds = map[string]*graphEdge{}
			byKey[[2]int{a, b}] = kinds
		}
		e := kinds[l.Kind]
		if e == nil {
			e = &graphEdge{a: a, b: b, kind: l.Kind}
			kinds[l.Kind] = e
		}
		e.items = append(e.items, l.Item)
		e.weight += l.Weight
	}
	var out []graphEdge
	for _, kinds := range byKey {
		for _, e := range kinds {
			out = append(out, *e)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].a != out[j].a {
			return out[i].a < out[j].a
		}
		if out[i].b != out[j].b {
			return out[i].b < out[j].b
		}
		return out[i].kind < out[j].kind
	})
	return out, hidden
}

// drawEdges draws each pair's kinds side by side.
func drawEdges(w *svgWriter, nodes []string, edges []graphEdge, pos func(int) (float64, float64)) {
	for i := 0; i < len(edges); {
		j := i
		for j < len(edges) && edges[j].a == edges[i].a && edges[j].b == edges[i].b {
			j++
		}
		x1, y1 := pos(edges[i].a)
		x2, y2 := pos(edges[i].b)
		dx, dy := y2-y1, x1-x2 // perpendicular
		if l := math.Hypot(dx, dy); l > 0 {
			dx, dy = dx/l, dy/l
		}
		for k, e := range edges[i:j] {
			off := 3 * (float64(k) - float64(j-i-1)/2)
			w.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="link %s"><title>%s</title></line>`,
				x1+off*dx, y1+off*dy, x2+off*dx, y2+off*dy, kindClass(e.kind), esc(edgeTip(nodes, e)))
		}
		i = j
	}
}

// edgeTip is an edge's tooltip: the pair, the kind and its first items.
func edgeTip(nodes []string, e graphEdge) string {
	items := e.items
	more := ""
	if len(items) > 3 {
		more = fmt.Sprintf(" … %d more", len(items)-3)
		items = items[:3]
	}
	clipped := make([]string, len(items))
	for i, it := range items {
		clipped[i] = clip(it, 80)
	}
	return fmt.Sprintf("%s – %s: %s, weight %.1f: %s%s", clip(nodes[e.a], 40), clip(nodes[e.b], 40), e.kind, e.weight, strings.Join(clipped, "; "), more)
}

// kindClass is a link kind's class (ours; an unknown kind is "other").
func kindClass(kind string) string {
	for _, k := range linkKinds {
		if k == kind {
			return "k-" + k
		}
	}
	return "k-other"
}

// graphLegend draws the link kinds' legend along the bottom.
func graphLegend(w *svgWriter, y float64) {
	x := 10.0
	for _, k := range linkKinds {
		w.line(x, y-4, x+28, y-4, "link "+kindClass(k))
		w.text(x+32, y, "start", "small", k)
		x += 130
	}
}
