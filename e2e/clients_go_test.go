package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
)

// goClientRows drives the gateway with Ollama's Go api client, built as a
// user's program would build it: api.ClientFromEnvironment with the key in
// OLLAMA_HOST.
func goClientRows(t *testing.T, gw *clientGateway) []clientResult {
	t.Helper()
	rec := newRecorder(t, gw.hs.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	fromEnv := func(host string) *api.Client {
		t.Setenv("OLLAMA_HOST", host)
		c, err := api.ClientFromEnvironment()
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	var rows []clientResult
	add := func(call string, f func() (detail, text string, err error)) {
		detail, text, err := f()
		r := clientResult{Client: "ollama go api", Call: call, OK: err == nil, Detail: detail, Text: text, Requests: rec.take()}
		r.Status = lastStatus(r.Requests)
		if err != nil {
			r.Detail = err.Error()
		}
		rows = append(rows, r)
	}
	goClientCalls(ctx, fromEnv(ollamaHostWithKey(rec.hs.URL, wmKey)), add)
	add("bad key → 401", func() (string, string, error) {
		_, err := fromEnv(ollamaHostWithKey(rec.hs.URL, "not-a-key")).List(ctx)
		var ae api.AuthorizationError
		if errors.As(err, &ae) && ae.StatusCode == http.StatusUnauthorized {
			return err.Error(), "", nil
		}
		return "", "", fmt.Errorf("want a 401 AuthorizationError, got %v", err)
	})
	add("OLLAMA_HOST=http://KEY@host is refused by the client", func() (string, string, error) {
		err := fromEnv(ollamaHostUserinfo(rec.hs.URL, wmKey)).Heartbeat(ctx)
		if err != nil && strings.Contains(err.Error(), "invalid URL escape") {
			return "as documented: " + err.Error(), "", nil
		}
		return "", "", fmt.Errorf("the client now accepts userinfo (err %v): update docs/clients.md", err)
	})
	return rows
}

// goClientCalls are the calls a program makes with the Go api client.
func goClientCalls(ctx context.Context, client *api.Client, add func(string, func() (string, string, error))) {
	opts := map[string]any{"num_predict": clientTokens}
	add("Heartbeat", func() (string, string, error) { return "", "", client.Heartbeat(ctx) })
	add("Version", func() (string, string, error) {
		v, err := client.Version(ctx)
		return v, "", err
	})
	add("List", func() (string, string, error) {
		l, err := client.List(ctx)
		if err != nil {
			return "", "", err
		}
		return fmt.Sprintf("%d models", len(l.Models)), "", hasModel(l.Models)
	})
	add("Show", func() (string, string, error) {
		s, err := client.Show(ctx, &api.ShowRequest{Model: clientModel})
		if err != nil {
			return "", "", err
		}
		return s.Details.Family + " " + s.Details.ParameterSize, "", nil
	})
	add("Generate (stream)", func() (string, string, error) {
		var sb strings.Builder
		err := client.Generate(ctx, &api.GenerateRequest{Model: clientModel, Prompt: "The letter said", Options: opts},
			func(r api.GenerateResponse) error { sb.WriteString(r.Response); return nil })
		return fmt.Sprintf("%d bytes", sb.Len()), sb.String(), nonEmpty(sb.String(), err)
	})
	add("Chat (stream)", func() (string, string, error) {
		var sb strings.Builder
		msgs := []api.Message{{Role: "user", Content: "Tell me about the war."}}
		err := client.Chat(ctx, &api.ChatRequest{Model: clientModel, Messages: msgs, Options: opts},
			func(r api.ChatResponse) error { sb.WriteString(r.Message.Content); return nil })
		return fmt.Sprintf("%d bytes", sb.Len()), sb.String(), nonEmpty(sb.String(), err)
	})
	add("Embed", func() (string, string, error) {
		e, err := client.Embed(ctx, &api.EmbedRequest{Model: clientModel, Input: []string{"The letter said", "hello"}})
		if err != nil {
			return "", "", err
		}
		if len(e.Embeddings) != 2 || len(e.Embeddings[0]) == 0 {
			return "", "", fmt.Errorf("%d embeddings for 2 inputs", len(e.Embeddings))
		}
		return fmt.Sprintf("2 × %d dimensions", len(e.Embeddings[0])), "", nil
	})
	add("ListRunning", func() (string, string, error) {
		p, err := client.ListRunning(ctx)
		if err != nil {
			return "", "", err
		}
		return fmt.Sprintf("%d running", len(p.Models)), "", nil
	})
}

func hasModel(models []api.ListModelResponse) error {
	var names []string
	for _, m := range models {
		if m.Name == clientModel || m.Name == clientModel+":latest" {
			return nil
		}
		names = append(names, m.Name)
	}
	return fmt.Errorf("%s not in %v", clientModel, names)
}

func nonEmpty(text string, err error) error {
	if err == nil && text == "" {
		return errors.New("empty answer")
	}
	return err
}

// cliRows runs the real `ollama` CLI (the binary the e2e tests serve with)
// against the gateway, the key in OLLAMA_HOST.
func cliRows(t *testing.T, gw *clientGateway, o *ollamaServer) []clientResult {
	t.Helper()
	rec := newRecorder(t, gw.hs.URL)
	host := ollamaHostWithKey(rec.hs.URL, wmKey)
	calls := []struct {
		args []string
		want string // in the output
	}{
		{[]string{"list"}, clientModel},
		{[]string{"show", clientModel}, "architecture"},
		{[]string{"run", clientModel, "Tell me about the war."}, ""},
		{[]string{"ps"}, "NAME"},
	}
	var rows []clientResult
	for _, c := range calls {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		cmd := exec.CommandContext(ctx, o.bin, c.args...)
		cmd.Env = append(os.Environ(), "OLLAMA_HOST="+host)
		out, err := cmd.Output()
		cancel()
		r := clientResult{Client: "ollama CLI", Call: "ollama " + strings.Join(c.args, " "), Requests: rec.take()}
		r.Status = lastStatus(r.Requests)
		text := strings.TrimSpace(string(out))
		switch {
		case err != nil:
			r.Detail = errText(err, stderrOf(err))
		case !strings.Contains(text, c.want) || text == "":
			r.Detail = fmt.Sprintf("output lacks %q: %.200s", c.want, text)
		default:
			r.OK = true
			r.Detail = fmt.Sprintf("%d exchanges, %d bytes out", len(r.Requests), len(text))
		}
		if c.args[0] == "run" {
			r.Text = text
		}
		rows = append(rows, r)
	}
	return rows
}

func stderrOf(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(ee.Stderr)
	}
	return ""
}
