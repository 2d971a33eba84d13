package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"forensics/llm/tokenizer"
	"forensics/logline"
	"forensics/watermark"
)

// minScored is the fewest scored tokens an answer needs for its detection
// to count: shorter ones are listed, not judged.
const minScored = 20

// Detection thresholds: each answer on its own (a path that served one
// answer without the watermark shows), and all of a client's answers
// together (the evidence a report would use).
const (
	alphaAnswer = 1e-2
	alphaClient = 1e-6
)

// watermarkRows checks that every answer a client got under the
// watermarked account detects with that account's key, one row a client.
// The tiny model's text is low in entropy (a bigram model), so a 100-token
// answer may score only a few dozen tokens.
func watermarkRows(t *testing.T, gw *clientGateway, o *ollamaServer, rows []clientResult) []clientResult {
	t.Helper()
	f, err := tokenizer.FromOllama(context.Background(), o.url(), clientModel, nil)
	if err != nil {
		t.Fatal(err)
	}
	tk, _ := tokenizer.New(f)
	d := &watermark.Detector{Scheme: watermark.NewScheme(gw.key), Tokenizer: tk, Normalize: true, Alpha: alphaAnswer}
	detect := func(text string) watermark.Result {
		res, err := d.DetectText("", text)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	var out []clientResult
	for _, client := range clientsOf(rows) {
		r := clientResult{Client: client, Call: fmt.Sprintf("answers carry the watermark (α = %g each, %g all)", alphaAnswer, alphaClient), OK: true}
		var texts []string
		var short int
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, row := range rows {
			if row.Client != client || row.Text == "" {
				continue
			}
			texts = append(texts, row.Text)
			res := detect(row.Text)
			if res.TokensScored < minScored {
				short++
				continue
			}
			lo, hi = math.Min(lo, res.Log10P), math.Max(hi, res.Log10P)
			if !res.Watermarked {
				r.OK = false
				r.Detail += fmt.Sprintf("%s: not detected (log10 p %.1f, %d scored); ", row.Call, res.Log10P, res.TokensScored)
			}
		}
		if len(texts) == 0 {
			continue
		}
		all := detect(strings.Join(texts, "\n\n"))
		if all.Log10P > math.Log10(alphaClient) {
			r.OK = false
		}
		r.Detail += fmt.Sprintf("%d answers, each log10 p %.1f to %.1f (%d under %d scored tokens), all together %.1f over %d scored",
			len(texts)-short, lo, hi, short, minScored, all.Log10P, all.TokensScored)
		out = append(out, r)
	}
	return out
}

// requestLogRows checks, one row a client, that each HTTP exchange the
// client made is in the request log exactly once with the status the client
// saw, and (one more row) that the log has no other request lines.
func requestLogRows(t *testing.T, gw *clientGateway, rows []clientResult) []clientResult {
	t.Helper()
	total := 0
	for _, r := range rows {
		for _, x := range r.Requests {
			if !unloggedByDesign(x) {
				total++
			}
		}
	}
	lines := waitForLines(t, gw.logPath, total)
	byID := map[string][]logline.Entry{}
	for _, e := range lines {
		byID[e.RequestID] = append(byID[e.RequestID], e)
	}
	var out []clientResult
	for _, client := range clientsOf(rows) {
		r := clientResult{Client: client, Call: "request log: one line per exchange", OK: true}
		n, liveness := 0, 0
		for _, row := range rows {
			for _, x := range row.Requests {
				if row.Client != client {
					continue
				}
				n++
				if unloggedByDesign(x) {
					liveness++
					continue
				}
				got := byID[x.ID]
				switch {
				case x.ID == "":
					r.OK = false
					r.Detail += fmt.Sprintf("%s %s: no X-Request-Id; ", x.Method, x.Path)
				case len(got) != 1:
					r.OK = false
					r.Detail += fmt.Sprintf("%s %s: %d log lines; ", x.Method, x.Path, len(got))
				case got[0].Status != x.Status && !x.Aborted:
					r.OK = false
					r.Detail += fmt.Sprintf("%s %s: logged %d, answered %d; ", x.Method, x.Path, got[0].Status, x.Status)
				}
			}
		}
		r.Detail += fmt.Sprintf("%d exchanges", n)
		if liveness > 0 {
			r.Detail += fmt.Sprintf(" (%d of them liveness checks or CORS preflights, answered without a line by design: docs/gateway-api.md)", liveness)
		}
		if n == 0 {
			r.OK = false
			r.Detail = "no exchange reached the gateway"
		}
		out = append(out, r)
	}
	all := clientResult{Client: "gateway", Call: "request log: no other lines", OK: len(lines) == total,
		Detail: fmt.Sprintf("%d request lines for %d exchanges", len(lines), total)}
	return append(out, all, noKeyInLog(t, gw.logPath))
}

// unloggedByDesign reports whether an exchange is one the gateway answers
// without a request-log line: HEAD or GET of / and /api/version (liveness,
// unauthenticated, nothing of an account's) and CORS preflights. Their
// cost is bounded by the unauthenticated limiter instead.
func unloggedByDesign(x exchange) bool {
	if x.Method == http.MethodOptions {
		return true
	}
	path := x.Path
	if rest, ok := strings.CutPrefix(path, "/k/"); ok {
		path = "/"
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			path = rest[i:]
		}
	}
	return (x.Method == http.MethodHead || x.Method == http.MethodGet) && (path == "/" || path == "/api/version")
}

// noKeyInLog checks the log never holds an API key in clear (the Ollama
// clients send it in the path, curl-style clients as Basic credentials).
func noKeyInLog(t *testing.T, path string) clientResult {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := clientResult{Client: "gateway", Call: "request log: no API key in clear", OK: true, Detail: fmt.Sprintf("%d bytes searched", len(data))}
	for _, k := range []string{wmKey, concurrentKey, budgetKey, base64.StdEncoding.EncodeToString([]byte(wmKey + ":"))} {
		if bytes.Contains(data, []byte(k)) {
			r.OK, r.Detail = false, "the log holds "+k
		}
	}
	return r
}

// waitForLines reads the log's request lines, waiting up to 5 s for want
// of them (streams are logged as they end).
func waitForLines(t *testing.T, path string, want int) []logline.Entry {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		lines := requestLines(t, path)
		if len(lines) >= want || time.Now().After(deadline) {
			return lines
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// clientsOf lists the clients of rows in order of first appearance.
func clientsOf(rows []clientResult) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range rows {
		if !seen[r.Client] {
			seen[r.Client] = true
			out = append(out, r.Client)
		}
	}
	return out
}

// clientTable renders rows as a Markdown table.
func clientTable(rows []clientResult) string {
	var sb strings.Builder
	sb.WriteString("| client | call | result |\n|---|---|---|\n")
	green := 0
	for _, r := range rows {
		mark := "FAIL"
		if r.OK {
			mark, green = "ok", green+1
		}
		status := ""
		if r.Status != 0 {
			status = fmt.Sprintf(" %d", r.Status)
		}
		detail := strings.ReplaceAll(strings.ReplaceAll(r.Detail, "|", `\|`), "\n", " ")
		fmt.Fprintf(&sb, "| %s | %s | %s%s: %s |\n", r.Client, strings.ReplaceAll(r.Call, "|", `\|`), mark, status, detail)
	}
	fmt.Fprintf(&sb, "\n%d of %d rows green\n", green, len(rows))
	return sb.String()
}

// writeClientTable writes the table (Markdown) and the rows (JSON) to
// $FORENSICS_CLIENTS_OUT, by default the repository's git-ignored .cache/.
func writeClientTable(rows []clientResult, table string) (string, error) {
	dir := os.Getenv("FORENSICS_CLIENTS_OUT")
	if dir == "" {
		dir = filepath.Join("..", ".cache")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	md := filepath.Join(dir, "clients-results.md")
	if err := os.WriteFile(md, []byte(table), 0o644); err != nil {
		return "", err
	}
	data, err := json.MarshalIndent(rows, "", "  ")
	if err != nil {
		return "", err
	}
	return md, os.WriteFile(filepath.Join(dir, "clients-results.json"), data, 0o644)
}
