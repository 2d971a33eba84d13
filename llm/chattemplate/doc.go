// Package chattemplate renders a model's chat template from its Hugging
// Face tokenizer_config.json, as the model's own server does, and locates
// each assistant message's text in the rendering.
package chattemplate
