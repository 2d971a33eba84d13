package tokenizer

import (
	"strings"

	otok "github.com/ollama/ollama/tokenizer"
)

// Special tokens (control and user-defined) are matched in the text before
// encoding: Ollama's encoders first cut the text at every occurrence of
// each special token, in vocabulary order, then encode the pieces between
// them. Ollama does the cutting by re-splicing its list of fragments at
// each occurrence, which costs the square of the number of occurrences (a
// 240 KB text of Gemma's "<bos>" and "<eos>" took 49 s and allocated
// 32 GB), and it never ends for an empty special token. specialSplitter
// cuts the same way in time linear in the text for each special token;
// the encoder it feeds is built with no special tokens, so Ollama's own
// cutting finds nothing to do.

// fragment is a run of text, or one special token (id ≥ 0).
type fragment struct {
	text string
	id   int32
}

// specialSplitter holds the special tokens in vocabulary order.
type specialSplitter struct {
	pieces []string
	ids    []int32
}

// newSpecialSplitter lists the special tokens of a vocabulary with the
// given types as Ollama's Vocabulary.SpecialVocabulary does, each with the
// id v.Encode gives it (the last of duplicates).
func newSpecialSplitter(types []int32, v *otok.Vocabulary) specialSplitter {
	var s specialSplitter
	for i, typ := range types {
		if isSpecialType(typ) && v.Values[i] != "" {
			s.pieces = append(s.pieces, v.Values[i])
			s.ids = append(s.ids, v.Encode(v.Values[i]))
		}
	}
	return s
}

// split cuts text as Ollama's encoders do: for each special token in
// order, every text fragment is cut at each of its leftmost
// non-overlapping occurrences. It costs O(len(text)) per special token
// and allocates only when a special token occurs.
func (s specialSplitter) split(text string) []fragment {
	frags := []fragment{{text: text, id: -1}}
	for k, piece := range s.pieces {
		frags = cutAt(frags, piece, s.ids[k])
	}
	return frags
}

// cutAt cuts each text fragment at the occurrences of piece (not empty).
// It returns frags itself when piece does not occur.
func cutAt(frags []fragment, piece string, id int32) []fragment {
	var out []fragment
	for i, f := range frags {
		at := -1
		if f.id < 0 {
			at = strings.Index(f.text, piece)
		}
		if at < 0 {
			if out != nil {
				out = append(out, f)
			}
			continue
		}
		if out == nil {
			out = append(make([]fragment, 0, len(frags)+2), frags[:i]...)
		}
		rest := f.text
		for ; at >= 0; at = strings.Index(rest, piece) {
			if at > 0 {
				out = append(out, fragment{text: rest[:at], id: -1})
			}
			out = append(out, fragment{text: piece, id: id})
			rest = rest[at+len(piece):]
		}
		if rest != "" {
			out = append(out, fragment{text: rest, id: -1})
		}
	}
	if out == nil {
		return frags
	}
	return out
}
