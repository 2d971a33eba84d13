package ollama

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"sync"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/envconfig"
)

// maxLine bounds one streamed line, as Ollama's own client does.
const maxLine = 8 << 20

// lineBufs are the scan buffers of generate: most lines fit in 64 KiB.
var lineBufs = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// generate is api.Client.Generate without its scan buffer of 8 MB, made
// and zeroed for every call: the gateway makes one call per chunk of
// tokens (one per token when paced), and that buffer was most of the
// gateway's own CPU (docs/performance.md). Lines start in a pooled 64 KiB
// buffer that grows up to the same 8 MB. Errors are the api client's:
// api.StatusError for an error status, the server's message for an error
// line. Requests Ollama's client would sign (ollama.com, OLLAMA_AUTH) go
// through it.
func (c *Client) generate(ctx context.Context, req *api.GenerateRequest, fn func(api.GenerateResponse) error) error {
	if c.base.Hostname() == "ollama.com" || envconfig.UseAuth() {
		return c.api.Generate(ctx, req, fn)
	}
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base.JoinPath("/api/generate").String(), bytes.NewReader(body))
	if err != nil {
		return err
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/x-ndjson")
	hreq.Header.Set("User-Agent", fmt.Sprintf("forensics (%s %s) Go/%s", runtime.GOARCH, runtime.GOOS, runtime.Version()))
	resp, err := c.hc.Do(hreq)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	buf := lineBufs.Get().(*[]byte)
	defer lineBufs.Put(buf)
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(*buf, maxLine)
	for sc.Scan() {
		if err := generateLine(resp, sc.Bytes(), fn); err != nil {
			return err
		}
	}
	// A read error ends the stream as in the api client: the caller tells
	// a lost stream by its missing final message (stream.fetch).
	return nil
}

// generateLine decodes one streamed line as api.Client.Generate does:
// the error first (a line that is not JSON is the error), then the
// response. One decode serves both when the line is a response.
func generateLine(resp *http.Response, line []byte, fn func(api.GenerateResponse) error) error {
	var r struct {
		api.GenerateResponse
		Error string `json:"error,omitempty"`
	}
	decodeErr := json.Unmarshal(line, &r)
	if decodeErr != nil {
		// Not a response; perhaps still an error message.
		var e struct {
			Error string `json:"error,omitempty"`
		}
		if err := json.Unmarshal(line, &e); err != nil {
			if resp.StatusCode >= http.StatusBadRequest {
				return api.StatusError{StatusCode: resp.StatusCode, Status: resp.Status, ErrorMessage: string(line)}
			}
			return errors.New(string(line))
		}
		r.Error = e.Error
	}
	if resp.StatusCode >= http.StatusBadRequest {
		return api.StatusError{StatusCode: resp.StatusCode, Status: resp.Status, ErrorMessage: r.Error}
	}
	if r.Error != "" {
		return errors.New(r.Error)
	}
	if decodeErr != nil {
		// The api client's error for a line that is not a response.
		var plain api.GenerateResponse
		return json.Unmarshal(line, &plain)
	}
	return fn(r.GenerateResponse)
}
