package benchmarks

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"forensics/internal/jsonl"
)

// Limits on the item files ReadItems accepts.
const (
	MaxItemsFileSize = 256 << 20 // after gunzipping
	MaxItemBytes     = 1 << 20
	MaxItemsPerFile  = 1 << 20
)

// ReadItemsFile reads the items of one benchmark file (gzip detected): by
// the name without ".gz", ".jsonl"/".json" is JSON lines, ".csv" a CSV
// with a header row, anything else plain text. In JSON lines and CSV an
// item is the named fields joined by newlines (a JSON array field, such as
// a list of tests, joins its elements); plain text is one item per
// paragraph when the file has blank lines between paragraphs, else one
// per line.
func ReadItemsFile(path string, fields []string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("benchmarks: %w", err)
	}
	defer f.Close()
	r, closer, err := jsonl.Uncompressed(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer closer.Close()
	name := strings.TrimSuffix(strings.ToLower(path), ".gz")
	items, err := ReadItems(r, formatOf(name), fields)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return items, nil
}

// Item file formats.
const (
	FormatJSONL = "jsonl"
	FormatCSV   = "csv"
	FormatText  = "text"
)

func formatOf(name string) string {
	switch {
	case strings.HasSuffix(name, ".jsonl"), strings.HasSuffix(name, ".json"):
		return FormatJSONL
	case strings.HasSuffix(name, ".csv"):
		return FormatCSV
	}
	return FormatText
}

// ReadItems reads items in one of the formats from at most
// MaxItemsFileSize bytes of r.
func ReadItems(r io.Reader, format string, fields []string) ([]string, error) {
	return readItems(r, format, fields, MaxItemsFileSize)
}

func readItems(r io.Reader, format string, fields []string, limit int64) ([]string, error) {
	lr := &io.LimitedReader{R: r, N: limit + 1}
	var items []string
	var err error
	switch format {
	case FormatJSONL:
		items, err = readJSONL(lr, fields)
	case FormatCSV:
		items, err = readCSV(lr, fields)
	case FormatText:
		items, err = readText(lr)
	default:
		return nil, fmt.Errorf("unknown item format %q", format)
	}
	if lr.N <= 0 { // checked first: the cut may also have broken the last item
		return nil, fmt.Errorf("over %d bytes", limit)
	}
	return items, err
}

func readJSONL(r io.Reader, fields []string) ([]string, error) {
	if len(fields) == 0 {
		return nil, errors.New("JSON lines need the fields that hold an item's text")
	}
	lines := jsonl.NewReader(r, MaxItemBytes)
	var items []string
	for {
		line, err := lines.Next()
		if err == io.EOF {
			return items, nil
		}
		if err != nil {
			return nil, err
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(line, &obj); err != nil {
			return nil, fmt.Errorf("line %d: %w", lines.Line(), err)
		}
		parts := make([]string, 0, len(fields))
		for _, f := range fields {
			v, err := fieldText(obj[f])
			if err != nil {
				return nil, fmt.Errorf("line %d: field %q: %w", lines.Line(), f, err)
			}
			parts = append(parts, v)
		}
		if items = append(items, strings.Join(parts, "\n")); len(items) > MaxItemsPerFile {
			return nil, fmt.Errorf("over %d items", MaxItemsPerFile)
		}
	}
}

// fieldText is a JSON value as item text: a string as is, a number as
// written, an array of those joined by newlines.
func fieldText(raw json.RawMessage) (string, error) {
	if len(raw) == 0 {
		return "", errors.New("missing")
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String(), nil
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil {
		parts := make([]string, 0, len(list))
		for _, e := range list {
			v, err := fieldText(e)
			if err != nil {
				return "", err
			}
			parts = append(parts, v)
		}
		return strings.Join(parts, "\n"), nil
	}
	return "", errors.New("not a string, number or list of them")
}

func readCSV(r io.Reader, fields []string) ([]string, error) {
	if len(fields) == 0 {
		return nil, errors.New("a CSV needs the columns that hold an item's text")
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	cols := make([]int, len(fields))
	for i, f := range fields {
		cols[i] = indexOf(header, f)
		if cols[i] < 0 {
			return nil, fmt.Errorf("no column %q in the header", f)
		}
	}
	var items []string
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return items, nil
		}
		if err != nil {
			return nil, err
		}
		parts := make([]string, 0, len(cols))
		for _, c := range cols {
			if c >= len(rec) {
				line, _ := cr.FieldPos(0)
				return nil, fmt.Errorf("line %d: no column %d", line, c+1)
			}
			parts = append(parts, rec[c])
		}
		if items = append(items, strings.Join(parts, "\n")); len(items) > MaxItemsPerFile {
			return nil, fmt.Errorf("over %d items", MaxItemsPerFile)
		}
	}
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if strings.TrimSpace(strings.TrimPrefix(v, "\ufeff")) == s {
			return i
		}
	}
	return -1
}

// readText splits plain text into paragraphs when it has a blank line
// between two lines of text, else into lines.
func readText(r io.Reader) ([]string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxItemBytes)
	var lines []string
	for sc.Scan() {
		lines = append(lines, strings.TrimRight(sc.Text(), " \t\r"))
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	paragraphs := hasInnerBlankLine(lines)
	var items []string
	var cur bytes.Buffer
	flush := func() {
		if cur.Len() > 0 {
			items = append(items, cur.String())
			cur.Reset()
		}
	}
	for _, l := range lines {
		switch {
		case strings.TrimSpace(l) == "":
			flush()
		case paragraphs:
			if cur.Len() > 0 {
				cur.WriteByte('\n')
			}
			cur.WriteString(l)
		default:
			items = append(items, l)
		}
	}
	flush()
	if len(items) > MaxItemsPerFile {
		return nil, fmt.Errorf("over %d items", MaxItemsPerFile)
	}
	return items, nil
}

func hasInnerBlankLine(lines []string) bool {
	seenText, blank := false, false
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			blank = seenText
			continue
		}
		if blank {
			return true
		}
		seenText = true
	}
	return false
}
