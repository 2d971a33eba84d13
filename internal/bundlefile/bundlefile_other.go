//go:build !unix

package bundlefile

// openNoFollow is 0 where open has no O_NOFOLLOW; Open's check
// that the opened file is the one it examined without following links
// does the same job.
const openNoFollow = 0
