package openaicompat

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Model is one entry of /v1/models.
type Model struct {
	ID      string `json:"id"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

// modelsTTL is how long a model list is reused: the gateway asks whether
// a model exists on every request.
const modelsTTL = 10 * time.Second

// maxModelsBody bounds the /v1/models answer.
const maxModelsBody = 4 << 20

// Models lists the engine's models (/v1/models), from a cache at most
// modelsTTL old.
func (c *Client) Models(ctx context.Context) ([]Model, error) {
	c.mu.Lock()
	if c.models != nil && time.Since(c.modelsAt) < modelsTTL {
		m := c.models
		c.mu.Unlock()
		return m, nil
	}
	c.mu.Unlock()
	req, err := c.newRequest(ctx, http.MethodGet, "/v1/models", nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("openai-compatible engine: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, statusError(resp)
	}
	var list struct {
		Data []Model `json:"data"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxModelsBody)).Decode(&list); err != nil {
		return nil, fmt.Errorf("openai-compatible engine: /v1/models: %w", err)
	}
	if list.Data == nil {
		list.Data = []Model{}
	}
	c.mu.Lock()
	c.models, c.modelsAt = list.Data, time.Now()
	c.mu.Unlock()
	return list.Data, nil
}

// Has reports whether the engine serves model.
func (c *Client) Has(ctx context.Context, model string) (bool, error) {
	ms, err := c.Models(ctx)
	if err != nil {
		return false, err
	}
	for _, m := range ms {
		if m.ID == model {
			return true, nil
		}
	}
	return false, nil
}
