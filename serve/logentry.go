package serve

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"forensics/logline"
)

// TiltedTV is the probability mass the key must move at a position for
// the position to count as tilted (logline.Watermark.Tilted).
const TiltedTV = 0.01

// maxUserAgent bounds the client string, which comes from a header and,
// unlike the prompt, is never evidence worth a kilobyte.
const maxUserAgent = 512

// maxError bounds logged error messages (an upstream's error can quote
// the request).
const maxError = 2048

// bound cuts every text field of a log entry to max bytes (user agent and
// error to their own smaller bounds), recording what was cut, so that no
// request can make a line larger than a few times max. It works on
// copies: the caller's messages are not changed.
func bound(e *logline.Entry, max int) {
	cut := func(field string, s *string, n int) {
		if len(*s) <= n {
			return
		}
		sum := sha256.Sum256([]byte(*s))
		e.Truncated = append(e.Truncated, logline.Truncation{Field: field, Bytes: len(*s), SHA256: hex.EncodeToString(sum[:])})
		*s = cutUTF8(*s, n)
	}
	cut("user_agent", &e.UserAgent, maxUserAgent)
	cut("error", &e.Error, maxError)
	cut("model", &e.Model, maxUserAgent)
	if e.System != nil {
		s := *e.System
		cut("system", &s, max)
		e.System = &s
	}
	if e.Prompt != nil {
		s := *e.Prompt
		cut("prompt", &s, max)
		e.Prompt = &s
	}
	if len(e.Messages) > 0 {
		// A refused request can carry more than a line should hold (a
		// generation request never does: checkLoggable refused it
		// otherwise): messages past maxRequestLine are left out and
		// recorded as one truncation.
		var msgs []logline.Message
		size := 0
		for i, m := range e.Messages {
			cut(fmt.Sprintf("messages[%d].role", i), &m.Role, 64)
			cut(fmt.Sprintf("messages[%d].content", i), &m.Content, max)
			if size += jsonLen(m.Content) + jsonLen(m.Role) + 24; size > maxRequestLine {
				h := sha256.New()
				n := 0
				for _, rest := range e.Messages[i:] {
					h.Write([]byte(rest.Role + "\x00" + rest.Content + "\x00"))
					n += len(rest.Role) + len(rest.Content)
				}
				e.Truncated = append(e.Truncated, logline.Truncation{Field: fmt.Sprintf("messages[%d:]", i), Bytes: n, SHA256: hex.EncodeToString(h.Sum(nil))})
				break
			}
			msgs = append(msgs, m)
		}
		e.Messages = msgs
	}
	if b, err := json.Marshal(e.Params); err == nil && len(b) > max {
		sum := sha256.Sum256(b)
		e.Truncated = append(e.Truncated, logline.Truncation{Field: "params", Bytes: len(b), SHA256: hex.EncodeToString(sum[:])})
		kept := map[string]any{}
		for _, k := range []string{"temperature", "max_tokens", "min_tokens", "top_logprobs", "logprobs", "n", "stream", "seed"} {
			if v, ok := e.Params[k]; ok {
				kept[k] = v
			}
		}
		e.Params = kept
	}
}

// cutUTF8 shortens s to at most n bytes without splitting a character.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
