package benchmarks

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"unicode"
	"unicode/utf8"
)

// The file format, version 1 (all numbers unsigned varints):
//
//	"forensics benchmark fingerprints v1\n"
//	shingle words (3), suites
//	per suite: name length, name, items, skipped
//	entries; per entry, in (hash, item) order: hash − previous hash, item
//	CRC-32 (IEEE, 4 bytes little-endian) of everything before it
//
// The version fixes the normalisation, Shingle and the hash (FNV-1a); a
// change to any of them is a new version, since old hashes would no
// longer meet new ones.
const magic = "forensics benchmark fingerprints v1\n"

// Limits on what Read accepts: a fingerprint file is outside input.
const (
	MaxFileSize  = 16 << 20
	maxSuites    = 1024
	maxNameBytes = 64
	maxItems     = 1 << 24
)

// WriteTo writes the set in the file format.
func (s *Set) WriteTo(w io.Writer) (int64, error) {
	var b []byte
	b = append(b, magic...)
	b = binary.AppendUvarint(b, Shingle)
	b = binary.AppendUvarint(b, uint64(len(s.suites)))
	for _, su := range s.suites {
		b = binary.AppendUvarint(b, uint64(len(su.Name)))
		b = append(b, su.Name...)
		b = binary.AppendUvarint(b, uint64(su.Items))
		b = binary.AppendUvarint(b, uint64(su.Skipped))
	}
	b = binary.AppendUvarint(b, uint64(len(s.hashes)))
	var prev uint64
	for i, h := range s.hashes {
		b = binary.AppendUvarint(b, h-prev)
		b = binary.AppendUvarint(b, uint64(s.items[i]))
		prev = h
	}
	b = binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
	n, err := w.Write(b)
	return int64(n), err
}

// Load reads a set from a file.
func Load(path string) (*Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("benchmarks: %w", err)
	}
	defer f.Close()
	s, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// Read parses a set in the file format. It reads at most MaxFileSize
// bytes, in time linear in them, and checks every count against what is
// left, the order of the entries and the checksum before it returns.
func Read(r io.Reader) (*Set, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("benchmarks: read: %w", err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("benchmarks: file over %d bytes", MaxFileSize)
	}
	if !bytes.HasPrefix(data, []byte(magic)) {
		if bytes.HasPrefix(data, []byte("forensics benchmark fingerprints ")) {
			return nil, errors.New("benchmarks: unsupported fingerprint file version (this build reads v1)")
		}
		return nil, errors.New("benchmarks: not a fingerprint file")
	}
	if len(data) < len(magic)+4 {
		return nil, errors.New("benchmarks: truncated file")
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return nil, errors.New("benchmarks: checksum mismatch (file damaged or truncated)")
	}
	d := &decoder{b: body[len(magic):]}
	s, err := d.set()
	if err != nil {
		return nil, fmt.Errorf("benchmarks: %w", err)
	}
	return s, nil
}

// decoder reads varints from a byte slice, remembering the first error.
type decoder struct {
	b []byte
}

// uint reads one varint no larger than max.
func (d *decoder) uint(what string, max uint64) (uint64, error) {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		return 0, fmt.Errorf("%s: truncated or malformed number", what)
	}
	d.b = d.b[n:]
	if v > max {
		return 0, fmt.Errorf("%s: %d is over the limit %d", what, v, max)
	}
	return v, nil
}

func (d *decoder) set() (*Set, error) {
	k, err := d.uint("shingle size", 1<<10)
	if err != nil {
		return nil, err
	}
	if k != Shingle {
		return nil, fmt.Errorf("shingles of %d words, this build uses %d", k, Shingle)
	}
	suites, total, err := d.suites()
	if err != nil {
		return nil, err
	}
	entries, err := d.entries(total)
	if err != nil {
		return nil, err
	}
	if len(d.b) != 0 {
		return nil, fmt.Errorf("%d bytes after the entries", len(d.b))
	}
	if total > len(entries) { // every item has a shingle: checked before allocating per item
		return nil, fmt.Errorf("%d items but %d shingles", total, len(entries))
	}
	s := assemble(suites, entries)
	for i, n := range s.shingle {
		if n == 0 || n == 255 {
			return nil, fmt.Errorf("item %d has %d shingles, want 1 to 254", i, n)
		}
	}
	return s, nil
}

func (d *decoder) suites() ([]SuiteInfo, int, error) {
	n, err := d.uint("suites", maxSuites)
	if err != nil {
		return nil, 0, err
	}
	var suites []SuiteInfo
	seen := map[string]bool{}
	total := 0
	for range n {
		l, err := d.uint("suite name length", maxNameBytes)
		if err != nil {
			return nil, 0, err
		}
		if uint64(len(d.b)) < l {
			return nil, 0, errors.New("suite name: truncated")
		}
		name := string(d.b[:l])
		d.b = d.b[l:]
		if err := CheckName(name); err != nil {
			return nil, 0, err
		}
		if seen[name] {
			return nil, 0, fmt.Errorf("suite %q twice", name)
		}
		seen[name] = true
		items, err := d.uint("items", uint64(maxItems-total))
		if err != nil {
			return nil, 0, err
		}
		skipped, err := d.uint("skipped items", maxItems)
		if err != nil {
			return nil, 0, err
		}
		total += int(items)
		suites = append(suites, SuiteInfo{Name: name, Items: int(items), Skipped: int(skipped)})
	}
	return suites, total, nil
}

// entries reads the hash/item pairs, which must be in strictly increasing
// (hash, item) order.
func (d *decoder) entries(items int) ([]entry, error) {
	n, err := d.uint("entries", uint64(len(d.b)/2)) // each entry takes at least two bytes
	if err != nil {
		return nil, err
	}
	out := make([]entry, 0, n)
	var h uint64
	for i := range n {
		delta, err := d.uint("hash", ^uint64(0))
		if err != nil {
			return nil, err
		}
		item, err := d.uint("item", uint64(max(items-1, 0)))
		if err != nil {
			return nil, err
		}
		if items == 0 {
			return nil, errors.New("entries without items")
		}
		if h+delta < h {
			return nil, fmt.Errorf("entry %d: hash overflows", i)
		}
		h += delta
		if i > 0 && delta == 0 && uint32(item) <= out[len(out)-1].item {
			return nil, fmt.Errorf("entry %d: out of order", i)
		}
		out = append(out, entry{h, uint32(item)})
	}
	return out, nil
}

// CheckName accepts a suite name of 1 to 64 bytes of printable characters
// without spaces at either end, so listing it cannot forge terminal output.
func CheckName(name string) error {
	if name == "" || len(name) > maxNameBytes || !utf8.ValidString(name) {
		return fmt.Errorf("suite name %q: empty, over %d bytes or not UTF-8", name, maxNameBytes)
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("suite name %q: unprintable character", name)
		}
	}
	if name[0] == ' ' || name[len(name)-1] == ' ' {
		return fmt.Errorf("suite name %q: space at an end", name)
	}
	return nil
}

var _ io.WriterTo = (*Set)(nil)
