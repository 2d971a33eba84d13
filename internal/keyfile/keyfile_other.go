//go:build !unix

package keyfile

import "io/fs"

// oNoFollow is 0 where the system has no O_NOFOLLOW; O_EXCL still refuses
// an existing link.
const oNoFollow = 0

// owner is not known on systems without Unix file owners.
func owner(fs.FileInfo) (int, bool) { return 0, false }
