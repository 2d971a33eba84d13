package openaicompat

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrLostBytes is the error for a token whose bytes the engine did not
// report: its text is or holds U+FFFD, what a tokenizer's decode makes of
// a token that ends inside a UTF-8 character. Such tokens cannot be told
// apart (vLLM's top_logprobs object keeps one of them and drops the rest),
// and their text is not what the model wrote, so the watermark's
// acceptance cannot be exact on them. Engines that report such tokens
// exactly: vLLM with --return-tokens-as-token-ids and the gateway given the
// model's tokenizer; engines that send each token's bytes (llama.cpp's and
// Ollama's "bytes").
var ErrLostBytes = errors.New("the engine reported a token without its bytes (U+FFFD)")

// tokenIDPrefix is how vLLM names a token by its id
// (--return-tokens-as-token-ids, or return_tokens_as_token_ids in the
// request): "token_id:1234".
const tokenIDPrefix = "token_id:"

// bytesPrefix marks a token given as escaped bytes, "bytes:\xe2\x82":
// the form engines use for a token that is not whole UTF-8.
const bytesPrefix = "bytes:"

// piece turns a reported token into the bytes it stands for, and reports
// whether it is an end token.
func (c *Client) piece(t tokenLP) (piece string, eos bool, err error) {
	switch {
	case strings.HasPrefix(t.Token, tokenIDPrefix):
		return c.pieceByID(t.Token[len(tokenIDPrefix):])
	case len(t.Bytes) > 0:
		b := make([]byte, len(t.Bytes))
		for i, x := range t.Bytes {
			if x < 0 || x > 255 {
				return "", false, errors.New("token bytes outside 0-255")
			}
			b[i] = byte(x)
		}
		piece = string(b)
	case strings.HasPrefix(t.Token, bytesPrefix):
		if piece, err = unescapeBytes(t.Token[len(bytesPrefix):]); err != nil {
			return "", false, err
		}
	default:
		piece = t.Token
	}
	if strings.Contains(piece, "\uFFFD") { // the encoded character, not invalid bytes
		return "", false, ErrLostBytes
	}
	return piece, c.eos[piece], nil
}

// pieceByID looks a token id up in the model's vocabulary.
func (c *Client) pieceByID(s string) (string, bool, error) {
	id, err := strconv.ParseInt(s, 10, 32)
	if err != nil || id < 0 {
		return "", false, errors.New("a token_id: token without a token id")
	}
	if c.vocab == nil {
		return "", false, errors.New("the engine names tokens by id (return_tokens_as_token_ids) and the gateway has no tokenizer for the model (backend.tokenizer)")
	}
	if int(id) >= c.vocab.Size() {
		return "", false, fmt.Errorf("a token id outside the tokenizer's %d tokens (is backend.tokenizer the served model's?)", c.vocab.Size())
	}
	id32 := int32(id)
	if c.vocab.IsEOS(id32) {
		return "", true, nil
	}
	return c.vocab.Piece(id32), false, nil
}

// unescapeBytes decodes the \xNN escapes of a bytes-token; other
// characters stand for themselves.
func unescapeBytes(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) || s[i+1] != 'x' {
			b.WriteByte(s[i])
			continue
		}
		if i+4 > len(s) {
			return "", errBadEscape
		}
		v, err := strconv.ParseUint(s[i+2:i+4], 16, 8)
		if err != nil {
			return "", errBadEscape
		}
		b.WriteByte(byte(v))
		i += 3
	}
	return b.String(), nil
}

// errBadEscape is unescapeBytes' error. Like every error of this
// package it quotes no token: errors reach the gateway's client, and a
// token the gateway did not emit (a rejected draft) would tell it where
// the watermark acted.
var errBadEscape = errors.New("a bytes: token with a bad \\x escape")
