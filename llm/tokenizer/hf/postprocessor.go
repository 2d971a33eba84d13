package hf

import (
	"encoding/json"
	"errors"
	"fmt"
)

// The post-processor adds the tokens Hugging Face's encode adds with
// add_special_tokens=true (a BOS, say). Encode never adds them; the
// EncodeWithSpecialTokens option does, for the post-processors of single
// texts that only add tokens around the text: TemplateProcessing,
// ByteLevel (which adds none), and a Sequence of them. Others are an error
// when the option is used, not when the file is read, since they do not
// change what Encode returns.

// postProcessor holds the ids to put before and after a text's ids.
type postProcessor struct {
	before, after []int32
	err           error // why the post-processor cannot be applied
}

// rawPost is the part of a post-processor this package reads.
type rawPost struct {
	Type          string            `json:"type"`
	Single        []json.RawMessage `json:"single"`
	SpecialTokens map[string]struct {
		IDs []int32 `json:"ids"`
	} `json:"special_tokens"`
	Processors []json.RawMessage `json:"processors"`
}

// templatePiece is an entry of TemplateProcessing's single template.
type templatePiece struct {
	SpecialToken *struct {
		ID string `json:"id"`
	} `json:"SpecialToken"`
	Sequence *struct {
		ID string `json:"id"`
	} `json:"Sequence"`
}

// buildPostProcessor reads the post-processor; depth bounds Sequences.
func buildPostProcessor(raw json.RawMessage, size int) postProcessor {
	var p postProcessor
	if err := p.add(raw, size, 0); err != nil {
		return postProcessor{err: err}
	}
	return p
}

func (p *postProcessor) add(raw json.RawMessage, size, depth int) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if depth > maxDepth {
		return fmt.Errorf("post-processors nest deeper than %d", maxDepth)
	}
	var r rawPost
	if err := json.Unmarshal(raw, &r); err != nil {
		return fmt.Errorf("post_processor: %w", err)
	}
	switch r.Type {
	case "ByteLevel":
		return nil
	case "Sequence":
		if len(r.Processors) > maxComponents {
			return fmt.Errorf("post-processor Sequence of %d, more than %d", len(r.Processors), maxComponents)
		}
		for _, sub := range r.Processors {
			if err := p.add(sub, size, depth+1); err != nil {
				return err
			}
		}
		return nil
	case "TemplateProcessing":
		return p.template(&r, size)
	}
	return fmt.Errorf("post-processor %s is not supported for special tokens (TemplateProcessing, ByteLevel, Sequence)", clip(r.Type))
}

// template reads a single-text template: special tokens, the sequence A
// once, special tokens.
func (p *postProcessor) template(r *rawPost, size int) error {
	seen := false
	for _, raw := range r.Single {
		var tp templatePiece
		if err := json.Unmarshal(raw, &tp); err != nil {
			return fmt.Errorf("post-processor template: %w", err)
		}
		switch {
		case tp.Sequence != nil && !seen:
			seen = true
		case tp.SpecialToken != nil:
			st, ok := r.SpecialTokens[tp.SpecialToken.ID]
			if !ok {
				return fmt.Errorf("post-processor template names %s, not among its special tokens", clip(tp.SpecialToken.ID))
			}
			for _, id := range st.IDs {
				if id < 0 || int(id) >= size {
					return fmt.Errorf("post-processor token id %d outside the vocabulary", id)
				}
			}
			if seen {
				p.after = append(p.after, st.IDs...)
			} else {
				p.before = append(p.before, st.IDs...)
			}
		default:
			return errors.New("post-processor template is not special tokens around one sequence")
		}
	}
	if !seen {
		return errors.New("post-processor template has no sequence")
	}
	return nil
}

// EncodeWithSpecialTokens returns the ids of text as Hugging Face's encode
// with add_special_tokens=true: Encode's ids with the post-processor's
// tokens around them (Gemma 3's <bos>, say; none for ByteLevel).
func (t *Tokenizer) EncodeWithSpecialTokens(text string) ([]int32, error) {
	if t.post.err != nil {
		return nil, t.post.err
	}
	ids, err := t.Encode(text)
	if err != nil {
		return nil, err
	}
	out := make([]int32, 0, len(t.post.before)+len(ids)+len(t.post.after))
	out = append(out, t.post.before...)
	out = append(out, ids...)
	return append(out, t.post.after...), nil
}
