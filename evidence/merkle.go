package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
)

// MerkleRoot is the RFC 6962 (Certificate Transparency) Merkle tree hash
// over the lines of a transcript file, without their newlines: a leaf is
// SHA-256(0x00 ‖ line), a node SHA-256(0x01 ‖ left ‖ right), the tree split
// at the largest power of two below the leaf count. One record's inclusion
// can then be shown without revealing the others.
func MerkleRoot(transcripts []byte) string {
	var leaves [][32]byte
	for _, line := range bytes.Split(transcripts, []byte{'\n'}) {
		if len(line) == 0 {
			continue
		}
		leaves = append(leaves, sha256.Sum256(append([]byte{0}, line...)))
	}
	root := merkle(leaves)
	return hex.EncodeToString(root[:])
}

func merkle(leaves [][32]byte) [32]byte {
	switch len(leaves) {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return leaves[0]
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	l, r := merkle(leaves[:k]), merkle(leaves[k:])
	return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...))
}
