package serve

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"
)

// LogEntry is one line of the request log (DESIGN.md, "Request log"), the
// input of `forensics scan-logs`.
type LogEntry struct {
	TS               string          `json:"ts"`
	RequestID        string          `json:"request_id"`
	Account          string          `json:"account"`
	APIKeyID         string          `json:"api_key_id"`
	IP               string          `json:"ip"`
	UserAgent        string          `json:"user_agent"`
	Endpoint         string          `json:"endpoint"`
	Model            string          `json:"model"`
	Messages         []Message       `json:"messages,omitempty"`
	Prompt           *string         `json:"prompt,omitempty"`
	Params           map[string]any  `json:"params"`
	Status           int             `json:"status"`
	PromptTokens     int             `json:"prompt_tokens"`
	CompletionTokens int             `json:"completion_tokens"`
	LatencyMS        float64         `json:"latency_ms"`
	Watermark        *WatermarkEntry `json:"watermark"`
	// Beyond the design's fields: how generation went, for audits.
	Stop string `json:"stop,omitempty"`
	// Canary is the trigger whose planted answer was served (no model
	// call, no watermark), when the prompt was one.
	Canary     string `json:"canary,omitempty"`
	RoundTrips int    `json:"round_trips,omitempty"`
	Rejected   int    `json:"rejected,omitempty"`
	Error      string `json:"error,omitempty"`
}

// WatermarkEntry records the key applied to a response (null when none).
type WatermarkEntry struct {
	KeyID   string `json:"key_id"`
	Payload string `json:"payload,omitempty"`
	// Tilted counts the tokens whose distribution the key actually changed
	// (0 at temperature 0, where no watermark can be applied). A key, not
	// an account, is what detection identifies: accounts may share one.
	Tilted int `json:"tilted_tokens"`
}

// Message is a chat message.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// requestLog appends entries as JSON lines. Each entry is one write(2) on
// an O_APPEND file, so a killed process loses nothing it had logged (the
// kernel holds the data); the file is fsynced every second and on Close.
// Files are rotated by size: path → path.1 → … → path.N.
type requestLog struct {
	mu       sync.Mutex
	path     string
	maxBytes int64
	maxFiles int
	f        *os.File
	size     int64
	dirty    bool
	stop     chan struct{}
	done     chan struct{}
}

func openRequestLog(path string, maxBytes int64, maxFiles int) (*requestLog, error) {
	l := &requestLog{path: path, maxBytes: maxBytes, maxFiles: maxFiles, stop: make(chan struct{}), done: make(chan struct{})}
	if err := l.open(); err != nil {
		return nil, err
	}
	go l.syncLoop()
	return l, nil
}

func (l *requestLog) open() error {
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("open request log: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("open request log: %w", err)
	}
	l.f, l.size = f, st.Size()
	return nil
}

func (l *requestLog) syncLoop() {
	defer close(l.done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			l.mu.Lock()
			if l.dirty && l.f != nil {
				l.f.Sync()
				l.dirty = false
			}
			l.mu.Unlock()
		}
	}
}

// Write appends one entry.
func (l *requestLog) Write(e *LogEntry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode log entry: %w", err)
	}
	return l.writeLine(b)
}

// writeLine appends one encoded entry (without its newline).
func (l *requestLog) writeLine(line []byte) error {
	b := append(line, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return fmt.Errorf("request log is closed")
	}
	if l.maxBytes > 0 && l.size > 0 && l.size+int64(len(b)) > l.maxBytes {
		if err := l.rotate(); err != nil {
			return err
		}
	}
	n, err := l.f.Write(b)
	l.size += int64(n)
	l.dirty = true
	if err != nil {
		return fmt.Errorf("write request log: %w", err)
	}
	return nil
}

func (l *requestLog) rotate() error {
	l.f.Sync()
	l.f.Close()
	l.f = nil
	for i := l.maxFiles - 1; i >= 1; i-- {
		os.Rename(fmt.Sprintf("%s.%d", l.path, i), fmt.Sprintf("%s.%d", l.path, i+1))
	}
	if err := os.Rename(l.path, l.path+".1"); err != nil {
		// Keep logging to the original path rather than not at all.
		if oerr := l.open(); oerr != nil {
			return fmt.Errorf("rotate request log: %v; reopen: %w", err, oerr)
		}
		return fmt.Errorf("rotate request log: %w", err)
	}
	os.Remove(fmt.Sprintf("%s.%d", l.path, l.maxFiles+1))
	return l.open()
}

// Close flushes to disk and closes the file.
func (l *requestLog) Close() error {
	close(l.stop)
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Sync()
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}
