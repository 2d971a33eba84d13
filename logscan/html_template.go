package logscan

// pageStyle is the page's own style sheet; print keeps figures whole and
// drops the screen margins.
const pageStyle = `body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#111;max-width:1100px}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}
td small{overflow-wrap:anywhere}td.name{white-space:nowrap}
ol.key{columns:3 16em;font-size:12px;margin:.5em 0;padding-left:2.5em}
th{background:#f3f3f3}.suspend{background:#fdd}.throttle{background:#ffe9cc}.alert{background:#fff8cc}
td.num{text-align:right;font-variant-numeric:tabular-nums}small,.note{color:#555}
figure{margin:1em 0 2em}figcaption{font-size:13px;color:#333;max-width:60em}
@media print{body{margin:0;font-size:11px}figure,tr{break-inside:avoid}h2{break-after:avoid}
.suspend,.throttle,.alert,th{-webkit-print-color-adjust:exact;print-color-adjust:exact}svg{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
`

// reportTemplate is report.html: the summary and the flagged accounts
// first, then the figures, then the full tables.
const reportTemplate = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>forensics scan-logs report</title>
<style>
` + pageStyle + svgStyle + `
</style></head><body>
<h1>Distillation risk by account</h1>
<h2 id="summary">Summary</h2>
<p>{{.Rep.Read.Lines}} log lines read: {{.Rep.Read.Records}} requests, {{.Rep.Read.Malformed}} malformed.
Reference: {{text .Rep.Reference.Note}}.</p>
<table><tr><th></th><th>accounts</th><th>clusters</th></tr>
<tr><td>scanned</td><td class="num">{{len .Rep.Accounts}}</td><td class="num">{{len .Rep.Clusters}}</td></tr>
<tr class="suspend"><td>suspend for review</td><td class="num">{{.Accounts.Suspend}}</td><td class="num">{{.Clusters.Suspend}}</td></tr>
<tr class="throttle"><td>throttle</td><td class="num">{{.Accounts.Throttle}}</td><td class="num">{{.Clusters.Throttle}}</td></tr>
<tr class="alert"><td>alert</td><td class="num">{{.Accounts.Alert}}</td><td class="num">{{.Clusters.Alert}}</td></tr>
</table>
<p>Accounts count their own action; {{.FlaggedTotal}} accounts have an action of their own or through their cluster.</p>
{{if .Flagged}}<h3>Flagged accounts, highest score first</h3>
<table><tr><th>#</th><th>account</th><th>action (own or cluster's)</th><th>score (own or cluster's)</th><th>own score (what, how)</th><th>reference tail</th><th>cluster</th><th>strongest evidence (decades)</th></tr>
{{range .Flagged}}<tr class="{{.Action}}"><td><a href="#flagged-{{.N}}">{{.N}}</a></td><td class="name">{{safe .Account.Account}}</td><td>{{.Action}}</td><td class="num">{{printf "%.1f" .Score}}</td>
<td class="num">{{printf "%.1f" .Account.Score}} ({{printf "%.1f" .Account.What}}, {{printf "%.1f" .Account.How}})</td><td class="num">{{pct .Account.ReferenceTail}}</td>
<td>{{if .Account.Cluster}}<a href="#cluster-row-{{.Account.Cluster}}">{{.Account.Cluster}}</a>{{end}}</td><td><small>{{join (first .Account.Fired 3) ", "}}</small></td></tr>
{{end}}</table>
{{if .MoreFlagged}}<p>… and {{.MoreFlagged}} more flagged accounts, in the table of all accounts below and in accounts.csv.</p>{{end}}
{{else}}<p>No account has an action. This is not evidence that the log is clean: it says only that no account's evidence reached the thresholds against this reference.</p>{{end}}

<h2 id="distribution">How the scores are distributed</h2>
<figure>{{.ScoreFigure}}
<figcaption>Every account's own score (bins of equal width; counts on a log scale).
{{if .Thresholds}}The lines mark the actions' score thresholds; an action also needs its reference tail, evidence of what is taken and, for throttle and suspend, a harvest's size, so not every account right of a line has it.{{else}}The thresholds are unknown: this report was not made by this scan.{{end}}
{{if .Tails}}Dotted: where the reference's tail limits begin ({{join .Tails "; "}}).{{else}}The reference is too small to resolve the actions' tail limits, or none is known.{{end}}</figcaption></figure>

{{if .Flagged}}<h2 id="flagged">Flagged accounts over time</h2>
<p class="note">Each figure is drawn over the account's own span, from its first request to its last, so no other account's times change it (figures are not on one time axis: compare their dates). Bars: requests per bucket, the finest of 1, 5, 15, 30 s, 1, 5, 15, 30 min, 1, 2, 4, 8 h, 1, 2, 4… days that draws the span in at most 192 bars (the axis and caption say which); times in UTC.
{{if .ReplaySkipped}}When indicators fired is not shown: the replay did not read the log again, because {{text .ReplaySkipped}}.
{{else if .Replayed}}Below them, a second read of the same bytes of the log replays each account alone, on its own clock, judged at the end of every bucket in which it sent requests against the <em>final</em> reference: its own action then, and each indicator while it had evidence, each judgement drawn over the bucket it judged (▼ where it first did). "Fired when" is thus in terms of the final scoring; clusters are not replayed.
{{else}}When indicators fired is not shown: only scan-logs --out replays the log for it.{{end}}
{{if not .Scanned}}Activity is not available: this report was not made by this scan.{{end}}</p>
{{range .Flagged}}<figure id="flagged-{{.N}}">{{.Figure}}
<figcaption>{{.N}}. {{safe .Account.Account}}: {{.Action}} (score {{printf "%.1f" .Score}}), {{.Account.Requests}} requests from {{.Account.First.UTC.Format "2006-01-02 15:04:05"}} to {{.Account.Last.UTC.Format "2006-01-02 15:04:05"}} UTC, per {{.Width}}.{{if .OutOfOrder}} {{.OutOfOrder}} of its replayed requests came out of time order; its firing times are approximate.{{end}}{{if .ReplayDropped}} Firing times not drawn: {{.ReplayDropped}}.{{end}}</figcaption></figure>
{{end}}{{end}}

{{if .Rep.Clusters}}<h2>Clusters of linked accounts</h2>
<table><tr><th>#</th><th>score</th><th>action</th><th>accounts</th><th>requests</th><th>evidence (decades)</th><th>links</th></tr>
{{range .Rep.Clusters}}<tr class="{{.Action}}" id="cluster-row-{{.ID}}"><td>{{.ID}}</td><td class="num">{{printf "%.1f" .Score}}</td><td>{{.Action}}</td><td>{{join .Accounts ", "}}</td>
<td class="num">{{.Requests}}</td><td>{{join .Fired " "}}</td><td><small>{{join .Links "; "}}</small></td></tr>
{{end}}</table>
{{range .ClusterGraphs}}<figure id="cluster-{{.Cluster.ID}}">{{.Figure}}
<figcaption>Cluster {{.Cluster.ID}} ({{.Cluster.Action}}, score {{printf "%.1f" .Cluster.Score}}): accounts on a circle, highest own score first from the top, clockwise, coloured by their own action; one line per pair and kind of evidence (hover for the items).
{{if .HiddenNodes}}Only the 40 highest-scoring of its {{len .Cluster.Accounts}} accounts are drawn, and {{.HiddenLinks}} links to the others are left out.{{end}}
The nodes by number:<ol class="key">{{range .Key}}<li>{{safe .}}</li>{{end}}</ol></figcaption></figure>
{{end}}{{if .MoreClusterPlots}}<p>{{.MoreClusterPlots}} more clusters are in the table without a graph.</p>{{end}}{{end}}

<h2>Accounts</h2>
<p>Each indicator's evidence is how rare its value is among benign accounts, in decades; a family of indicators counts once;
score = what + min(how, what): systematic use amplifies evidence of what is taken but never makes it.
The reference tail is the share of reference accounts scoring at least as high (with the prior or a baseline: the benign false-alarm rate of a threshold there).</p>
<table><tr><th>account</th><th>requests</th><th>score (what, how)</th><th>reference tail</th><th>action</th><th>cluster</th><th>indicators (value → decades)</th><th>samples</th></tr>
{{range .Rep.Accounts}}<tr class="{{.Action}}"><td class="name">{{safe .Account}}</td><td class="num">{{.Requests}}</td><td class="num">{{printf "%.1f" .Score}} ({{printf "%.1f" .What}}, {{printf "%.1f" .How}})</td>
<td class="num">{{pct .ReferenceTail}}</td>
<td>{{.Action}}{{if .Throttle}} ×{{printf "%.2f" .Throttle}}{{end}}{{if .Capped}}<br><small>{{text .Capped}}</small>{{end}}</td><td>{{if .Cluster}}{{.Cluster}}{{end}}</td>
<td><small>{{range .Indicators}}{{if .Decades}}<b>{{.Name}} {{printf "%.3g" .Value}} → {{printf "%.1f" .Decades}}</b> <span>{{text .Evidence}}</span><br>{{end}}{{end}}</small></td>
<td><small>{{range .Templates}}{{text .}}<br>{{end}}{{range .Samples}}“{{text .}}”<br>{{end}}</small></td></tr>
{{end}}</table></body></html>
`
