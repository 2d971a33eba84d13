package tokenizer

// Tokenizer splits text into pieces.
type Tokenizer interface {
	// Pieces returns the pieces of text, in order. Their concatenation is
	// the text as the model reads it: byte for byte the input for byte-level
	// BPE and the word splitter, possibly with a leading space added for
	// SentencePiece. An empty text has no pieces.
	Pieces(text string) ([]string, error)
	// ID names the tokenizer and its exact definition (for example a name and
	// a SHA-256 of its vocabulary), so that a result records what it used.
	ID() string
}
