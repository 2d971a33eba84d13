package evidence

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"forensics/internal/keyfile"
)

// maxKeyFile bounds what the key loaders read: a PEM key is a few hundred
// bytes.
const maxKeyFile = 64 << 10

// WriteSigningKey writes a new ed25519 key pair: the private key (PKCS #8
// PEM, mode 0600) at path and the public key (PKIX PEM, mode 0644) at
// path + ".pub". It refuses an existing private key unless overwrite is
// set, and never writes through a symbolic link at either path (see
// internal/keyfile); a stale .pub beside a new key is replaced.
func WriteSigningKey(path string, overwrite bool) (ed25519.PublicKey, error) {
	pubPath := path + ".pub"
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, fmt.Errorf("write signing key %s: %w", path, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("write signing key %s: %w", path, err)
	}
	pder, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("write public key %s: %w", pubPath, err)
	}
	// Check the .pub first, so that a link there stops us before the
	// private key is written.
	if err := keyfile.CheckPath(pubPath); err != nil {
		return nil, fmt.Errorf("write public key %s: %w", pubPath, err)
	}
	if err := keyfile.Write(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600, overwrite); err != nil {
		if errors.Is(err, keyfile.ErrExist) {
			return nil, fmt.Errorf("write signing key %s: file exists (refusing to overwrite a key)", path)
		}
		return nil, fmt.Errorf("write signing key %s: %w", path, err)
	}
	if err := keyfile.Write(pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pder}), 0o644, true); err != nil {
		return nil, fmt.Errorf("write public key %s: %w", pubPath, err)
	}
	return pub, nil
}

// LoadSigningKey reads a private key written by WriteSigningKey. Like a
// watermark key, it is refused when it is not a regular file, when group or
// others may read or write it, or when another user owns it.
func LoadSigningKey(path string) (ed25519.PrivateKey, error) {
	data, err := keyfile.Read(path, maxKeyFile)
	if err != nil {
		return nil, fmt.Errorf("load signing key %s: %w", path, err)
	}
	blk, _ := pem.Decode(data)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("load signing key %s: not a PEM private key", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("load signing key %s: %w", path, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("load signing key %s: not an ed25519 key", path)
	}
	return priv, nil
}

// LoadPublicKey reads a public key written by WriteSigningKey.
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load public key: %w", err)
	}
	blk, _ := pem.Decode(data)
	if blk == nil || blk.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("load public key %s: not a PEM public key", path)
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("load public key %s: %w", path, err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("load public key %s: not an ed25519 key", path)
	}
	return pub, nil
}

// KeyFingerprint names a public key: sha256 of it, first 16 hex digits.
func KeyFingerprint(pub []byte) string {
	d := sha256.Sum256(pub)
	return "ed25519:" + hex.EncodeToString(d[:8])
}
