package logtile

import (
	"bufio"
	"compress/gzip"
	"container/heap"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config says how to tile.
type Config struct {
	// Copies is how many copies of the base are written (at least 1).
	Copies int
	// Spread bounds the time shift of each copy after the first (each
	// draws its own in [0, Spread)); 0 means 24 hours.
	Spread time.Duration
	// Keep is the share of each copy's requests written, chosen by a hash
	// of the copy and line (0 means all): 1M lines over 100k accounts
	// from a base with 100 requests an account, say.
	Keep float64
	// Seed draws the time shifts.
	Seed uint64
}

// Stats are what a tiling wrote.
type Stats struct {
	Lines int
	// Accounts is the base's accounts times the copies (with Keep < 1, an
	// account may have lost all its lines).
	Accounts int
}

// Tile writes cfg.Copies copies of the base log to out, in time order.
func Tile(base io.Reader, cfg Config, out io.Writer) (Stats, error) {
	if cfg.Copies < 1 {
		return Stats{}, errors.New("logtile: need at least one copy")
	}
	lines, err := readBase(base)
	if err != nil {
		return Stats{}, fmt.Errorf("logtile: %w", err)
	}
	t := newTiler(lines, cfg)
	bw := bufio.NewWriterSize(out, 1<<20)
	st := Stats{Accounts: cfg.Copies * t.accounts()}
	var buf []byte
	for c := t.next(); c != nil; c = t.next() {
		buf = t.write(buf[:0], c.copy, &lines[c.line])
		if _, err := bw.Write(buf); err != nil {
			return st, fmt.Errorf("logtile: %w", err)
		}
		st.Lines++
	}
	if err := bw.Flush(); err != nil {
		return st, fmt.Errorf("logtile: %w", err)
	}
	return st, nil
}

// WriteFile tiles the base log at basePath into path, gzipped if path
// ends in ".gz".
func WriteFile(path, basePath string, cfg Config) (Stats, error) {
	in, err := os.Open(basePath)
	if err != nil {
		return Stats{}, fmt.Errorf("logtile: %w", err)
	}
	defer in.Close()
	f, err := os.Create(path)
	if err != nil {
		return Stats{}, fmt.Errorf("logtile: %w", err)
	}
	var w io.Writer = f
	var zw *gzip.Writer
	if strings.HasSuffix(path, ".gz") {
		zw, _ = gzip.NewWriterLevel(f, gzip.BestSpeed)
		w = zw
	}
	st, err := Tile(in, cfg, w)
	if zw != nil {
		err = errors.Join(err, zw.Close())
	}
	if err = errors.Join(err, f.Close()); err != nil {
		return st, fmt.Errorf("logtile: %w", err)
	}
	return st, nil
}

// tiler merges the copies: a heap of one cursor per copy, ordered by the
// time of the cursor's line in its copy.
type tiler struct {
	lines   []baseLine
	shift   []time.Duration
	keep    uint64 // lines hashing below keep are written
	cursors cursorHeap
}

type cursor struct {
	copy, line int
	at         time.Time
}

func newTiler(lines []baseLine, cfg Config) *tiler {
	spread := cfg.Spread
	if spread <= 0 {
		spread = 24 * time.Hour
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x711e))
	t := &tiler{lines: lines, shift: make([]time.Duration, cfg.Copies), keep: math.MaxUint64}
	if cfg.Keep > 0 && cfg.Keep < 1 {
		t.keep = uint64(cfg.Keep * math.MaxUint64)
	}
	for k := range t.shift {
		if k > 0 {
			t.shift[k] = time.Duration(rng.Int64N(int64(spread)))
		}
		c := &cursor{copy: k, line: -1}
		if t.advance(c) {
			t.cursors = append(t.cursors, c)
		}
	}
	heap.Init(&t.cursors)
	return t
}

func (t *tiler) accounts() int {
	seen := map[string]bool{}
	for _, l := range t.lines {
		if !l.event {
			seen[l.account] = true
		}
	}
	return len(seen)
}

// advance moves c to its copy's next written line; false at the end.
func (t *tiler) advance(c *cursor) bool {
	for c.line++; c.line < len(t.lines); c.line++ {
		l := &t.lines[c.line]
		if l.event && c.copy > 0 {
			continue
		}
		if t.keep != math.MaxUint64 && mix(uint64(c.copy)<<32|uint64(c.line)) >= t.keep {
			continue
		}
		c.at = l.ts.Add(t.shift[c.copy])
		return true
	}
	return false
}

// next returns the earliest line not yet written (its cursor's state
// before advancing), or nil at the end.
func (t *tiler) next() *cursor {
	if len(t.cursors) == 0 {
		return nil
	}
	c := t.cursors[0]
	out := &cursor{copy: c.copy, line: c.line, at: c.at}
	if t.advance(c) {
		heap.Fix(&t.cursors, 0)
	} else {
		heap.Pop(&t.cursors)
	}
	return out
}

// write appends copy k of a line, with its newline, to buf.
func (t *tiler) write(buf []byte, k int, l *baseLine) []byte {
	suffix := "-c" + strconv.Itoa(k)
	for i, p := range l.parts {
		buf = append(buf, p...)
		if i == len(l.slots) {
			break
		}
		switch l.slots[i] {
		case slotTS:
			if k == 0 {
				buf = append(buf, l.tsText...)
			} else {
				buf = l.ts.Add(t.shift[k]).UTC().AppendFormat(buf, time.RFC3339Nano)
			}
		case slotRequestID:
			buf = append(buf, l.id...)
			if k > 0 {
				buf = append(buf, suffix...)
			}
		case slotAccount, slotKey:
			v := l.account
			if l.slots[i] == slotKey {
				v = l.key
			}
			buf = append(buf, v...)
			if k > 0 {
				buf = append(buf, suffix...)
			}
		case slotIP:
			buf = shiftAddr(l.ip, k).AppendTo(buf)
		case slotMark:
			if k > 0 {
				buf = append(marker(buf, k), ' ')
			}
		}
	}
	return append(buf, '\n')
}

// shiftAddr moves an address to another network for each copy: k is
// added to the 16 bits above the /24 (IPv4) or inside the /48 (IPv6),
// so a copy's accounts share networks as the base's do, and no two
// copies of one account share one.
func shiftAddr(a netip.Addr, k int) netip.Addr {
	if k == 0 {
		return a
	}
	if a.Is4() {
		b := a.As4()
		v := (uint16(b[1])<<8 | uint16(b[2])) + uint16(k)
		b[1], b[2] = byte(v>>8), byte(v)
		return netip.AddrFrom4(b)
	}
	b := a.As16()
	v := (uint16(b[4])<<8 | uint16(b[5])) + uint16(k)
	b[4], b[5] = byte(v>>8), byte(v)
	return netip.AddrFrom16(b)
}

// marker appends copy k's opening word: "zq" and k in letters, a word
// no topic lists and the template masking keeps.
func marker(buf []byte, k int) []byte {
	buf = append(buf, "zq"...)
	var d [16]byte
	i := len(d)
	for ; k > 0; k /= 26 {
		i--
		d[i] = 'a' + byte(k%26)
	}
	return append(buf, d[i:]...)
}

// mix is SplitMix64's finaliser: a well-spread hash of x.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

type cursorHeap []*cursor

func (h cursorHeap) Len() int { return len(h) }
func (h cursorHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].copy < h[j].copy
}
func (h cursorHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *cursorHeap) Push(x any)   { *h = append(*h, x.(*cursor)) }
func (h *cursorHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}
