// Package benchmarks recognises requests that carry an item of a public
// benchmark (GSM8K, HumanEval, …): an evaluation lab running a test set is
// not harvesting the model, and a template copied from a public benchmark
// must never link two accounts as one operator.
//
// A suite's items are fingerprinted by hashed word shingles: the text is
// normalised (NFKC, lower case, punctuation stripped, single letters
// dropped), cut into overlapping runs of Shingle words, and each run
// hashed to 64 bits. Shingles that many items of the suite share (the
// suite's boilerplate) or that are made of function words only are not
// informative and are dropped; of the rest each item keeps the PerItem
// smallest hashes (a bottom-k sample, so an edit removes sampled and
// unsampled shingles alike). A text matches an item when it contains at
// least half of the item's sampled shingles, and at least MinShared of
// them: wrappers ("Question: … Answer:"), few-shot examples, re-lettered
// options and a few edited words leave that many intact, while an
// ordinary question on the same topic shares a shingle or two.
//
// Match says whether a text carries an item; Strip returns the text
// without the items it carries, which is what a scanner should score: the
// client reads this package too, and can wrap a harvesting prompt in
// public items.
//
// A Set holds only hashes, item numbers and suite names, never an item's
// text. Default is the set shipped in corpora/benchmarks; Build, Merge,
// Read and Load make others. docs/benchmarks.md has the measurements.
package benchmarks
