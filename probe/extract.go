package probe

import (
	"encoding/json"
	"errors"
	"fmt"
)

// How the answer text is taken out of a raw response. verify re-extracts
// every text from the recorded bytes with these.
const (
	ExtractOllama   = "ollama-generate" // {"response": …, "eval_count": …}
	ExtractOpenAI   = "openai-chat"     // {"choices":[{"message":{"content":…}}], "usage":{…}}
	ExtractEmbedded = "embedded"        // {"text": …, "tokens": …}, written by the embedded target
	ExtractFile     = "file"            // a line of a transcript file: {"response"|"text": …}
)

// ExtractText returns the answer text and the completion token count a
// response reports (0 if it reports none).
func ExtractText(kind string, response []byte) (string, int, error) {
	switch kind {
	case ExtractOllama:
		var r struct {
			Response  *string `json:"response"`
			EvalCount int     `json:"eval_count"`
			Error     string  `json:"error"`
		}
		if err := json.Unmarshal(response, &r); err != nil {
			return "", 0, fmt.Errorf("response is not JSON: %w", err)
		}
		if r.Error != "" {
			return "", 0, fmt.Errorf("server error: %s", r.Error)
		}
		if r.Response == nil {
			return "", 0, errors.New(`response has no "response" field`)
		}
		return *r.Response, r.EvalCount, nil
	case ExtractOpenAI:
		var r struct {
			Choices []struct {
				Message struct {
					Content *string `json:"content"`
				} `json:"message"`
			} `json:"choices"`
			Usage struct {
				CompletionTokens int `json:"completion_tokens"`
			} `json:"usage"`
		}
		if err := json.Unmarshal(response, &r); err != nil {
			return "", 0, fmt.Errorf("response is not JSON: %w", err)
		}
		if len(r.Choices) == 0 || r.Choices[0].Message.Content == nil {
			return "", 0, errors.New("response has no choices[0].message.content")
		}
		return *r.Choices[0].Message.Content, r.Usage.CompletionTokens, nil
	case ExtractEmbedded:
		var r struct {
			Text   *string `json:"text"`
			Tokens int     `json:"tokens"`
		}
		if err := json.Unmarshal(response, &r); err != nil {
			return "", 0, fmt.Errorf("response is not JSON: %w", err)
		}
		if r.Text == nil {
			return "", 0, errors.New(`response has no "text" field`)
		}
		return *r.Text, r.Tokens, nil
	case ExtractFile:
		var r struct {
			Response *string `json:"response"`
			Text     *string `json:"text"`
			Tokens   int     `json:"completion_tokens"`
		}
		if err := json.Unmarshal(response, &r); err != nil {
			return "", 0, fmt.Errorf("line is not JSON: %w", err)
		}
		switch {
		case r.Response != nil:
			return *r.Response, r.Tokens, nil
		case r.Text != nil:
			return *r.Text, r.Tokens, nil
		}
		return "", 0, errors.New(`line has neither "response" nor "text"`)
	}
	return "", 0, fmt.Errorf("unknown extraction %q", kind)
}
