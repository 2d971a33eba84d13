package probe

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
	"unicode/utf8"

	"forensics/internal/bundlefile"
)

// Record is one line of transcripts.jsonl: a query, the raw bytes sent and
// received, and the text taken from them.
type Record struct {
	Seq            int    `json:"seq"`
	ManifestSHA256 string `json:"manifest_sha256"`
	Query
	Target   string `json:"target"`
	Endpoint string `json:"endpoint"`
	Model    string `json:"model"`
	Extract  string `json:"extract"`
	// Request and Response are the raw bodies when they are UTF-8, and
	// RequestB64/ResponseB64 (standard base64) when they are not, so that
	// no byte is lost to JSON's string rules.
	Request          string    `json:"request,omitempty"`
	RequestB64       string    `json:"request_b64,omitempty"`
	Status           int       `json:"status"`
	Response         string    `json:"response,omitempty"`
	ResponseB64      string    `json:"response_b64,omitempty"`
	Text             string    `json:"text"`
	CompletionTokens int       `json:"completion_tokens"`
	Started          time.Time `json:"started"`
	Finished         time.Time `json:"finished"`
	Attempts         int       `json:"attempts"`
	// Error is set when the query failed for good (after retries); such
	// records are kept for the chain of custody and asked again on resume.
	Error string `json:"error,omitempty"`
}

// SetBodies stores raw request and response bytes losslessly.
func (r *Record) SetBodies(req, resp []byte) {
	r.Request, r.RequestB64 = bodyFields(req)
	r.Response, r.ResponseB64 = bodyFields(resp)
}

func bodyFields(b []byte) (string, string) {
	if utf8.Valid(b) {
		return string(b), ""
	}
	return "", base64.StdEncoding.EncodeToString(b)
}

// Bodies returns the raw request and response bytes.
func (r *Record) Bodies() (req, resp []byte, err error) {
	req, resp = []byte(r.Request), []byte(r.Response)
	if r.RequestB64 != "" {
		if req, err = base64.StdEncoding.DecodeString(r.RequestB64); err != nil {
			return nil, nil, fmt.Errorf("request_b64: %w", err)
		}
	}
	if r.ResponseB64 != "" {
		if resp, err = base64.StdEncoding.DecodeString(r.ResponseB64); err != nil {
			return nil, nil, fmt.Errorf("response_b64: %w", err)
		}
	}
	return req, resp, nil
}

// OK reports whether the record holds an answer.
func (r *Record) OK() bool { return r.Error == "" }

// Store appends records to transcripts.jsonl, one write per line, and
// syncs to disk at most every syncEvery, so that a killed process loses
// nothing it wrote and a crashed machine at most that much.
type Store struct {
	f        *os.File
	path     string
	seq      int
	lastSync time.Time
	answered map[string]bool
	records  []Record
	manifest string
}

const syncEvery = 200 * time.Millisecond

// Repair describes what OpenStore fixed in an existing file.
type Repair struct {
	DroppedLine  int // 1-based line number of a cut last line (0 = none)
	DroppedBytes int
}

// OpenStore opens (or creates) a transcript file for appending. Existing
// records are read and must all belong to the manifest with the given
// hash. A last line cut short by a crash (no newline, not JSON) is cut
// off and reported in Repair; any other bad line is an error naming it.
func OpenStore(path, manifestSHA string) (*Store, Repair, error) {
	var rep Repair
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, rep, fmt.Errorf("open transcripts: %w", err)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		f.Close()
		return nil, rep, fmt.Errorf("read %s: %w", path, err)
	}
	s := &Store{f: f, path: path, answered: map[string]bool{}, manifest: manifestSHA}
	recs, good, cut, err := parseTranscripts(data, manifestSHA, path)
	if err != nil {
		f.Close()
		return nil, rep, err
	}
	if cut > 0 {
		rep = Repair{DroppedLine: cut, DroppedBytes: len(data) - good}
		if err := f.Truncate(int64(good)); err != nil {
			f.Close()
			return nil, rep, fmt.Errorf("repair %s: %w", path, err)
		}
	}
	if _, err := f.Seek(int64(good), io.SeekStart); err != nil {
		f.Close()
		return nil, rep, err
	}
	if good > 0 && data[good-1] != '\n' {
		if _, err := f.Write([]byte{'\n'}); err != nil {
			f.Close()
			return nil, rep, fmt.Errorf("repair %s: %w", path, err)
		}
	}
	for _, r := range recs {
		s.seq = max(s.seq, r.Seq)
		if r.OK() {
			s.answered[r.ID] = true
		}
	}
	s.records = recs
	return s, rep, nil
}

// parseTranscripts checks every line. It returns the records, the length
// of the well-formed prefix and, if the last line is cut short (no final
// newline and not valid JSON), its line number.
func parseTranscripts(data []byte, manifestSHA, name string) ([]Record, int, int, error) {
	var recs []Record
	off, line, prevSeq := 0, 0, 0
	for off < len(data) {
		line++
		end := bytes.IndexByte(data[off:], '\n')
		last := end < 0
		if last {
			end = len(data) - off
		}
		raw := data[off : off+end]
		var r Record
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			if last {
				return recs, off, line, nil
			}
			return nil, 0, 0, bundlefile.ErrLine(name, line, "not a transcript record: %v", err)
		}
		if dec.More() {
			return nil, 0, 0, bundlefile.ErrLine(name, line, "more than one JSON value")
		}
		if r.ManifestSHA256 != manifestSHA {
			return nil, 0, 0, bundlefile.ErrLine(name, line, "belongs to manifest %.12s…, not %.12s… (transcripts from another probe?)", r.ManifestSHA256, manifestSHA)
		}
		if r.Seq <= prevSeq {
			return nil, 0, 0, bundlefile.ErrLine(name, line, "seq %d does not follow %d", r.Seq, prevSeq)
		}
		prevSeq = r.Seq
		recs = append(recs, r)
		// A last line that parses but lacks its newline was cut right
		// after the closing brace; it is kept (OpenStore adds the newline).
		off = min(len(data), off+end+1)
	}
	return recs, off, 0, nil
}

// Answered reports whether a query already has an answer.
func (s *Store) Answered(id string) bool { return s.answered[id] }

// Records are the records read at open and appended since.
func (s *Store) Records() []Record { return s.records }

// Append writes one record, numbering it.
func (s *Store) Append(r Record) error {
	s.seq++
	r.Seq = s.seq
	r.ManifestSHA256 = s.manifest
	b, err := json.Marshal(&r)
	if err != nil {
		return fmt.Errorf("encode record %s: %w", r.ID, err)
	}
	b = append(b, '\n')
	if _, err := s.f.Write(b); err != nil {
		return fmt.Errorf("append to %s: %w", s.path, err)
	}
	if time.Since(s.lastSync) >= syncEvery {
		if err := s.f.Sync(); err != nil {
			return fmt.Errorf("sync %s: %w", s.path, err)
		}
		s.lastSync = time.Now()
	}
	if r.OK() {
		s.answered[r.ID] = true
	}
	s.records = append(s.records, r)
	return nil
}

// Close syncs and closes the file.
func (s *Store) Close() error {
	return errors.Join(s.f.Sync(), s.f.Close())
}

// ReadTranscripts reads a finished transcript file strictly: every line
// must be a record of the manifest, including the last. It reads at most
// MaxTranscriptsSize bytes.
func ReadTranscripts(path, manifestSHA string) ([]Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxTranscriptsSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > MaxTranscriptsSize {
		return nil, bundlefile.TooLarge(path, bundlefile.Kind{Limit: MaxTranscriptsSize, What: "transcripts"})
	}
	return ParseTranscripts(data, manifestSHA)
}

// ParseTranscripts is ReadTranscripts on a file's bytes, for callers that
// also hash them.
func ParseTranscripts(data []byte, manifestSHA string) ([]Record, error) {
	recs, good, cut, err := parseTranscripts(data, manifestSHA, "transcripts.jsonl")
	if err != nil {
		return nil, err
	}
	if cut > 0 {
		return nil, bundlefile.ErrLine("transcripts.jsonl", cut, "cut short (%d bytes without a newline): the file is truncated", len(data)-good)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		return nil, bundlefile.ErrLine("transcripts.jsonl", len(recs), "no newline at the end of the file (truncated?)")
	}
	return recs, nil
}
