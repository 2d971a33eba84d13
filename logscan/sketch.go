package logscan

// sketchSize is how many MinHash values summarise an account's active
// minutes: 256 bytes an account, whatever the log's time span. The
// estimated Jaccard of two sketches has a standard error of at most
// 1/(2√64) ≈ 0.06.
const sketchSize = 64

// sketchSeeds are the odd multipliers and the offsets of the hash
// functions h_i(x) = (a_i·g(x) + b_i) >> 32 over one 64-bit mix g
// (fixed, so that sketches of different scans compare).
var sketchSeeds = func() (s [sketchSize][2]uint64) {
	x := uint64(0x5eed19)
	for i := range s {
		x = splitmix64(x)
		s[i][0] = x | 1
		x = splitmix64(x)
		s[i][1] = x
	}
	return s
}()

// minuteSketch is a MinHash sketch of the set of minutes in which an
// account was active, with a count of those minutes.
type minuteSketch struct {
	mins [sketchSize]uint32
	// minutes counts distinct active minutes when requests come in time
	// order (an out-of-order request may count its minute twice).
	minutes int
	last    int64 // the last minute added, plus one (0: none)
}

// add records activity in minute m (Unix minutes). Requests within one
// minute cost one comparison.
func (k *minuteSketch) add(m int64) {
	if k.last == m+1 {
		return
	}
	if k.minutes == 0 {
		for i := range k.mins {
			k.mins[i] = ^uint32(0)
		}
	}
	k.last = m + 1
	k.minutes++
	g := splitmix64(uint64(m))
	for i := range k.mins {
		if h := uint32((sketchSeeds[i][0]*g + sketchSeeds[i][1]) >> 32); h < k.mins[i] {
			k.mins[i] = h
		}
	}
}

// merge makes k the sketch of the union of both accounts' minutes.
func (k *minuteSketch) merge(o *minuteSketch) {
	if o.minutes == 0 {
		return
	}
	if k.minutes == 0 {
		*k = *o
		return
	}
	for i := range k.mins {
		k.mins[i] = min(k.mins[i], o.mins[i])
	}
	k.minutes += o.minutes // an upper bound: shared minutes count twice
	k.last = 0
}

// jaccard estimates |A∩B| / |A∪B| of the two accounts' active minutes.
func (k *minuteSketch) jaccard(o *minuteSketch) float64 {
	if k.minutes == 0 || o.minutes == 0 {
		return 0
	}
	same := 0
	for i := range k.mins {
		if k.mins[i] == o.mins[i] {
			same++
		}
	}
	return float64(same) / sketchSize
}

// Banding for locality-sensitive hashing: two sketches become candidates
// when all rows of one band agree. With 21 bands of 3 rows, a pair at
// Jaccard 0.5 is a candidate with probability 1−(1−0.5³)²¹ ≈ 0.94, at 0.7
// ≈ 1.0, and at 0.1 ≈ 0.02.
const (
	sketchRows  = 3
	sketchBands = sketchSize / sketchRows
)

// band returns the key of band b.
func (k *minuteSketch) band(b int) uint64 {
	h := uint64(b) + 1
	for _, v := range k.mins[b*sketchRows : (b+1)*sketchRows] {
		h = splitmix64(h ^ uint64(v))
	}
	return h
}

// splitmix64 is a fast 64-bit mix (Steele, Lea and Flood's SplitMix64
// finaliser).
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
