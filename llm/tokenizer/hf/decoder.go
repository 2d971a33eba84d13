package hf

import (
	"fmt"
	"strconv"
	"strings"
)

// A tokenDecoder maps one vocabulary entry to the text it stands for.
// Pieces come from the decoder the file declares, applied token by token:
// ByteLevel maps characters back to bytes, Replace and Metaspace turn ▁
// back into a space, ByteFallback turns <0xXX> into the byte. Fuse and
// Strip, which join the tokens and drop the leading space of the whole
// text, are left out: a piece is what the model read, and the pieces of
// a text concatenate to the text it read.
type tokenDecoder func(string) string

func buildDecoder(c *component, depth int, count *int) (tokenDecoder, error) {
	if c == nil {
		return func(s string) string { return s }, nil
	}
	if *count++; *count > maxComponents || depth > maxDepth {
		return nil, fmt.Errorf("decoders nest deeper than %d or number more than %d", maxDepth, maxComponents)
	}
	switch c.Type {
	case "Sequence":
		var seq []tokenDecoder
		for _, sub := range c.Decoders {
			d, err := buildDecoder(sub, depth+1, count)
			if err != nil {
				return nil, err
			}
			seq = append(seq, d)
		}
		return func(s string) string {
			for _, d := range seq {
				s = d(s)
			}
			return s
		}, nil
	case "ByteLevel":
		return func(s string) string { b, _ := fromByteLevel(s); return b }, nil
	case "ByteFallback":
		return byteFallback, nil
	case "Fuse", "Strip":
		return func(s string) string { return s }, nil
	case "Metaspace":
		rep := "▁"
		if c.Replacement != nil {
			rep = *c.Replacement
		}
		return func(s string) string { return strings.ReplaceAll(s, rep, " ") }, nil
	case "Replace":
		if c.Pattern == nil || c.Pattern.String == nil || c.Content == nil || *c.Pattern.String == "" {
			return nil, fmt.Errorf("decoder Replace needs a string pattern and a content (regex patterns are not supported)")
		}
		old, content := *c.Pattern.String, *c.Content
		return func(s string) string { return strings.ReplaceAll(s, old, content) }, nil
	}
	return nil, fmt.Errorf("decoder %s is not supported (supported: Sequence, ByteLevel, ByteFallback, Fuse, Strip, Metaspace, Replace)", clip(c.Type))
}

// byteFallback maps a <0xXX> token to its byte.
func byteFallback(s string) string {
	if len(s) != 6 || !strings.HasPrefix(s, "<0x") || s[5] != '>' {
		return s
	}
	b, err := strconv.ParseUint(s[3:5], 16, 8)
	if err != nil {
		return s
	}
	return string([]byte{byte(b)})
}
