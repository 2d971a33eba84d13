package logtile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sort"
	"time"

	"forensics/internal/jsonl"
	"forensics/logline"
)

// slot is a field a copy rewrites.
type slot byte

const (
	slotTS slot = iota + 1
	slotRequestID
	slotAccount
	slotKey
	slotIP
	slotMark // the start of a prompt or user message
	slotEnd
)

// baseLine is one line of the base log, cut where a copy differs: the
// line is parts[0], value of slots[0], parts[1], … parts[len(slots)].
type baseLine struct {
	ts    time.Time
	parts [][]byte
	slots []slot
	// The fields' values in the base, JSON-escaped without quotes.
	tsText, id, account, key string
	ip                       netip.Addr // invalid: not an address, kept as is
	ipText                   string
	event                    bool // a log event (no account): written once
}

// readBase reads a gateway log into cut lines, in time order.
func readBase(r io.Reader) ([]baseLine, error) {
	jr := jsonl.NewReader(r, 16<<20)
	var out []baseLine
	for {
		line, err := jr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("base log: %w", err)
		}
		bl, err := cut(line)
		if err != nil {
			return nil, fmt.Errorf("base log line %d: %w", jr.Line(), err)
		}
		out = append(out, bl)
	}
	if len(out) == 0 {
		return nil, errors.New("base log: no lines")
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ts.Before(out[j].ts) })
	return out, nil
}

// cut re-encodes a line with a control character marking each slot
// (JSON escapes it as \u000N, which no re-encoded text contains
// otherwise: cut refuses lines that do) and splits it there.
func cut(line []byte) (baseLine, error) {
	var e logline.Entry
	if err := json.Unmarshal(line, &e); err != nil {
		return baseLine{}, err
	}
	ts, err := time.Parse(time.RFC3339Nano, e.TS)
	if err != nil {
		return baseLine{}, fmt.Errorf("timestamp: %w", err)
	}
	bl := baseLine{ts: ts, tsText: e.TS, id: e.RequestID, account: e.Account, key: e.APIKeyID, ipText: e.IP, event: e.Account == ""}
	if plain, err := logline.Marshal(&e); err != nil {
		return baseLine{}, err
	} else if bytes.Contains(plain, []byte(`\u000`)) {
		return baseLine{}, errors.New("a control character in the line (the tiler marks fields with them)")
	}
	if a, err := netip.ParseAddr(e.IP); err == nil {
		bl.ip = a
	}
	mark := func(s slot) string { return string(rune(s)) }
	e.TS, e.RequestID = mark(slotTS), mark(slotRequestID)
	if !bl.event {
		e.Account, e.APIKeyID = mark(slotAccount), mark(slotKey)
		if bl.ip.IsValid() {
			e.IP = mark(slotIP)
		}
		if e.Prompt != nil {
			p := mark(slotMark) + *e.Prompt
			e.Prompt = &p
		}
		e.Messages = append([]logline.Message(nil), e.Messages...)
		for i := range e.Messages {
			if e.Messages[i].Role == "user" {
				e.Messages[i].Content = mark(slotMark) + e.Messages[i].Content
			}
		}
	}
	enc, err := logline.Marshal(&e)
	if err != nil {
		return baseLine{}, err
	}
	for len(enc) > 0 {
		i := bytes.Index(enc, []byte(`\u000`))
		if i < 0 {
			break
		}
		bl.parts = append(bl.parts, enc[:i])
		bl.slots = append(bl.slots, slot(enc[i+5]-'0'))
		enc = enc[i+6:]
	}
	bl.parts = append(bl.parts, enc)
	for _, f := range []*string{&bl.tsText, &bl.id, &bl.account, &bl.key, &bl.ipText} {
		*f = escape(*f)
	}
	return bl, nil
}

// escape is s as JSON writes it inside quotes.
func escape(s string) string {
	b, _ := jsonl.MarshalLine(s)
	return string(b[1 : len(b)-1])
}
