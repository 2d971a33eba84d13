// Package watermark implements the kgw-siphash24-v1 output watermark: keys,
// the keyed green-list test over token pieces, the sampler that embeds the
// watermark in a next-piece distribution, and the detector with its exact
// p-value. This comment is the scheme's specification; it is meant to be
// precise enough to re-implement in another language, and the test vectors
// in testdata/vectors.json (checked by TestVectors) pin every step.
//
// The scheme follows Kirchenbauer et al., "A Watermark for Large Language
// Models" (ICML 2023), with a keyed PRF in place of their seeded RNG and with
// detection over de-duplicated tuples as recommended by Fernandez et al.,
// "Three Bricks to Consolidate Watermarks for LLMs" (2023).
//
// # Notation
//
// A piece is a byte string: one token of the served model as its tokenizer
// spells it (Ollama reports pieces, not ids). Pieces need not be valid UTF-8.
// LE64(x) is the 8-byte little-endian encoding of a 64-bit unsigned integer.
// SipHash-2-4 is as defined by Aumasson and Bernstein (2012), with a 128-bit
// key given as two 64-bit halves (k0, k1) = (LE64⁻¹(key[0:8]), LE64⁻¹(key[8:16])).
//
// # Keys
//
// A key is an id (1-64 characters from [A-Za-z0-9._-]), a 32-byte secret from
// a cryptographic random source, and public parameters: γ in (0,1), the green
// share; δ > 0, the embedding bias; h in 0..8, the context width; and
// payload_bits in 0..64 (reserved for multi-bit payloads; 0 today). A key
// file is YAML with the fields version (1), id, created (RFC 3339), scheme
// ("kgw-siphash24-v1"), gamma, delta, context_width, payload_bits and secret
// (64 lowercase hex digits). It is written with mode 0600, and a file that
// group or others may read is refused when loading.
//
// # Key commitment
//
// Reports carry a commitment instead of the key: the lowercase hex SHA-256
// of the UTF-8 text
//
//	forensics-key-commitment-v1\n
//	id=<id>\n
//	scheme=kgw-siphash24-v1\n
//	gamma=<γ>\n
//	delta=<δ>\n
//	context_width=<h>\n
//	payload_bits=<b>\n
//	secret=<64 lowercase hex digits>\n
//
// where γ and δ are written as the shortest decimal that reads back as the
// same float64 (Go's strconv.FormatFloat(x, 'g', -1, 64): 0.25, 2, 1e-05).
// The secret's 256 bits of entropy make the commitment hiding; SHA-256 makes
// it binding.
//
// # Subkeys
//
// The green-list key is 16 bytes of HKDF-SHA256 (RFC 5869) with the secret
// as input keying material, salt "forensics/kgw-siphash24-v1" and info
// "green-list". (Info "payload-position" is reserved for the payload scheme.)
// The sampling key is 32 bytes of the same HKDF with info "sampling-seed":
// it keys HMAC-SHA256 seeds for every random draw of a watermarked
// generation (Scheme.SamplingSeed), so that no draw is predictable by the
// client. It is not needed for detection. The canary seed is 32 bytes of
// the same HKDF with info "canaries": it seeds the deployment's secret
// canary set (canary.NewSecret), whose planted answers only text we served
// can teach a model.
//
// # Piece fingerprints
//
// fp(x) = SipHash-2-4 under the public key made of the first 16 bytes of
// SHA-256("forensics/piece-fingerprint/v1"), over the bytes of x. The
// fingerprint is deliberately unkeyed: it names a piece the same way under
// every key, so callers can cache it and compare tuples across keys.
//
// # The green test
//
// For a candidate piece x after the pieces c_1 … c_n (n ≥ h), the PRF value
// is
//
//	v = SipHash-2-4(green-list key, LE64(fp(c_{n-h+1})) ‖ … ‖ LE64(fp(c_n)) ‖ LE64(fp(x)))
//
// (oldest context piece first; for h = 0 just LE64(fp(x))), u = ⌊v / 2^11⌋ ·
// 2^-53, a number in [0,1) with 53 bits, and x is green iff u < γ. In integer
// form: green iff ⌊v / 2^11⌋ < ⌈γ · 2^53⌉, which involves no rounding because
// γ · 2^53 is exact in binary floating point.
//
// # Embedding
//
// Given the candidates' raw log-probabilities ℓ(x) and a temperature T > 0,
// p_T(x) ∝ exp(ℓ(x)/T) over the candidates, and the watermarked distribution
// is q(x) ∝ p_T(x)·e^δ_T if x is green, p_T(x) otherwise, with
// δ_T = δ / min(T, 1), over the candidates other than end-of-sequence;
// end-of-sequence keeps its probability, q(EOS) = p_T(EOS), and is never
// green. (Ollama reports no log-probability for the end token, and only a
// target that leaves it alone can be sampled exactly through Ollama.) The
// next piece is sampled from q. While fewer than h pieces precede the
// position, q = p_T.
//
// Below T = 1, δ_T is δ added to the raw log-probabilities before the
// temperature divides them (as in Kirchenbauer et al.'s reference code,
// whose logits processor runs before Hugging Face's temperature warper);
// a bias added after the temperature vanishes as p_T sharpens (measured on
// the embedded model: log10 p ≈ −0.1 for 200 pieces at T = 0.05). Above
// T = 1 the bias is not reduced. At T ≤ 0 (greedy decoding) p_T is a point
// mass that no tilt moves, so greedy text carries no watermark; near T = 0
// the tilted distribution is nearly greedy and repeats itself, which
// de-duplicated detection does not count. The gateway therefore serves
// watermarked accounts at no less than a temperature floor (0.2 by
// default; see serve).
//
// # Detection
//
// The text is normalised (NFC; zero-width and invisible format characters
// removed; look-alike Cyrillic, Greek and full-width letters folded to ASCII
// inside words that contain an ASCII letter: see Normalize) and split into
// pieces with the served model's tokenizer. The prompt, if known, is treated
// the same way, and the PRF values of its own tuples (positions with h
// preceding prompt pieces) form the set P.
//
// For each position t of the text with at least h preceding text pieces, in
// order: if v_t is in P the piece is skipped (copied from the prompt); if
// v_t equals the value of an earlier scored position it is skipped
// (repeat); otherwise it is scored, and counted green if green. The first h
// pieces are skipped. With N scored and S green,
//
//	p = P(Binomial(N, γ) ≥ S) = Σ_{k=S..N} C(N,k) γ^k (1-γ)^(N-k),
//
// computed exactly in log space (stats.LogBinomUpperTail) and reported as
// log10 p, with z = (S - γN)/√(γ(1-γ)N) for information. The text is called
// watermarked at level α iff p ≤ α.
//
// Why this p-value is exact: if the text was produced without knowledge of
// the key, the PRF values of distinct inputs are independent and uniform, so
// the green indicators of the scored positions are independent Bernoulli(γ)
// and S ~ Binomial(N, γ). Scoring each PRF value once is what makes the
// positions distinct inputs: repeated n-grams (lists, code, boilerplate) are
// not independent evidence and would otherwise inflate S. Two different
// tuples are merged only if their 64-bit values collide, with probability
// about N²/2^65 (below 10^-7 for a million tuples), and a merge only removes
// a position. The test is discrete, hence conservative: P(p ≤ α) ≤ α.
//
// # Localised detection
//
// To find a watermarked passage inside other text, the scored positions (in
// order) are covered by windows of w consecutive scored positions for each
// size w in 32, 64, …, 1024 below N, starting at 0, w/4, 2·w/4, … while the
// window fits, plus one window ending at the last position if the stride did
// not reach it. Each window's p-value is the exact binomial tail of its own
// counts. The best window's p-value is multiplied by the number M of windows
// tried (Bonferroni), and the decision takes min(2·p_text, 2·M·p_window) ≤ α,
// i.e. α is split between the whole text and the search.
//
// # Test vectors
//
// testdata/vectors.json lists, for the secret 00 01 … 1f and h = 0, 1, 2, 4,
// 8 (γ = 0.25, δ = 2): the commitment, the green-list subkey, and for several
// contexts and pieces (as hex, the authoritative form, and as text) the
// piece fingerprint, the PRF input, v, u and the green bit.
package watermark
