// Package logtile writes big gateway request logs for scale tests by
// tiling a base log (one from internal/traffic.Simulate, say): copy k of
// the base has its accounts and API keys renamed, its addresses moved to
// other networks, its prompts opened by a word of its own (so that copies
// share no templates or openings) and its times shifted, and the copies
// are merged in time order as they are written. Memory is the base log's,
// whatever the output's size. Copy 0 is the base itself.
package logtile
