package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
)

// fileTarget answers from a transcript file collected elsewhere: our own
// transcripts.jsonl (its suspect records, raw exchanges kept) or any JSONL
// with "prompt" and "response" (or "text"), optionally "prompt_id",
// "kind" and "repeat". Queries are matched by prompt id and repeat when the
// file has ids, otherwise by prompt text and occurrence.
type fileTarget struct {
	spec string
	byID map[string]Exchange
	byPr map[string][]Exchange
}

func newFileTarget(spec, path string) (Target, error) {
	t := &fileTarget{spec: spec, byID: map[string]Exchange{}, byPr: map[string][]Exchange{}}
	err := readLines(path, func(line int, raw []byte) error {
		var r struct {
			Role     string `json:"role"`
			PromptID string `json:"prompt_id"`
			Kind     string `json:"kind"`
			Repeat   int    `json:"repeat"`
			Prompt   string `json:"prompt"`
			Extract  string `json:"extract"`
			Error    string `json:"error"`
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			return fmt.Errorf("line %d: not JSON: %w", line, err)
		}
		ex := Exchange{Endpoint: spec + "#L" + strconv.Itoa(line), Extract: ExtractFile, Status: 200, Response: raw}
		if r.Extract != "" { // one of our transcript records: keep its raw exchange
			if r.Role != "suspect" || r.Error != "" {
				return nil
			}
			var rec Record
			if err := json.Unmarshal(raw, &rec); err != nil {
				return fmt.Errorf("line %d: %w", line, err)
			}
			req, resp, err := rec.Bodies()
			if err != nil {
				return fmt.Errorf("line %d: %w", line, err)
			}
			ex = Exchange{Endpoint: rec.Endpoint, Model: rec.Model, Extract: rec.Extract, Request: req, Status: rec.Status, Response: resp}
			r.Prompt = rec.Prompt
		} else if _, _, err := ExtractText(ExtractFile, raw); err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		if r.PromptID != "" {
			kind := r.Kind
			if kind == "" {
				kind = "prompt"
			}
			t.byID[kind+"/"+r.PromptID+"/"+strconv.Itoa(r.Repeat)] = ex
		}
		if r.Prompt != "" {
			t.byPr[r.Prompt] = append(t.byPr[r.Prompt], ex)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("target %s: %w", spec, err)
	}
	if len(t.byID) == 0 && len(t.byPr) == 0 {
		return nil, fmt.Errorf("target %s: no answers in the file", spec)
	}
	return t, nil
}

func (t *fileTarget) Spec() string                { return t.spec }
func (t *fileTarget) Check(context.Context) error { return nil }

func (t *fileTarget) Ask(_ context.Context, q Query, _ Sampling) (Exchange, error) {
	if ex, ok := t.byID[q.Kind+"/"+q.PromptID+"/"+strconv.Itoa(q.Repeat)]; ok {
		return ex, nil
	}
	if exs := t.byPr[q.Prompt]; q.Repeat < len(exs) {
		return exs[q.Repeat], nil
	}
	return Exchange{}, ErrNoAnswer
}
