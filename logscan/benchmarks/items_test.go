package benchmarks

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestReadItems(t *testing.T) {
	for _, tc := range []struct {
		name, format, in string
		fields           []string
		want             []string
		wantErr          string
	}{
		{"jsonl string field", FormatJSONL, `{"q":"one","a":"x"}` + "\n\n" + `{"q":"two"}`, []string{"q"}, []string{"one", "two"}, ""},
		{"jsonl fields joined, list and number", FormatJSONL, `{"text":"t","tests":["a","b"],"n":7}`, []string{"text", "tests", "n"}, []string{"t\na\nb\n7"}, ""},
		{"jsonl missing field", FormatJSONL, `{"q":"one"}` + "\n" + `{"x":1}`, []string{"q"}, nil, `line 2: field "q": missing`},
		{"jsonl object field", FormatJSONL, `{"q":{"a":1}}`, []string{"q"}, nil, "not a string"},
		{"jsonl not json", FormatJSONL, `q: one`, []string{"q"}, nil, "line 1"},
		{"jsonl without fields", FormatJSONL, `{"q":"one"}`, nil, nil, "need the fields"},
		{"csv columns", FormatCSV, "\ufeffType,Question,Answer\nx,\"Why, then?\",y\nz,Second,w\n", []string{"Question"}, []string{"Why, then?", "Second"}, ""},
		{"csv two columns", FormatCSV, "a,b\n1,2\n", []string{"b", "a"}, []string{"2\n1"}, ""},
		{"csv unknown column", FormatCSV, "a,b\n1,2\n", []string{"c"}, nil, `no column "c"`},
		{"csv short row", FormatCSV, "a,b\n1\n", []string{"b"}, nil, "no column 2"},
		{"text lines", FormatText, "first item\n\nsecond item\n", nil, []string{"first item", "second item"}, ""},
		{"text one per line", FormatText, "first item\nsecond item\r\n", nil, []string{"first item", "second item"}, ""},
		{"text paragraphs", FormatText, "line one\nline two\n\n  \nnext item\n", nil, []string{"line one\nline two", "next item"}, ""},
		{"text leading blank lines", FormatText, "\n\none\ntwo\n", nil, []string{"one", "two"}, ""},
		{"unknown format", "xml", "", nil, nil, "unknown item format"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadItems(strings.NewReader(tc.in), tc.format, tc.fields)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ReadItems = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestReadItemsFileGzipAndFormat(t *testing.T) {
	dir := t.TempDir()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"prompt":"def f():"}` + "\n"))
	zw.Close()
	files := map[string][]byte{
		"a.jsonl.gz": gz.Bytes(),
		"b.CSV":      []byte("prompt\nrow\n"),
		"c.txt":      []byte("plain\n"),
	}
	want := map[string]string{"a.jsonl.gz": "def f():", "b.CSV": "row", "c.txt": "plain"}
	for name, data := range files {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := ReadItemsFile(path, []string{"prompt"})
		if err != nil || len(got) != 1 || got[0] != want[name] {
			t.Errorf("%s: %q, %v; want %q", name, got, err, want[name])
		}
	}
	if _, err := ReadItemsFile(filepath.Join(dir, "missing.jsonl"), []string{"q"}); err == nil {
		t.Error("a missing file read without error")
	}
}

func TestReadItemsLimits(t *testing.T) {
	for format, in := range map[string]string{
		FormatText:  strings.Repeat("an item\n", 100),
		FormatJSONL: strings.Repeat(`{"q":"an item"}`+"\n", 100),
		FormatCSV:   "q\n" + strings.Repeat("an item\n", 100),
	} {
		if _, err := readItems(strings.NewReader(in), format, []string{"q"}, 500); err == nil || !strings.Contains(err.Error(), "over 500 bytes") {
			t.Errorf("%s: a file over the size limit: %v", format, err)
		}
	}
	long := strings.Repeat("x", MaxItemBytes+10)
	if _, err := ReadItems(strings.NewReader(long), FormatText, nil); err == nil {
		t.Error("a text line over MaxItemBytes was read")
	}
	if _, err := ReadItems(strings.NewReader(`{"q":"`+long+`"}`), FormatJSONL, []string{"q"}); err == nil {
		t.Error("a JSON line over MaxItemBytes was read")
	}
}
