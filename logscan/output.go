package logscan

import (
	"encoding/csv"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"forensics/internal/termsafe"
)

// WriteOutputs writes accounts.csv, clusters.csv and report.html into dir.
func WriteOutputs(rep *Report, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("output folder: %w", err)
	}
	for name, write := range map[string]func(io.Writer) error{
		"accounts.csv": func(w io.Writer) error { return writeAccountsCSV(w, rep) },
		"clusters.csv": func(w io.Writer) error { return writeClustersCSV(w, rep) },
		"report.html":  func(w io.Writer) error { return reportHTML.Execute(w, rep) },
	} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		if err := write(f); err != nil {
			f.Close()
			return fmt.Errorf("write %s: %w", name, err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	return nil
}

func writeAccountsCSV(w io.Writer, rep *Report) error {
	cw := csv.NewWriter(w)
	head := []string{"account", "requests", "tokens", "first", "last", "score", "what", "how", "reference_tail", "risk", "action", "throttle", "capped", "cluster"}
	head = append(head, indicatorOrder...)
	head = append(head, "fired")
	cw.Write(head)
	for _, a := range rep.Accounts {
		vals := map[string]string{}
		for _, in := range a.Indicators {
			vals[in.Name] = strconv.FormatFloat(in.Value, 'g', 6, 64)
		}
		row := []string{csvText(a.Account), strconv.Itoa(a.Requests), strconv.Itoa(a.Tokens), a.First.Format("2006-01-02T15:04:05Z07:00"),
			a.Last.Format("2006-01-02T15:04:05Z07:00"), fmtNum(a.Score), fmtNum(a.What), fmtNum(a.How), fmtNum(a.ReferenceTail),
			strconv.FormatFloat(a.Risk, 'f', 3, 64), a.Action, strconv.FormatFloat(a.Throttle, 'f', 2, 64), csvText(a.Capped), strconv.Itoa(a.Cluster)}
		for _, name := range indicatorOrder {
			row = append(row, vals[name])
		}
		row = append(row, strings.Join(a.Fired, " "))
		cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}

func writeClustersCSV(w io.Writer, rep *Report) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"cluster", "score", "what", "how", "reference_tail", "action", "accounts", "requests", "fired", "links"})
	for _, c := range rep.Clusters {
		cw.Write([]string{strconv.Itoa(c.ID), fmtNum(c.Score), fmtNum(c.What), fmtNum(c.How), fmtNum(c.ReferenceTail), c.Action, csvText(strings.Join(c.Accounts, " ")),
			strconv.Itoa(c.Requests), strings.Join(c.Fired, " "), csvText(strings.Join(c.Links, "; "))})
	}
	cw.Flush()
	return cw.Error()
}

func fmtNum(f float64) string { return strconv.FormatFloat(f, 'g', 6, 64) }

// csvText keeps a text cell that holds log content (an account name, the
// links between accounts) from being run as a formula by a spreadsheet:
// a cell starting with =, +, -, @, tab or carriage return gets a leading
// single quote (OWASP, "CSV Injection"). Numeric cells, which we write,
// are not passed through it and stay numbers.
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// reportHTML is a self-contained page (no scripts, no fetches). Text from
// the log goes through safe (and join): html/template escapes markup, and
// termsafe.Line shows control characters and bidi overrides as escapes.
var reportHTML = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct":  func(f float64) string { return fmt.Sprintf("%.0f%%", 100*f) },
	"join": func(s []string, sep string) string { return termsafe.Line(strings.Join(s, sep)) },
	"safe": termsafe.Line,
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>forensics scan-logs report</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#111}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}
th{background:#f3f3f3}.suspend{background:#fdd}.throttle{background:#ffe9cc}.alert{background:#fff8cc}
td.num{text-align:right;font-variant-numeric:tabular-nums}small{color:#555}
</style></head><body>
<h1>Distillation risk by account</h1>
<p>{{.Read.Lines}} log lines read: {{.Read.Records}} requests, {{.Read.Malformed}} malformed.
Reference: {{safe .Reference.Note}}.</p>
<p>Each indicator's evidence is how rare its value is among benign accounts, in decades; a family of indicators counts once;
score = what + min(how, what): systematic use amplifies evidence of what is taken but never makes it.
The reference tail is the share of reference accounts scoring at least as high (with the prior or a baseline: the benign false-alarm rate of a threshold there).</p>
{{if .Clusters}}<h2>Clusters of linked accounts</h2>
<table><tr><th>#</th><th>score</th><th>action</th><th>accounts</th><th>requests</th><th>evidence (decades)</th><th>links</th></tr>
{{range .Clusters}}<tr class="{{.Action}}"><td>{{.ID}}</td><td class="num">{{printf "%.1f" .Score}}</td><td>{{.Action}}</td><td>{{join .Accounts ", "}}</td>
<td class="num">{{.Requests}}</td><td>{{join .Fired " "}}</td><td><small>{{join .Links "; "}}</small></td></tr>
{{end}}</table>{{end}}
<h2>Accounts</h2>
<table><tr><th>account</th><th>requests</th><th>score (what, how)</th><th>reference tail</th><th>action</th><th>cluster</th><th>indicators (value → decades)</th><th>samples</th></tr>
{{range .Accounts}}<tr class="{{.Action}}"><td>{{safe .Account}}</td><td class="num">{{.Requests}}</td><td class="num">{{printf "%.1f" .Score}} ({{printf "%.1f" .What}}, {{printf "%.1f" .How}})</td>
<td class="num">{{pct .ReferenceTail}}</td>
<td>{{.Action}}{{if .Throttle}} ×{{printf "%.2f" .Throttle}}{{end}}{{if .Capped}}<br><small>{{safe .Capped}}</small>{{end}}</td><td>{{if .Cluster}}{{.Cluster}}{{end}}</td>
<td><small>{{range .Indicators}}{{if .Decades}}<b>{{.Name}} {{printf "%.3g" .Value}} → {{printf "%.1f" .Decades}}</b> <span>{{safe .Evidence}}</span><br>{{end}}{{end}}</small></td>
<td><small>{{range .Templates}}{{safe .}}<br>{{end}}{{range .Samples}}“{{safe .}}”<br>{{end}}</small></td></tr>
{{end}}</table></body></html>
`))
