package reasoning

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// TrainOptions are the training's settings. The zero value of a field
// means its default (DefaultTrainOptions).
type TrainOptions struct {
	Params Params
	Epochs int
	// Warmup is how many first epochs train on whole texts before windows
	// are chosen by the model (no model yet to choose them).
	Warmup    int
	LearnRate float64 // at epoch 0; epoch e uses LearnRate/√(1+e)
	L2        float64 // per example
	Seed      uint64  // of the order examples are visited in
}

// DefaultParams are the shipped model's parameters; docs/reasoning-
// classifier.md has the measurements behind them.
var DefaultParams = Params{MinN: 1, MaxN: 4, HashBits: 18, Window: 64, Stride: 16}

// DefaultTrainOptions trains the shipped model.
var DefaultTrainOptions = TrainOptions{Params: DefaultParams, Epochs: 30, Warmup: 2, LearnRate: 0.5, L2: 1e-5, Seed: 19}

func (o TrainOptions) withDefaults() TrainOptions {
	d := DefaultTrainOptions
	if o.Params == (Params{}) {
		o.Params = d.Params
	}
	if o.Epochs == 0 {
		o.Epochs = d.Epochs
	}
	if o.Warmup == 0 {
		o.Warmup = d.Warmup
	}
	if o.LearnRate == 0 {
		o.LearnRate = d.LearnRate
	}
	if o.L2 == 0 {
		o.L2 = d.L2
	}
	if o.Seed == 0 {
		o.Seed = d.Seed
	}
	return o
}

// bag is one example as training reads it: its n-grams' buckets in order
// of their last rune, cut into blocks.
type bag struct {
	buckets []uint32
	blocks  []int32 // block b is buckets[blocks[b]:blocks[b+1]]
	y       float64
	weight  float64 // class weight
}

// Train fits a model to examples: logistic regression with L2 by
// stochastic gradient descent, where each text's instance is its
// highest-scoring window under the current weights (the loss of the max
// over windows, which is what Score computes). It is deterministic: the
// same examples and options give the same model, bit for bit, on every
// platform.
func Train(examples []Example, opts TrainOptions) (*Model, error) {
	o := opts.withDefaults()
	if !o.Params.valid() {
		return nil, fmt.Errorf("reasoning: train: parameters %+v out of range", o.Params)
	}
	bags, err := featurize(examples, o.Params)
	if err != nil {
		return nil, err
	}
	t := trainer{o: o, v: make([]float64, 1<<o.Params.HashBits), a: 1, k: o.Params.Window / o.Params.Stride}
	rng := rand.New(rand.NewPCG(o.Seed, 0x7265617330))
	for epoch := range o.Epochs {
		lr := o.LearnRate / math.Sqrt(float64(1+epoch))
		for _, i := range rng.Perm(len(bags)) {
			t.step(&bags[i], lr, epoch < o.Warmup)
		}
	}
	return t.model(), nil
}

// featurize reads every example into a bag, with class weights that give
// both classes the same total weight.
func featurize(examples []Example, p Params) ([]bag, error) {
	var count [2]int
	for _, e := range examples {
		count[e.Label&1]++
	}
	if count[0] == 0 || count[1] == 0 {
		return nil, errors.New("reasoning: train: need examples of both labels")
	}
	f := newFeaturizer(p)
	bags := make([]bag, len(examples))
	for i, e := range examples {
		b := &bags[i]
		b.y = float64(e.Label & 1)
		b.weight = float64(len(examples)) / float64(2*count[e.Label&1])
		b.blocks = append(b.blocks, 0)
		runes := f.run(e.Text, func(gs []gram) {
			for _, g := range gs {
				for len(b.blocks)-1 < g.end/p.Stride {
					b.blocks = append(b.blocks, int32(len(b.buckets)))
				}
				b.buckets = append(b.buckets, g.bucket)
			}
		})
		for len(b.blocks)-1 < max(1, (runes-1)/p.Stride+1) {
			b.blocks = append(b.blocks, int32(len(b.buckets)))
		}
	}
	return bags, nil
}

// trainer holds the weights as a·v, so that L2's decay of every weight
// is one multiplication of a.
type trainer struct {
	o    TrainOptions
	v    []float64
	a    float64
	bias float64
	k    int // blocks per window
	sums []blockSum
}

// step is one SGD step on bag b: on its best window, or on all of it.
func (t *trainer) step(b *bag, lr float64, whole bool) {
	lo, hi := 0, len(b.blocks)-2
	if !whole {
		lo, hi = t.bestWindow(b)
	}
	from, to := b.blocks[lo], b.blocks[hi+1]
	n := int(to - from)
	if n == 0 {
		return
	}
	inv := 1 / math.Sqrt(float64(n))
	var sum float64
	for _, j := range b.buckets[from:to] {
		sum += t.v[j]
	}
	z := t.bias + float64(float64(t.a*sum)*inv)
	g := float64((sigmoid(z) - b.y) * b.weight)
	t.a = float64(t.a * float64(1-float64(lr*t.o.L2)))
	delta := float64(float64(lr*g)*inv) / t.a
	for _, j := range b.buckets[from:to] {
		t.v[j] -= delta
	}
	t.bias -= float64(lr * g)
	if t.a < 1e-6 {
		for j := range t.v {
			t.v[j] = float64(t.v[j] * t.a)
		}
		t.a = 1
	}
}

// bestWindow is the blocks of b's highest-scoring window, chosen as
// Score chooses it.
func (t *trainer) bestWindow(b *bag) (lo, hi int) {
	nb := len(b.blocks) - 1
	t.sums = t.sums[:0]
	for i := range nb {
		var c float64
		for _, j := range b.buckets[b.blocks[i]:b.blocks[i+1]] {
			c += t.v[j]
		}
		t.sums = append(t.sums, blockSum{c: c, n: int(b.blocks[i+1] - b.blocks[i])})
	}
	best, seen := 0.0, false
	try := func(l, h int) {
		if s := windowScore(t.bias, t.a, t.sums[l:h+1]); !seen || s > best {
			best, lo, hi, seen = s, l, h, true
		}
	}
	for e := t.k - 1; e < nb; e++ {
		try(e-t.k+1, e)
	}
	try(max(0, nb-t.k), nb-1)
	return lo, hi
}

// model quantises the weights to int8 (weights under half a step are
// dropped, which keeps the shipped file small).
func (t *trainer) model() *Model {
	var maxAbs float64
	for _, v := range t.v {
		maxAbs = max(maxAbs, math.Abs(float64(v*t.a)))
	}
	scale := maxAbs / 127
	q := make([]int8, len(t.v))
	if scale > 0 {
		for j, v := range t.v {
			q[j] = int8(math.Round(float64(v*t.a) / scale))
		}
	}
	m := new(Model)
	m.set(t.o.Params, t.bias, scale, q)
	return m
}
