package benchmarks

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"reflect"
	"strings"
	"testing"
)

func encode(t testing.TB, s *Set) []byte {
	t.Helper()
	var buf bytes.Buffer
	n, err := s.WriteTo(&buf)
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("WriteTo = %d, %v (wrote %d)", n, err, buf.Len())
	}
	return buf.Bytes()
}

func TestWriteReadRoundTrip(t *testing.T) {
	s := testSet()
	got, err := Read(bytes.NewReader(encode(t, s)))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, s) {
		t.Fatalf("read back a different set:\n got %+v\nwant %+v", got.Suites(), s.Suites())
	}
	if suite, ok := got.Match("Question: " + codeItem); !ok || suite != "code-test" {
		t.Errorf("read-back set: Match = %q, %v", suite, ok)
	}
}

// withCRC appends the checksum a valid file ends with.
func withCRC(b []byte) []byte { return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b)) }

func TestReadRejects(t *testing.T) {
	good := encode(t, testSet())
	body := good[:len(good)-4]
	flipped := bytes.Clone(good)
	flipped[len(magic)+5] ^= 1
	uv := func(vs ...uint64) []byte {
		b := []byte(magic)
		for _, v := range vs {
			b = binary.AppendUvarint(b, v)
		}
		return b
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "not a fingerprint file"},
		{"other file", []byte("{\"question\": \"x\"}\n"), "not a fingerprint file"},
		{"newer version", []byte("forensics benchmark fingerprints v2\n...."), "unsupported fingerprint file version"},
		{"checksum", flipped, "checksum mismatch"},
		{"truncated", good[:len(good)-9], "checksum mismatch"},
		{"trailing bytes", withCRC(append(bytes.Clone(body), 0)), "bytes after the entries"},
		{"shingle size", withCRC(uv(5, 0, 0)), "shingles of 5 words"},
		{"too many suites", withCRC(uv(3, 5000)), "over the limit"},
		{"bad name", withCRC(append(uv(3, 1, 2), "\x1b["...)), "unprintable"},
		{"duplicate suite", withCRC(append(append(uv(3, 2, 1), 'a'), append(binary.AppendUvarint([]byte{1, 0, 1}, 'a'), 1, 0, 0)...)), "twice"},
		{"item out of range", withCRC(append(append(uv(3, 1, 1), 'a'), 1, 0, 1, 5, 1)), "over the limit"},
		{"entries out of order", withCRC(append(append(uv(3, 1, 1), 'a'), 2, 0, 2, 9, 1, 0, 0)), "out of order"},
		{"item without shingles", withCRC(append(append(uv(3, 1, 1), 'a'), 2, 0, 2, 9, 0, 1, 0)), "item 1 has 0 shingles"},
		{"more items than shingles", withCRC(append(append(uv(3, 1, 1), 'a'), 2, 0, 1, 9, 0)), "2 items but 1 shingles"},
		{"entry count over the bytes left", withCRC(append(append(uv(3, 1, 1), 'a'), 1, 0, 0xff, 0xff, 0x03)), "over the limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Read = %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestReadSizeLimit(t *testing.T) {
	big := append([]byte(magic), make([]byte, MaxFileSize)...)
	if _, err := Read(bytes.NewReader(big)); err == nil || !strings.Contains(err.Error(), "over") {
		t.Fatalf("Read of %d bytes = %v, want the size limit", len(big), err)
	}
}

func FuzzRead(f *testing.F) {
	f.Add(encode(f, testSet()))
	f.Add(encode(f, Build("e", nil)))
	f.Add([]byte(magic))
	f.Add(withCRC([]byte(magic + "\x03\x01\x01a\x01\x00\x01\x09\x00")))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		// What Read accepts writes back byte for byte and can be queried.
		if again := encode(t, s); !bytes.Equal(again, data) {
			t.Fatalf("accepted %d bytes that re-encode differently", len(data))
		}
		s.Match(farmItem)
		s.Strip(farmItem)
		for _, su := range s.Suites() {
			if CheckName(su.Name) != nil {
				t.Fatalf("accepted suite name %q", su.Name)
			}
		}
	})
}
